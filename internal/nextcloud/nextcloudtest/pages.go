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
	case serveStatic(w, r.URL.Path):
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

// embeddedTmpl is the page AppAPI serves for a top-menu entry, written from
// the one a real Nextcloud 32.0.1 serves (fixtures nextcloud-32-page): the
// same <html>/<head>/<body> attributes, stylesheets in the same order
// (core, then the ExApp's, then the theme), the skip links, the header's
// mount points (the fake fills the app menu and puts its account switcher
// in the user menu), and the two elements with id "content": Nextcloud's,
// holding the hidden page heading, and AppAPI's empty one inside it.
// Under 1024 px the app menu keeps the current app and puts the others in a
// "More apps" menu button, as core's AppMenu.vue does with NcActions for the
// apps that do not fit (core/src/components/AppMenu.vue); the fake shows
// names where Nextcloud shows icons, since it serves no app icons.
var embeddedTmpl = template.Must(template.New("embedded").Parse(`<!DOCTYPE html>
<html class="ng-csp" data-placeholder-focus="false" lang="{{.Lang}}" data-locale="{{.Locale}}" translate="no">
<head data-user="{{.User}}" data-user-displayname="{{.DisplayName}}" data-requesttoken="{{.Token}}">
<meta charset="utf-8"><title>{{.Title}} - Nextcloud</title>
<meta name="csp-nonce" nonce="{{.Nonce}}">
<meta name="viewport" content="width=device-width, initial-scale=1.0, minimum-scale=1.0">
<meta name="theme-color" content="#00679e">
<link rel="stylesheet" href="/core/css/server.css">
{{range .Styles}}<link rel="stylesheet" href="{{.}}">
{{end}}<style nonce="{{.Nonce}}">
.app-menu__list{display:flex;gap:2px;margin:0;padding:0}
.app-menu__list a{display:block;padding:6px 10px;border-radius:var(--border-radius-element);color:var(--color-background-plain-text)}
.app-menu__list a[aria-current]{background:rgba(255,255,255,.2)}
#user-menu{display:flex;gap:6px;align-items:center;padding:0 12px;font-size:var(--font-size-small)}
#user-menu select{font:inherit;max-width:12em}
#header-start__appmenu{display:flex;align-items:center;gap:2px;position:relative}
.app-menu__overflow{display:none}
.app-menu__overflow>button{min-width:44px;min-height:44px;border:0;border-radius:var(--border-radius-element);background:transparent;color:var(--color-background-plain-text);font-size:20px;line-height:1;cursor:pointer}
.app-menu__overflow>button:hover,.app-menu__overflow>button:focus-visible,.app-menu__overflow>button[aria-expanded="true"]{background:rgba(255,255,255,.2)}
.app-menu__overflow>button:focus-visible,.app-menu__list a:focus-visible{outline:2px solid var(--color-background-plain-text);outline-offset:-2px}
.app-menu__overflow ul{position:absolute;top:100%;left:0;z-index:2000;min-width:14em;margin:4px 0 0;padding:4px;list-style:none;background:var(--color-main-background);border-radius:var(--border-radius-large);box-shadow:0 1px 10px var(--color-box-shadow)}
.app-menu__overflow ul[hidden]{display:none}
.app-menu__overflow ul a{display:block;padding:0 12px;min-height:44px;line-height:44px;border-radius:var(--border-radius-element);color:var(--color-main-text)}
.app-menu__overflow ul a:hover,.app-menu__overflow ul a:focus{background:var(--color-background-hover)}
@media (max-width:1024px){.app-menu__list>li:not(:has([aria-current])){display:none}.app-menu__list a{max-width:8em;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}.app-menu__overflow{display:block}#user-menu{padding:0 8px}#user-menu span{display:none}#user-menu select{max-width:8em}}
</style>
<script nonce="{{.Nonce}}">var _oc_debug=false;var _oc_isadmin={{.IsAdmin}};var _oc_webroot="";var _oc_config={"modRewriteWorking":true,"version":"32.0.1.2","versionstring":"32.0.1"};
window.OC=window.OC||{config:{version:"32.0.1.2",versionstring:"32.0.1",modRewriteWorking:true},webroot:"",isUserAdmin:function(){return {{.IsAdmin}}},getCurrentUser:function(){return {uid:{{.User}},displayName:{{.DisplayName}}}},getLanguage:function(){return {{.Lang}}},getLocale:function(){return {{.Locale}}}};</script>
{{range .Scripts}}<script nonce="{{$.Nonce}}" defer src="{{.}}"></script>
{{end}}<link rel="stylesheet" media="" href="/apps/theming/theme/default.css?plain=1" class="theme">
</head>
<body dir="ltr" id="body-user" data-theme-default data-themes="default">
<noscript><div id="nojavascript"><div>{{.NoScript}}</div></div></noscript>
<div id="initial-state-container" style="display: none;"><input type="hidden" id="initial-state-core-active-app" value="{{.ActiveApp}}"><input type="hidden" id="initial-state-core-apps" value="{{.Apps}}"><input type="hidden" id="initial-state-core-capabilities" value="{{.Capabilities}}">{{range .States}}<input type="hidden" id="initial-state-app_api-{{.Key}}" value="{{.Value}}">{{end}}</div>
<div id="skip-actions"><a href="#app-content" class="button primary skip-navigation skip-content">{{.SkipContent}}</a><a href="#app-navigation" class="button primary skip-navigation">{{.SkipNavigation}}</a></div>
<header id="header">
<div class="header-start"><a href="/" aria-label="{{.GoHome}}" id="nextcloud"><div class="logo logo-icon"></div></a>
<nav id="header-start__appmenu" aria-label="{{.AppsLabel}}"><ul class="app-menu__list">{{range .Menus}}<li data-app-id="{{.ID}}"><a href="{{.Href}}"{{if .Active}} aria-current="page"{{end}}>{{.Name}}</a></li>{{end}}</ul>{{if gt (len .Menus) 1}}
<div class="app-menu__overflow"><button type="button" aria-label="{{.MoreApps}}" title="{{.MoreApps}}" aria-haspopup="menu" aria-expanded="false" aria-controls="app-menu-overflow">&#x22EF;</button>
<ul id="app-menu-overflow" role="menu" aria-label="{{.MoreApps}}" hidden>{{range .Menus}}{{if not .Active}}<li role="none" data-app-id="{{.ID}}"><a role="menuitem" href="{{.Href}}">{{.Name}}</a></li>{{end}}{{end}}</ul></div>{{end}}</nav></div>
<div class="header-end"><div id="unified-search"></div><div id="notifications"></div><div id="contactsmenu"></div>
<div id="user-menu" data-demo-switcher><span>Démo · compte :</span><form method="post" action="/login"><input type="hidden" name="redirect_url" value="{{.Path}}">
<select name="user" aria-label="Changer de compte de démo">{{range .Users}}<option value="{{.ID}}"{{if eq .ID $.User}} selected{{end}}>{{.DisplayName}} ({{.ID}})</option>{{end}}</select>
<noscript><button>OK</button></noscript></form></div></div>
</header>
<script nonce="{{.Nonce}}">document.querySelector('[data-demo-switcher] select').addEventListener('change',function(e){e.target.form.submit()})</script>
<script nonce="{{.Nonce}}">(function(){var b=document.querySelector('.app-menu__overflow>button'),m=document.getElementById('app-menu-overflow');if(!b){return}
function items(){return [].slice.call(m.querySelectorAll('a'))}
function show(open,focus){m.hidden=!open;b.setAttribute('aria-expanded',String(open));if(open&&focus!=null&&items().length){items()[(focus+items().length)%items().length].focus()}}
b.addEventListener('click',function(e){show(m.hidden,e.detail===0?0:null)});
b.addEventListener('keydown',function(e){if(e.key==='ArrowDown'||e.key==='ArrowUp'){e.preventDefault();show(true,e.key==='ArrowDown'?0:-1)}});
m.addEventListener('keydown',function(e){var i=items().indexOf(document.activeElement);
if(e.key==='Escape'){e.preventDefault();show(false);b.focus()}else if(e.key==='ArrowDown'){e.preventDefault();show(true,i+1)}else if(e.key==='ArrowUp'){e.preventDefault();show(true,i-1)}
else if(e.key==='Home'){e.preventDefault();show(true,0)}else if(e.key==='End'){e.preventDefault();show(true,-1)}else if(e.key==='Tab'){show(false)}});
document.addEventListener('click',function(e){if(!m.hidden&&!b.parentNode.contains(e.target)){show(false)}})})()</script>
<div id="content" class="app-app_api"><h1 class="hidden-visually" id="page-heading-level-1">Nextcloud</h1>
{{if .NotFound}}<div id="app-content" style="flex:1;background:var(--color-main-background);text-align:center;padding-top:20vh"><h2>{{.NotFoundTitle}}</h2><p>{{.NotFoundText}}</p><p><a href="/" style="text-decoration:underline">{{.NotFoundBack}}</a></p></div>{{else}}<div id="content"></div>{{end}}
</div>
</body></html>`))

// frameTexts are the texts of Nextcloud's page frame, in French and
// English, as Nextcloud 32 shows them.
var frameTexts = map[string]map[string]string{
	"fr": {"NoScript": "Cette application requiert JavaScript pour fonctionner correctement. Veuillez activer JavaScript et recharger la page.",
		"SkipContent": "Passer au contenu principal", "SkipNavigation": "Passer à la navigation d'application",
		"GoHome": "Aller à Tableau de bord", "AppsLabel": "Menu des applications", "MoreApps": "Plus d'applications",
		"NotFoundTitle": "Page introuvable", "NotFoundText": "La page n'a pas pu être trouvée sur le serveur ou vous n'êtes peut-être pas autorisé à la consulter.",
		"NotFoundBack": "Retour à Nextcloud"},
	"en": {"NoScript": "This application requires JavaScript for correct operation. Please enable JavaScript and reload the page.",
		"SkipContent": "Skip to main content", "SkipNavigation": "Skip to navigation of app",
		"GoHome": "Go to Dashboard", "AppsLabel": "Applications menu", "MoreApps": "More apps",
		"NotFoundTitle": "Page not found", "NotFoundText": "The page could not be found on the server or you may not be allowed to see it.",
		"NotFoundBack": "Back to Nextcloud"},
}

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
	s.mu.Lock()
	var a *ExApp
	var entry TopMenuEntry
	found := false
	if len(parts) >= 2 {
		a = s.apps[parts[0]]
		if a != nil && a.Enabled {
			entry, found = a.TopMenus[parts[1]]
		}
	}
	isAdmin := s.isAdminLocked(uid)
	u := *s.users[uid]
	page := map[string]any{"User": uid, "DisplayName": u.DisplayName, "IsAdmin": isAdmin, "Path": r.URL.Path}
	status := http.StatusOK
	active := ""
	if !found || (entry.AdminRequired == 1 && !isAdmin) {
		// TopMenuController answers Nextcloud's "page not found" page, in
		// the user's page frame.
		status = http.StatusNotFound
		page["NotFound"] = true
		page["Title"] = "Nextcloud"
		page["Menus"] = s.navigationLocked(uid, r.URL.Path)
	} else {
		active = "app_api_" + a.ID + "_" + entry.Name
		page["Title"] = a.translate(u.Language, entry.DisplayName)
		page["Menus"] = s.navigationLocked(uid, "/index.php/apps/app_api/embedded/"+a.ID+"/"+entry.Name)
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
		page["Scripts"], page["Styles"], page["States"] = scripts, styles, states
	}
	appsJSON, _ := json.Marshal(page["Menus"])
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
	lang, locale := u.Language, u.Language
	switch lang {
	case "":
		lang, locale = "en", "en"
	case "fr":
		locale = "fr_FR"
	}
	texts := frameTexts[lang]
	if texts == nil {
		texts = frameTexts["en"]
	}
	for k, v := range texts {
		page[k] = v
	}
	activeJSON, _ := json.Marshal(active)
	page["Lang"], page["Locale"], page["Token"], page["Nonce"] = lang, locale, nonce, nonce
	page["Users"] = s.enabledUsers()
	page["Apps"] = base64.StdEncoding.EncodeToString(appsJSON)
	page["ActiveApp"] = base64.StdEncoding.EncodeToString(activeJSON)
	page["Capabilities"] = base64.StdEncoding.EncodeToString([]byte(`{"core":{"webdav-root":"remote.php/webdav"},"theming":{"name":"Nextcloud","color":"#00679e","color-text":"#ffffff","color-element":"#00679e","background-plain":false,"background-default":true}}`))
	w.WriteHeader(status)
	embeddedTmpl.Execute(w, page)
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
