package nextcloud

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

func (c *Client) requireUser() error {
	if c.user == "" {
		return errors.New("nextcloud: DAV and Deck need an acting user")
	}
	return nil
}

// FileInfo describes a file or folder in a user's files.
type FileInfo struct {
	Path    string // unescaped, relative to the user's root, starting with "/"
	Size    int64  // a folder's is the size of everything in it (oc:size); -1 when unknown (external storage)
	ModTime time.Time
	IsDir   bool
	ETag    string
	Owner   string // oc:owner-id
	// MountType is Nextcloud's nc:mount-type: "" for the user's own
	// storage, "shared" for a share received, "external" for external
	// storage, "group" for a group folder (fixture 405; group folders
	// assumed from apps/groupfolders' MountProvider, no capture).
	// MountRoot (nc:is-mount-root) is true on the folder where it is mounted.
	MountType string
	MountRoot bool
}

// Own reports whether f lives in its user's own storage, which is what
// Nextcloud's ownership transfer moves; mounts stay in place (fixture 410).
func (f FileInfo) Own() bool { return f.MountType == "" }

// filesPath is the path of p (unescaped, "/" separated) in the acting
// user's files; a folder ends with "/".
func (c *Client) filesPath(p string, folder bool) Path {
	out := NCPath("/remote.php/dav/files", c.user)
	for _, s := range strings.Split(cleanPath(p), "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	if folder {
		out = append(out, "")
	}
	return out
}

const filesPropfind = `<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns" xmlns:nc="http://nextcloud.org/ns"><d:prop><d:resourcetype/><d:getcontentlength/><d:getlastmodified/><d:getetag/><oc:size/><oc:owner-id/><nc:mount-type/><nc:is-mount-root/></d:prop></d:propfind>`

// ListFiles lists the folder dir of the acting user's files, the folder
// itself first (recursively when asked: Depth infinity, which Nextcloud
// serves, fixture 392; the answer at most ListingLimit bytes). Paths in the
// answer are unescaped, relative to the user's root; hrefs are compared
// decoded.
func (c *Client) ListFiles(ctx context.Context, dir string, recursive bool) ([]FileInfo, error) {
	depth := "1"
	if recursive {
		depth = "infinity"
	}
	raw, _, err := c.davRequest(ctx, "PROPFIND", c.filesPath(dir, true), "",
		http.Header{"Depth": {depth}, "Content-Type": {"application/xml; charset=utf-8"}}, []byte(filesPropfind), ListingLimit)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	resps, err := parseMultistatus(raw)
	if err != nil {
		return nil, err
	}
	return c.filesOf(resps), nil
}

// filesOf reads the files and folders of a PROPFIND of the acting user's
// files (fixtures nextcloud-32 31, nextcloud-32-more 392, 405); responses
// outside the user's files are left out.
func (c *Client) filesOf(resps []davProps) []FileInfo {
	root := c.filesPath("/", false)
	out := make([]FileInfo, 0, len(resps))
	for _, r := range resps {
		p, ok := c.hrefPath(r.Href)
		if ok {
			p, ok = p.under(root)
		}
		if !ok {
			continue
		}
		fi := FileInfo{Path: "/" + strings.Join(p, "/"), IsDir: strings.Contains(string(r.Props["resourcetype"]), "collection"),
			ETag: strings.Trim(r.text("getetag"), `"`), Owner: r.text("owner-id"), MountType: r.text("mount-type"),
			MountRoot: r.text("is-mount-root") == "true"}
		fi.Size, _ = strconv.ParseInt(r.text("getcontentlength"), 10, 64)
		if s := r.text("size"); s != "" {
			fi.Size, _ = strconv.ParseInt(s, 10, 64)
		}
		fi.ModTime, _ = http.ParseTime(r.text("getlastmodified"))
		out = append(out, fi)
	}
	return out
}

// Upload writes size bytes read from r, as they are read, to the file at p
// in the acting user's files: nothing is held whole in memory.
func (c *Client) Upload(ctx context.Context, p string, r io.Reader, size int64) error {
	body, err := c.davStream(ctx, "PUT", c.filesPath(p, false), "", http.Header{"Content-Type": {"application/octet-stream"}}, r, size)
	if err != nil {
		return fmt.Errorf("upload %s: %w", p, err)
	}
	io.Copy(io.Discard, io.LimitReader(body, 1<<20))
	return body.Close()
}

// Mkdir creates the folder p in the acting user's files. A folder that exists
// already is not an error.
func (c *Client) Mkdir(ctx context.Context, p string) error {
	_, _, err := c.davRequest(ctx, "MKCOL", c.filesPath(p, true), "", nil, nil, 1<<20)
	if err != nil && !errors.Is(err, ErrConflict) {
		return fmt.Errorf("create folder %s: %w", p, err)
	}
	return nil
}

// cleanPath makes p absolute and free of "..".
func cleanPath(p string) string { return path.Clean("/" + p) }

// davRequest sends a DAV request to p and returns the body of a 2xx answer
// (at most limit bytes, ErrTooLarge past it); other answers become an
// *Error.
func (c *Client) davRequest(ctx context.Context, method string, p Path, rawQuery string, h http.Header, body []byte, limit int64) ([]byte, int, error) {
	if err := c.requireUser(); err != nil {
		return nil, 0, err
	}
	resp, err := c.send(ctx, method, c.url(p, rawQuery), h, body)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20)) // the start says what failed
		return raw, resp.StatusCode, davError(method, p, resp.StatusCode, raw)
	}
	raw, err := readAtMost(resp.Body, limit)
	if err != nil {
		return nil, resp.StatusCode, fmt.Errorf("nextcloud: %s %s: read: %w", method, p, err)
	}
	return raw, resp.StatusCode, nil
}

// davError is the error of a DAV answer with a status of 300 or more and
// body raw: an *Error, matching ErrSameUID or ErrExists when it says so.
func davError(method string, p Path, status int, raw []byte) error {
	e := &Error{Method: method, Path: p.String(), StatusCode: status, Message: sabreMessage(raw)}
	switch {
	case status == http.StatusBadRequest && strings.Contains(e.Message, "uid already exists"):
		return fmt.Errorf("%w: %w", ErrSameUID, e)
	case status == http.StatusPreconditionFailed:
		return fmt.Errorf("%w: %w", ErrExists, e)
	}
	return e
}

// davStream sends a DAV request to p whose body, if any, is read from body
// as it goes (size bytes, -1 when unknown; never retried), and returns the
// body of a 2xx answer unread, for the caller to read as a stream and
// close; other answers become errors as davRequest's.
func (c *Client) davStream(ctx context.Context, method string, p Path, rawQuery string, h http.Header, body io.Reader, size int64) (io.ReadCloser, error) {
	if err := c.requireUser(); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, method, c.url(p, rawQuery), body)
	if err != nil {
		return nil, fmt.Errorf("nextcloud: %s %s: %w", method, p, err)
	}
	if body != nil {
		req.ContentLength = size
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := c.do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20)) // the start says what failed
		return nil, davError(method, p, resp.StatusCode, raw)
	}
	return resp.Body, nil
}

// sabreMessage returns the <s:message> of a Sabre error body, or its start.
func sabreMessage(raw []byte) string {
	if m := xmlTextOf(raw, "message"); m != "" {
		return m
	}
	return snippet(bytes.TrimSpace(raw))
}
