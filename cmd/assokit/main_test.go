package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"maps"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"assokit"
	"assokit/internal/appapi"
	"assokit/internal/nextcloud/nextcloudtest"
)

const testSecret = "test-secret-0123456789"

// startAssoKit runs the whole program on a loopback port against nc and
// returns its base URL. It stops when the test ends.
func startAssoKit(t *testing.T, nc *nextcloudtest.Server) string { return startAssoKitB(t, nc) }

// startAssoKitB is startAssoKit for tests and benchmarks.
func startAssoKitB(t testing.TB, nc *nextcloudtest.Server) string {
	return startAssoKitWith(t, nc.URL(), testSecret)
}

// startAssoKitWith runs the whole program against the Nextcloud at ncURL.
func startAssoKitWith(t testing.TB, ncURL, secret string) string {
	t.Helper()
	return startAssoKitEnv(t, ncURL, secret, nil)
}

// startAssoKitEnv is startAssoKitWith with more environment variables.
func startAssoKitEnv(t testing.TB, ncURL, secret string, more map[string]string) string {
	t.Helper()
	env := map[string]string{"APP_ID": "assokit", "APP_SECRET": secret, "APP_VERSION": "0.1.0",
		"APP_HOST": "127.0.0.1", "APP_PORT": "0", "NEXTCLOUD_URL": ncURL + "/index.php",
		"APP_PERSISTENT_STORAGE": t.TempDir(), "AA_VERSION": "32.0.0", "LOG_LEVEL": "error"}
	maps.Copy(env, more)
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, func(k string) string { return env[k] }, io.Discard, func(a net.Addr) { addr <- a })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run() = %v", err)
		}
	})
	select {
	case a := <-addr:
		return "http://" + a.String()
	case err := <-done:
		t.Fatalf("run() = %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("AssoKit did not start")
	}
	return ""
}

func register(t *testing.T, nc *nextcloudtest.Server, appURL string) {
	t.Helper()
	m, err := appapi.ParseManifest(assokit.InfoXML)
	if err != nil {
		t.Fatal(err)
	}
	var routes []nextcloudtest.Route
	for _, r := range m.Routes {
		routes = append(routes, nextcloudtest.Route{URL: r.URL, Verb: r.Verb, AccessLevel: r.AccessLevel})
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := nc.RegisterExApp(ctx, nextcloudtest.ExApp{ID: "assokit", Name: "AssoKit", Version: "0.1.0",
		Secret: testSecret, URL: appURL, Routes: routes}); err != nil {
		t.Fatalf("RegisterExApp() = %v", err)
	}
}

func TestRegistrationEndToEnd(t *testing.T) {
	nc := nextcloudtest.NewServer(t)
	nc.AddUser(nextcloudtest.User{ID: "alice", DisplayName: "Alice Martin", Password: "pw", Enabled: true, Language: "fr"})
	appURL := startAssoKit(t, nc)
	register(t, nc, appURL)

	app, _ := nc.ExAppState("assokit")
	if !app.Enabled || app.InitProgress != 100 || app.InitError != "" {
		t.Fatalf("after registration: enabled %v, progress %d, error %q", app.Enabled, app.InitProgress, app.InitError)
	}
	menu, ok := app.TopMenus[appapi.MainMenu]
	if !ok || menu.DisplayName != "AssoKit" || menu.AdminRequired != 0 {
		t.Fatalf("top menu = %+v, %v", menu, ok)
	}
	if paheko, ok := app.TopMenus[appapi.PahekoMenu]; !ok || paheko.DisplayName != "Paheko" {
		t.Fatalf("Paheko top menu = %+v, %v", paheko, ok)
	}
	if tr, ok := app.TopMenus[appapi.TransferMenu]; !ok || tr.DisplayName != "Transfers" || tr.AdminRequired != 1 {
		t.Fatalf("Transferts top menu = %+v, %v", tr, ok)
	}
	if d, ok := app.TopMenus[appapi.ToursMenu]; !ok || d.DisplayName != "Discover" || d.AdminRequired != 0 {
		t.Fatalf("Découvrir top menu = %+v, %v", d, ok)
	}
	want := nextcloudtest.Asset{Type: "top_menu", Name: appapi.MainMenu, Path: "js/assokit-main"}
	if len(app.Scripts) != 4 || app.Scripts[0] != want || len(app.Styles) != 4 {
		t.Fatalf("scripts %v styles %v", app.Scripts, app.Styles)
	}
	if _, ok := app.States[appapi.MainMenu+"/assokit"]; !ok {
		t.Fatalf("initial state missing: %v", app.States)
	}
	if _, ok := app.Forms["assokit_admin"]; !ok {
		t.Fatalf("settings form missing: %v", app.Forms)
	}

	// Disabling removes every registration; enabling again restores them.
	if err := nc.DisableExApp(t.Context(), "assokit"); err != nil {
		t.Fatalf("DisableExApp() = %v", err)
	}
	app, _ = nc.ExAppState("assokit")
	if len(app.TopMenus)+len(app.Scripts)+len(app.Styles)+len(app.States)+len(app.Forms) != 0 {
		t.Fatalf("left after disable: %+v", app)
	}
	for range 2 { // enabling is idempotent
		if err := nc.EnableExApp(t.Context(), "assokit"); err != nil {
			t.Fatalf("EnableExApp() = %v", err)
		}
	}
	app, _ = nc.ExAppState("assokit")
	if len(app.TopMenus) != 4 || len(app.Scripts) != 4 || len(app.Forms) != 1 {
		t.Fatalf("after enable twice: %+v", app)
	}

	// The page's API, through the proxy as a signed-in member.
	nc.SetAppConfig("assokit", appapi.SettingAssociationName, "Les Jardins")
	req, _ := http.NewRequest("GET", nc.URL()+"/index.php/apps/app_api/proxy/assokit/api/status", nil)
	req.SetBasicAuth("alice", "pw")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		User struct {
			ID      string
			IsAdmin bool
		}
		Nextcloud struct {
			Reachable bool
			Version   string
		}
		Association struct{ Name string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || resp.StatusCode != 200 {
		t.Fatalf("status: %d, %v", resp.StatusCode, err)
	}
	if st.User.ID != "alice" || st.User.IsAdmin || !st.Nextcloud.Reachable || st.Association.Name != "Les Jardins" {
		t.Fatalf("status = %+v", st)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q; want no-store", cc)
	}

	// The admin API refuses a member even though the USER route matches.
	req, _ = http.NewRequest("GET", nc.URL()+"/index.php/apps/app_api/proxy/assokit/api/admin/jobs", nil)
	req.SetBasicAuth("alice", "pw")
	resp2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp2.Body)
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusForbidden || !strings.Contains(string(body), `"admin_required"`) {
		t.Fatalf("admin API as a member: %d %s", resp2.StatusCode, body)
	}
}

func TestRejectsBadAuth(t *testing.T) {
	nc := nextcloudtest.NewServer(t)
	appURL := startAssoKit(t, nc)
	sign := func(user, secret string) string {
		return base64.StdEncoding.EncodeToString([]byte(user + ":" + secret))
	}
	tests := []struct {
		name, method, path string
		header             map[string]string
		want               int
	}{
		{"heartbeat needs nothing", "GET", "/heartbeat", nil, 200},
		{"no headers", "PUT", "/enabled?enabled=1", nil, 401},
		{"wrong secret", "PUT", "/enabled?enabled=1", map[string]string{"EX-APP-ID": "assokit", "EX-APP-VERSION": "0.1.0", "AUTHORIZATION-APP-API": sign("", "wrong")}, 401},
		{"wrong app", "POST", "/init", map[string]string{"EX-APP-ID": "other", "EX-APP-VERSION": "0.1.0", "AUTHORIZATION-APP-API": sign("", testSecret)}, 401},
		{"no version", "GET", "/api/status", map[string]string{"EX-APP-ID": "assokit", "AUTHORIZATION-APP-API": sign("alice", testSecret)}, 401},
		{"system call on a user route", "GET", "/api/status", map[string]string{"EX-APP-ID": "assokit", "EX-APP-VERSION": "0.1.0", "AUTHORIZATION-APP-API": sign("", testSecret)}, 401},
		{"init signed for a user", "POST", "/init", map[string]string{"EX-APP-ID": "assokit", "EX-APP-VERSION": "0.1.0", "AUTHORIZATION-APP-API": sign("alice", testSecret)}, 403},
		{"enabled signed for a user", "PUT", "/enabled?enabled=0", map[string]string{"EX-APP-ID": "assokit", "EX-APP-VERSION": "0.1.0", "AUTHORIZATION-APP-API": sign("alice", testSecret)}, 403},
		{"unknown route", "GET", "/nope", map[string]string{"EX-APP-ID": "assokit", "EX-APP-VERSION": "0.1.0", "AUTHORIZATION-APP-API": sign("", testSecret)}, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, appURL+tt.path, nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("%s %s = %d %s; want %d", tt.method, tt.path, resp.StatusCode, body, tt.want)
			}
			if tt.want == 401 && (!strings.Contains(resp.Header.Get("Content-Type"), "application/json") || strings.Contains(string(body), testSecret)) {
				t.Fatalf("401 answer: %s %s", resp.Header.Get("Content-Type"), body)
			}
		})
	}
}

func TestMissingEnvironment(t *testing.T) {
	err := run(t.Context(), nil, func(k string) string {
		if k == "APP_ID" {
			return "assokit"
		}
		return ""
	}, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "APP_SECRET") {
		t.Fatalf("run() without environment = %v; want a message naming APP_SECRET", err)
	}
}
