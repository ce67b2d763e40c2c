package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"assokit/internal/appapi"
	"assokit/internal/membersync"
	"assokit/internal/nextcloud"
	"assokit/internal/paheko"
	"assokit/internal/store"
	"assokit/internal/tours"
	"assokit/internal/transfer"
)

var (
	errNoUser    = errors.New("web: this page needs a signed-in Nextcloud user")
	errNotAdmin  = errors.New("web: this page is for administrators")
	errNotSystem = errors.New("web: only Nextcloud itself makes this call")
	errBadInput  = errors.New("web: the request body is not what this endpoint reads")
)

// errorTable maps errors to an HTTP status and a stable code that the pages
// translate. The first match wins.
var errorTable = []struct {
	err    error
	status int
	code   string
}{
	{appapi.ErrUnauthenticated, http.StatusUnauthorized, "unauthenticated"},
	{errNoUser, http.StatusUnauthorized, "not_signed_in"},
	{errNotAdmin, http.StatusForbidden, "admin_required"},
	{errNotSystem, http.StatusForbidden, "nextcloud_only"},
	{store.ErrNotFound, http.StatusNotFound, "not_found"},
	{nextcloud.ErrUnauthorized, http.StatusBadGateway, "nextcloud_refused"},
	{nextcloud.ErrUnreachable, http.StatusBadGateway, "nextcloud_unreachable"},
	{nextcloud.ErrNotFound, http.StatusNotFound, "not_found"},
	{errBadInput, http.StatusBadRequest, "bad_request"},
	{membersync.ErrInvalidSettings, http.StatusBadRequest, "invalid_settings"},
	{membersync.ErrNotConfigured, http.StatusConflict, "paheko_not_configured"},
	{membersync.ErrNoAdmin, http.StatusConflict, "paheko_no_admin"},
	{paheko.ErrUnreachable, http.StatusBadGateway, "paheko_unreachable"},
	{paheko.ErrUnauthorized, http.StatusBadGateway, "paheko_refused"},
	{paheko.ErrRights, http.StatusBadGateway, "paheko_key_read_only"},
	{paheko.ErrNotPaheko, http.StatusBadGateway, "paheko_not_paheko"},
	{transfer.ErrSameAccount, http.StatusBadRequest, "transfer_same_account"},
	{transfer.ErrUnknownAccount, http.StatusBadRequest, "transfer_unknown_account"},
	{transfer.ErrTargetDisabled, http.StatusBadRequest, "transfer_target_disabled"},
	{transfer.ErrNothing, http.StatusBadRequest, "transfer_nothing"},
	{transfer.ErrNotInInventory, http.StatusBadRequest, "transfer_not_in_inventory"},
	{transfer.ErrBusy, http.StatusConflict, "transfer_busy"},
	{tours.ErrUnknownTour, http.StatusNotFound, "tour_unknown"},
	{tours.ErrInvalidInput, http.StatusBadRequest, "tour_invalid"},
}

// classify returns the status and code the error table gives err, or 500
// "internal" for an error it does not list.
func classify(err error) (int, string) {
	for _, e := range errorTable {
		if errors.Is(err, e.err) {
			return e.status, e.code
		}
	}
	return http.StatusInternalServerError, "internal"
}

// errorBody is what every failed API call answers.
type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// handleError answers a failed request with {"code","message"}; the message
// is the status text, never the error's own text. Server errors are logged
// once, here.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, code := classify(err)
	if he, ok := errors.AsType[*echo.HTTPError](err); ok {
		status, code = he.Code, "bad_request"
		switch he.Code {
		case http.StatusNotFound:
			code = "not_found"
		case http.StatusMethodNotAllowed:
			code = "method_not_allowed"
		}
	}
	if status >= 500 || status == http.StatusBadGateway {
		s.d.Log.ErrorContext(c.Request().Context(), "request failed",
			"method", c.Request().Method, "path", c.Request().URL.Path, "error", err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	if c.Request().Method == http.MethodHead {
		c.NoContent(status)
		return
	}
	c.JSON(status, errorBody{Code: code, Message: http.StatusText(status)})
}
