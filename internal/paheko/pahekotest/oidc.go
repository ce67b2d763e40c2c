package pahekotest

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// OIDCConfig is what config.local.php gives Paheko's OIDC client, plus the
// callback AssoKit documents (its role → category map and its link field).
type OIDCConfig struct {
	ClientURL    string // OIDC_CLIENT_URL
	ClientID     string
	ClientSecret string
	// Categories maps a paheko_role claim to a category id, as the $map of
	// OIDC_CLIENT_CALLBACK. Empty: no callback, the member keeps its category.
	Categories map[string]int
	// MemberCategory is the category of the members AssoKit creates: with
	// the map's, the only categories the callback moves a member from.
	MemberCategory int
	// MatchUID plays AssoKit's snippet: the member is the one userinfo's
	// paheko_member names, and only if its nextcloud_uid is "sub". Without
	// it, Paheko matches the e-mail on the login field.
	MatchUID bool
	// CheckState makes the fake stricter than Paheko, which does not check
	// the state it sent (capture 24): a callback with another state is refused.
	CheckState bool
	HTTPClient *http.Client
}

// SetOIDC configures the OIDC client; the login page then shows its button.
func (s *Server) SetOIDC(c OIDCConfig) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.HTTPClient == nil {
		// KD2\HTTP follows no redirects.
		c.HTTPClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	s.oidc = c
}

// OIDC returns the OIDC client configuration.
func (s *Server) OIDC() OIDCConfig { return s.oidcConfig() }

// Session describes who a Paheko session cookie belongs to.
type Session struct {
	MemberID   int
	Name       string
	CategoryID int
	Category   string
}

// SessionFor returns the member signed in with the "pko" cookie value.
func (s *Server) SessionFor(cookie string) (Session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.sessions[cookie]
	if !ok {
		return Session{}, false
	}
	m, err := s.memberLocked(id)
	if err != nil {
		return Session{}, false
	}
	se := Session{MemberID: id, CategoryID: m.CategoryID, Name: fmt.Sprint(m.Fields["nom"])}
	s.db.QueryRow(`SELECT name FROM users_categories WHERE id = ?`, m.CategoryID).Scan(&se.Category)
	return se, true
}

func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Frame-Options", "SAMEORIGIN")
	switch r.URL.Path {
	case "/admin/login.php":
		q := r.URL.Query()
		switch {
		case !q.Has("oidc"):
			s.loginPage(w, "")
		case q.Get("error") != "":
			s.loginPage(w, "Erreur dans la connexion OIDC : OAuth authentication error: "+q.Get("error")+" -- "+q.Get("error_description"))
		case q.Get("code") != "":
			s.oidcCallback(w, r)
		default:
			s.oidcStart(w, r)
		}
	case "/admin/logout.php":
		if c, err := r.Cookie("pko"); err == nil {
			s.mu.Lock()
			delete(s.sessions, c.Value)
			s.mu.Unlock()
		}
		http.SetCookie(w, &http.Cookie{Name: "pko", Value: "", Path: "/", MaxAge: -1})
		http.Redirect(w, r, s.URL()+"/admin/login.php?logout", http.StatusFound)
	default:
		c, err := r.Cookie("pko")
		var se Session
		ok := false
		if err == nil {
			se, ok = s.SessionFor(c.Value)
		}
		if !ok {
			http.Redirect(w, r, s.URL()+"/admin/login.php", http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		fmt.Fprintf(w, `<!DOCTYPE html><html lang="fr"><head><title>Bonjour %s !</title></head><body>
<h1>Bonjour %s !</h1><p id="category" data-category-id="%d">Catégorie : %s</p>
<p>Paheko (démonstration AssoKit)</p><a href="/admin/logout.php">Déconnexion</a></body></html>`,
			html.EscapeString(se.Name), html.EscapeString(se.Name), se.CategoryID, html.EscapeString(se.Category))
	}
}

func (s *Server) loginPage(w http.ResponseWriter, errText string) {
	s.mu.Lock()
	hasOIDC := s.oidc.ClientURL != ""
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	fmt.Fprint(w, `<!DOCTYPE html><html lang="fr"><head><title>Connexion</title></head><body><h1>Connexion</h1>`)
	if errText != "" {
		fmt.Fprintf(w, `<p class="block error">%s</p>`, html.EscapeString(errText))
	}
	if hasOIDC {
		fmt.Fprint(w, `<p><a class="button" href="login.php?oidc">Se connecter avec Nextcloud</a></p>`)
	}
	fmt.Fprint(w, `</body></html>`)
}

func (s *Server) redirectURI() string { return s.URL() + "/admin/login.php?oidc" }

// discovery fetches the provider's configuration, as Paheko does on both legs.
func (s *Server) discovery(cfg OIDCConfig) (map[string]any, error) {
	u := strings.TrimRight(cfg.ClientURL, "/") + "/.well-known/openid-configuration"
	resp, err := cfg.HTTPClient.Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var d map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	return d, nil
}

func (s *Server) oidcConfig() OIDCConfig { s.mu.Lock(); defer s.mu.Unlock(); return s.oidc }

// oidcStart sends the browser to the authorization endpoint with a fresh
// state and every advertised scope; no nonce, no PKCE, as Paheko.
func (s *Server) oidcStart(w http.ResponseWriter, r *http.Request) {
	cfg := s.oidcConfig()
	d, err := s.discovery(cfg)
	if err != nil {
		uncaught(w, "TypeError", err)
		return
	}
	b := make([]byte, 10)
	rand.Read(b)
	sum := sha1.Sum(b)
	state := hex.EncodeToString(sum[:])
	var scopes []string
	if list, ok := d["scopes_supported"].([]any); ok {
		for _, sc := range list {
			scopes = append(scopes, fmt.Sprint(sc))
		}
	}
	q := url.Values{"response_type": {"code"}, "client_id": {cfg.ClientID}, "redirect_uri": {s.redirectURI()},
		"state": {state}, "scope": {strings.Join(scopes, " ")}}
	pre := randomID()
	s.mu.Lock()
	s.states[pre] = state
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: "__c", Value: pre, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, fmt.Sprint(d["authorization_endpoint"])+"?"+q.Encode(), http.StatusFound)
}

func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	cfg := s.oidcConfig()
	q := r.URL.Query()
	if cfg.CheckState {
		c, err := r.Cookie("__c")
		s.mu.Lock()
		want := ""
		if err == nil {
			want = s.states[c.Value]
			delete(s.states, c.Value)
		}
		s.mu.Unlock()
		if want == "" || want != q.Get("state") {
			s.loginPage(w, "Erreur dans la connexion OIDC : OAuth authentication error: invalid_state -- ")
			return
		}
	}
	d, err := s.discovery(cfg)
	if err != nil {
		uncaught(w, "TypeError", err)
		return
	}
	form := url.Values{"code": {q.Get("code")}, "client_id": {cfg.ClientID}, "client_secret": {cfg.ClientSecret},
		"redirect_uri": {s.redirectURI()}, "grant_type": {"authorization_code"}}
	tokenURL := fmt.Sprint(d["token_endpoint"])
	resp, err := cfg.HTTPClient.PostForm(tokenURL, form)
	if err != nil {
		uncaught(w, "TypeError", err)
		return
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if tok.Error != "" {
		s.loginPage(w, "Erreur dans la connexion OIDC : OAuth authentication error: "+tok.Error+" -- "+tok.Description)
		return
	}
	if tok.AccessToken == "" {
		http.Redirect(w, r, s.URL()+"/admin/", http.StatusFound)
		return
	}
	req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, fmt.Sprint(d["userinfo_endpoint"]), nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = cfg.HTTPClient.Do(req)
	if err != nil {
		uncaught(w, "TypeError", err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		uncaught(w, "RuntimeException", fmt.Errorf("userinfo: HTTP %d", resp.StatusCode))
		return
	}
	var info map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		uncaught(w, "RuntimeException", err)
		return
	}
	id, refusal := s.matchMember(cfg, info)
	if refusal == "" {
		refusal = s.runCallback(cfg, id, info)
	}
	if refusal != "" {
		http.SetCookie(w, &http.Cookie{Name: "pko", Value: "", Path: "/", MaxAge: -1})
		s.loginPage(w, refusal)
		return
	}
	sid := "pko-" + randomID()
	s.mu.Lock()
	s.sessions[sid] = id
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: "pko", Value: sid, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	w.Header().Set("Cache-Control", "no-store, no-cache, must-revalidate")
	http.Redirect(w, r, s.URL()+"/admin/", http.StatusFound)
}

// matchMember finds the member the userinfo designates, or says why not.
func (s *Server) matchMember(cfg OIDCConfig, info map[string]any) (int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var id int
	if cfg.MatchUID {
		sub, _ := info["sub"].(string)
		member, _ := info["paheko_member"].(float64)
		if s.db.QueryRow(`SELECT id FROM users WHERE id = ? AND nextcloud_uid = ?`, int(member), sub).Scan(&id) != nil {
			return 0, "Votre compte Nextcloud n'est relié à aucune fiche de membre de Paheko. Un administrateur de l'association peut le vérifier dans AssoKit."
		}
		return id, ""
	}
	email, _ := info["email"].(string)
	if email == "" {
		return 0, "Le fournisseur OpenID Connect n'a pas fourni d'adresse e-mail dans sa réponse."
	}
	if s.db.QueryRow(`SELECT id FROM users WHERE email = ? COLLATE NOCASE`, email).Scan(&id) != nil {
		return 0, "Aucun membre trouvé avec l'adresse e-mail fournie : " + email
	}
	return id, ""
}

// runCallback plays the OIDC_CLIENT_CALLBACK that AssoKit documents: the
// role claim chooses the category; no role, or a category that may not log
// in, refuses the login.
func (s *Server) runCallback(cfg OIDCConfig, id int, info map[string]any) string {
	if len(cfg.Categories) == 0 {
		return ""
	}
	role, _ := info["paheko_role"].(string)
	cat, ok := cfg.Categories[role]
	if !ok {
		return "Votre compte n'a aucun rôle Paheko : connexion refusée."
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var current int
	s.db.QueryRow(`SELECT id_category FROM users WHERE id = ?`, id).Scan(&current)
	managed := current == cfg.MemberCategory
	for _, c := range cfg.Categories {
		managed = managed || current == c
	}
	if managed {
		s.db.Exec(`UPDATE users SET id_category = ? WHERE id = ?`, cat, id)
	} else {
		cat = current // the association's own admins and other categories stay
	}
	var connect int
	s.db.QueryRow(`SELECT perm_connect FROM users_categories WHERE id = ?`, cat).Scan(&connect)
	if connect < 1 {
		return "Votre catégorie de membre ne permet pas de se connecter."
	}
	return ""
}

// uncaught answers as Paheko does for an exception its OIDC code does not catch.
func uncaught(w http.ResponseWriter, kind string, err error) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	io.WriteString(w, " /!\\ "+kind+" \n"+err.Error()+"\n")
}

func randomID() string {
	b := make([]byte, 13)
	rand.Read(b)
	return hex.EncodeToString(b)
}
