package nextcloudtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
)

// caller is who a request acts as.
type caller struct {
	app  *ExApp // nil for a browser or Basic-auth caller
	user string
}

// appAPIAuth checks the AppAPI headers as AppAPIService::validateExAppRequestToNC
// does: EX-APP-ID of a registered app, a non-empty EX-APP-VERSION, the app's
// secret, an enabled app (except for ex-app/state), and an existing user when
// one is named. ok is false if the request carries no AUTHORIZATION-APP-API.
func (s *Server) appAPIAuth(r *http.Request) (c caller, present, ok bool) {
	return s.appAPIAuthFor(r, false)
}

// appAPIAuthFor is appAPIAuth; with anyState, a disabled app passes too, as
// AppAPI's DAV plugin lets it (fixture 81).
func (s *Server) appAPIAuthFor(r *http.Request, anyState bool) (c caller, present, ok bool) {
	auth := r.Header.Get("AUTHORIZATION-APP-API")
	if auth == "" {
		return caller{}, false, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	app := s.apps[r.Header.Get("EX-APP-ID")]
	if app == nil || r.Header.Get("EX-APP-VERSION") == "" {
		return caller{}, true, false
	}
	raw, err := base64.StdEncoding.DecodeString(auth)
	if err != nil {
		return caller{}, true, false
	}
	user, secret, found := strings.Cut(string(raw), ":")
	if !found || secret != app.Secret {
		return caller{}, true, false
	}
	if !app.Enabled && !anyState && !strings.HasSuffix(r.URL.Path, "/apps/app_api/ex-app/state") {
		return caller{}, true, false
	}
	if user != "" && s.users[user] == nil {
		return caller{}, true, false
	}
	return caller{app: app, user: user}, true, true
}

// DemoUserCookie is the cookie the fake's pages use as a login session.
const DemoUserCookie = "nc_demo_user"

// browserAuth identifies a browser: Basic auth with the account's password,
// or the demo session cookie.
func (s *Server) browserAuth(r *http.Request) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, p, ok := r.BasicAuth(); ok {
		if acc := s.users[u]; acc != nil && acc.Enabled && acc.Password == p {
			return u, true
		}
		return "", false
	}
	if c, err := r.Cookie(DemoUserCookie); err == nil {
		if acc := s.users[c.Value]; acc != nil && acc.Enabled {
			return c.Value, true
		}
	}
	return "", false
}

// sessionCookie imitates the PHP session cookie Nextcloud sets on every
// answer, so that a client with a cookie jar would be noticed.
func sessionCookie(w http.ResponseWriter) {
	b := make([]byte, 13)
	rand.Read(b)
	w.Header().Add("Set-Cookie", "ocfake="+hex.EncodeToString(b)+"; path=/; HttpOnly; SameSite=Lax")
	w.Header().Set("X-Request-Id", hex.EncodeToString(b[:10]))
}
