package nextcloudtest

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// NavApp is a Nextcloud app with an entry in the top bar, as
// INavigationManager lists it in the "core/apps" initial state.
type NavApp struct {
	ID    string // app id: files, calendar, spreed…
	Name  string
	Href  string // /index.php/apps/files/
	Order int
	// Names is the app's name in other languages, by language code, as
	// Nextcloud shows it to a user of that language (Name otherwise).
	Names map[string]string
}

// PageHandler serves a page of an installed app to a signed-in user.
type PageHandler func(w http.ResponseWriter, r *http.Request, u User)

// InstallApp adds an app to every user's navigation and, when page is not
// nil, serves its pages below the app's Href (a fake has no real apps: the
// demo serves look-alike pages).
func (s *Server) InstallApp(a NavApp, page PageHandler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.navApps[a.ID] = installedApp{NavApp: a, page: page}
}

// ServePage serves page below prefix (a path such as /index.php/settings/user)
// for signed-in users, without a navigation entry.
func (s *Server) ServePage(prefix string, page PageHandler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.extraPages[prefix] = page
}

type installedApp struct {
	NavApp
	page PageHandler
}

// NavEntry is one element of the "core/apps" initial state (the keys of
// NavigationManager::getAll()): what the top bar shows.
type NavEntry struct {
	ID      string `json:"id"`
	Order   int    `json:"order"`
	Href    string `json:"href"`
	Icon    string `json:"icon"`
	Type    string `json:"type"`
	Name    string `json:"name"`
	App     string `json:"app"`
	Default bool   `json:"default"`
	Active  bool   `json:"active"`
	Classes string `json:"classes"`
	Unread  int    `json:"unread"`
}

// Navigation returns the top bar of uid on the page at current (a path).
func (s *Server) Navigation(uid, current string) []NavEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.navigationLocked(uid, current)
}

// navigationLocked is what the top bar shows uid: installed apps, then the
// top-menu entries of enabled ExApps (admin-only ones for admins), with the
// ids AppAPI gives them (app_api_<appid>_<name>).
func (s *Server) navigationLocked(uid, current string) []NavEntry {
	var out []NavEntry
	lang := ""
	if u := s.users[uid]; u != nil {
		lang = u.Language
	}
	for _, a := range s.navApps {
		name := a.Name
		if n := a.Names[lang]; n != "" {
			name = n
		}
		out = append(out, NavEntry{ID: a.ID, Order: a.Order, Href: a.Href, Icon: "/apps/" + a.ID + "/img/app.svg",
			Type: "link", Name: name, App: a.ID, Default: a.ID == "dashboard", Active: a.Href == current})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Order < out[j].Order })
	isAdmin := s.isAdminLocked(uid)
	for _, id := range sortedKeys(s.apps) {
		app := s.apps[id]
		if !app.Enabled {
			continue
		}
		for _, e := range sortedMenus(app) {
			if e.AdminRequired == 1 && !isAdmin {
				continue
			}
			href := "/index.php/apps/app_api/embedded/" + app.ID + "/" + e.Name
			out = append(out, NavEntry{ID: "app_api_" + app.ID + "_" + e.Name, Order: 100, Href: href,
				Icon: "/index.php/apps/app_api/proxy/" + app.ID + "/" + e.Icon, Type: "link", Name: app.translate(lang, e.DisplayName),
				App: "app_api", Active: href == current})
		}
	}
	return out
}

// appPage serves a page of an installed app (or an extra page) when p is
// below one; it reports whether it did. Like Nextcloud's pages, it needs a
// session and may be framed by same-origin pages only.
func (s *Server) appPage(w http.ResponseWriter, r *http.Request, p string) bool {
	s.mu.Lock()
	var page PageHandler
	best := 0
	for _, a := range s.navApps {
		prefix := strings.TrimSuffix(strings.TrimPrefix(a.Href, "/index.php"), "/")
		if a.page != nil && (p == prefix || strings.HasPrefix(p, prefix+"/")) && len(prefix) > best {
			page, best = a.page, len(prefix)
		}
	}
	for prefix, h := range s.extraPages {
		prefix = strings.TrimSuffix(strings.TrimPrefix(prefix, "/index.php"), "/")
		if (p == prefix || strings.HasPrefix(p, prefix+"/")) && len(prefix) > best {
			page, best = h, len(prefix)
		}
	}
	s.mu.Unlock()
	if page == nil {
		return false
	}
	uid, ok := s.browserAuth(r)
	if !ok {
		http.Redirect(w, r, "/login?redirect_url="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
		return true
	}
	s.mu.Lock()
	u := *s.users[uid]
	s.mu.Unlock()
	// As fixture 405 (the files app): framing by the same origin only.
	w.Header().Set("X-Frame-Options", "SAMEORIGIN")
	w.Header().Set("Content-Security-Policy", "default-src 'none';base-uri 'none';manifest-src 'self';script-src 'self' 'unsafe-inline';"+
		"style-src 'self' 'unsafe-inline';img-src 'self' data: blob:;font-src 'self' data:;connect-src 'self';media-src 'self';"+
		"frame-src 'self';frame-ancestors 'self';worker-src 'self';form-action 'self'")
	w.Header().Set("Cache-Control", "no-cache, no-store, must-revalidate")
	w.Header().Set("X-User-Id", uid)
	page(w, r, u)
	return true
}
