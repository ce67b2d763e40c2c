package web

import (
	"context"
	"errors"
	"html"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"assokit/internal/oidc"
)

// The OpenID Connect endpoints, reached through Nextcloud's proxy. They
// answer no-store, and never a redirect: Nextcloud would follow it itself.

func (s *Server) oidcDiscovery(c echo.Context) error {
	d, err := s.d.OIDC.Discovery(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func (s *Server) oidcJWKS(c echo.Context) error {
	k, err := s.d.OIDC.JWKS(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, k)
}

// oauthJSON answers an OAuth error as RFC 6749 §5.2 says.
func oauthJSON(c echo.Context, err error) error {
	var oe *oidc.Error
	if !errors.As(err, &oe) {
		return err
	}
	if oe.Status == http.StatusUnauthorized {
		c.Response().Header().Set("WWW-Authenticate", `Bearer error="`+oe.Code+`"`)
	}
	return c.JSON(oe.Status, map[string]string{"error": oe.Code, "error_description": oe.Description})
}

func (s *Server) oidcToken(c echo.Context) error {
	r := c.Request()
	r.Body = http.MaxBytesReader(c.Response(), r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return oauthJSON(c, &oidc.Error{Code: "invalid_request", Description: "unreadable form", Status: http.StatusBadRequest})
	}
	tok, err := s.d.OIDC.Token(r.Context(), r.PostForm)
	if err != nil {
		return oauthJSON(c, err)
	}
	c.Response().Header().Set("Pragma", "no-cache")
	return c.JSON(http.StatusOK, tok)
}

func (s *Server) oidcUserInfo(c echo.Context) error {
	token, ok := oidc.BearerToken(c.Request().Header.Get("Authorization"))
	if !ok {
		return oauthJSON(c, &oidc.Error{Code: "invalid_token", Description: "a Bearer token is required", Status: http.StatusUnauthorized})
	}
	info, err := s.d.OIDC.UserInfo(c.Request().Context(), token)
	if err != nil {
		return oauthJSON(c, err)
	}
	return c.JSON(http.StatusOK, info)
}

// oidcAuthorize answers a page: one that sends the browser back to Paheko
// with a code, or one that explains why not.
func (s *Server) oidcAuthorize(c echo.Context) error {
	ctx := c.Request().Context()
	uid := currentUser(c)
	lang := s.language(ctx, uid, c.Request())
	to, err := s.d.OIDC.Authorize(ctx, uid, c.Request().URL.Query())
	switch {
	case err == nil:
		return navigatePage(c, lang, to)
	case errors.Is(err, oidc.ErrNoRole):
		return messagePage(c, http.StatusForbidden, lang, "no_role", s.supportContact(ctx))
	case errors.Is(err, oidc.ErrNotLinked):
		return messagePage(c, http.StatusForbidden, lang, "not_linked", s.supportContact(ctx))
	case errors.Is(err, oidc.ErrBadClient):
		return messagePage(c, http.StatusBadRequest, lang, "bad_client", "")
	}
	var oe *oidc.Error
	if errors.As(err, &oe) {
		return messagePage(c, http.StatusBadRequest, lang, "bad_client", "")
	}
	s.d.Log.ErrorContext(ctx, "sign-on failed", "error", err)
	return messagePage(c, http.StatusBadGateway, lang, "unavailable", "")
}

// language is the account's language, "fr" or "en".
func (s *Server) language(ctx context.Context, uid string, r *http.Request) string {
	if acc, err := s.d.Host.Account(ctx, uid); err == nil && acc.Language != "" {
		return pageLang(acc.Language)
	}
	return pageLang(r.Header.Get("Accept-Language"))
}

func pageLang(l string) string {
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(l)), "fr") {
		return "fr"
	}
	return "en"
}

// supportContact is who members should ask, from the settings form.
func (s *Server) supportContact(ctx context.Context) string {
	a, _ := s.d.Host.Association(ctx)
	return a.Contact
}

var pageTexts = map[string]map[string]string{
	"fr": {
		"title_go":          "Ouverture de Paheko…",
		"go":                "Ouverture de Paheko…",
		"go_link":           "Continuer vers Paheko",
		"title_no_role":     "Paheko n'est pas ouvert à votre compte",
		"no_role":           "Votre compte Nextcloud ne donne pas accès à Paheko. Paheko est ouvert aux administrateurs de l'association et aux personnes chargées de la comptabilité ou des fiches de membres.",
		"ask":               "Pour l'obtenir, demandez à : ",
		"ask_admin":         "Pour l'obtenir, demandez à un administrateur de votre association.",
		"title_not_linked":  "Votre fiche de membre n'est pas encore reliée",
		"not_linked":        "AssoKit n'a pas encore relié votre compte Nextcloud à une fiche de membre de Paheko : la synchronisation des membres n'est pas encore passée depuis la création de votre compte, ou un administrateur doit confirmer quelle fiche est la vôtre.",
		"ask_linked":        "Si cela dure, prévenez : ",
		"ask_linked_admin":  "Si cela dure, prévenez un administrateur de votre association.",
		"title_bad_client":  "Demande de connexion refusée",
		"bad_client":        "Cette demande de connexion ne vient pas du Paheko de votre association, ou elle est incomplète. Revenez à Paheko et cliquez sur « Se connecter avec Nextcloud ».",
		"title_unavailable": "Paheko ne peut pas être ouvert pour l'instant",
		"unavailable":       "AssoKit n'arrive pas à joindre Nextcloud. Réessayez dans quelques minutes ; si cela dure, prévenez un administrateur.",
		"back":              "Retour à Nextcloud",
	},
	"en": {
		"title_go":          "Opening Paheko…",
		"go":                "Opening Paheko…",
		"go_link":           "Continue to Paheko",
		"title_no_role":     "Paheko is not open to your account",
		"no_role":           "Your Nextcloud account does not give access to Paheko. Paheko is open to the association's administrators and to the people who keep the accounts or the member records.",
		"ask":               "To get it, ask: ",
		"ask_admin":         "To get it, ask an administrator of your association.",
		"title_not_linked":  "Your member record is not linked yet",
		"not_linked":        "AssoKit has not linked your Nextcloud account to a member record in Paheko yet: the member synchronisation has not run since your account was created, or an administrator must confirm which record is yours.",
		"ask_linked":        "If it lasts, tell: ",
		"ask_linked_admin":  "If it lasts, tell an administrator of your association.",
		"title_bad_client":  "Sign-in request refused",
		"bad_client":        "This sign-in request does not come from your association's Paheko, or it is incomplete. Go back to Paheko and click “Se connecter avec Nextcloud”.",
		"title_unavailable": "Paheko cannot be opened right now",
		"unavailable":       "AssoKit cannot reach Nextcloud. Try again in a few minutes; if it lasts, tell an administrator.",
		"back":              "Back to Nextcloud",
	},
}

// pageData is what a page says; renderPage escapes every field.
type pageData struct {
	Lang, Title, Text, Link, Ask, Back string
	To                                 string // where the page navigates, if anywhere
}

// pageHTML writes the page: when To is set it navigates there (a meta
// refresh, and a link for those whose browser does not follow it), else it
// shows Text, Ask and a way back to Nextcloud.
func pageHTML(d pageData) string {
	e := html.EscapeString
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html>
<html lang="` + e(d.Lang) + `"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
`)
	if d.To != "" {
		b.WriteString(`<meta http-equiv="refresh" content="0;url=` + e(d.To) + `">`)
	}
	b.WriteString(`<title>` + e(d.Title) + `</title>
<style>body{font-family:system-ui,sans-serif;max-width:38em;margin:10vh auto;padding:0 1em;color:#222;line-height:1.5}
h1{font-size:1.4em}a.button{display:inline-block;padding:.6em 1.2em;border-radius:2em;background:#00679e;color:#fff;text-decoration:none}</style>
</head><body><main>
<h1>` + e(d.Title) + `</h1>
`)
	if d.To != "" {
		b.WriteString(`<p role="status">` + e(d.Text) + `</p><p><a class="button" href="` + e(d.To) + `">` + e(d.Link) + `</a></p>
`)
	} else {
		b.WriteString(`<p>` + e(d.Text) + `</p>`)
		if d.Ask != "" {
			b.WriteString(`<p>` + e(d.Ask) + `</p>`)
		}
		b.WriteString(`<p><a href="/">` + e(d.Back) + `</a></p>`)
	}
	b.WriteString("</main></body></html>\n")
	return b.String()
}

// pageCSP lets the page show itself and navigate; nothing else.
const pageCSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func renderPage(c echo.Context, status int, d pageData) error {
	h := c.Response().Header()
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer") // the code must not leak to Paheko's pages
	h.Set("Content-Type", "text/html; charset=utf-8")
	c.Response().WriteHeader(status)
	_, err := io.WriteString(c.Response(), pageHTML(d))
	return err
}

// navigatePage sends the browser to "to" (a meta refresh, and a link for
// those whose browser does not follow it).
func navigatePage(c echo.Context, lang, to string) error {
	t := pageTexts[lang]
	return renderPage(c, http.StatusOK, pageData{Lang: lang, Title: t["title_go"], Text: t["go"], Link: t["go_link"], To: to})
}

// messagePage explains why Paheko does not open.
func messagePage(c echo.Context, status int, lang, key, contact string) error {
	t := pageTexts[lang]
	d := pageData{Lang: lang, Title: t["title_"+key], Text: t[key], Back: t["back"]}
	switch key {
	case "no_role":
		d.Ask = t["ask_admin"]
		if contact != "" {
			d.Ask = t["ask"] + contact
		}
	case "not_linked":
		d.Ask = t["ask_linked_admin"]
		if contact != "" {
			d.Ask = t["ask_linked"] + contact
		}
	}
	return renderPage(c, status, d)
}
