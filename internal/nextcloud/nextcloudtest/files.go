package nextcloudtest

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"net/http"
	"os"
	"path"
	"strings"

	"golang.org/x/net/webdav"
)

// mount is something mounted in a user's files that is not the user's own
// storage: a share received (Type "shared", the owner's folder at Path) or
// external storage (Type "external", its own tree). Nextcloud shows both
// with nc:mount-type and nc:is-mount-root (fixture 405); group folders use
// the same properties with "group" (assumed from apps/groupfolders, no
// capture).
type mount struct {
	Type  string // "shared", "external", "group"
	Owner string // owner-id: the sharer for a share, the user for external storage
	Path  string // shared: the folder in the owner's files
	fs    webdav.FileSystem
}

// AddExternalMount mounts an external storage (or, with typ "group", a
// group folder) named name at the root of uid's files, holding files
// (path → content). Nextcloud's ownership transfer leaves it in place.
func (s *Server) AddExternalMount(uid, name, typ string, files map[string][]byte) error {
	s.mu.Lock()
	d := s.davLocked(uid)
	fs := webdav.NewMemFS()
	d.mounts["/"+name] = &mount{Type: typ, Owner: uid, fs: fs}
	s.mu.Unlock()
	for p, content := range files {
		if err := writeFile(fs, p, content); err != nil {
			return err
		}
	}
	return nil
}

// writeFile writes content at p in fs, creating the folders above it.
func writeFile(fs webdav.FileSystem, p string, content []byte) error {
	ctx := context.Background()
	p = path.Clean("/" + p)
	cur := ""
	for _, part := range strings.Split(strings.Trim(path.Dir(p), "/"), "/") {
		if part == "" {
			continue
		}
		cur += "/" + part
		fs.Mkdir(ctx, cur, 0o755)
	}
	f, err := fs.OpenFile(ctx, p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(content); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// sabrePath escapes a path as Sabre's encodePath does: every byte but
// A-Z a-z 0-9 _ - . ~ ( ) and "/" as %xx in lower case (fixture 381:
// "Transf%c3%a9r%c3%a9%20de…"). Clients must compare hrefs decoded.
func sabrePath(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			strings.IndexByte("_-.~()/", c) >= 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02x", c)
		}
	}
	return b.String()
}

// fileEntry is one row of a files PROPFIND.
type fileEntry struct {
	path      string // in the user's files
	fi        os.FileInfo
	size      int64 // oc:size: a folder's is everything below it; -1 for external storage
	owner     string
	mountType string
	mountRoot bool
}

// propfindFiles answers a PROPFIND on user's files as Nextcloud does:
// Sabre-escaped hrefs, the requested properties among resourcetype,
// getcontentlength, getlastmodified, getetag, oc:size, oc:owner-id,
// oc:permissions, nc:mount-type and nc:is-mount-root; shares received and
// external storage appear where they are mounted (fixture 405).
func (s *Server) propfindFiles(w http.ResponseWriter, r *http.Request, user string, d *userDAV) {
	rel := strings.TrimPrefix(r.URL.Path, "/remote.php/dav/files/"+user)
	rel = path.Clean("/" + rel)
	depth := r.Header.Get("Depth")
	s.mu.Lock()
	entries, ok := s.fileEntriesLocked(user, d, rel, depth)
	s.mu.Unlock()
	if !ok {
		sabreError(w, http.StatusNotFound, `Sabre\DAV\Exception\NotFound`, "File with name "+strings.TrimPrefix(rel, "/")+" could not be located")
		return
	}
	props := requestedProps(r)
	var b bytes.Buffer
	for _, e := range entries {
		href := "/remote.php/dav/files/" + user + e.path
		if e.fi.IsDir() && !strings.HasSuffix(href, "/") {
			href += "/"
		}
		p := propSet{"d:resourcetype": "", "oc:size": fmt.Sprint(e.size), "oc:owner-id": html.EscapeString(e.owner),
			"nc:mount-type": e.mountType, "nc:is-mount-root": fmt.Sprint(e.mountRoot),
			"d:getlastmodified": e.fi.ModTime().UTC().Format(http.TimeFormat),
			"d:getetag":         fmt.Sprintf("&quot;%x%x&quot;", e.fi.ModTime().UnixNano(), e.fi.Size())}
		if e.fi.IsDir() {
			p["d:resourcetype"] = "<d:collection/>"
			p["oc:permissions"] = "RGDNVCK"
		} else {
			p["d:getcontentlength"] = fmt.Sprint(e.fi.Size())
			p["oc:permissions"] = "RGDNVW"
		}
		if e.mountType == "shared" {
			p["oc:permissions"] = "S" + p["oc:permissions"]
		}
		writeResponse(&b, href, p, props)
	}
	multistatus(w, b.Bytes())
}

// fileEntriesLocked lists rel and, by depth, what is below it in user's
// files, mounts included.
func (s *Server) fileEntriesLocked(user string, d *userDAV, rel, depth string) ([]fileEntry, bool) {
	ctx := context.Background()
	fs, inner, m := d.files, rel, (*mount)(nil)
	mountAt := ""
	for mp, mm := range d.mounts {
		if rel == mp || strings.HasPrefix(rel, mp+"/") {
			m, mountAt = mm, mp
		}
	}
	if m != nil {
		fs, inner = m.fs, "/"+strings.TrimPrefix(strings.TrimPrefix(rel, mountAt), "/")
		if m.Type == "shared" {
			fs, inner = s.davLocked(m.Owner).files, path.Join(m.Path, strings.TrimPrefix(rel, mountAt))
		}
	}
	fi, err := fs.Stat(ctx, inner)
	if err != nil {
		return nil, false
	}
	entry := func(p string, fi os.FileInfo, m *mount, root bool) fileEntry {
		e := fileEntry{path: p, fi: fi, size: fi.Size(), owner: user, mountRoot: root}
		if m != nil {
			e.mountType, e.owner = m.Type, m.Owner
		}
		return e
	}
	var out []fileEntry
	var walk func(fs webdav.FileSystem, inner, p string, fi os.FileInfo, m *mount, root bool, left int)
	walk = func(fs webdav.FileSystem, inner, p string, fi os.FileInfo, m *mount, root bool, left int) {
		e := entry(p, fi, m, root)
		if fi.IsDir() {
			e.size = treeSize(ctx, fs, inner)
			if m != nil && m.Type == "external" && root {
				e.size = -1 // unknown for external storage (fixture 405)
			}
		}
		out = append(out, e)
		if !fi.IsDir() || left == 0 {
			return
		}
		for _, c := range readDir(ctx, fs, inner) {
			walk(fs, path.Join(inner, c.Name()), path.Join(p, c.Name()), c, m, false, left-1)
		}
		if m == nil {
			for _, mp := range sortedKeys(d.mounts) {
				if path.Dir(mp) != p {
					continue
				}
				mm := d.mounts[mp]
				mfs, minner := mm.fs, "/"
				if mm.Type == "shared" {
					mfs, minner = s.davLocked(mm.Owner).files, mm.Path
				}
				if mfi, err := mfs.Stat(ctx, minner); err == nil {
					walk(mfs, minner, mp, mfi, mm, true, left-1)
				}
			}
		}
	}
	left := 1
	switch depth {
	case "0":
		left = 0
	case "infinity":
		left = -1
	}
	walk(fs, inner, rel, fi, m, m != nil && rel == mountAt, left)
	return out, true
}
