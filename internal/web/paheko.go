package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"assokit/internal/membersync"
	"assokit/internal/oidc"
	"assokit/internal/store"
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
	access, err := s.d.OIDC.Access(ctx, acc)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, pahekoView{Access: access, Contact: s.supportContact(ctx)})
}

// pahekoAdminView is the admin page: settings (never the API secret), the
// sign-on registration to copy into Paheko, and the sync state.
type pahekoAdminView struct {
	Settings        membersync.Settings `json:"settings"`
	AdminName       string              `json:"adminName"` // who AssoKit reads the accounts as
	IntervalSeconds int                 `json:"intervalSeconds"`
	Issuer          string              `json:"issuer"`
	ClientID        string              `json:"clientId"`
	ClientSecret    string              `json:"clientSecret"`   // oidc.HostedSecretShown when the host set it
	SecretFromHost  bool                `json:"secretFromHost"` // the page cannot regenerate it
	RedirectURI     string              `json:"redirectUri"`
	ClientIDByHost  bool                `json:"clientIdByHost"`        // the host set the client id
	ClientError     string              `json:"clientError,omitempty"` // the code of what the host set and AssoKit refused
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
	adminName := st.Admin
	if st.Admin != "" {
		if acc, err := s.d.Host.Account(ctx, st.Admin); err == nil && acc.DisplayName != "" {
			adminName = acc.DisplayName
		}
	}
	v := pahekoAdminView{Settings: st, AdminName: adminName, IntervalSeconds: int(st.Interval.Seconds()),
		Issuer: r.Issuer, ClientID: r.Client.ID, ClientSecret: r.Client.Secret, RedirectURI: r.Client.RedirectURI}
	v.ClientIDByHost, v.SecretFromHost, v.ClientError = s.d.OIDC.HostedClient()
	if v.SecretFromHost {
		v.ClientSecret = oidc.HostedSecretShown
	}
	return c.JSON(http.StatusOK, v)
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
	snippet, err := s.d.OIDC.Snippet(ctx, setup.Categories, setup.MemberCategory, setup.MatchUID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"setup": setup, "snippet": snippet})
}

// proposalAnswer is an admin's answer to a proposal of the preview.
type proposalAnswer struct {
	UID      string `json:"uid"`
	MemberID int    `json:"memberId"`
	Confirm  bool   `json:"confirm"`
}

// pahekoAnswer confirms or refuses the proposal to link an account to an
// existing member, and answers what was done at once.
func (s *Server) pahekoAnswer(c echo.Context) error {
	var in proposalAnswer
	if err := readJSON(c, &in); err != nil {
		return err
	}
	if in.UID == "" || in.MemberID <= 0 {
		return errBadInput
	}
	rep, err := s.d.Sync.Answer(c.Request().Context(), in.UID, in.MemberID, in.Confirm, currentUser(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rep)
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
	ctx := c.Request().Context()
	h, err := s.d.Sync.History(ctx)
	if err != nil {
		return err
	}
	names := s.namer(ctx, currentUser(c))
	audit := make([]namedAudit, 0, len(h.Audit))
	for _, e := range h.Audit {
		n := namedAudit{AuditEntry: e, Name: names(e.UID)}
		if e.Actor != "sync" {
			n.ActorName = names(e.Actor)
		}
		audit = append(audit, n)
	}
	return c.JSON(http.StatusOK, struct {
		membersync.History
		Audit []namedAudit `json:"audit"`
	}{h, audit})
}

// namedAudit is an audit entry with the names people read: the account's
// and the admin's who acted ("" for the automatic sync).
type namedAudit struct {
	store.AuditEntry
	Name      string `json:"name"`
	ActorName string `json:"actorName"`
}
