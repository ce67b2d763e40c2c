package transfer

import (
	"regexp"
	"strings"
	"testing"
)

// FuzzURISafe checks uriSafe against the pattern it spells out.
func FuzzURISafe(f *testing.F) {
	unsafe := regexp.MustCompile(`[^a-z0-9_-]+`)
	for _, s := range []string{"Agenda de Zoé", "Contacts (perso)", "--x--", "", "ÉTÉ 2026", "a\xffb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := uriSafe(s), unsafe.ReplaceAllString(strings.ToLower(s), "-"); got != want {
			t.Errorf("uriSafe(%q) = %q, want %q", s, got, want)
		}
	})
}
