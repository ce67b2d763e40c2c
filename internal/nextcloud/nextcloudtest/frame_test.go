package nextcloudtest

import (
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

const pageFixtureDir = "../../../../shared/fixtures/nextcloud-32-page"

// The fake's page defines exactly the CSS custom properties a real
// Nextcloud 32.0.1 defines, with the same values: no more, no fewer.
func TestCSSVariablesAreNextcloud32s(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(pageFixtureDir, "css-variables.txt"))
	if err != nil {
		t.Skip("shared fixtures not found beside the project")
	}
	var want []string
	for _, line := range strings.Split(string(data), "\n") {
		decl, _, ok := strings.Cut(line, "    /* ")
		if ok {
			want = append(want, strings.TrimSpace(decl))
		}
	}
	got := CSSVariables()
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		for _, g := range got {
			if !slices.Contains(want, g) {
				t.Errorf("the fake defines %q, Nextcloud 32 does not", g)
			}
		}
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("Nextcloud 32 defines %q, the fake does not", w)
			}
		}
	}
}

// The top-menu page has Nextcloud's frame: the two "content" elements, the
// hidden page heading, the skip links, the stylesheets it serves, the app
// menu's "More apps" button.
func TestEmbeddedPageFrame(t *testing.T) {
	s := NewServer(t)
	s.AddUser(User{ID: "lea", DisplayName: "Léa", Enabled: true, Language: "fr"})
	s.InstallExApp(ExApp{ID: "assokit", Name: "AssoKit"})
	s.apps["assokit"].TopMenus = map[string]TopMenuEntry{
		"assokit":   {Name: "assokit", DisplayName: "AssoKit"},
		"paheko":    {Name: "paheko", DisplayName: "Paheko"},
		"transfers": {Name: "transfers", DisplayName: "Transferts", AdminRequired: 1},
	}
	get := func(path string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, s.URL()+path, nil)
		req.AddCookie(&http.Cookie{Name: DemoUserCookie, Value: "lea"})
		req.Header.Set("Accept", "text/html")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	status, html := get("/index.php/apps/app_api/embedded/assokit/assokit")
	for _, want := range []string{
		`<html class="ng-csp" data-placeholder-focus="false" lang="fr" data-locale="fr_FR" translate="no">`,
		`<body dir="ltr" id="body-user" data-theme-default data-themes="default">`,
		`<div id="content" class="app-app_api"><h1 class="hidden-visually" id="page-heading-level-1">Nextcloud</h1>`,
		`<div id="content"></div>`,
		`<a href="#app-content" class="button primary skip-navigation skip-content">Passer au contenu principal</a>`,
		`href="/core/css/server.css"`, `href="/apps/theming/theme/default.css?plain=1"`,
		// Under 1024 px the apps that do not fit go into core's "More apps" menu.
		`<button type="button" aria-label="Plus d&#39;applications"`,
	} {
		if status != http.StatusOK || !strings.Contains(html, want) {
			t.Errorf("status %d; page lacks %s", status, want)
		}
	}
	// An admin-only entry: Nextcloud's own "page not found", in its frame.
	status, html = get("/index.php/apps/app_api/embedded/assokit/transfers")
	if status != http.StatusNotFound || !strings.Contains(html, "Page introuvable") || !strings.Contains(html, `id="header"`) {
		t.Errorf("admin-only entry for a member: %d %s", status, html)
	}
	for _, p := range []string{"/core/css/server.css", "/apps/theming/theme/default.css", backgroundPath} {
		if status, _ := get(p); status != http.StatusOK {
			t.Errorf("%s: %d", p, status)
		}
	}
}

// With the ExApp's translations installed, Nextcloud shows its top-menu
// names and settings form in each user's language; without, as registered.
func TestExAppTranslations(t *testing.T) {
	s := NewServer(t)
	s.AddUser(User{ID: "lea", DisplayName: "Léa", Enabled: true, Language: "fr"})
	s.AddUser(User{ID: "tom", DisplayName: "Tom", Enabled: true, Language: "en"})
	l10n := fstest.MapFS{"fr.json": {Data: []byte(`{"translations":{"Transfers":"Transferts","Association name":"Nom de l'association"},"pluralForm":"nplurals=2; plural=(n > 1);"}`)}}
	for _, tc := range []struct {
		translations fs.FS
		uid, want    string
	}{{l10n, "lea", "Transferts"}, {l10n, "tom", "Transfers"}, {nil, "lea", "Transfers"}} {
		s.InstallExApp(ExApp{ID: "assokit", Name: "AssoKit", Translations: tc.translations})
		s.apps["assokit"].TopMenus = map[string]TopMenuEntry{"transfers": {Name: "transfers", DisplayName: "Transfers"}}
		s.apps["assokit"].Forms = map[string]json.RawMessage{"f": json.RawMessage(`{"id":"f","title":"AssoKit","fields":[{"id":"a","title":"Association name"}]}`)}
		var names []string
		for _, e := range s.Navigation(tc.uid, "/") {
			names = append(names, e.Name)
		}
		if !slices.Contains(names, tc.want) {
			t.Errorf("%s with translations %v: navigation %v, want %s", tc.uid, tc.translations != nil, names, tc.want)
		}
	}
	form, _ := s.TranslatedSettingsForm("assokit", "f", "fr")
	if form["fields"].([]any)[0].(map[string]any)["title"] != "Association name" {
		t.Errorf("without translations the form stays as registered: %v", form)
	}
	s.InstallExApp(ExApp{ID: "assokit", Name: "AssoKit", Translations: l10n})
	s.apps["assokit"].Forms = map[string]json.RawMessage{"f": json.RawMessage(`{"id":"f","title":"AssoKit","fields":[{"id":"a","title":"Association name"}]}`)}
	form, _ = s.TranslatedSettingsForm("assokit", "f", "fr")
	if form["fields"].([]any)[0].(map[string]any)["title"] != "Nom de l'association" {
		t.Errorf("form in French: %v", form)
	}
}
