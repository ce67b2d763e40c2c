package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// routes lists every route AssoKit serves. Access levels must match the
// <routes> of appinfo/info.xml.
func (s *Server) routes() {
	e := s.echo
	e.Use(s.logRequests)

	// AppAPI lifecycle: Nextcloud calls these directly, not through the proxy.
	e.GET("/heartbeat", s.heartbeat, noStore) // no auth: AppAPI sends no headers
	e.POST("/init", s.init, noStore, s.authenticate)
	e.PUT("/enabled", s.enabled, noStore, s.authenticate)

	// Static files of the pages (info.xml: PUBLIC, GET).
	e.GET("/js/*", s.static("js"), s.authenticate)
	e.GET("/img/*", s.static("img"), s.authenticate)

	// Page API for every signed-in member (info.xml: USER).
	api := e.Group("/api", noStore, s.authenticate, s.requireUser)
	api.GET("/status", s.status)

	// Admin API (info.xml: ADMIN, re-checked here).
	admin := api.Group("/admin", s.requireAdmin)
	admin.GET("/jobs", s.adminJobs)

	e.RouteNotFound("/*", func(echo.Context) error { return echo.NewHTTPError(http.StatusNotFound) })
}
