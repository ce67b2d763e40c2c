package web

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"assokit/internal/store"
	"assokit/internal/transfer"
)

// personView is an account the admin can pick as source or target.
type personView struct {
	UID     string `json:"uid"`
	Name    string `json:"name"`
	Email   string `json:"email"`
	Enabled bool   `json:"enabled"`
}

// transferAccounts lists the accounts whose uid, name or e-mail contains q
// (all of them without q), by name.
func (s *Server) transferAccounts(c echo.Context) error {
	accs, err := s.d.Nextcloud.As(currentUser(c)).Accounts(c.Request().Context(), 200)
	if err != nil {
		return err
	}
	q := strings.ToLower(strings.TrimSpace(c.QueryParam("q")))
	out := []personView{}
	for _, a := range accs {
		p := personView{UID: a.ID, Name: a.DisplayName, Email: a.Email, Enabled: a.Enabled}
		if p.Name == "" {
			p.Name = a.ID
		}
		if q == "" || strings.Contains(strings.ToLower(p.UID+" "+p.Name+" "+p.Email), q) {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
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
	ctx := c.Request().Context()
	id, err := s.d.Transfer.Start(ctx, currentUser(c), in.Source, in.Target, in.Choice)
	if err != nil {
		return err
	}
	payload, _ := json.Marshal(transfer.JobPayload{ID: id})
	if _, err := s.d.Jobs.EnqueueJob(ctx, store.NewJob{Kind: transfer.JobKind, Key: "transfer." + strconv.FormatInt(id, 10),
		MaxAttempts: 50, Payload: string(payload)}); err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]int64{"id": id})
}

func (s *Server) transferList(c echo.Context) error {
	list, err := s.d.Store.RecentTransfers(c.Request().Context(), 30)
	if err != nil {
		return err
	}
	if list == nil {
		list = []store.Transfer{}
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
	report, err := s.d.Transfer.Report(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, report)
}
