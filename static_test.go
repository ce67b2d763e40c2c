package assokit

import (
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"testing"

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
