package web

import (
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"

	"assokit/internal/appapi"
)

// statusView is what the AssoKit page shows: who you are, whether Nextcloud
// answers, and which features are ready.
type statusView struct {
	Version     string             `json:"version"`
	User        userView           `json:"user"`
	Nextcloud   nextcloudView      `json:"nextcloud"`
	Association appapi.Association `json:"association"`
	Features    []featureView      `json:"features"`
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

type featureView struct {
	ID         string `json:"id"` // paheko, transfer, tours
	Configured bool   `json:"configured"`
}

func (s *Server) status(c echo.Context) error {
	ctx := c.Request().Context()
	uid := currentUser(c)
	acc, err := s.d.Host.Account(ctx, uid)
	if err != nil {
		return err
	}
	v := statusView{
		Version:  s.d.AppVersion,
		User:     userView{ID: acc.ID, DisplayName: acc.DisplayName, IsAdmin: appapi.IsAdmin(acc.Groups), Language: acc.Language},
		Features: []featureView{{ID: "paheko"}, {ID: "transfer"}, {ID: "tours"}},
	}
	if ver, err := s.d.Host.Version(ctx); err != nil {
		_, v.Nextcloud.Problem = classify(err)
	} else {
		v.Nextcloud = nextcloudView{Reachable: true, Version: ver}
		if a, err := s.d.Host.Association(ctx); err == nil {
			v.Association = a
		}
	}
	return c.JSON(http.StatusOK, v)
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
