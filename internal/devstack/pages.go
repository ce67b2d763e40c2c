package devstack

import (
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"assokit/internal/nextcloud/nextcloudtest"
)

//go:embed pages/*.html
var pageFiles embed.FS

// demoApp is an app of the demo Nextcloud: its navigation entry and the
// look-alike page the tours run over (same ids, classes and data-cy-*
// attributes as the real app's elements the tours point at).
type demoApp struct {
	nav      nextcloudtest.NavApp
	template string
}

var demoApps = []demoApp{
	{nextcloudtest.NavApp{ID: "dashboard", Name: "Tableau de bord", Href: "/index.php/apps/dashboard/", Names: map[string]string{"en": "Dashboard"}, Order: -1}, "dashboard.html"},
	{nextcloudtest.NavApp{ID: "files", Name: "Fichiers", Href: "/index.php/apps/files/", Names: map[string]string{"en": "Files"}, Order: 0}, "files.html"},
	{nextcloudtest.NavApp{ID: "spreed", Name: "Discussion", Href: "/index.php/apps/spreed/", Names: map[string]string{"en": "Talk"}, Order: 3}, "spreed.html"},
	{nextcloudtest.NavApp{ID: "calendar", Name: "Agenda", Href: "/index.php/apps/calendar/", Names: map[string]string{"en": "Calendar"}, Order: 5}, "calendar.html"},
	{nextcloudtest.NavApp{ID: "contacts", Name: "Contacts", Href: "/index.php/apps/contacts/", Names: map[string]string{"en": "Contacts"}, Order: 6}, "contacts.html"},
	{nextcloudtest.NavApp{ID: "deck", Name: "Deck", Href: "/index.php/apps/deck/", Names: map[string]string{"en": "Deck"}, Order: 10}, "deck.html"},
}

// installApps gives the demo Nextcloud its apps and personal settings pages.
func installApps(nc *nextcloudtest.Server) error {
	for _, a := range demoApps {
		h, err := pageHandler(nc, a.nav.Name, a.nav.ID, a.template)
		if err != nil {
			return err
		}
		nc.InstallApp(a.nav, h)
	}
	h, err := pageHandler(nc, "Paramètres personnels", "settings", "settings.html")
	if err != nil {
		return err
	}
	nc.ServePage("/index.php/settings/user", h)
	return nil
}

func pageHandler(nc *nextcloudtest.Server, title, app, name string) (nextcloudtest.PageHandler, error) {
	tmpl, err := template.ParseFS(pageFiles, "pages/layout.html", "pages/"+name)
	if err != nil {
		return nil, fmt.Errorf("demo page %s: %w", name, err)
	}
	return func(w http.ResponseWriter, r *http.Request, u nextcloudtest.User) {
		section := "info"
		switch {
		case strings.HasSuffix(r.URL.Path, "/security"):
			section = "security"
		case strings.HasSuffix(r.URL.Path, "/notifications"):
			section = "notifications"
		}
		lang := u.Language
		if lang == "" {
			lang = "fr"
		}
		initial := "?"
		if u.DisplayName != "" {
			initial = strings.ToUpper(string([]rune(u.DisplayName)[:1]))
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		tmpl.ExecuteTemplate(w, "layout", map[string]any{
			"Title": title, "App": app, "Lang": lang, "Name": u.DisplayName, "Email": u.Email, "Initial": initial,
			"Section": section, "Nav": nc.Navigation(u.ID, r.URL.Path),
			"Files":    []string{"Bureau", "Documents", "Photos", "Compte rendu AG.odt"},
			"Contacts": []string{"Association Graines & Co", "Camille Martin", "Jardinerie du coin", "Mairie — service espaces verts"},
			"Stacks":   []string{"À faire", "En cours", "Fait"},
			"Days":     []string{"lun. 16", "mar. 17 — Réunion du bureau", "mer. 18", "jeu. 19", "ven. 20", "sam. 21 — Chantier collectif", "dim. 22"},
		})
	}, nil
}
