package web

import (
	"context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"assokit/internal/store"
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

func (s *Server) transferList(c echo.Context) error {
	ctx := c.Request().Context()
	list, err := s.d.Transfer.Recent(ctx)
	if err != nil {
		return err
	}
	names := s.namer(ctx, currentUser(c))
	out := make([]namedTransfer, 0, len(list))
	for _, t := range list {
		out = append(out, namedTransfer{t, names(t.Source), names(t.Target)})
	}
	return c.JSON(http.StatusOK, out)
}

// namedTransfer is a transfer with the names people read: the display
// names of the member who left and of the one who took over.
type namedTransfer struct {
	store.Transfer
	SourceName string `json:"sourceName"`
	TargetName string `json:"targetName"`
}

// namer returns a function giving the display name of a uid, all names
// read at its first use, acting as admin; the uid itself for an account
// that is gone, or when Nextcloud does not answer.
func (s *Server) namer(ctx context.Context, admin string) func(uid string) string {
	var names map[string]string
	return func(uid string) string {
		if names == nil {
			names, _ = s.d.Host.DisplayNames(ctx, admin)
			if names == nil {
				names = map[string]string{}
			}
		}
		if name, ok := names[uid]; ok {
			return name
		}
		return uid
	}
}

// transferShow is one transfer with its journal, for the progress view and
// the report.
func (s *Server) transferShow(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return errBadInput
	}
	ctx := c.Request().Context()
	d, err := s.d.Transfer.Detail(ctx, id)
	if err != nil {
		return err
	}
	names := s.namer(ctx, currentUser(c))
	return c.JSON(http.StatusOK, struct {
		transfer.Detail
		Transfer namedTransfer `json:"transfer"`
	}{d, namedTransfer{d.Transfer, names(d.Transfer.Source), names(d.Transfer.Target)}})
}
