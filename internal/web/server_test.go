package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"assokit/internal/appapi"
	"assokit/internal/jobs"
	"assokit/internal/membersync"
	"assokit/internal/nextcloud"
	"assokit/internal/nextcloud/nextcloudtest"
	"assokit/internal/oidc"
	"assokit/internal/paheko"
	"assokit/internal/store"
	"assokit/internal/tours"
	"assokit/internal/transfer"
)

const (
	testSecret = "web-test-secret"
	pahekoURL  = "https://paheko.example.org"
)

// testServer is a Server wired as main wires it, over a real SQLite file and
// the fake Nextcloud, with a few accounts.
type testServer struct {
	srv *Server
	nc  *nextcloudtest.Server
	st  *store.Store
	log *bytes.Buffer // what the server logged
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	ctx := context.Background()
	nc := nextcloudtest.NewServer(t)
	nc.InstallExApp(nextcloudtest.ExApp{ID: "assokit", Version: "0.1.0", Secret: testSecret})
	nc.AddUser(nextcloudtest.User{ID: "camille", DisplayName: "Camille Martin", Groups: []string{"admin"}, Enabled: true, Language: "fr"})
	nc.AddUser(nextcloudtest.User{ID: "ines", DisplayName: "Inès Petit", Groups: []string{"paheko_compta"}, Enabled: true, Language: "fr"})
	nc.AddUser(nextcloudtest.User{ID: "lea", DisplayName: "Léa Roux", Enabled: true, Language: "fr"})
	nc.AddUser(nextcloudtest.User{ID: "tom", DisplayName: "Tom Baker", Enabled: true, Language: "en"})
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "assokit.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// Inès's member in Paheko is n°5: sign-on opens linked members only.
	if err := st.SavePahekoLink(ctx, store.PahekoLink{UID: "ines", MemberID: 5, Name: "Inès Petit"}); err != nil {
		t.Fatal(err)
	}
	client, err := nextcloud.New(nextcloud.Config{BaseURL: nc.URL(), AppID: "assokit", AppSecret: testSecret,
		AppVersion: "0.1.0", AAVersion: "32.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	queue := jobs.New(st, log, jobs.Options{})
	guide, err := tours.New(st, client, log, tours.Options{})
	if err != nil {
		t.Fatal(err)
	}
	static := fstest.MapFS{
		"js/assokit-main.js":  {Data: []byte("console.log('AssoKit')")},
		"js/assokit-main.css": {Data: []byte("body{}")},
		"img/app.svg":         {Data: []byte("<svg/>")},
		"img/logo.png":        {Data: []byte("\x89PNG")},
		"l10n/fr.json":        {Data: []byte("{}")},
	}
	srv := New(Deps{AppID: "assokit", AppVersion: "0.1.0", Auth: appapi.NewAuthenticator("assokit", testSecret),
		Lifecycle: appapi.NewLifecycle(client, st, queue, nil, log), Host: appapi.NewHost(client),
		Sync: membersync.New(st, client, queue, nil, log), Transfer: transfer.New(st, client, queue, log, transfer.Options{}),
		Tours: guide, OIDC: oidc.New(st, client, func(context.Context) string { return pahekoURL }),
		Static: static, Log: log})
	return &testServer{srv: srv, nc: nc, st: st, log: &logs}
}

// noAuth marks a request sent without AppAPI headers.
const noAuth = "-"

// do sends a request as Nextcloud's proxy would for user ("" for a system
// call, noAuth for none) and returns the recorded answer.
func (ts *testServer) do(method, target, user string, body io.Reader) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, body)
	if user != noAuth {
		req.Header.Set("EX-APP-ID", "assokit")
		req.Header.Set("EX-APP-VERSION", "0.1.0")
		req.Header.Set("AUTHORIZATION-APP-API", base64.StdEncoding.EncodeToString([]byte(user+":"+testSecret)))
	}
	if method != "GET" && method != "HEAD" {
		// What a browser on Nextcloud's page sends with the pages' JSON.
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	rec := httptest.NewRecorder()
	ts.srv.ServeHTTP(rec, req)
	return rec
}

// errorCode is the code of an API error answer ("" when there is none).
func errorCode(rec *httptest.ResponseRecorder) string {
	var b errorBody
	json.Unmarshal(rec.Body.Bytes(), &b)
	return b.Code
}

func TestRequestRules(t *testing.T) {
	ts := newTestServer(t)
	big := `{"offer":true,"pad":"` + strings.Repeat("x", 70<<10) + `"}`
	for _, c := range []struct {
		name         string
		method, path string
		user         string
		body         string
		status       int
		code         string // expected error code, "" for a success
	}{
		{"heartbeat needs no headers", "GET", "/heartbeat", noAuth, "", 200, ""},
		{"API without headers", "GET", "/api/status", noAuth, "", 401, "unauthenticated"},
		{"API as a system call", "GET", "/api/status", "", "", 401, "not_signed_in"},
		{"API as a member", "GET", "/api/status", "lea", "", 200, ""},
		{"API as an account Nextcloud does not know", "GET", "/api/status", "ghost", "", 502, "nextcloud_refused"},
		{"admin API as a member", "GET", "/api/admin/jobs", "lea", "", 403, "admin_required"},
		{"admin API as an admin", "GET", "/api/admin/jobs", "camille", "", 200, ""},
		{"init signed for a user", "POST", "/init", "camille", "", 403, "nextcloud_only"},
		{"init as Nextcloud", "POST", "/init", "", "", 200, ""},
		{"enabled signed for a user", "PUT", "/enabled?enabled=1", "lea", "", 403, "nextcloud_only"},
		{"enabled with an unknown state", "PUT", "/enabled?enabled=2", "", "", 200, ""},
		{"unknown route", "GET", "/api/nope", "lea", "", 404, "not_found"},
		{"unknown route without headers", "GET", "/nope", noAuth, "", 404, "not_found"},
		{"method no route has", "DELETE", "/api/status", "lea", "", 404, "not_found"},
		{"body that is not JSON", "PUT", "/api/tours/offer", "lea", "{", 400, "bad_request"},
		{"body over 64 KiB", "PUT", "/api/tours/offer", "lea", big, 400, "bad_request"},
		{"body read", "PUT", "/api/tours/offer", "lea", `{"offer":false}`, 204, ""},
		{"transfer id that is not a number", "GET", "/api/admin/transfers/abc", "camille", "", 400, "bad_request"},
		{"transfer that does not exist", "GET", "/api/admin/transfers/42", "camille", "", 404, "not_found"},
		{"transfer to oneself", "POST", "/api/admin/transfers", "camille", `{"source":"lea","target":"lea","choice":{"allFiles":true}}`, 400, "transfer_same_account"},
		{"sync before Paheko is set up", "POST", "/api/admin/paheko/sync", "camille", "", 409, "paheko_not_configured"},
		{"invalid Paheko settings", "PUT", "/api/admin/paheko/settings", "camille", `{"url":"ftp://x","key":"k","secret":"s"}`, 400, "paheko_url_invalid"},
		{"unknown tour", "PUT", "/api/tours/nope/progress", "lea", `{"state":"done","step":0}`, 404, "tour_unknown"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var body io.Reader
			if c.body != "" {
				body = strings.NewReader(c.body)
			}
			rec := ts.do(c.method, c.path, c.user, body)
			if rec.Code != c.status || errorCode(rec) != c.code {
				t.Fatalf("%s %s as %q = %d %q, want %d %q (%s)", c.method, c.path, c.user, rec.Code, errorCode(rec), c.status, c.code, rec.Body)
			}
			// AppAPI's proxy caches non-JSON answers without Cache-Control.
			if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", cc)
			}
			if c.code != "" && !strings.Contains(rec.Header().Get("Content-Type"), "application/json") {
				t.Errorf("error answered as %q", rec.Header().Get("Content-Type"))
			}
		})
	}
}

func TestErrorAnswers(t *testing.T) {
	ts := newTestServer(t)
	// The message is the status text, never the error's own text.
	rec := ts.do("GET", "/api/admin/transfers/42", "camille", nil)
	var b errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil || b != (errorBody{Code: "not_found", Message: "Not Found"}) {
		t.Fatalf("body = %s (%v)", rec.Body, err)
	}
	// HEAD gets the status alone.
	if rec := ts.do("HEAD", "/api/nope", "lea", nil); rec.Code != 404 || rec.Body.Len() != 0 {
		t.Fatalf("HEAD: %d %q", rec.Code, rec.Body)
	}
	// A 4xx is not logged as a failure; Nextcloud unreachable is, once,
	// without the secret.
	if strings.Contains(ts.log.String(), "request failed") {
		t.Fatalf("a 4xx was logged as a failure: %s", ts.log)
	}
	ts.nc.Close()
	rec = ts.do("GET", "/api/status", "lea", nil)
	if rec.Code != 502 || errorCode(rec) != "nextcloud_unreachable" {
		t.Fatalf("Nextcloud down: %d %s", rec.Code, rec.Body)
	}
	logged := ts.log.String()
	if strings.Count(logged, "request failed") != 1 || strings.Contains(logged, testSecret) {
		t.Fatalf("log = %s", logged)
	}
}

func TestStaticFiles(t *testing.T) {
	ts := newTestServer(t)
	for _, c := range []struct {
		path, user  string
		status      int
		contentType string
	}{
		{"/js/assokit-main.js", "lea", 200, "text/javascript; charset=utf-8"},
		{"/js/assokit-main.css", "lea", 200, "text/css; charset=utf-8"},
		{"/img/app.svg", "", 200, "image/svg+xml"},
		{"/img/logo.png", "lea", 200, "image/png"},
		{"/js/missing.js", "lea", 404, ""},
		{"/js/../l10n/fr.json", "lea", 404, ""},
		{"/js/%2e%2e/l10n/fr.json", "lea", 404, ""},
		{"/img/", "lea", 404, ""},
		{"/js/assokit-main.js", noAuth, 401, ""},
	} {
		rec := ts.do("GET", c.path, c.user, nil)
		if rec.Code != c.status {
			t.Errorf("GET %s as %q = %d, want %d", c.path, c.user, rec.Code, c.status)
			continue
		}
		if c.status != 200 {
			continue
		}
		if ct := rec.Header().Get("Content-Type"); ct != c.contentType {
			t.Errorf("GET %s: Content-Type %q, want %q", c.path, ct, c.contentType)
		}
		// A short cache of our own, or AppAPI's proxy would add an hour.
		if cc := rec.Header().Get("Cache-Control"); cc != "max-age=300" {
			t.Errorf("GET %s: Cache-Control %q, want max-age=300", c.path, cc)
		}
	}
}

// authorizeURL is Paheko's authorization request for clientID.
func authorizeURL(clientID string) string {
	q := url.Values{"client_id": {clientID}, "redirect_uri": {paheko.LoginURL(pahekoURL)},
		"response_type": {"code"}, "scope": {"openid email profile"}, "state": {"st4te"}}
	return "/oidc/authorize?" + q.Encode()
}

func TestSignOnPages(t *testing.T) {
	ts := newTestServer(t)
	for _, c := range []struct {
		name, user, clientID string
		status               int
		want                 []string // in the page
	}{
		{"a member of paheko_compta goes on to Paheko", "ines", oidc.ClientID, 200,
			[]string{`<html lang="fr">`, "Ouverture de Paheko…", `http-equiv="refresh"`, "https://paheko.example.org/admin/login.php?oidc\u0026amp;code=", "state=st4te"}},
		{"a member without a Paheko group is told who to ask", "lea", oidc.ClientID, 403,
			[]string{"Paheko n&#39;est pas ouvert à votre compte", "demandez à un administrateur"}},
		{"in English for an English-speaking member", "tom", oidc.ClientID, 403,
			[]string{`<html lang="en">`, "Paheko is not open to your account"}},
		{"an unknown client is refused without navigating", "ines", "someone-else", 400,
			[]string{"Demande de connexion refusée"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := ts.do("GET", authorizeURL(c.clientID), c.user, nil)
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, c.status, rec.Body)
			}
			page := rec.Body.String()
			for _, w := range c.want {
				if !strings.Contains(page, w) {
					t.Errorf("page lacks %q:\n%s", w, page)
				}
			}
			if c.status != 200 && strings.Contains(page, "refresh") {
				t.Errorf("a refusal navigates:\n%s", page)
			}
			h := rec.Header()
			// Never a redirect: Nextcloud's proxy would follow it itself.
			if h.Get("Location") != "" {
				t.Errorf("Location = %q", h.Get("Location"))
			}
			for k, v := range map[string]string{"Content-Security-Policy": pageCSP, "Cache-Control": "no-store",
				"Referrer-Policy": "no-referrer", "Content-Type": "text/html; charset=utf-8"} {
				if h.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, h.Get(k), v)
				}
			}
		})
	}
	// The sign-on page needs a signed-in member.
	if rec := ts.do("GET", authorizeURL(oidc.ClientID), "", nil); rec.Code != 401 || errorCode(rec) != "not_signed_in" {
		t.Fatalf("system call: %d %s", rec.Code, rec.Body)
	}
}

func TestPahekoPage(t *testing.T) {
	ts := newTestServer(t)
	for _, c := range []struct {
		user, role, loginURL string
		linked               bool
	}{
		{"camille", "admin", "", false}, // no member yet: nothing to open
		{"ines", "compta", paheko.LoginURL(pahekoURL), true},
		{"lea", "", "", false},
	} {
		rec := ts.do("GET", "/api/paheko", c.user, nil)
		var v struct {
			Configured bool
			LoginURL   string `json:"loginUrl"`
			Role       string
			Linked     bool
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || rec.Code != 200 {
			t.Fatalf("%s: %d %s", c.user, rec.Code, rec.Body)
		}
		if !v.Configured || v.Role != c.role || v.LoginURL != c.loginURL || v.Linked != c.linked {
			t.Errorf("%s: %+v, want role %q login %q linked %v", c.user, v, c.role, c.loginURL, c.linked)
		}
	}
}
