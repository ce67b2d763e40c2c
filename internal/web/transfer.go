package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"assokit/internal/transfer"
)

// transferAccounts lists the accounts whose uid, name or e-mail contains q
// (all of them without q), by name.
func (s *Server) transferAccounts(c echo.Context) error {
	out, err := s.d.Transfer.Candidates(c.Request().Context(), currentUser(c), c.QueryParam("q"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) transferInventory(c echo.Context) error {
	inv, err := s.d.Transfer.Inventory(c.Request().Context(), currentUser(c), c.QueryParam("source"), c.QueryParam("target"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, inv)
}

// transferStart records the transfer and queues the job that runs it.
func (s *Server) transferStart(c echo.Context) error {
	var in struct {
		Source string          `json:"source"`
		Target string          `json:"target"`
		Choice transfer.Choice `json:"choice"`
	}
	if err := readJSON(c, &in); err != nil {
		return err
	}
	id, err := s.d.Transfer.Start(c.Request().Context(), currentUser(c), in.Source, in.Target, in.Choice)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]int64{"id": id})
}

// transferList is the history: the last transfers with their accounts'
// names.
func (s *Server) transferList(c echo.Context) error {
	list, err := s.d.Transfer.Recent(c.Request().Context(), currentUser(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list)
}

// transferShow is one transfer with its journal, for the progress view and
// the report.
func (s *Server) transferShow(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return errBadInput
	}
	d, err := s.d.Transfer.Detail(c.Request().Context(), currentUser(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}
