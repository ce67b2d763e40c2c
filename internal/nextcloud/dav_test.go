package nextcloud

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzURLRoundTrip checks that a segment goes through Client.url and back
// through hrefPath unchanged, whatever it holds, under a base URL with a
// path: escaped exactly once, decoded exactly once.
func FuzzURLRoundTrip(f *testing.F) {
	for _, s := range []string{"jean dupont", "o'brien", "marie@asso.example", "100%20", "a+b=c?d#e", "été", "%", "Transféré de X à 2026-11-30 01-09-31"} {
		f.Add(s)
	}
	c, err := New(Config{BaseURL: "https://cloud.example/nextcloud/index.php"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, seg string) {
		if seg == "" || seg == "." || seg == ".." || strings.Contains(seg, "/") {
			return // not one path segment: hrefPath refuses dot segments
		}
		u := c.url(NCPath("/remote.php/dav/files", seg, "x"), "")
		p, ok := c.hrefPath(u)
		if !ok || len(p) != 5 || p[3] != seg {
			t.Fatalf("%q → %s → %q", seg, u, p)
		}
	})
}

// FuzzQuota reads arbitrary quota objects: a number, a string or nothing,
// never a failed account read.
func FuzzQuota(f *testing.F) {
	for _, s := range []string{`{"free":-3,"used":0,"total":-3,"relative":0,"quota":-3}`, `{"free":52428800,"used":0,"quota":52428800}`, `{"quota":"none","used":0}`, `[]`, `null`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		var a Account
		if err := json.Unmarshal([]byte(`{"id":"x","quota":`+raw+`}`), &a); err != nil {
			return // not JSON at all
		}
		if a.Quota.Known && a.Quota.Free < 0 && !a.Quota.Unlimited() {
			t.Fatalf("%s: negative free space counted as a limit", raw)
		}
	})
}

// TestQuota reads the quota objects of the captures (330–332) and those
// of an account whose storage was never set up, with and without a quota.
func TestQuota(t *testing.T) {
	cases := []struct {
		raw       string
		free      int64
		unlimited bool
	}{
		{`{"free":-3,"used":0,"total":-3,"relative":0,"quota":-3}`, -3, true},
		{`{"free":52428800,"used":0,"total":52428800,"relative":0,"quota":52428800}`, 52428800, false},
		{`{"quota":"none","used":0}`, 0, true},
		// Storage never set up but a quota set: no "free" (upstream
		// AUserDataOCSController::fillStorageInfo, no capture).
		{`{"quota":52428800,"used":0}`, 52428800, false},
		{`{"quota":-3,"used":0}`, 0, true},
	}
	for _, c := range cases {
		var a Account
		if err := json.Unmarshal([]byte(`{"id":"lea","quota":`+c.raw+`}`), &a); err != nil {
			t.Fatal(err)
		}
		if a.Quota.Free != c.free || a.Quota.Unlimited() != c.unlimited {
			t.Errorf("%s → %+v (unlimited %v)", c.raw, a.Quota, a.Quota.Unlimited())
		}
	}
}
