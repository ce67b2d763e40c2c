package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"assokit"
	"assokit/internal/devstack"
	"assokit/internal/nextcloud/nextcloudtest"
)

// startDemo runs the embedded demo as `assokit-dev dev` does: fake Nextcloud and
// Paheko seeded, AssoKit registered and connected to Paheko.
func startDemo(t testing.TB) *devstack.Demo {
	t.Helper()
	demo, err := devstack.Start(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { demo.Close() })
	appURL := startAssoKitWith(t, demo.URL, demo.Secret)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := demo.Register(ctx, appURL, assokit.InfoXML, assokit.L10N()); err != nil {
		t.Fatal(err)
	}
	if err := demo.ConnectPaheko(ctx); err != nil {
		t.Fatal(err)
	}
	return demo
}

// asUser calls AssoKit's API through the proxy as a signed-in demo account.
func asUser(t testing.TB, demo *devstack.Demo, uid, method, path string, out any) int {
	t.Helper()
	return sendAs(t, demo, uid, method, path, nil, out)
}

// sendAs is asUser with a JSON body (nil for none).
func sendAs(t testing.TB, demo *devstack.Demo, uid, method, path string, in, out any) int {
	t.Helper()
	var body io.Reader
	if in != nil {
		raw, _ := json.Marshal(in)
		body = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, demo.URL+"/index.php/apps/app_api/proxy/assokit"+path, body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", demo.URL) // as a browser on Nextcloud's page
	req.SetBasicAuth(uid, "demo")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// syncNow asks for a sync as camille and waits for its report.
func syncNow(t testing.TB, demo *devstack.Demo) map[string]any {
	t.Helper()
	var before struct {
		Runs []struct{ Run struct{ ID int } } `json:"runs"`
	}
	asUser(t, demo, "camille", "GET", "/api/admin/paheko/runs", &before)
	if st := asUser(t, demo, "camille", "POST", "/api/admin/paheko/sync", nil); st != http.StatusAccepted {
		t.Fatalf("sync now: %d", st)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var runs struct {
			Runs []struct {
				Run struct {
					ID    int
					State string
					Error string
				}
				Report map[string]any
			} `json:"runs"`
		}
		asUser(t, demo, "camille", "GET", "/api/admin/paheko/runs", &runs)
		if len(runs.Runs) > 0 && (len(before.Runs) == 0 || runs.Runs[0].Run.ID > before.Runs[0].Run.ID) && runs.Runs[0].Run.State != "running" {
			if runs.Runs[0].Run.State != "done" {
				t.Fatalf("run %+v", runs.Runs[0].Run)
			}
			return runs.Runs[0].Report
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the sync did not finish")
	return nil
}

func TestPahekoBridgeEndToEnd(t *testing.T) {
	demo := startDemo(t)
	membersBefore := len(demo.Paheko.Members())

	// The admin looks at the preview first: nothing has changed in Paheko.
	var plan struct {
		Actions []struct{ Kind, UID string }
	}
	if st := asUser(t, demo, "camille", "GET", "/api/admin/paheko/preview", &plan); st != 200 || len(plan.Actions) == 0 {
		t.Fatalf("preview: %d %+v", st, plan)
	}
	if len(demo.Paheko.Members()) != membersBefore {
		t.Fatal("the preview changed Paheko")
	}
	// A member cannot read the admin API, even through the USER route.
	if st := asUser(t, demo, "lea", "GET", "/api/admin/paheko/preview", nil); st != http.StatusForbidden {
		t.Errorf("preview as a member: %d", st)
	}

	// Jeanne and Hugo already are members with their account's e-mail:
	// proposals, never linked by the sync itself.
	rep := syncNow(t, demo)
	if rep["failed"].(float64) != 0 || rep["adopted"].(float64) != 0 || rep["proposals"].(float64) != 2 {
		t.Fatalf("first sync %v", rep)
	}
	var preview struct {
		Proposals []struct {
			UID        string `json:"uid"`
			MemberID   int    `json:"memberId"`
			MemberName string `json:"memberName"`
		} `json:"proposals"`
	}
	asUser(t, demo, "camille", "GET", "/api/admin/paheko/preview", &preview)
	proposed := map[string]int{}
	for _, p := range preview.Proposals {
		proposed[p.UID] = p.MemberID
	}
	if proposed["jeanne"] == 0 || proposed["hugo"] == 0 {
		t.Fatalf("proposals %+v", preview.Proposals)
	}
	// The admin confirms Jeanne's and refuses Hugo's.
	if st := sendAs(t, demo, "camille", "POST", "/api/admin/paheko/proposals",
		map[string]any{"uid": "jeanne", "memberId": proposed["jeanne"], "confirm": true}, nil); st != 200 {
		t.Fatalf("confirm: %d", st)
	}
	if st := sendAs(t, demo, "camille", "POST", "/api/admin/paheko/proposals",
		map[string]any{"uid": "hugo", "memberId": proposed["hugo"], "confirm": false}, nil); st != 200 {
		t.Fatalf("refuse: %d", st)
	}
	if st := sendAs(t, demo, "lea", "POST", "/api/admin/paheko/proposals",
		map[string]any{"uid": "hugo", "memberId": proposed["hugo"], "confirm": true}, nil); st != http.StatusForbidden {
		t.Errorf("a member answered a proposal: %d", st)
	}
	var audit struct {
		Audit []struct{ Action, UID, Actor string } `json:"audit"`
	}
	asUser(t, demo, "camille", "GET", "/api/admin/paheko/runs", &audit)
	seen := map[string]bool{}
	for _, e := range audit.Audit {
		seen[e.Action+" "+e.UID+" "+e.Actor] = true
	}
	for _, want := range []string{"confirm jeanne camille", "adopt jeanne camille", "refuse hugo camille", "create hugo camille"} {
		if !seen[want] {
			t.Errorf("the audit log lacks %q: %+v", want, audit.Audit)
		}
	}
	byUID := map[string]int{}
	for _, m := range demo.Paheko.Members() {
		if uid, _ := m.Fields["nextcloud_uid"].(string); uid != "" {
			byUID[uid]++
		}
	}
	for _, uid := range []string{"camille", "jeanne", "hugo", "zoe"} {
		if byUID[uid] != 1 {
			t.Errorf("%s has %d members", uid, byUID[uid])
		}
	}
	if byUID["paul"] != 0 {
		t.Error("the disabled account got a member")
	}
	if m, _ := demo.Paheko.Member(proposed["hugo"]); m.Fields["nextcloud_uid"] != nil {
		t.Errorf("the refused member was linked: %v", m.Fields)
	}

	// An account created in Nextcloud becomes a member at the next sync.
	demo.NC.AddUser(nextcloudtest.User{ID: "yasmine", DisplayName: "Yasmine Benali", Email: "yasmine@jardins-partages.example",
		Password: "demo", Enabled: true})
	if rep := syncNow(t, demo); rep["created"].(float64) != 1 {
		t.Fatalf("sync after a new account: %v", rep)
	}

	// Single sign-on: a member of paheko_compta opens Paheko as compta.
	if s := signOn(t, demo, "jeanne"); !strings.Contains(s.page, "Nextcloud — Comptabilité") {
		t.Errorf("jeanne's Paheko page: %s", s.page)
	}
	// Sign-on never moves a member out of a category AssoKit does not
	// manage (here Paheko's default "Membres actifs").
	if err := demo.Paheko.SetMemberCategory(proposed["jeanne"], 1); err != nil {
		t.Fatal(err)
	}
	if s := signOn(t, demo, "jeanne"); !strings.Contains(s.page, "Catégorie : Membres actifs") {
		t.Errorf("jeanne's Paheko page: %s", s.page)
	}
	demo.Paheko.SetMemberCategory(proposed["jeanne"], demo.Bridge.Categories[""])
	// An account without a member yet is told why, not sent to Paheko.
	demo.NC.AddUser(nextcloudtest.User{ID: "nolink", DisplayName: "Sans Fiche", Groups: []string{"paheko_membres"}, Password: "demo", Enabled: true, Language: "fr"})
	if s := signOn(t, demo, "nolink"); s.status != http.StatusForbidden || !strings.Contains(s.page, "pas encore reli") {
		t.Errorf("an account without a member: %d %s", s.status, s.page)
	}
	var page struct {
		LoginURL string `json:"loginUrl"`
		Linked   bool   `json:"linked"`
	}
	if asUser(t, demo, "nolink", "GET", "/api/paheko", &page); page.Linked || page.LoginURL != "" {
		t.Errorf("the Paheko page of an account without a member: %+v", page)
	}
	if s := signOn(t, demo, "camille"); !strings.Contains(s.page, "Nextcloud — Admin") {
		t.Errorf("camille's Paheko page: %s", s.page)
	}
	// A state changed on the way back is caught by a client that checks it
	// (Paheko does not: capture 24); AssoKit echoes it untouched.
	cfg := demo.Paheko.OIDC()
	cfg.CheckState = true
	demo.Paheko.SetOIDC(cfg)
	if s := signOn(t, demo, "jeanne"); !strings.Contains(s.page, "Bonjour") {
		t.Errorf("strict client, untouched state: %s", s.page)
	}
	if s := signOnTampered(t, demo, "jeanne"); !strings.Contains(s.page, "invalid_state") {
		t.Errorf("strict client, tampered state: %s", s.page)
	}
	cfg.CheckState = false
	demo.Paheko.SetOIDC(cfg)

	// A member in none of the groups is refused, with who to ask.
	if s := signOn(t, demo, "lea"); s.status != http.StatusForbidden || !strings.Contains(s.page, "ne donne pas accès à Paheko") {
		t.Errorf("lea: %d %s", s.status, s.page)
	}
}

// confirmProposal confirms, as camille, the preview's proposal to link uid
// to an existing member, and returns that member's id.
func confirmProposal(t testing.TB, demo *devstack.Demo, uid string) int {
	t.Helper()
	var preview struct {
		Proposals []struct {
			UID      string `json:"uid"`
			MemberID int    `json:"memberId"`
		} `json:"proposals"`
	}
	asUser(t, demo, "camille", "GET", "/api/admin/paheko/preview", &preview)
	for _, p := range preview.Proposals {
		if p.UID == uid {
			if st := sendAs(t, demo, "camille", "POST", "/api/admin/paheko/proposals",
				map[string]any{"uid": uid, "memberId": p.MemberID, "confirm": true}, nil); st != 200 {
				t.Fatalf("confirm %s: %d", uid, st)
			}
			return p.MemberID
		}
	}
	t.Fatalf("no proposal for %s: %+v", uid, preview.Proposals)
	return 0
}

func TestSignOnSecretAndKeys(t *testing.T) {
	demo := startDemo(t)
	syncNow(t, demo)
	confirmProposal(t, demo, "jeanne")
	if s := signOn(t, demo, "jeanne"); !strings.Contains(s.page, "Nextcloud — Comptabilité") {
		t.Fatalf("sign-on before: %s", s.page)
	}
	if st := sendAs(t, demo, "lea", "POST", "/api/admin/paheko/signon/secret", map[string]any{}, nil); st != http.StatusForbidden {
		t.Errorf("a member regenerates the secret: %d", st)
	}
	var before struct{ ClientSecret string }
	asUser(t, demo, "camille", "GET", "/api/admin/paheko", &before)

	// A new secret: sign-on fails until Paheko has it, the snippet shows it.
	if st := sendAs(t, demo, "camille", "POST", "/api/admin/paheko/signon/secret", map[string]any{}, nil); st != http.StatusNoContent {
		t.Fatalf("regenerate the secret: %d", st)
	}
	if s := signOn(t, demo, "jeanne"); !strings.Contains(s.page, "invalid_client") {
		t.Errorf("sign-on with the old secret: %s", s.page)
	}
	var after struct{ ClientSecret string }
	asUser(t, demo, "camille", "GET", "/api/admin/paheko", &after)
	var check struct{ Snippet string }
	sendAs(t, demo, "camille", "POST", "/api/admin/paheko/check", map[string]any{}, &check)
	if after.ClientSecret == before.ClientSecret || !strings.Contains(check.Snippet, "'"+after.ClientSecret+"'") {
		t.Fatalf("new secret %q, snippet %s", after.ClientSecret, check.Snippet)
	}
	cfg := demo.Paheko.OIDC()
	cfg.ClientSecret = after.ClientSecret
	demo.Paheko.SetOIDC(cfg)
	if s := signOn(t, demo, "jeanne"); !strings.Contains(s.page, "Nextcloud — Comptabilité") {
		t.Errorf("sign-on with the new secret: %s", s.page)
	}

	// New signing keys: sign-on goes on.
	if st := sendAs(t, demo, "camille", "POST", "/api/admin/paheko/signon/keys", map[string]any{}, nil); st != http.StatusNoContent {
		t.Fatalf("rotate the keys: %d", st)
	}
	if s := signOn(t, demo, "jeanne"); !strings.Contains(s.page, "Nextcloud — Comptabilité") {
		t.Errorf("sign-on after new keys: %s", s.page)
	}
}

// TestChangesOnlyFromNextcloudPages sends a change of the Paheko settings
// through the proxy as a browser would from various pages.
func TestChangesOnlyFromNextcloudPages(t *testing.T) {
	demo := startDemo(t)
	sibling := strings.Replace(demo.URL, "127.0.0.1", "localhost", 1)
	body := `{"url":"https://evil.example","key":"k","secret":"s"}`
	for _, tt := range []struct {
		name        string
		contentType string
		header      map[string]string
		want        int
	}{
		{"text/plain from another site", "text/plain", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"JSON from another site", "application/json", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"JSON from a sibling host", "application/json", map[string]string{"Origin": sibling, "Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
		{"JSON, cross-site by Sec-Fetch-Site", "application/json", map[string]string{"Origin": demo.URL, "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"JSON without Origin or Sec-Fetch-Site", "application/json", nil, http.StatusForbidden},
		{"JSON with a null Origin", "application/json", map[string]string{"Origin": "null"}, http.StatusForbidden},
		{"text/plain from Nextcloud's page", "text/plain", map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusUnsupportedMediaType},
		{"form from Nextcloud's page", "application/x-www-form-urlencoded", map[string]string{"Origin": demo.URL}, http.StatusUnsupportedMediaType},
	} {
		if st := sendFrom(t, demo, "PUT", "/api/admin/paheko/settings", tt.contentType, tt.header, body); st != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, st, tt.want)
		}
	}
	var view struct{ Settings struct{ URL string } }
	asUser(t, demo, "camille", "GET", "/api/admin/paheko", &view)
	if view.Settings.URL != demo.PahekoURL {
		t.Fatalf("the settings changed to %q", view.Settings.URL)
	}
	// Nextcloud's own page: Sec-Fetch-Site, or an Origin naming the host asked.
	for _, h := range []map[string]string{{"Sec-Fetch-Site": "same-origin"}, {"Origin": demo.URL}} {
		if st := sendFrom(t, demo, "POST", "/api/admin/paheko/pause", "application/json; charset=utf-8", h, "{}"); st != http.StatusNoContent {
			t.Errorf("from Nextcloud's page with %v: %d", h, st)
		}
	}
}

// sendFrom sends body as camille through the proxy with the given content
// type and browser headers, and returns the status.
func sendFrom(t *testing.T, demo *devstack.Demo, method, path, contentType string, header map[string]string, body string) int {
	t.Helper()
	req, _ := http.NewRequest(method, demo.URL+"/index.php/apps/app_api/proxy/assokit"+path, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	req.SetBasicAuth("camille", "demo")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

type signOnResult struct {
	status int
	page   string
}

var metaRefresh = regexp.MustCompile(`content="0;url=([^"]+)"`)

// signOn plays a browser: signed in to Nextcloud as uid, it clicks
// "Se connecter avec Nextcloud" on Paheko's login page and follows the flow.
func signOn(t testing.TB, demo *devstack.Demo, uid string) signOnResult {
	t.Helper()
	return signOnWith(t, demo, uid, func(u string) string { return u })
}

// signOnTampered is signOn with the state changed on the way back to Paheko.
func signOnTampered(t testing.TB, demo *devstack.Demo, uid string) signOnResult {
	t.Helper()
	return signOnWith(t, demo, uid, func(u string) string { return strings.Replace(u, "state=", "state=x", 1) })
}

func signOnWith(t testing.TB, demo *devstack.Demo, uid string, alter func(string) string) signOnResult {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	nc, _ := url.Parse(demo.URL)
	jar.SetCookies(nc, []*http.Cookie{{Name: nextcloudtest.DemoUserCookie, Value: uid, Path: "/"}})
	browser := &http.Client{Jar: jar}
	resp, err := browser.Get(demo.PahekoURL + "/admin/login.php?oidc")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := metaRefresh.FindSubmatch(body)
	if m == nil {
		return signOnResult{resp.StatusCode, string(body)}
	}
	next := alter(strings.ReplaceAll(string(m[1]), "&amp;", "&"))
	resp, err = browser.Get(next)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	return signOnResult{resp.StatusCode, fmt.Sprintf("%s", body)}
}
