package nextcloud

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"assokit/internal/errcode"
)

// Errors callers branch on; an *Error matches them with errors.Is. Those
// with a code reach the pages (errcode).
var (
	ErrNotFound     = errcode.New(errcode.NotFound, "nextcloud: not found")
	ErrUnauthorized = errcode.New("nextcloud_refused", "nextcloud: AppAPI authentication refused")
	ErrForbidden    = errors.New("nextcloud: forbidden for this user")
	ErrUnreachable  = errcode.New("nextcloud_unreachable", "nextcloud: unreachable")
	ErrConflict     = errors.New("nextcloud: already exists")
	ErrTooLarge     = errcode.New("nextcloud_too_large", "nextcloud: the answer is larger than AssoKit reads")
)

// What AssoKit reads of one answer at most, sized for an association (50
// accounts, 40 GB, tens of thousands of files and events). Past it, the
// call fails with ErrTooLarge, naming what was read: never a silent cut.
const (
	ListingLimit = 64 << 20 // a listing: PROPFIND, calendar REPORT, OCS answer
	ObjectLimit  = 20 << 20 // one calendar object or card (a card with a large photo)
)

// readAtMost reads r to its end, or fails with ErrTooLarge once past limit
// bytes.
func readAtMost(r io.Reader, limit int64) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(raw)) > limit {
		return nil, fmt.Errorf("%w (over %d MiB)", ErrTooLarge, limit>>20)
	}
	return raw, nil
}

// Error is a failed request to Nextcloud. Its text never holds a secret or a
// query string; Body is the start of what Nextcloud answered.
type Error struct {
	Method     string
	Path       string
	StatusCode int    // HTTP status
	OCSCode    int    // ocs.meta.statuscode, 0 outside OCS
	Message    string // ocs.meta.message or the start of the body
	retryAfter time.Duration
}

func (e *Error) Error() string {
	if e.OCSCode != 0 {
		return fmt.Sprintf("nextcloud: %s %s: %d (ocs %d) %s", e.Method, e.Path, e.StatusCode, e.OCSCode, e.Message)
	}
	return fmt.Sprintf("nextcloud: %s %s: %d %s", e.Method, e.Path, e.StatusCode, e.Message)
}

// Is makes an *Error match the package's sentinel errors.
func (e *Error) Is(target error) bool {
	code := e.StatusCode
	if e.OCSCode >= 400 && e.OCSCode < 600 {
		code = e.OCSCode // OCS v1, or v2 answering 200 with a failure code
	}
	switch target {
	case ErrNotFound:
		return code == http.StatusNotFound
	case ErrUnauthorized:
		return code == http.StatusUnauthorized || e.OCSCode == 997
	case ErrForbidden:
		return code == http.StatusForbidden
	case ErrConflict:
		return code == http.StatusConflict || code == http.StatusMethodNotAllowed
	case ErrUnreachable:
		return code >= 500
	}
	return false
}

// Permanent reports whether retrying the same request cannot help: client
// errors other than timeouts and throttling.
func (e *Error) Permanent() bool {
	switch e.StatusCode {
	case http.StatusRequestTimeout, http.StatusTooEarly, http.StatusTooManyRequests:
		return false
	}
	return e.StatusCode >= 400 && e.StatusCode < 500
}

// RetryAfter is the delay Nextcloud asked for, if any.
func (e *Error) RetryAfter() time.Duration { return e.retryAfter }
