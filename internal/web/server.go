// Package web is AssoKit's HTTP server: every route is listed in routes.go,
// handlers are thin, errors are mapped to a status and a stable code in one
// table (errors.go). It is the only package that imports echo.
package web

import (
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"assokit/internal/appapi"
	"assokit/internal/jobs"
	"assokit/internal/membersync"
	"assokit/internal/nextcloud"
	"assokit/internal/oidc"
	"assokit/internal/store"
	"assokit/internal/tours"
	"assokit/internal/transfer"
)

// Deps is what the server needs; main builds it.
type Deps struct {
	AppID      string
	AppVersion string
	Auth       appapi.Authenticator
	Lifecycle  *appapi.Lifecycle
	Nextcloud  *nextcloud.Client // acting as the ExApp; handlers use As(user)
	Store      *store.Store
	Jobs       *jobs.Queue
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

	mu       sync.Mutex
	accounts map[string]cachedAccount // by uid, a few seconds
	ncStatus cachedStatus
}

type cachedAccount struct {
	acc     nextcloud.Account
	expires time.Time
}

type cachedStatus struct {
	version string
	err     error
	expires time.Time
}

// JobInit is the kind of the job that runs AssoKit's initialisation.
const JobInit = "appapi.init"

// New returns a server with every route registered.
func New(d Deps) *Server {
	s := &Server{d: d, accounts: map[string]cachedAccount{}}
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
		acc, err := s.account(c.Request().Context(), currentUser(c))
		if err != nil {
			return err
		}
		if !isAdmin(acc) {
			return errNotAdmin
		}
		return next(c)
	}
}

func currentUser(c echo.Context) string {
	u, _ := c.Get(userKey).(string)
	return u
}

func isAdmin(a nextcloud.Account) bool {
	for _, g := range a.Groups {
		if g == "admin" {
			return true
		}
	}
	return false
}

// account returns the acting user's account (groups included), read as that
// user and kept for a few seconds so that a page's burst of requests costs
// one call to Nextcloud.
func (s *Server) account(ctx context.Context, uid string) (nextcloud.Account, error) {
	s.mu.Lock()
	ca, ok := s.accounts[uid]
	s.mu.Unlock()
	if ok && time.Now().Before(ca.expires) {
		return ca.acc, nil
	}
	acc, err := s.d.Nextcloud.As(uid).Account(ctx, uid)
	if err != nil {
		return nextcloud.Account{}, err
	}
	s.mu.Lock()
	s.accounts[uid] = cachedAccount{acc, time.Now().Add(5 * time.Second)}
	s.mu.Unlock()
	return acc, nil
}

// nextcloudVersion says whether Nextcloud answers, checked at most every ten seconds.
func (s *Server) nextcloudVersion(ctx context.Context) (string, error) {
	s.mu.Lock()
	st := s.ncStatus
	s.mu.Unlock()
	if time.Now().Before(st.expires) {
		return st.version, st.err
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := s.d.Nextcloud.Version(cctx)
	s.mu.Lock()
	s.ncStatus = cachedStatus{v, err, time.Now().Add(10 * time.Second)}
	s.mu.Unlock()
	return v, err
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

// noStore marks API answers as not cacheable: AppAPI's proxy would otherwise
// add a one-hour cache to answers that are not exactly application/json.
func noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-store")
		return next(c)
	}
}
