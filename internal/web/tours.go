package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"assokit/internal/appapi"
	"assokit/internal/tours"
)

// toursView is the "Découvrir" page of a member.
type toursView struct {
	tours.Listing
	IsAdmin bool `json:"isAdmin"`
}

// toursList answers the tours of the acting member, in the page's language
// (lang, else the account's).
func (s *Server) toursList(c echo.Context) error {
	ctx := c.Request().Context()
	acc, err := s.d.Host.Account(ctx, currentUser(c))
	if err != nil {
		return err
	}
	lang := c.QueryParam("lang")
	if lang == "" {
		lang = acc.Language
	}
	l, err := s.d.Tours.List(ctx, tours.Member{UID: acc.ID, Lang: lang, Groups: acc.Groups})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toursView{Listing: l, IsAdmin: appapi.IsAdmin(acc.Groups)})
}

func (s *Server) toursProgress(c echo.Context) error {
	var p tours.Progress
	if err := readJSON(c, &p); err != nil {
		return err
	}
	if err := s.d.Tours.SaveProgress(c.Request().Context(), currentUser(c), c.Param("id"), p); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) toursOffer(c echo.Context) error {
	var in struct {
		Offer bool `json:"offer"`
	}
	if err := readJSON(c, &in); err != nil {
		return err
	}
	if err := s.d.Tours.SetOffer(c.Request().Context(), currentUser(c), in.Offer); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) toursAdmin(c echo.Context) error {
	v, err := s.d.Tours.Admin(c.Request().Context(), c.QueryParam("lang"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

func (s *Server) toursSaveAdmin(c echo.Context) error {
	var in tours.AdminSettings
	if err := readJSON(c, &in); err != nil {
		return err
	}
	if err := s.d.Tours.SaveAdmin(c.Request().Context(), in); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
