package web

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"assokit/internal/membersync"
	"assokit/internal/oidc"
	"assokit/internal/paheko"
)

// JobPahekoSync is the kind of the job that runs a member sync.
const JobPahekoSync = "paheko.sync"

// pahekoView is what the "Paheko" page needs for any member.
type pahekoView struct {
	Configured bool   `json:"configured"`
	LoginURL   string `json:"loginUrl,omitempty"` // starts the sign-on; only for those who may open Paheko
	Role       string `json:"role"`               // "" when the account may not open Paheko
	Contact    string `json:"contact"`            // who to ask
}

func (s *Server) pahekoPage(c echo.Context) error {
	ctx := c.Request().Context()
	acc, err := s.account(ctx, currentUser(c))
	if err != nil {
		return err
	}
	st, err := s.d.Sync.Settings(ctx)
	if err != nil {
		return err
	}
	v := pahekoView{Configured: st.URL != "", Role: paheko.RoleFor(acc.Groups)}
	if v.Configured && v.Role != "" {
		v.LoginURL = st.URL + "/admin/login.php?oidc"
	}
	v.Contact = s.supportContact(ctx)
	return c.JSON(http.StatusOK, v)
}

// pahekoAdminView is the admin page: settings (never the API secret), the
// sign-on registration to copy into Paheko, and the sync state.
type pahekoAdminView struct {
	Settings        membersync.Settings `json:"settings"`
	AdminName       string              `json:"adminName"` // who AssoKit reads the accounts as
	IntervalSeconds int                 `json:"intervalSeconds"`
	Issuer          string              `json:"issuer"`
	ClientID        string              `json:"clientId"`
	ClientSecret    string              `json:"clientSecret"`
	RedirectURI     string              `json:"redirectUri"`
}

func (s *Server) pahekoAdmin(c echo.Context) error {
	ctx := c.Request().Context()
	st, err := s.d.Sync.Settings(ctx)
	if err != nil {
		return err
	}
	cl, iss, err := s.signOnClient(ctx)
	if err != nil {
		return err
	}
	adminName := st.Admin
	if st.Admin != "" {
		if acc, err := s.account(ctx, st.Admin); err == nil && acc.DisplayName != "" {
			adminName = acc.DisplayName
		}
	}
	return c.JSON(http.StatusOK, pahekoAdminView{Settings: st, AdminName: adminName, IntervalSeconds: int(st.Interval.Seconds()),
		Issuer: iss, ClientID: cl.ID, ClientSecret: cl.Secret, RedirectURI: cl.RedirectURI})
}

// signOnClient is Paheko's registration with the provider and the
// provider's address: what Paheko's config.local.php needs.
func (s *Server) signOnClient(ctx context.Context) (oidc.Client, string, error) {
	cl, err := s.d.OIDC.Client(ctx)
	if err != nil {
		return cl, "", err
	}
	iss, err := s.d.OIDC.Issuer(ctx)
	return cl, iss, err
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
	cl, iss, err := s.signOnClient(ctx)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"setup": setup, "snippet": paheko.Snippet(paheko.SnippetParams{
		ClientURL: iss, ClientID: cl.ID, ClientSecret: cl.Secret, Categories: setup.Categories,
		MemberCategory: setup.MemberCategory, MatchUID: setup.MatchUID})})
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
	if err := readJSON(c, &in); err != nil || in.UID == "" || in.MemberID <= 0 {
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
	ctx := c.Request().Context()
	if _, _, err := s.d.Sync.Client(ctx); err != nil {
		return err
	}
	if err := s.d.Sync.SetEnabled(ctx, true); err != nil {
		return err
	}
	id, err := s.d.Jobs.Enqueue(ctx, JobPahekoSync, JobPahekoSync, membersync.JobPayload{Trigger: "manual", Actor: currentUser(c)})
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

// runView is a run with its report decoded.
type runView struct {
	Run    any             `json:"run"`
	Report json.RawMessage `json:"report"`
}

func (s *Server) pahekoRuns(c echo.Context) error {
	ctx := c.Request().Context()
	runs, err := s.d.Store.PahekoRuns(ctx, 10)
	if err != nil {
		return err
	}
	out := make([]runView, 0, len(runs))
	for _, r := range runs {
		out = append(out, runView{Run: r, Report: json.RawMessage(r.Report)})
	}
	audit, err := s.d.Store.Audit(ctx, 100)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"runs": out, "audit": audit})
}
