// Package nextcloud is what AssoKit sends to Nextcloud: OCS calls (provisioning
// and AppAPI's own endpoints) and WebDAV, CalDAV and CardDAV, every request
// signed with the AppAPI headers as a given Nextcloud user. Every URL is
// built in one place (Client.url) from unescaped segments (Path). It
// imports no feature package.
package nextcloud

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config says how to reach Nextcloud and how to sign requests.
type Config struct {
	BaseURL    string // NEXTCLOUD_URL, without /index.php
	AppID      string
	AppSecret  string
	AppVersion string
	AAVersion  string // sent as AA-VERSION; Nextcloud does not check it

	HTTPClient *http.Client  // nil: a client with no cookie jar and no overall timeout
	Timeout    time.Duration // per request when the caller's context has no deadline [30s]
	Retries    int           // extra attempts for idempotent requests [3]
	RetryBase  time.Duration // first retry delay, doubled each time [200ms]
}

// Client talks to one Nextcloud. The zero user acts as the ExApp itself
// ("system" calls); As returns a client that acts as a given user. A Client is
// safe for concurrent use and cheap to copy.
type Client struct {
	cfg  Config
	base *url.URL
	user string
	hc   *http.Client
}

// New returns a client for cfg. It returns an error if the URL is not absolute.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimSuffix(strings.TrimSuffix(cfg.BaseURL, "/"), "/index.php"))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("nextcloud: %q is not an absolute URL", cfg.BaseURL)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Retries < 0 {
		cfg.Retries = 0
	} else if cfg.Retries == 0 {
		cfg.Retries = 3
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = 200 * time.Millisecond
	}
	hc := cfg.HTTPClient
	if hc == nil {
		// No cookie jar: every AppAPI-signed request would otherwise replay
		// the PHP session cookies Nextcloud sets and trip its CSRF checks.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 16
		hc = &http.Client{Transport: tr}
	}
	c := &Client{cfg: cfg, base: u, hc: hc}
	return c, nil
}

// As returns a copy of c that acts as the Nextcloud user uid ("" for the
// ExApp itself).
func (c *Client) As(uid string) *Client {
	cc := *c
	cc.user = uid
	return &cc
}

// User returns the uid this client acts as.
func (c *Client) User() string { return c.user }

// BaseURL returns Nextcloud's base URL.
func (c *Client) BaseURL() string { return c.base.String() }

// sign adds the AppAPI headers to r, acting as c.user.
func (c *Client) sign(r *http.Request) {
	r.Header.Set("EX-APP-ID", c.cfg.AppID)
	r.Header.Set("EX-APP-VERSION", c.cfg.AppVersion)
	if c.cfg.AAVersion != "" {
		r.Header.Set("AA-VERSION", c.cfg.AAVersion)
	}
	r.Header.Set("AUTHORIZATION-APP-API",
		base64.StdEncoding.EncodeToString([]byte(c.user+":"+c.cfg.AppSecret)))
	r.Header.Set("OCS-APIRequest", "true")
}

// idempotent reports whether a request with this method may be sent again
// without changing the outcome.
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions,
		"PROPFIND", "REPORT":
		return true
	}
	return false
}

// send builds a request (body may be nil) and sends it with do. The caller
// closes the response body.
func (c *Client) send(ctx context.Context, method, rawURL string, header http.Header, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body) // NewRequest sets GetBody, so retries can replay it
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
	if err != nil {
		return nil, fmt.Errorf("nextcloud: %s %s: %w", method, redactURL(rawURL), err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	return c.do(req)
}

// cancelOnClose releases a request's timeout when its body is closed: the
// body is read after do returns.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error { err := b.ReadCloser.Close(); b.cancel(); return err }

// do signs and sends req. Idempotent requests whose body can be replayed
// (no body, or GetBody set) are retried on network errors, 429 and 5xx, with
// exponential backoff and jitter, honouring Retry-After. The last 429/5xx
// answer is returned as is; the caller closes the body.
// A request whose context has no deadline gets the configured timeout.
func (c *Client) do(req *http.Request) (*http.Response, error) {
	if _, ok := req.Context().Deadline(); !ok {
		ctx, cancel := context.WithTimeout(req.Context(), c.cfg.Timeout)
		resp, err := c.doWithRetries(req.WithContext(ctx))
		if err != nil {
			cancel()
			return nil, err
		}
		resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
		return resp, nil
	}
	return c.doWithRetries(req)
}

// doWithRetries is do without the default timeout.
func (c *Client) doWithRetries(req *http.Request) (*http.Response, error) {
	ctx, method, where := req.Context(), req.Method, redactURL(req.URL.String())
	attempts := 1
	if idempotent(method) && (req.Body == nil || req.Body == http.NoBody || req.GetBody != nil) {
		attempts += c.cfg.Retries
	}
	c.sign(req)
	var lastErr error
	for i := range attempts {
		if i > 0 && req.GetBody != nil {
			b, err := req.GetBody()
			if err != nil {
				return nil, fmt.Errorf("nextcloud: %s %s: %w", method, where, err)
			}
			req.Body = b
		}
		resp, err := c.hc.Do(req)
		var wait time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil || !isNetworkError(err) {
				return nil, fmt.Errorf("nextcloud: %s %s: %w", method, where, err)
			}
			lastErr = fmt.Errorf("nextcloud: %s %s: %w", method, where, err)
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			if i == attempts-1 {
				return resp, nil
			}
			wait = retryAfter(resp.Header.Get("Retry-After"))
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		default:
			return resp, nil
		}
		if i == attempts-1 {
			break
		}
		backoff := c.cfg.RetryBase << i
		backoff += time.Duration(rand.Int64N(int64(backoff)/2 + 1))
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("nextcloud: %s %s: %w", method, where, ctx.Err())
		case <-time.After(max(wait, backoff)):
		}
	}
	return nil, fmt.Errorf("%w: %w", ErrUnreachable, lastErr)
}

// isNetworkError reports whether err happened on the way (refused, reset,
// timed out), as opposed to a request that could not be built.
func isNetworkError(err error) bool {
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &ne) || errors.As(err, &oe) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// retryAfter parses a Retry-After header (seconds or an HTTP date), capped at
// one minute so that a request never hangs for long.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if s, err := strconv.Atoi(v); err == nil {
		d = time.Duration(s) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = time.Until(t)
	}
	return min(max(d, 0), time.Minute)
}

// redactURL drops the query string, which may carry user input, from error texts.
func redactURL(raw string) string {
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		return raw[:i]
	}
	return raw
}

// Path is a path below Nextcloud's base URL kept as its unescaped
// segments: a uid, a folder or a calendar name is one segment, whatever
// characters it holds (spaces, apostrophes, "@", accents, "%"). Build one
// with NCPath; Client.url is the only place that escapes it, exactly once.
type Path []string

// NCPath returns the path made of fixed (a constant route such as
// "/ocs/v2.php/cloud/users", split on "/") followed by segments, each taken
// as one path element. A last empty segment gives the URL a trailing "/"
// (DAV collections).
func NCPath(fixed string, segments ...string) Path {
	var p Path
	for _, s := range strings.Split(fixed, "/") {
		if s != "" {
			p = append(p, s)
		}
	}
	return append(p, segments...)
}

// Join returns p followed by segments.
func (p Path) Join(segments ...string) Path {
	return append(append(Path(nil), p...), segments...)
}

// String is the unescaped path, segments joined by "/", starting with "/".
func (p Path) String() string { return "/" + strings.Join(p, "/") }

// url builds the absolute URL of p below Nextcloud's base: every segment is
// escaped once (url.PathEscape), so that Nextcloud, which decodes a path
// once, sees the segments as given; a segment "." or ".." stays a name and
// never leads out of its collection. rawQuery is sent as is.
func (c *Client) url(p Path, rawQuery string) string {
	u := *c.base
	base := strings.TrimSuffix(u.Path, "/")
	escaped := make([]string, len(p))
	for i, s := range p {
		escaped[i] = url.PathEscape(s)
		if s == "." || s == ".." {
			// A name, not a step up: escaped dots are no dot segment
			// (RFC 3986 §5.2.4 removes dot segments before decoding).
			escaped[i] = strings.ReplaceAll(s, ".", "%2E")
		}
	}
	u.Path = base + p.String()
	u.RawPath = strings.TrimSuffix(c.base.EscapedPath(), "/") + "/" + strings.Join(escaped, "/")
	u.RawQuery = rawQuery
	return u.String()
}

// hrefPath turns a DAV href (escaped, below the base URL, maybe absolute)
// into its unescaped segments below the base. It refuses (false) an href
// that would lead elsewhere once resolved: another scheme or host (an
// absolute or "//host" href, user info), a path not below the base URL
// ("@other.host/…" included), or a "." or ".." segment. Hrefs are compared
// decoded: Nextcloud escapes them in its own way (lower-case hexadecimal,
// fewer characters than Go).
func (c *Client) hrefPath(href string) (Path, bool) {
	u, err := url.Parse(href)
	if err != nil || u.Opaque != "" || u.User != nil {
		return nil, false
	}
	if (u.Scheme != "" || u.Host != "") && (!strings.EqualFold(u.Scheme, c.base.Scheme) || !strings.EqualFold(u.Host, c.base.Host)) {
		return nil, false
	}
	rest, ok := strings.CutPrefix(u.Path, strings.TrimSuffix(c.base.Path, "/")+"/")
	if !ok {
		return nil, false
	}
	var p Path
	for _, s := range strings.Split(rest, "/") {
		switch s {
		case "":
			continue
		case ".", "..":
			return nil, false
		}
		p = append(p, s)
	}
	return p, true
}

// under returns the segments of p below the collection base (a last empty
// segment of base, its trailing "/", is ignored), or false when p is not
// inside base.
func (p Path) under(base Path) (Path, bool) {
	if n := len(base); n > 0 && base[n-1] == "" {
		base = base[:n-1]
	}
	if len(p) < len(base) {
		return nil, false
	}
	for i := range base {
		if p[i] != base[i] {
			return nil, false
		}
	}
	return p[len(base):], true
}
