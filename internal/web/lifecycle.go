package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"assokit/internal/jobs"
)

func (s *Server) heartbeat(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// init answers at once; the initialisation runs as a durable job that
// reports its progress to Nextcloud.
func (s *Server) init(c echo.Context) error {
	if _, err := s.d.Jobs.Enqueue(c.Request().Context(), JobInit, JobInit, nil); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct{}{})
}

// enabled registers (enabled=1) or removes (enabled=0) AssoKit's entries in
// Nextcloud. AppAPI reads only the "error" field: empty means success.
func (s *Server) enabled(c echo.Context) error {
	ctx := c.Request().Context()
	var msg string
	switch c.QueryParam("enabled") {
	case "1":
		msg = s.d.Lifecycle.Enable(ctx)
	case "0":
		msg = s.d.Lifecycle.Disable(ctx)
	default:
		msg = "AssoKit was asked for an unknown state: expected enabled=1 or enabled=0."
	}
	if msg == "" {
		state := "0"
		if c.QueryParam("enabled") == "1" {
			state = "1"
		}
		if err := s.d.Store.SetSetting(ctx, "enabled", state); err != nil {
			msg = "AssoKit could not write to its database."
		}
	}
	return c.JSON(http.StatusOK, map[string]string{"error": msg})
}

// jobView is a job as the admin page shows it.
type jobView struct {
	ID        int64  `json:"id"`
	Kind      string `json:"kind"`
	State     string `json:"state"`
	Attempts  int    `json:"attempts"`
	LastError string `json:"lastError,omitempty"`
	Code      string `json:"code,omitempty"` // jobs.PanickedCode for a job failed by a panic
	Updated   int64  `json:"updated"`
}

func (s *Server) adminJobs(c echo.Context) error {
	list, err := s.d.Store.RecentJobs(c.Request().Context(), 50)
	if err != nil {
		return err
	}
	out := make([]jobView, 0, len(list))
	for _, j := range list {
		out = append(out, jobView{j.ID, j.Kind, j.State, j.Attempts, j.LastError, jobs.Code(j.LastError), j.UpdatedAt.Unix()})
	}
	return c.JSON(http.StatusOK, map[string]any{"jobs": out})
}
