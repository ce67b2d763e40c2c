// Package tours holds AssoKit's guided tours of Nextcloud's apps (embedded
// data: one structure file per tour, one text file per language), each
// member's progress, the admin's choices and the welcome notification sent
// to new accounts.
package tours

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
)

//go:embed data/*.json text/*.json
var files embed.FS

// Languages are the languages every tour is written in; the first is the
// default.
var Languages = []string{"fr", "en"}

// MaxSteps is the longest a tour may be: tours are short on purpose.
const MaxSteps = 8

// Target is one way to find a step's element: a CSS selector, where it comes
// from in the app's sources, and the Nextcloud versions it was read for.
type Target struct {
	Selector string `json:"selector"`
	Source   string `json:"source"`
	Versions string `json:"versions"`
	Note     string `json:"note,omitempty"`
}

// Action is done in the page before the step's element is looked for, such
// as opening a menu or a panel.
type Action struct {
	Click *Target `json:"click,omitempty"`
}

// Step is one popover of a tour. Targets are tried in order; a step without
// targets, or whose targets are all missing, is shown centred.
type Step struct {
	ID        string   `json:"id"`
	Placement string   `json:"placement,omitempty"` // top, bottom, left, right
	Page      string   `json:"page,omitempty"`      // another page than the tour's
	Action    *Action  `json:"action,omitempty"`
	Targets   []Target `json:"targets,omitempty"`
	Title     string   `json:"title"`
	Body      string   `json:"body"`
}

// Tour is one guided tour, with its texts in one language.
type Tour struct {
	ID      string   `json:"id"`
	App     string   `json:"app,omitempty"`    // Nextcloud app that must be enabled ("" for none)
	Page    string   `json:"page"`             // Nextcloud page shown, path from the server root
	Groups  []string `json:"groups,omitempty"` // only for members of one of these groups
	Order   int      `json:"order"`
	Title   string   `json:"title"`
	Summary string   `json:"summary"`
	Steps   []Step   `json:"steps"`
}

// text is one language's words for one tour.
type text struct {
	Title   string `json:"title"`
	Summary string `json:"summary"`
	Steps   map[string]struct {
		Title string `json:"title"`
		Body  string `json:"body"`
	} `json:"steps"`
}

// Catalog is every built-in tour in every language.
type Catalog struct {
	structure []Tour                     // by order, without texts
	texts     map[string]map[string]text // language → tour id → text
}

// ErrInvalidData wraps what is wrong in the embedded tour files.
var ErrInvalidData = errors.New("tours: invalid tour data")

// Load reads and checks the embedded tours.
func Load() (*Catalog, error) { return load(files) }

func load(fsys fs.FS) (*Catalog, error) {
	c := &Catalog{texts: map[string]map[string]text{}}
	names, err := fs.Glob(fsys, "data/*.json")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var t Tour
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&t); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrInvalidData, name, err)
		}
		if want := strings.TrimSuffix(path.Base(name), ".json"); t.ID != want {
			return nil, fmt.Errorf("%w: %s: id %q differs from the file name", ErrInvalidData, name, t.ID)
		}
		c.structure = append(c.structure, t)
	}
	sort.SliceStable(c.structure, func(i, j int) bool { return c.structure[i].Order < c.structure[j].Order })
	for _, lang := range Languages {
		b, err := fs.ReadFile(fsys, "text/"+lang+".json")
		if err != nil {
			return nil, fmt.Errorf("%w: no %s texts: %v", ErrInvalidData, lang, err)
		}
		var m map[string]text
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("%w: text/%s.json: %v", ErrInvalidData, lang, err)
		}
		c.texts[lang] = m
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return c, nil
}

var placements = []string{"", "top", "bottom", "left", "right"}

// check enforces the rules every tour follows: at most MaxSteps steps with
// unique ids, a page inside Nextcloud, a source for every selector, and
// every text in every language (and no text without a step).
func (c *Catalog) check() error {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	ids := map[string]bool{}
	for _, t := range c.structure {
		if ids[t.ID] {
			bad("%s: two tours have this id", t.ID)
		}
		ids[t.ID] = true
		if err := CheckPage(t.Page); err != nil || t.Page == "" {
			bad("%s: page %q is not a path of this Nextcloud", t.ID, t.Page)
		}
		if len(t.Steps) == 0 || len(t.Steps) > MaxSteps {
			bad("%s: %d steps (1 to %d)", t.ID, len(t.Steps), MaxSteps)
		}
		stepIDs := map[string]bool{}
		for i, s := range t.Steps {
			where := fmt.Sprintf("%s step %d (%s)", t.ID, i+1, s.ID)
			if s.ID == "" || stepIDs[s.ID] {
				bad("%s: missing or repeated step id", where)
			}
			stepIDs[s.ID] = true
			if !slices.Contains(placements, s.Placement) {
				bad("%s: unknown placement %q", where, s.Placement)
			}
			if CheckPage(s.Page) != nil {
				bad("%s: page %q is not a path of this Nextcloud", where, s.Page)
			}
			targets := s.Targets
			if s.Action != nil {
				if s.Action.Click == nil {
					bad("%s: an action must say what to click", where)
				} else {
					targets = append(slices.Clone(targets), *s.Action.Click)
				}
			}
			for _, tg := range targets {
				if strings.TrimSpace(tg.Selector) == "" || strings.TrimSpace(tg.Source) == "" || strings.TrimSpace(tg.Versions) == "" {
					bad("%s: selector %q needs a source and versions", where, tg.Selector)
				}
			}
			for _, lang := range Languages {
				st, ok := c.texts[lang][t.ID].Steps[s.ID]
				if !ok || strings.TrimSpace(st.Title) == "" || strings.TrimSpace(st.Body) == "" {
					bad("%s: no %s text", where, lang)
				}
			}
		}
		for _, lang := range Languages {
			tx := c.texts[lang][t.ID]
			if strings.TrimSpace(tx.Title) == "" || strings.TrimSpace(tx.Summary) == "" {
				bad("%s: no %s title or summary", t.ID, lang)
			}
			for id := range tx.Steps {
				if !stepIDs[id] {
					bad("%s: %s text for unknown step %q", t.ID, lang, id)
				}
			}
		}
	}
	for _, lang := range Languages {
		for id := range c.texts[lang] {
			if !ids[id] {
				bad("%s texts for unknown tour %q", lang, id)
			}
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("%w:\n%s", ErrInvalidData, strings.Join(problems, "\n"))
	}
	return nil
}

// ErrInvalidPage is a page that is not a path of this Nextcloud.
var ErrInvalidPage = errors.New("tours: not a page of this Nextcloud")

// CheckPage accepts "" and paths of this Nextcloud ("/index.php/apps/files/"):
// nothing with a scheme, a host, "..", a backslash or a control character.
func CheckPage(p string) error {
	if p == "" {
		return nil
	}
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.Contains(p, "\\") ||
		strings.Contains(p, "..") || strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f }) ||
		len(p) > 300 {
		return ErrInvalidPage
	}
	return nil
}

// Tours returns every built-in tour with its texts in lang (the default
// language when lang is not one of Languages), by order.
func (c *Catalog) Tours(lang string) []Tour {
	if !slices.Contains(Languages, lang) {
		lang = Languages[0]
	}
	out := make([]Tour, 0, len(c.structure))
	for _, t := range c.structure {
		tx := c.texts[lang][t.ID]
		t.Title, t.Summary = tx.Title, tx.Summary
		steps := make([]Step, len(t.Steps))
		for i, s := range t.Steps {
			s.Title, s.Body = tx.Steps[s.ID].Title, tx.Steps[s.ID].Body
			steps[i] = s
		}
		t.Steps = steps
		out = append(out, t)
	}
	return out
}

// Language returns the tour language for a Nextcloud language code
// ("fr", "fr_FR", "en_GB"…): French for French and for the instance's
// default (""), English for any other language.
func Language(ncLang string) string {
	if l := strings.ToLower(ncLang); l == "" || strings.HasPrefix(l, "fr") {
		return "fr"
	}
	return "en"
}
