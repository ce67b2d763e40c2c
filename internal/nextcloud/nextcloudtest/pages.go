package nextcloudtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// servePages serves the browser side: the login (an account switcher, since
// this is a fake), the embedded top-menu pages of ExApps, and "/" which
// sends to the first top-menu page.
func (s *Server) servePages(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/index.php")
	switch {
	case p == "/login" && r.Method == http.MethodPost:
		s.login(w, r)
	case p == "/login" || p == "/" || p == "":
		s.loginPage(w, r)
	case p == "/logout":
		http.SetCookie(w, &http.Cookie{Name: DemoUserCookie, Value: "", Path: "/", MaxAge: -1})
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	case strings.HasPrefix(p, "/apps/app_api/embedded/"):
		s.embedded(w, r, strings.TrimPrefix(p, "/apps/app_api/embedded/"))
	case s.appPage(w, r, p):
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	uid := r.FormValue("user")
	s.mu.Lock()
	u := s.users[uid]
	s.mu.Unlock()
	if u == nil || !u.Enabled {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: DemoUserCookie, Value: uid, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	to := r.FormValue("redirect_url")
	if to == "" || !strings.HasPrefix(to, "/") || strings.HasPrefix(to, "//") {
		to = s.firstMenuURL(uid)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// firstMenuURL is the page shown after login: the first top-menu entry the
// user may see, else the login page.
func (s *Server) firstMenuURL(uid string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range sortedKeys(s.apps) {
		a := s.apps[id]
		if !a.Enabled {
			continue
		}
		for _, e := range sortedMenus(a) {
			if e.AdminRequired == 0 || s.isAdminLocked(uid) {
				return "/index.php/apps/app_api/embedded/" + a.ID + "/" + e.Name
			}
		}
	}
	return "/login"
}

var loginTmpl = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>Nextcloud (démo)</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;background:#00679e;color:#222;margin:0}
main{max-width:32rem;margin:4rem auto;background:#fff;border-radius:12px;padding:2rem}
h1{font-size:1.4rem;margin-top:0}p.demo{background:#fff3cd;padding:.6rem;border-radius:6px}
button{display:block;width:100%;text-align:left;margin:.3rem 0;padding:.7rem 1rem;border:1px solid #ccc;border-radius:8px;background:#f7f7f7;font-size:1rem;cursor:pointer}
button:hover,button:focus{background:#e6f2f9;border-color:#00679e}small{color:#555}</style></head>
<body><main><h1>Se connecter à la démo · Sign in to the demo</h1>
<p class="demo">Ceci est un Nextcloud de démonstration, simulé par AssoKit. Choisissez un compte pour vous connecter sans mot de passe. · This is a demo Nextcloud simulated by AssoKit: pick an account, no password needed.</p>
<form method="post" action="/login"><input type="hidden" name="redirect_url" value="{{.Redirect}}">
{{range .Users}}<button type="submit" name="user" value="{{.ID}}" data-user="{{.ID}}">{{.DisplayName}} <small>({{.ID}}{{if .Groups}} · {{range $i, $g := .Groups}}{{if $i}}, {{end}}{{$g}}{{end}}{{end}})</small></button>
{{end}}</form></main></body></html>`))

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	loginTmpl.Execute(w, map[string]any{"Users": s.enabledUsers(), "Redirect": r.URL.Query().Get("redirect_url")})
}

var embeddedTmpl = template.Must(template.New("embedded").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}" data-locale="{{.Lang}}" translate="no"><head data-requesttoken="{{.Token}}">
<meta charset="utf-8"><title>{{.Title}} - Nextcloud</title>
<meta name="viewport" content="width=device-width, initial-scale=1.0, minimum-scale=1.0">
<style nonce="{{.Nonce}}">:root{--color-primary-element:#00679e;--color-primary-element-text:#fff;--color-main-background:#fff;--color-main-text:#222;--color-background-dark:#ededed;--color-border:#ededed;--border-radius-large:10px;--default-clickable-area:34px;--header-height:50px;--color-text-maxcontrast:#6b6b6b;--color-error:#d91812;--color-success:#2d7b41;--color-warning:#c28900}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#00679e}
#header{height:50px;display:flex;align-items:center;gap:1rem;padding:0 1rem;color:#fff}
#header a{color:#fff;text-decoration:none;padding:.4rem .7rem;border-radius:8px}#header a[aria-current]{background:rgba(255,255,255,.2)}
#header .demo{margin-left:auto;display:flex;gap:.5rem;align-items:center;font-size:.9rem}
#header select{font-size:.9rem;padding:.2rem}
#content{background:var(--color-main-background);min-height:calc(100vh - 58px);margin:0 8px 8px;border-radius:10px}</style>
</head><body id="body-user">
<header id="header"><nav class="app-menu" aria-label="Applications"><ul class="app-menu__list" style="display:flex;gap:.3rem;list-style:none;margin:0;padding:0">{{range .Menus}}<li class="app-menu-entry" data-app-id="{{.ID}}"><a href="{{.Href}}"{{if .Active}} aria-current="page"{{end}}>{{.Name}}</a></li>{{end}}</ul></nav>
<div class="demo" data-demo-switcher><span>Démo · compte :</span>
<form method="post" action="/login"><input type="hidden" name="redirect_url" value="{{.Path}}">
<select name="user" aria-label="Changer de compte de démo">{{range .Users}}<option value="{{.ID}}"{{if eq .ID $.User}} selected{{end}}>{{.DisplayName}} ({{.ID}})</option>{{end}}</select>
<noscript><button>OK</button></noscript></form></div></header>
<script nonce="{{.Nonce}}">document.querySelector('[data-demo-switcher] select').addEventListener('change',function(e){e.target.form.submit()})</script>
<div id="initial-state-container" style="display:none"><input type="hidden" id="initial-state-core-apps" value="{{.Apps}}">{{range .States}}<input type="hidden" id="initial-state-app_api-{{.Key}}" value="{{.Value}}">{{end}}</div>
<main id="content"></main>
<script nonce="{{.Nonce}}">var _oc_webroot="";var _oc_isadmin={{.IsAdmin}};var oc_current_user={{.User}};var _oc_config={"version":"32.0.1.2","versionstring":"32.0.1"};
window.OC=window.OC||{config:{version:"32.0.1.2",versionstring:"32.0.1",modRewriteWorking:false},webroot:"",isUserAdmin:function(){return {{.IsAdmin}}},getCurrentUser:function(){return {uid:{{.User}},displayName:{{.DisplayName}}}},getLanguage:function(){return {{.Lang}}},getLocale:function(){return {{.Lang}}}};</script>
{{range .Styles}}<link rel="stylesheet" href="{{.}}">{{end}}
{{range .Scripts}}<script nonce="{{$.Nonce}}" defer src="{{.}}"></script>{{end}}
</body></html>`))

// embedded serves /index.php/apps/app_api/embedded/{app}/{menu}[/...] as
// TopMenuController::viewExAppPage does: a session is needed, admin-only
// entries answer 404 to others, and the page loads the scripts, styles and
// initial states registered for that entry under the same CSP.
func (s *Server) embedded(w http.ResponseWriter, r *http.Request, rest string) {
	uid, ok := s.browserAuth(r)
	if !ok {
		if strings.Contains(r.Header.Get("Accept"), "text/html") {
			http.Redirect(w, r, "/login?redirect_url="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"message":"Current user is not logged in"}`)
		return
	}
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) < 2 {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	a := s.apps[parts[0]]
	var entry TopMenuEntry
	found := false
	if a != nil && a.Enabled {
		entry, found = a.TopMenus[parts[1]]
	}
	isAdmin := s.isAdminLocked(uid)
	if !found || (entry.AdminRequired == 1 && !isAdmin) {
		s.mu.Unlock()
		http.NotFound(w, r)
		return
	}
	u := *s.users[uid]
	menus := s.navigationLocked(uid, "/index.php/apps/app_api/embedded/"+a.ID+"/"+entry.Name)
	appsJSON, _ := json.Marshal(menus)
	proxy := "/index.php/apps/app_api/proxy/" + a.ID + "/"
	var scripts, styles []string
	for _, sc := range a.Scripts {
		if sc.Type == "top_menu" && sc.Name == entry.Name {
			scripts = append(scripts, proxy+strings.TrimPrefix(sc.Path, "/")+".js")
		}
	}
	for _, st := range a.Styles {
		if st.Type == "top_menu" && st.Name == entry.Name {
			styles = append(styles, proxy+strings.TrimPrefix(st.Path, "/")+".css")
		}
	}
	type state struct{ Key, Value string }
	var states []state
	for k, v := range a.States {
		if menu, key, _ := strings.Cut(k, "/"); menu == entry.Name {
			// AppAPI json-encodes the stored JSON text once more: loadState
			// returns a string that the page parses itself.
			twice, _ := json.Marshal(string(v))
			states = append(states, state{key, base64.StdEncoding.EncodeToString(twice)})
		}
	}
	s.mu.Unlock()

	nonceBytes := make([]byte, 18)
	rand.Read(nonceBytes)
	nonce := base64.StdEncoding.EncodeToString(nonceBytes)
	host := r.Host
	w.Header().Set("Content-Security-Policy", "default-src 'none';base-uri 'none';manifest-src 'self';"+
		"script-src 'nonce-"+nonce+"' "+host+" 'unsafe-eval' 'unsafe-inline';"+
		"script-src-elem 'strict-dynamic' 'nonce-"+nonce+"' "+host+" 'unsafe-eval' 'unsafe-inline';"+
		"style-src 'self' 'unsafe-inline';img-src 'self' data: blob:;font-src 'self' data:;connect-src 'self';"+
		"media-src 'self';frame-src 'self' "+host+";frame-ancestors 'self';form-action 'self'")
	w.Header().Set("Cache-Control", "no-cache, no-store, must-revalidate")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-User-Id", uid)
	lang := u.Language
	if lang == "" {
		lang = "en"
	}
	embeddedTmpl.Execute(w, map[string]any{
		"Lang": lang, "Token": nonce, "Nonce": nonce, "Title": entry.DisplayName, "Menus": menus,
		"Users": s.enabledUsers(), "User": uid, "DisplayName": u.DisplayName, "IsAdmin": isAdmin,
		"Path": r.URL.Path, "States": states, "Apps": base64.StdEncoding.EncodeToString(appsJSON), "Scripts": scripts, "Styles": styles,
	})
}

func (s *Server) enabledUsers() []User {
	var out []User
	for _, u := range s.Users() {
		if u.Enabled {
			out = append(out, u)
		}
	}
	return out
}

// proxyClient follows redirects on the server, as Guzzle does in AppAPI's
// proxy: the browser never sees a Location header.
var proxyClient = &http.Client{}

// serveProxy is ExAppProxyController: /index.php/apps/app_api/proxy/{app}/{other}.
func (s *Server) serveProxy(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/index.php/apps/app_api/proxy/")
	appID, other, _ := strings.Cut(rest, "/")
	if r.Header.Get("Authorization") != "" && strings.HasPrefix(r.Header.Get("Authorization"), "Basic ") {
		if _, ok := s.browserAuth(r); !ok {
			// Core rejects a wrong Basic login before routing (and counts it).
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"message":""}`)
			return
		}
	}
	uid, hasSession := s.browserAuth(r)
	s.mu.Lock()
	a := s.apps[appID]
	isAdmin := s.isAdminLocked(uid)
	var routes []Route
	if a != nil {
		routes = append(routes, a.Routes...)
	}
	enabled := a != nil && a.Enabled
	s.mu.Unlock()
	if !enabled || strings.Contains("/"+other+"/", "/../") {
		notFoundPage(w)
		return
	}
	allowed := false
	for _, rt := range routes {
		re, err := regexp.Compile("(?i)" + rt.URL)
		if err != nil || !re.MatchString(other) || !strings.Contains(strings.ToLower(rt.Verb), strings.ToLower(r.Method)) {
			continue
		}
		if rt.AccessLevel == 0 || (rt.AccessLevel == 1 && hasSession) || (rt.AccessLevel == 2 && isAdmin) {
			allowed = true
			break
		}
	}
	if !allowed {
		notFoundPage(w)
		return
	}
	// The query string is rebuilt from PHP's $_GET: repeated keys collapse.
	q := url.Values{}
	for k, v := range r.URL.Query() {
		q.Set(k, v[len(v)-1])
	}
	target := "/" + other
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	h := r.Header.Clone()
	h.Set("Host", r.Host) // getallheaders() has it; Guzzle sends it on
	h.Del("Content-Length")
	h.Del("AUTHORIZATION-APP-API")
	h.Set("X-Origin-IP", strings.Split(r.RemoteAddr, ":")[0])
	if !hasSession {
		uid = ""
	}
	resp, err := s.forward(r.Context(), a, r.Method, target, uid, h, r.Body, 0)
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	defer resp.Body.Close()
	out := w.Header()
	for k, v := range resp.Header {
		switch strings.ToLower(k) {
		case "aa-version", "ex-app-id", "authorization-app-api", "ex-app-version", "aa-request-id", "transfer-encoding", "content-length":
			continue
		case "set-cookie":
			out.Set(k, v[0]) // only the first one passes
		default:
			out[k] = v
		}
	}
	if resp.Header.Get("Cache-Control") == "" {
		ct := resp.Header.Get("Content-Type")
		if ct != "application/json" && ct != "application/x-tar" && !strings.HasSuffix(other, ".html") {
			out.Set("Cache-Control", "private, max-age=3600, must-revalidate")
			out.Set("Expires", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))
		}
	}
	if resp.Header.Get("Content-Security-Policy") == "" {
		out.Set("Content-Security-Policy", "default-src 'none';base-uri 'none';manifest-src 'self';frame-ancestors 'none'")
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

func notFoundPage(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	io.WriteString(w, "<!DOCTYPE html>\n<html lang=\"en\"><head><title>Nextcloud</title></head><body id=\"body-login\"><h2>Page not found</h2><p>The page could not be found on the server or you may not be allowed to see it.</p></body></html>\n")
}
