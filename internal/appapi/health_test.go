package appapi_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"assokit/internal/appapi"
)

func TestHealthcheck(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		body    string
		wantErr string
	}{
		{"ok", http.StatusOK, `{"status":"ok"}`, ""},
		{"not ok", http.StatusOK, `{"status":"starting"}`, "answered 200"},
		{"error", http.StatusServiceUnavailable, `{}`, "answered 503"},
		{"not json", http.StatusOK, `ok`, "answered 200"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/heartbeat" {
					http.NotFound(w, r)
					return
				}
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
			// APP_HOST 0.0.0.0 (a container's wildcard) is reached on loopback.
			env := map[string]string{"APP_HOST": "0.0.0.0", "APP_PORT": port}
			err := appapi.Healthcheck(context.Background(), func(k string) string { return env[k] })
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("Healthcheck() = %v, want %q", err, tc.wantErr)
			}
		})
	}
	t.Run("nothing listening", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		ln.Close()
		env := map[string]string{"APP_PORT": port}
		if err := appapi.Healthcheck(context.Background(), func(k string) string { return env[k] }); err == nil {
			t.Error("Healthcheck() = nil with nothing listening")
		}
	})
}
