package assokit

import (
	"encoding/json"
	"io/fs"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"assokit/internal/appapi"
	"assokit/internal/nextcloud/nextcloudtest"
)

var (
	varUse     = regexp.MustCompile(`var\(\s*(--[\w-]+)\s*\)`) // no fallback
	varDefined = regexp.MustCompile(`(--[\w-]+)\s*:`)
	// Vue's v-bind() in a <style> becomes a hashed variable that the
	// component sets on its element at run time.
	vueBinding = regexp.MustCompile(`^--v?[0-9a-f]{8}(-|$)`)
)

// Every var(--…) that the built CSS (AssoKit's and the @nextcloud/vue
// components it ships) uses without a fallback is defined by Nextcloud 32
// (the fake's page defines what Nextcloud 32 defines, no more) or by the
// built CSS itself. A variable of a newer Nextcloud would leave a control
// without its border, colour or size on Nextcloud 32.
func TestBuiltCSSUsesOnlyNextcloud32Variables(t *testing.T) {
	defined := map[string]bool{}
	for _, v := range nextcloudtest.CSSVariables() {
		name, _, _ := strings.Cut(v, ":")
		defined[name] = true
	}
	names, _ := fs.Glob(files, "js/dist/*.css")
	if len(names) == 0 {
		t.Fatal("no built CSS in js/dist: run `make js` first")
	}
	for _, name := range names {
		data, err := fs.ReadFile(files, name)
		if err != nil {
			t.Fatal(err)
		}
		css := string(data)
		own := map[string]bool{}
		for _, m := range varDefined.FindAllStringSubmatch(css, -1) {
			own[m[1]] = true
		}
		missing := map[string]bool{}
		for _, m := range varUse.FindAllStringSubmatch(css, -1) {
			if !defined[m[1]] && !own[m[1]] && !vueBinding.MatchString(m[1]) {
				missing[m[1]] = true
			}
		}
		var list []string
		for v := range missing {
			list = append(list, v)
		}
		sort.Strings(list)
		if len(list) > 0 {
			t.Errorf("%s uses without a fallback variables Nextcloud 32 does not define: %s", name, strings.Join(list, ", "))
		}
	}
}

// l10n/<lang>.js and l10n/<lang>.json hold the same translations: Nextcloud
// reads one or the other depending on where the text is shown.
func TestL10NFormsAgree(t *testing.T) {
	names, _ := fs.Glob(L10N(), "*.json")
	if len(names) < 2 {
		t.Fatalf("l10n has %v", names)
	}
	for _, name := range names {
		var cat struct {
			Translations map[string]any `json:"translations"`
			PluralForm   string         `json:"pluralForm"`
		}
		data, _ := fs.ReadFile(L10N(), name)
		if err := json.Unmarshal(data, &cat); err != nil || cat.PluralForm == "" {
			t.Fatalf("%s: %v, pluralForm %q", name, err, cat.PluralForm)
		}
		js, _ := fs.ReadFile(L10N(), strings.TrimSuffix(name, ".json")+".js")
		body, ok := strings.CutPrefix(string(js), "OC.L10N.register(\n\t\"assokit\",\n\t")
		i := strings.LastIndex(body, ",\n\t\"")
		if !ok || i < 0 {
			t.Fatalf("%s.js is not OC.L10N.register(\"assokit\", …)", name)
		}
		var fromJS map[string]any
		if err := json.Unmarshal([]byte(body[:i]), &fromJS); err != nil {
			t.Fatalf("%s.js: %v", name, err)
		}
		if !reflect.DeepEqual(fromJS, cat.Translations) || !strings.Contains(body[i:], cat.PluralForm) {
			t.Errorf("l10n/%s and its .js differ: run npm run build", name)
		}
	}
}

// What Nextcloud shows from AssoKit's registration (top-menu names, the
// admin settings form) has its French in l10n/fr.json.
func TestNextcloudSideTextsHaveFrench(t *testing.T) {
	data, _ := fs.ReadFile(L10N(), "fr.json")
	var cat struct {
		Translations map[string]any `json:"translations"`
	}
	if err := json.Unmarshal(data, &cat); err != nil {
		t.Fatal(err)
	}
	texts := []string{}
	for _, m := range appapi.TopMenus() {
		texts = append(texts, m.DisplayName)
	}
	form := appapi.SettingsForm()
	texts = append(texts, form.Title, form.Description)
	for _, f := range form.Fields {
		texts = append(texts, f.Title, f.Description)
	}
	for _, text := range texts {
		if s, ok := cat.Translations[text].(string); text != "" && (!ok || s == "") {
			t.Errorf("l10n/fr.json lacks %q", text)
		}
	}
}
