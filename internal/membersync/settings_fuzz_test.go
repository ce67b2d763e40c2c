package membersync

import (
	"regexp"
	"strings"
	"testing"
)

// FuzzSettingsShapes checks apiKey and cutPagePath against the patterns
// they spell out.
func FuzzSettingsShapes(f *testing.F) {
	key := regexp.MustCompile(`^[a-z0-9_]+$`)
	page := regexp.MustCompile(`(?i)/(admin|api|p|m)(/.*)?$`)
	for _, s := range []string{"assokit_1", "", "Clé", "/admin/users", "/paheko/ADMIN", "/p/plugin/x", "/pages/x", "//m", "/asso/api", "/\u212aadmin"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := apiKey(s), key.MatchString(s); got != want {
			t.Errorf("apiKey(%q) = %v, want %v", s, got, want)
		}
		if strings.Contains(s, "\n") { // url.Parse refuses control characters
			return
		}
		if got, want := cutPagePath(s), page.ReplaceAllString(s, ""); got != want {
			t.Errorf("cutPagePath(%q) = %q, want %q", s, got, want)
		}
	})
}
