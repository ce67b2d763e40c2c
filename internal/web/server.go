// Package web is AssoKit's HTTP server: every route is listed in routes.go,
// handlers are thin, errors are mapped to a status and a stable code in one
// table (errors.go). It is the only package that imports echo.
package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"assokit/internal/appapi"
	"assokit/internal/membersync"
	"assokit/internal/oidc"
	"assokit/internal/tours"
	"assokit/internal/transfer"
)

// Deps is what the server needs; main builds it.
type Deps struct {
	AppID      string
	AppVersion string
	Auth       appapi.Authenticator
	Lifecycle  *appapi.Lifecycle
	Host       *appapi.Host // the acting account, Nextcloud's state, the settings form
	Sync       *membersync.Service
	Transfer   *transfer.Service
	Tours      *tours.Service
	OIDC       *oidc.Provider
	Static     fs.FS // holds js/ and img/
	Log        *slog.Logger
}

// Server serves AssoKit's routes.
type Server struct {
	d    Deps
	echo *echo.Echo
}

// New returns a server with every route registered.
func New(d Deps) *Server {
	s := &Server{d: d}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	s.echo = e
	s.routes()
	return s
}

// ServeHTTP makes the server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// userKey is the echo context key of the acting Nextcloud user.
const userKey = "assokit.user"

// authenticate checks the AppAPI headers and keeps the acting user.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		user, err := s.d.Auth.Authenticate(c.Request().Header)
		if err != nil {
			return err
		}
		c.Set(userKey, user)
		return next(c)
	}
}

// requireUser refuses system calls (no acting user) on user routes.
func (s *Server) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if currentUser(c) == "" {
			return errNoUser
		}
		return next(c)
	}
}

// requireSystem refuses a request signed for a user: AppAPI sends the
// lifecycle calls (/init, /enabled) with an empty user
// (AppAPIService::dispatchExAppInitInternal, ExAppService::enableExApp), and
// a signed-in member's request must never reach them.
func requireSystem(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if currentUser(c) != "" {
			return errNotSystem
		}
		return next(c)
	}
}

// requireAdmin re-checks, against Nextcloud, that the acting user is in the
// admin group: proxy routes are OR'ed, so info.xml's ADMIN level alone does
// not protect a path.
func (s *Server) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		acc, err := s.d.Host.Account(c.Request().Context(), currentUser(c))
		if err != nil {
			return err
		}
		if !appapi.IsAdmin(acc.Groups) {
			return errNotAdmin
		}
		return next(c)
	}
}

func currentUser(c echo.Context) string {
	u, _ := c.Get(userKey).(string)
	return u
}

// errPanicked is the error of a request whose handler panicked.
var errPanicked = errors.New("web: the request stopped on an unexpected error (panic)")

// recoverPanics turns a panic of a handler into a 500 "internal" answer
// and one log line with the stack: one request fails, never the process.
func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v) // the way to abort a response, not a failure
				}
				r := c.Request()
				s.d.Log.ErrorContext(r.Context(), "request panicked", "method", r.Method, "path", r.URL.Path,
					"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				err = errPanicked
			}
		}()
		return next(c)
	}
}

// logRequests writes one structured line per request: never headers, never
// the query string.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		r := c.Request()
		if r.URL.Path == "/heartbeat" {
			return nil
		}
		s.d.Log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", c.Response().Status), slog.Duration("took", time.Since(start)),
			slog.String("user", currentUser(c)), slog.String("request_id", r.Header.Get("AA-REQUEST-ID")))
		return nil
	}
}

// readJSON decodes a small JSON body (64 KiB at most) into v, or answers
// bad_request.
func readJSON(c echo.Context, v any) error {
	if err := json.NewDecoder(http.MaxBytesReader(c.Response(), c.Request().Body, 64<<10)).Decode(v); err != nil {
		return errBadInput
	}
	return nil
}

// sameOriginJSON refuses a state-changing request (any method but GET and
// HEAD) that is not JSON sent from Nextcloud's own pages. Nextcloud's proxy
// checks no CSRF token on ExApp routes and forwards every browser header
// (ExAppProxyController: getallheaders(), Host included, to Guzzle); its
// SameSite=Lax cookies do not stop a sibling sub-domain. A cross-site page
// cannot send JSON without a CORS preflight, and browsers say where a
// request comes from.
func sameOriginJSON(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			return next(c)
		}
		if !sameOrigin(r) {
			return errCrossSite
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			return errNotJSON
		}
		return next(c)
	}
}

// sameOrigin reports whether a browser sent r from the page's own origin:
// Sec-Fetch-Site says so, or, from a browser that does not send it, Origin
// names the host the request was made to (Host, or X-Forwarded-Host when a
// reverse proxy in front of Nextcloud rewrote it). NEXTCLOUD_URL is not
// compared: it is often an internal address, not the browser's.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin":
		return true
	case "":
	default: // same-site (a sibling sub-domain), cross-site, none
		return false
	}
	u, err := url.Parse(r.Header.Get("Origin"))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return false
	}
	for _, host := range []string{r.Host, strings.TrimSpace(strings.Split(r.Header.Get("X-Forwarded-Host"), ",")[0])} {
		if host != "" && strings.EqualFold(u.Host, host) {
			return true
		}
	}
	return false
}

// noStore marks API answers as not cacheable: AppAPI's proxy would otherwise
// add a one-hour cache to answers that are not exactly application/json.
func noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-store")
		return next(c)
	}
}
