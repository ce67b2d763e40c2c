package tours

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

// TestEmbeddedTours checks the tours AssoKit ships: they load, every step
// has its text in every language, every selector its source, and no tour is
// longer than MaxSteps.
func TestEmbeddedTours(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"dashboard", "files", "calendar", "contacts", "talk", "deck", "settings", "paheko"}
	for _, lang := range Languages {
		tours := c.Tours(lang)
		var got []string
		for _, tr := range tours {
			got = append(got, tr.ID)
			if len(tr.Steps) > MaxSteps {
				t.Errorf("%s: %d steps", tr.ID, len(tr.Steps))
			}
			for _, s := range tr.Steps {
				if s.Title == "" || s.Body == "" {
					t.Errorf("%s/%s: no %s text", tr.ID, s.ID, lang)
				}
				for _, tg := range s.Targets {
					if tg.Source == "" || tg.Versions == "" {
						t.Errorf("%s/%s: selector %s without source", tr.ID, s.ID, tg.Selector)
					}
				}
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s tours = %v, want %v", lang, got, want)
		}
	}
	if c.Tours("de")[0].Title != c.Tours("fr")[0].Title {
		t.Error("an unknown language should fall back to French")
	}
	if Language("en_GB") != "en" || Language("fr_CA") != "fr" || Language("") != "fr" || Language("de") != "en" {
		t.Error("Language maps Nextcloud languages wrongly")
	}
}

// TestCheckCatchesBadData breaks a copy of the embedded data in each way the
// rules forbid and expects Load to refuse it, naming the problem.
func TestCheckCatchesBadData(t *testing.T) {
	base := fstest.MapFS{}
	fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(files, p)
			base[p] = &fstest.MapFile{Data: b}
		}
		return nil
	})
	edit := func(name, old, new string) fstest.MapFS {
		m := fstest.MapFS{}
		for k, v := range base {
			m[k] = v
		}
		s := string(base[name].Data)
		if !strings.Contains(s, old) {
			t.Fatalf("%s has no %q", name, old)
		}
		m[name] = &fstest.MapFile{Data: []byte(strings.Replace(s, old, new, 1))}
		return m
	}
	nine := `{"id": "a1"}, {"id": "a2"}, {"id": "a3"}, {"id": "a4"}, {"id": "a5"}, {"id": "a6"}, {"id": "a7"}, {"id": "a8"}, {"id": "a9"}`
	tests := []struct {
		name string
		fsys fstest.MapFS
		want string
	}{
		{"missing English text", edit("text/en.json", `"welcome": {"title": "Welcome!"`, `"hello": {"title": "Welcome!"`), "dashboard step 1 (welcome): no en text"},
		{"missing French title", edit("text/fr.json", `"title": "Fichiers"`, `"title": ""`), "files: no fr title"},
		{"selector without source", edit("data/files.json", `"source": "nextcloud/server:apps/files/src/views/Navigation.vue", "versions": "30, 31, 32"}
    ]},
    {"id": "new"`, `"source": "", "versions": "30, 31, 32"}
    ]},
    {"id": "new"`), "needs a source"},
		{"too many steps", edit("data/deck.json", `{"id": "welcome"},`, nine+`, {"id": "welcome"},`), "steps (1 to 8)"},
		{"page outside Nextcloud", edit("data/deck.json", `"/index.php/apps/deck/"`, `"https://example.org/"`), "is not a path of this Nextcloud"},
		{"unknown field", edit("data/deck.json", `"order": 60`, `"order": 60, "selectr": "x"`), "unknown field"},
		{"repeated step", edit("data/deck.json", `{"id": "boards"`, `{"id": "welcome"`), "missing or repeated step id"},
		{"bad placement", edit("data/deck.json", `"placement": "right"`, `"placement": "middle"`), "unknown placement"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(tc.fsys)
			if !errors.Is(err, ErrInvalidData) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("load = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestCheckPage(t *testing.T) {
	for _, p := range []string{"", "/index.php/apps/files/", "/apps/deck/#/board/1"} {
		if CheckPage(p) != nil {
			t.Errorf("CheckPage(%q) refused", p)
		}
	}
	for _, p := range []string{"apps/files", "//evil.example/", "https://x/", "/a/../b", "/a\\b", "/a\nb", "javascript:alert(1)"} {
		if CheckPage(p) == nil {
			t.Errorf("CheckPage(%q) accepted", p)
		}
	}
}
