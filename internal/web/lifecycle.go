package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

func (s *Server) heartbeat(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// init answers at once; the initialisation runs as a durable job that
// reports its progress to Nextcloud.
func (s *Server) init(c echo.Context) error {
	if err := s.d.Lifecycle.StartInit(c.Request().Context()); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct{}{})
}

// enabled registers (enabled=1) or removes (enabled=0) AssoKit's entries in
// Nextcloud. AppAPI reads only the "error" field: empty means success.
func (s *Server) enabled(c echo.Context) error {
	var msg string
	switch c.QueryParam("enabled") {
	case "1", "0":
		msg = s.d.Lifecycle.SetEnabled(c.Request().Context(), c.QueryParam("enabled") == "1")
	default:
		msg = "AssoKit was asked for an unknown state: expected enabled=1 or enabled=0."
	}
	return c.JSON(http.StatusOK, map[string]string{"error": msg})
}

func (s *Server) adminJobs(c echo.Context) error {
	list, err := s.d.Lifecycle.RecentJobs(c.Request().Context(), 50)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"jobs": list})
}
