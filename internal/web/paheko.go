package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"assokit/internal/membersync"
	"assokit/internal/oidc"
)

// pahekoView is what the "Paheko" page needs for any member.
type pahekoView struct {
	oidc.Access
	Contact string `json:"contact"` // who to ask
}

func (s *Server) pahekoPage(c echo.Context) error {
	ctx := c.Request().Context()
	acc, err := s.d.Host.Account(ctx, currentUser(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, pahekoView{Access: s.d.OIDC.Access(ctx, acc.Groups), Contact: s.supportContact(ctx)})
}

// pahekoAdminView is the admin page: settings (never the API secret), the
// sign-on registration to copy into Paheko, and the sync state.
type pahekoAdminView struct {
	Settings        membersync.Settings `json:"settings"`
	IntervalSeconds int                 `json:"intervalSeconds"`
	Issuer          string              `json:"issuer"`
	ClientID        string              `json:"clientId"`
	ClientSecret    string              `json:"clientSecret"`
	SecretFromHost  bool                `json:"secretFromHost"` // the page cannot regenerate it
	RedirectURI     string              `json:"redirectUri"`
}

func (s *Server) pahekoAdmin(c echo.Context) error {
	ctx := c.Request().Context()
	st, err := s.d.Sync.Settings(ctx)
	if err != nil {
		return err
	}
	r, err := s.d.OIDC.Registration(ctx)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, pahekoAdminView{Settings: st, IntervalSeconds: int(st.Interval.Seconds()),
		Issuer: r.Issuer, ClientID: r.Client.ID, ClientSecret: r.Client.Secret, SecretFromHost: s.d.OIDC.SecretFromHost(),
		RedirectURI: r.Client.RedirectURI})
}

// signOnNewSecret regenerates the sign-on client secret. Sign-on fails until
// Paheko's config.local.php holds the new one: the page says so and shows
// the new snippet.
func (s *Server) signOnNewSecret(c echo.Context) error {
	if _, err := s.d.OIDC.RegenerateSecret(c.Request().Context()); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// signOnRotateKeys creates a new signing key; the old ones stay published
// until the id_tokens they signed expire.
func (s *Server) signOnRotateKeys(c echo.Context) error {
	if err := s.d.OIDC.RotateKeys(c.Request().Context()); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) pahekoSaveSettings(c echo.Context) error {
	var in membersync.SettingsInput
	if err := readJSON(c, &in); err != nil {
		return err
	}
	if err := s.d.Sync.SaveSettings(c.Request().Context(), in, currentUser(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// pahekoCheck checks Paheko's side and gives the config.local.php snippet
// filled with what was found.
func (s *Server) pahekoCheck(c echo.Context) error {
	ctx := c.Request().Context()
	setup := s.d.Sync.Check(ctx)
	snippet, err := s.d.OIDC.Snippet(ctx, setup.Categories, setup.MatchUID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"setup": setup, "snippet": snippet})
}

func (s *Server) pahekoPreview(c echo.Context) error {
	plan, err := s.d.Sync.Preview(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, plan)
}

// pahekoSync starts the sync (once the admin has seen the preview) and runs
// it now, in the background.
func (s *Server) pahekoSync(c echo.Context) error {
	id, err := s.d.Sync.SyncNow(c.Request().Context(), currentUser(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]int64{"job": id})
}

func (s *Server) pahekoPause(c echo.Context) error {
	if err := s.d.Sync.SetEnabled(c.Request().Context(), false); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) pahekoRuns(c echo.Context) error {
	h, err := s.d.Sync.History(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h)
}
