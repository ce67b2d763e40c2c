package nextcloud

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestReadAtMostNeverCutsInSilence(t *testing.T) {
	if raw, err := readAtMost(strings.NewReader("abcd"), 4); err != nil || string(raw) != "abcd" {
		t.Errorf("at the limit: %q, %v", raw, err)
	}
	if raw, err := readAtMost(bytes.NewReader(make([]byte, 5)), 4); !errors.Is(err, ErrTooLarge) || raw != nil {
		t.Errorf("past the limit: %d bytes, %v", len(raw), err)
	}
}

// TestAnswersOverTheLimitsFail answers a listing over ListingLimit and an
// object over ObjectLimit: each call fails with ErrTooLarge naming what it
// read, never with part of it.
func TestAnswersOverTheLimitsFail(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		size := ObjectLimit + 1
		if r.Method == "PROPFIND" {
			size = ListingLimit + 1
			w.WriteHeader(207)
		}
		chunk := bytes.Repeat([]byte("A"), 1<<20)
		for size > 0 {
			n := min(size, len(chunk))
			if _, err := w.Write(chunk[:n]); err != nil {
				return
			}
			size -= n
		}
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, AppID: "assokit", AppSecret: "s", AppVersion: "1"})
	if err != nil {
		t.Fatal(err)
	}
	alice := c.As("alice")
	ctx := context.Background()
	if _, err := alice.GetObject(ctx, AddressBooks, "contacts", "grande-photo.vcf", ""); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "grande-photo.vcf") {
		t.Errorf("an object over the limit: %v", err)
	}
	if _, err := alice.ObjectETags(ctx, Calendars, "agenda"); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "agenda") {
		t.Errorf("a listing over the limit: %v", err)
	}
}
