package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"assokit/internal/errcode"
)

var (
	errNoUser           = errcode.New("not_signed_in", "web: this page needs a signed-in Nextcloud user")
	errNotAdmin         = errcode.New("admin_required", "web: this page is for administrators")
	errNotSystem        = errcode.New("nextcloud_only", "web: only Nextcloud itself makes this call")
	errCrossSite        = errcode.New("cross_site", "web: a change asked from another site than Nextcloud's pages")
	errNotJSON          = errcode.New("not_json", "web: a change must be sent as JSON")
	errBadInput         = errcode.New(errcode.BadRequest, "web: the request body is not what this endpoint reads")
	errMethodNotAllowed = errcode.New("method_not_allowed", "web: this path does not answer this method")
)

// statusTable maps the code of an error to the HTTP status of the answer.
// The codes are declared, once each, next to their errors (errcode.New in
// appapi, store, nextcloud, paheko, membersync, transfer, tours and here);
// a test checks that every code below is declared. An error may match
// several codes (an error wrapping another): the first row wins. An error
// with no code here answers 500 "internal".
var statusTable = []struct {
	code   string
	status int
}{
	{"unauthenticated", http.StatusUnauthorized},
	{"not_signed_in", http.StatusUnauthorized},
	{"admin_required", http.StatusForbidden},
	{"nextcloud_only", http.StatusForbidden},
	{"cross_site", http.StatusForbidden},
	{"not_json", http.StatusUnsupportedMediaType},
	{errcode.NotFound, http.StatusNotFound}, // store and Nextcloud
	{"nextcloud_refused", http.StatusBadGateway},
	{"nextcloud_unreachable", http.StatusBadGateway},
	{errcode.BadRequest, http.StatusBadRequest},
	{"paheko_url_invalid", http.StatusBadRequest},
	{"paheko_key_invalid", http.StatusBadRequest},
	{"sync_interval_invalid", http.StatusBadRequest},
	{"paheko_category_invalid", http.StatusBadRequest},
	{"invalid_settings", http.StatusBadRequest},
	{"paheko_not_configured", http.StatusConflict},
	{"paheko_no_admin", http.StatusConflict},
	{"paheko_proposal_gone", http.StatusConflict},
	{"paheko_unreachable", http.StatusBadGateway},
	{"paheko_refused", http.StatusBadGateway},
	{"paheko_key_read_only", http.StatusBadGateway},
	{"paheko_not_paheko", http.StatusBadGateway},
	{"paheko_moved", http.StatusBadGateway},
	{"signon_secret_from_host", http.StatusConflict},
	{"paheko_host_secret_elsewhere", http.StatusConflict},
	{"transfer_same_account", http.StatusBadRequest},
	{"transfer_unknown_account", http.StatusBadRequest},
	{"transfer_target_disabled", http.StatusBadRequest},
	{"transfer_source_disabled", http.StatusBadRequest},
	{"transfer_nothing", http.StatusBadRequest},
	{"transfer_not_in_inventory", http.StatusBadRequest},
	{"transfer_busy", http.StatusConflict},
	{"tour_unknown", http.StatusNotFound},
	{"tour_invalid", http.StatusBadRequest},
	{"method_not_allowed", http.StatusMethodNotAllowed},
}

// classify returns the status and code the status table gives err, or 500
// "internal" for an error it does not list.
func classify(err error) (int, string) {
	for _, row := range statusTable {
		if errcode.Is(err, row.code) {
			return row.status, row.code
		}
	}
	return http.StatusInternalServerError, errcode.Internal
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
		status, code = he.Code, errcode.BadRequest
		switch he.Code {
		case http.StatusNotFound:
			code = errcode.NotFound
		case http.StatusMethodNotAllowed:
			code = errMethodNotAllowed.Code()
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
