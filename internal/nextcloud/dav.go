package nextcloud

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"reflect"
	"strings"
	"time"

	"github.com/emersion/go-webdav"
)

// davDoer lets go-webdav send its requests through Client.do, so that they
// are signed as the client's user and retried like every other call.
type davDoer struct{ c *Client }

func (d davDoer) Do(req *http.Request) (*http.Response, error) { return d.c.do(req) }

// davError turns go-webdav's errors into ours where it can.
func davError(op string, err error) error {
	if err == nil {
		return nil
	}
	if code := davStatus(err); code != 0 {
		return fmt.Errorf("%s: %w", op, &Error{Method: "DAV", Path: op, StatusCode: code, Message: snippet([]byte(err.Error()))})
	}
	return fmt.Errorf("%s: %w", op, err)
}

// davStatus digs the HTTP status out of go-webdav's error, whose type is
// internal to that module: a pointer to a struct with an int field Code.
func davStatus(err error) int {
	for e := err; e != nil; e = errors.Unwrap(e) {
		v := reflect.ValueOf(e)
		if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
			continue
		}
		if f := v.Elem().FieldByName("Code"); f.IsValid() && f.Kind() == reflect.Int {
			return int(f.Int())
		}
	}
	return 0
}

func (c *Client) requireUser() error {
	if c.user == "" {
		return errors.New("nextcloud: DAV needs an acting user")
	}
	return nil
}

// FileInfo describes a file or folder in a user's files.
type FileInfo struct {
	Path    string // relative to the user's root, starting with "/"
	Size    int64
	ModTime time.Time
	IsDir   bool
	ETag    string
}

func (c *Client) filesRoot() string {
	return "/remote.php/dav/files/" + url.PathEscape(c.user)
}

func (c *Client) files() (*webdav.Client, error) {
	if err := c.requireUser(); err != nil {
		return nil, err
	}
	return webdav.NewClient(davDoer{c}, c.url(c.filesRoot()+"/", nil))
}

// ListFiles lists the folder dir of the acting user's files (recursively when
// asked). Paths in the answer are relative to the user's root.
func (c *Client) ListFiles(ctx context.Context, dir string, recursive bool) ([]FileInfo, error) {
	wc, err := c.files()
	if err != nil {
		return nil, err
	}
	infos, err := wc.ReadDir(ctx, davRel(dir), recursive)
	if err != nil {
		return nil, davError("list "+dir, err)
	}
	root := c.base.Path + c.filesRoot()
	out := make([]FileInfo, 0, len(infos))
	for _, fi := range infos {
		p := strings.TrimPrefix(fi.Path, root)
		if p == "" {
			p = "/"
		}
		out = append(out, FileInfo{Path: p, Size: fi.Size, ModTime: fi.ModTime, IsDir: fi.IsDir, ETag: fi.ETag})
	}
	return out, nil
}

// Upload writes r to the file at p in the acting user's files.
func (c *Client) Upload(ctx context.Context, p string, r io.Reader) error {
	wc, err := c.files()
	if err != nil {
		return err
	}
	w, err := wc.Create(ctx, davRel(p))
	if err != nil {
		return davError("upload "+p, err)
	}
	if _, err := io.Copy(w, r); err != nil {
		w.Close()
		return davError("upload "+p, err)
	}
	return davError("upload "+p, w.Close())
}

// Download opens the file at p in the acting user's files. The caller closes it.
func (c *Client) Download(ctx context.Context, p string) (io.ReadCloser, error) {
	wc, err := c.files()
	if err != nil {
		return nil, err
	}
	rc, err := wc.Open(ctx, davRel(p))
	return rc, davError("download "+p, err)
}

// Mkdir creates the folder p in the acting user's files. A folder that exists
// already is not an error.
func (c *Client) Mkdir(ctx context.Context, p string) error {
	wc, err := c.files()
	if err != nil {
		return err
	}
	err = davError("create folder "+p, wc.Mkdir(ctx, davRel(p)))
	if errors.Is(err, ErrConflict) {
		return nil
	}
	return err
}

// cleanPath makes p absolute and free of "..".
func cleanPath(p string) string { return path.Clean("/" + p) }

// davRel is p relative to the files root: go-webdav resolves a path that
// starts with "/" from the server's root, not from the client's endpoint.
func davRel(p string) string { return strings.TrimPrefix(cleanPath(p), "/") }
