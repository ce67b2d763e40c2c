package web

import (
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"assokit/internal/appapi"
)

// statusView is what AssoKit's home page shows: who you are, whether
// Nextcloud answers, and the state of each feature now.
type statusView struct {
	Version     string             `json:"version"`
	User        userView           `json:"user"`
	Nextcloud   nextcloudView      `json:"nextcloud"`
	Association appapi.Association `json:"association"`
	Paheko      pahekoStatus       `json:"paheko"`
	// LastTransfer is the most recent transfer, for admins (absent if none).
	LastTransfer *transferStatus `json:"lastTransfer,omitempty"`
}

type userView struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	IsAdmin     bool   `json:"isAdmin"`
	Language    string `json:"language"`
}

type nextcloudView struct {
	Reachable bool   `json:"reachable"`
	Version   string `json:"version,omitempty"`
	Problem   string `json:"problem,omitempty"` // a stable code
}

// pahekoStatus: whether the bridge is set up, what Paheko lets this member
// do (oidc.Access's role: "" for nothing), and for admins the last sync.
type pahekoStatus struct {
	Configured bool        `json:"configured"`
	Role       string      `json:"role"`
	Linked     bool        `json:"linked"`             // the account has its member in Paheko (sign-on needs it)
	LastSync   *syncStatus `json:"lastSync,omitempty"` // none yet, or not an admin: absent
}

// syncStatus is a sync run: when it started and ended (Unix seconds; 0
// while it runs), "running", "done" or "failed", and the failure's code.
type syncStatus struct {
	StartedAt  int64  `json:"startedAt"`
	FinishedAt int64  `json:"finishedAt"`
	State      string `json:"state"`
	Error      string `json:"error,omitempty"`
}

// transferStatus is a transfer named for people: display names, its state
// (store.Transfer's), and when it started and ended (Unix seconds; 0 while
// it runs).
type transferStatus struct {
	Source     string `json:"source"`
	Target     string `json:"target"`
	State      string `json:"state"`
	CreatedAt  int64  `json:"createdAt"`
	FinishedAt int64  `json:"finishedAt"`
}

func (s *Server) status(c echo.Context) error {
	ctx := c.Request().Context()
	uid := currentUser(c)
	acc, err := s.d.Host.Account(ctx, uid)
	if err != nil {
		return err
	}
	v := statusView{
		Version: s.d.AppVersion,
		User:    userView{ID: acc.ID, DisplayName: acc.DisplayName, IsAdmin: appapi.IsAdmin(acc.Groups), Language: acc.Language},
	}
	if ver, err := s.d.Host.Version(ctx); err != nil {
		_, v.Nextcloud.Problem = classify(err)
	} else {
		v.Nextcloud = nextcloudView{Reachable: true, Version: ver}
		if a, err := s.d.Host.Association(ctx); err == nil {
			v.Association = a
		}
	}
	access, err := s.d.OIDC.Access(ctx, acc)
	if err != nil {
		return err
	}
	v.Paheko.Configured, v.Paheko.Role, v.Paheko.Linked = access.Configured, access.Role, access.Linked
	if !v.User.IsAdmin {
		return c.JSON(http.StatusOK, v)
	}
	h, err := s.d.Sync.History(ctx)
	if err != nil {
		return err
	}
	if len(h.Runs) > 0 {
		r := h.Runs[0].Run
		state := r.State
		if r.FinishedAt.IsZero() {
			state = "running"
		}
		v.Paheko.LastSync = &syncStatus{StartedAt: r.StartedAt.Unix(), FinishedAt: unixOrZero(r.FinishedAt), State: state, Error: r.Error}
	}
	transfers, err := s.d.Transfer.Recent(ctx)
	if err != nil {
		return err
	}
	if len(transfers) > 0 {
		t := transfers[0]
		names := s.namer(ctx, uid)
		v.LastTransfer = &transferStatus{Source: names(t.Source), Target: names(t.Target),
			State: t.State, CreatedAt: t.CreatedAt.Unix(), FinishedAt: unixOrZero(t.FinishedAt)}
	}
	return c.JSON(http.StatusOK, v)
}

// unixOrZero is t in Unix seconds, 0 for no time.
func unixOrZero(t time.Time) int64 {
	if t.IsZero() || t.Unix() <= 0 {
		return 0
	}
	return t.Unix()
}

// static serves files of the embedded FS below dir.
func (s *Server) static(dir string) echo.HandlerFunc {
	return func(c echo.Context) error {
		name := path.Clean("/" + c.Param("*"))
		if strings.Contains(name, "..") {
			return echo.NewHTTPError(http.StatusNotFound)
		}
		data, err := fs.ReadFile(s.d.Static, dir+name)
		if err != nil {
			return echo.NewHTTPError(http.StatusNotFound)
		}
		ct := "application/octet-stream"
		switch path.Ext(name) {
		case ".js":
			ct = "text/javascript; charset=utf-8"
		case ".css":
			ct = "text/css; charset=utf-8"
		case ".svg":
			ct = "image/svg+xml"
		case ".png":
			ct = "image/png"
		case ".json":
			ct = "application/json"
		}
		c.Response().Header().Set("Cache-Control", "max-age=300")
		return c.Blob(http.StatusOK, ct, data)
	}
}
