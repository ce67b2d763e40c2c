package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// routes lists every route AssoKit serves. Access levels must match the
// <routes> of appinfo/info.xml.
func (s *Server) routes() {
	e := s.echo
	e.Use(s.logRequests, s.recoverPanics)

	// AppAPI lifecycle: Nextcloud calls these directly, not through the
	// proxy, always signed with an empty user.
	e.GET("/heartbeat", s.heartbeat, noStore) // no auth: AppAPI sends no headers
	e.POST("/init", s.init, noStore, s.authenticate, requireSystem)
	e.PUT("/enabled", s.enabled, noStore, s.authenticate, requireSystem)

	// Static files of the pages (info.xml: PUBLIC, GET).
	e.GET("/js/*", s.static("js"), s.authenticate)
	e.GET("/img/*", s.static("img"), s.authenticate)

	// Page API for every signed-in member (info.xml: USER).
	api := e.Group("/api", noStore, s.authenticate, s.requireUser, sameOriginJSON)
	api.GET("/status", s.status)
	api.GET("/paheko", s.pahekoPage)
	api.GET("/tours", s.toursList)
	api.PUT("/tours/offer", s.toursOffer)
	api.PUT("/tours/:id/progress", s.toursProgress)

	// Admin API (info.xml: ADMIN, re-checked here).
	admin := api.Group("/admin", s.requireAdmin)
	admin.GET("/jobs", s.adminJobs)
	admin.GET("/paheko", s.pahekoAdmin)
	admin.PUT("/paheko/settings", s.pahekoSaveSettings)
	admin.POST("/paheko/check", s.pahekoCheck)
	admin.GET("/paheko/preview", s.pahekoPreview)
	admin.POST("/paheko/proposals", s.pahekoAnswer)
	admin.POST("/paheko/sync", s.pahekoSync)
	admin.POST("/paheko/pause", s.pahekoPause)
	admin.GET("/paheko/runs", s.pahekoRuns)
	admin.POST("/paheko/signon/secret", s.signOnNewSecret)
	admin.POST("/paheko/signon/keys", s.signOnRotateKeys)
	admin.GET("/transfer/accounts", s.transferAccounts)
	admin.GET("/transfer/inventory", s.transferInventory)
	admin.GET("/transfers", s.transferList)
	admin.POST("/transfers", s.transferStart)
	admin.GET("/transfers/:id", s.transferShow)
	admin.GET("/tours", s.toursAdmin)
	admin.PUT("/tours", s.toursSaveAdmin)

	// OpenID Connect provider for Paheko: authorize needs the Nextcloud
	// session (info.xml: USER); Paheko's server calls the others (PUBLIC).
	op := e.Group("/oidc", noStore, s.authenticate)
	op.GET("/authorize", s.oidcAuthorize, s.requireUser)
	op.GET("/.well-known/openid-configuration", s.oidcDiscovery)
	op.GET("/jwks", s.oidcJWKS)
	op.POST("/token", s.oidcToken)
	op.GET("/userinfo", s.oidcUserInfo)
	op.POST("/userinfo", s.oidcUserInfo)

	e.RouteNotFound("/*", func(echo.Context) error { return echo.NewHTTPError(http.StatusNotFound) })
}
