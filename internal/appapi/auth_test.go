package appapi

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func header(appID, version, auth string) http.Header {
	h := http.Header{}
	for k, v := range map[string]string{"EX-APP-ID": appID, "EX-APP-VERSION": version, "AUTHORIZATION-APP-API": auth} {
		if v != "" {
			h.Set(k, v)
		}
	}
	return h
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestAuthenticate(t *testing.T) {
	a := NewAuthenticator("assokit", "s3cret:with:colons")
	tests := []struct {
		name     string
		h        http.Header
		wantUser string
		wantErr  bool
	}{
		{"system call", header("assokit", "1.0.0", b64(":s3cret:with:colons")), "", false},
		{"user call", header("assokit", "1.0.0", b64("alice:s3cret:with:colons")), "alice", false},
		{"lower-case header names", http.Header{"ex-app-id": {"assokit"}}, "", true},
		{"other app", header("other", "1.0.0", b64("alice:s3cret:with:colons")), "", true},
		{"wrong secret", header("assokit", "1.0.0", b64("alice:nope")), "", true},
		{"secret prefix only", header("assokit", "1.0.0", b64("alice:s3cret")), "", true},
		{"no version", header("assokit", "", b64("alice:s3cret:with:colons")), "", true},
		{"no auth", header("assokit", "1.0.0", ""), "", true},
		{"not base64", header("assokit", "1.0.0", "%%%"), "", true},
		{"no colon", header("assokit", "1.0.0", b64("alice")), "", true},
		{"empty secret", header("assokit", "1.0.0", b64("alice:")), "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user, err := a.Authenticate(tt.h)
			if (err != nil) != tt.wantErr || user != tt.wantUser {
				t.Fatalf("Authenticate() = %q, %v; want %q, error %v", user, err, tt.wantUser, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrUnauthenticated) {
				t.Fatalf("error %v is not ErrUnauthenticated", err)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Fatal("error text holds the secret")
			}
		})
	}
}

// The lower-case variant must work too: net/http canonicalises header names.
func TestAuthenticateCanonicalises(t *testing.T) {
	a := NewAuthenticator("assokit", "x")
	h := http.Header{}
	h.Add("ex-app-id", "assokit")
	h.Add("ex-app-version", "1")
	h.Add("authorization-app-api", b64("bob:x"))
	if user, err := a.Authenticate(h); err != nil || user != "bob" {
		t.Fatalf("Authenticate(lower-case) = %q, %v", user, err)
	}
}

func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{b64(":x"), b64("alice:x"), b64("a:b:c"), "", "===", b64(":"), b64("\x00:\xff")} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		user, secret, err := ParseAuthorization(v)
		if err != nil {
			if user != "" || secret != "" {
				t.Fatal("values returned with an error")
			}
			return
		}
		if secret == "" || strings.Contains(user, ":") {
			t.Fatalf("ParseAuthorization(%q) = %q, %q", v, user, secret)
		}
		if b64(user+":"+secret) != v && !strings.HasSuffix(v, "=") {
			// A valid value decodes to user:secret exactly.
			raw, _ := base64.StdEncoding.DecodeString(v)
			if string(raw) != user+":"+secret {
				t.Fatalf("round trip of %q lost data", v)
			}
		}
	})
}

func TestFromEnv(t *testing.T) {
	full := map[string]string{"APP_ID": "assokit", "APP_SECRET": "s", "APP_VERSION": "1", "APP_PORT": "23000",
		"NEXTCLOUD_URL": "https://cloud.example/index.php/", "APP_PERSISTENT_STORAGE": "/data"}
	env := func(m map[string]string, drop string, set ...string) func(string) string {
		return func(k string) string {
			if k == drop {
				return ""
			}
			for i := 0; i+1 < len(set); i += 2 {
				if set[i] == k {
					return set[i+1]
				}
			}
			return m[k]
		}
	}
	c, err := FromEnv(env(full, ""))
	if err != nil || c.NextcloudURL != "https://cloud.example" || c.AppHost != "127.0.0.1" || c.AppPort != 23000 {
		t.Fatalf("FromEnv(full) = %+v, %v", c, err)
	}
	if n, a := c.ListenAddr(); n != "tcp" || a != "127.0.0.1:23000" {
		t.Fatalf("ListenAddr() = %s %s", n, a)
	}
	for _, name := range []string{"APP_ID", "APP_SECRET", "APP_VERSION", "APP_PORT", "NEXTCLOUD_URL", "APP_PERSISTENT_STORAGE"} {
		_, err := FromEnv(env(full, name))
		if err == nil || !strings.Contains(err.Error(), name) || strings.Contains(err.Error(), "\n") {
			t.Errorf("FromEnv without %s: error %v; want a one-line message naming it", name, err)
		}
	}
	c, err = FromEnv(env(full, "APP_PORT", "HP_SHARED_KEY", "k"))
	if n, a := c.ListenAddr(); err != nil || n != "unix" || a != HaRPSocket {
		t.Fatalf("HaRP: %s %s, %v", n, a, err)
	}
	if _, err := FromEnv(env(full, "", "APP_PORT", "http")); err == nil || !strings.Contains(err.Error(), "APP_PORT") {
		t.Fatalf("bad port: %v", err)
	}
}
