package nextcloudtest

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/net/webdav"
)

// collection is a calendar or an address book, objects kept byte for byte.
type collection struct {
	owner       string
	uri         string
	displayName string
	description string
	components  []string // calendars only
	color       string   // calendars only: calendar-color as sent (fixture 355)
	objects     map[string]*object
	ctag        int
	sharees     []sharee
	deletedAt   time.Time // calendars only: in the owner's trash bin
}

// sharee is a principal a calendar or an address book is shared with
// (Sharing/Plugin.php): a user, a group or a team (fixtures 340–351).
type sharee struct {
	href      string // principal:principals/users/<uid>, …/groups/<gid>, …/circles/<id>
	readWrite bool
}

type object struct {
	uid     string // of the VEVENT/VTODO or the vCard
	data    []byte
	etag    string
	modTime time.Time
}

const (
	nsDAV   = "DAV:"
	nsCal   = "urn:ietf:params:xml:ns:caldav"
	nsCard  = "urn:ietf:params:xml:ns:carddav"
	nsCS    = "http://calendarserver.org/ns/"
	nsOC    = "http://owncloud.org/ns"
	nsNC    = "http://nextcloud.com/ns" // Nextcloud's CalDAV trash bin namespace (x1: in answers)
	nsApple = "http://apple.com/ns/ical/"
)

// trashRetention is dav's calendarRetentionObligation default: 30 days.
const trashRetention = 30 * 24 * time.Hour

// davLocked returns (creating it) a user's DAV data: an empty files tree and
// no calendar or address book — Nextcloud creates the default ones at the
// first login, which accounts made through the API have not had.
func (s *Server) davLocked(uid string) *userDAV {
	d := s.dav[uid]
	if d != nil {
		return d
	}
	d = &userDAV{files: webdav.NewMemFS(), locks: webdav.NewMemLS(),
		cals: map[string]*collection{}, books: map[string]*collection{}, mounts: map[string]*mount{}}
	d.handler = &webdav.Handler{Prefix: "/remote.php/dav/files/" + uid, FileSystem: d.files, LockSystem: d.locks}
	s.dav[uid] = d
	return d
}

// PutFile stores a file in a user's files (seeding).
func (s *Server) PutFile(uid, p string, content []byte) error {
	s.mu.Lock()
	d := s.davLocked(uid)
	s.mu.Unlock()
	return writeFile(d.files, p, content)
}

// PutCalendar creates (or renames) a calendar of uid.
func (s *Server) PutCalendar(uid, uri, displayName string) {
	s.putCollection(uid, "calendars", uri, displayName)
}

// PutAddressBook creates (or renames) an address book of uid.
func (s *Server) PutAddressBook(uid, uri, displayName string) {
	s.putCollection(uid, "addressbooks", uri, displayName)
}

// collections returns the calendars ("calendars") or the address books
// ("addressbooks") of a user.
func (d *userDAV) collections(kind string) map[string]*collection {
	if kind == "addressbooks" {
		return d.books
	}
	return d.cals
}

func (s *Server) putCollection(uid, kind, uri, displayName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.davLocked(uid)
	m := d.collections(kind)
	if c := m[uri]; c != nil {
		c.displayName = displayName
		return
	}
	c := &collection{owner: uid, uri: uri, displayName: displayName, objects: map[string]*object{}}
	if kind == "calendars" {
		c.components = []string{"VEVENT", "VTODO"}
	}
	m[uri] = c
}

// ShareCalendarWith shares a calendar of owner with another user (seeding).
func (s *Server) ShareCalendarWith(owner, uri, with string, readWrite bool) error {
	return s.ShareCollection(owner, "calendars", uri, "principals/users/"+with, readWrite)
}

// ShareCollection shares a calendar ("calendars") or an address book
// ("addressbooks") of owner with a principal: "principals/users/<uid>",
// "principals/groups/<gid>" or "principals/circles/<team id>" (seeding).
func (s *Server) ShareCollection(owner, kind, uri, principal string, readWrite bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.davLocked(owner).collections(kind)[uri]
	if c == nil {
		return fmt.Errorf("no %s %s of %s", kind, uri, owner)
	}
	c.sharees = append(c.sharees, sharee{href: "principal:" + principal, readWrite: readWrite})
	return nil
}

// AddTeam creates a team (a circle of the Teams app) with its members.
func (s *Server) AddTeam(id, name string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.teams[id] = team{name: name, members: members}
}

// team is a circle of the Teams app.
type team struct {
	name    string
	members []string
}

// principalNameLocked is the oc:common-name of a principal, and whether
// the principal exists: a user's display name, a group's id, a team's name
// (fixture 345).
func (s *Server) principalNameLocked(principal string) (string, bool) {
	kind, id, _ := strings.Cut(strings.TrimPrefix(principal, "principals/"), "/")
	switch kind {
	case "users":
		if u := s.users[id]; u != nil {
			return u.DisplayName, true
		}
	case "groups":
		return id, s.groups[id]
	case "circles":
		t, ok := s.teams[id]
		return t.name, ok
	}
	return "", false
}

// reachesLocked reports whether a sharee's principal includes user.
func (s *Server) reachesLocked(sh sharee, user string) bool {
	kind, id, _ := strings.Cut(strings.TrimPrefix(sh.href, "principal:principals/"), "/")
	switch kind {
	case "users":
		return id == user
	case "groups":
		u := s.users[user]
		return u != nil && hasGroup(u.Groups, id)
	case "circles":
		return slices.Contains(s.teams[id].members, user)
	}
	return false
}

// PutObject stores a calendar object or a vCard as is (seeding). kind is
// "calendars" or "addressbooks".
func (s *Server) PutObject(uid, kind, collURI, name string, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.davLocked(uid)
	m := d.collections(kind)
	c := m[collURI]
	if c == nil {
		return fmt.Errorf("no collection %s/%s", kind, collURI)
	}
	c.put(name, data, s.now())
	return nil
}

// Objects returns a copy of the objects of a collection, by name.
func (s *Server) Objects(uid, kind, collURI string) map[string][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.davLocked(uid)
	m := d.collections(kind)
	out := map[string][]byte{}
	if c := m[collURI]; c != nil {
		for k, o := range c.objects {
			out[k] = append([]byte(nil), o.data...)
		}
	}
	return out
}

func (c *collection) put(name string, data []byte, now time.Time) (created bool) {
	sum := md5.Sum(data)
	_, exists := c.objects[name]
	c.objects[name] = &object{uid: componentUID(data), data: append([]byte(nil), data...), etag: hex.EncodeToString(sum[:]), modTime: now}
	c.ctag++
	return !exists
}

// davAuthFailed is Sabre's answer when no authentication passed.
const davAuthFailed = `<?xml version="1.0" encoding="utf-8"?>
<d:error xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns">
  <s:exception>Sabre\DAV\Exception\NotAuthenticated</s:exception>
  <s:message>No public access to this resource., AppAPIAuth has not passed, This request is not for a federated calendar, No 'Authorization: Basic' header found. Either the client didn't send one, or the server is misconfigured, No 'Authorization: Bearer' header found. Either the client didn't send one, or the server is mis-configured, No 'Authorization: Basic' header found. Either the client didn't send one, or the server is misconfigured</s:message>
</d:error>
`

func sabreError(w http.ResponseWriter, status int, exception, message string) {
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<d:error xmlns:d=\"DAV:\" xmlns:s=\"http://sabredav.org/ns\">\n  <s:exception>%s</s:exception>\n  <s:message>%s</s:message>\n</d:error>\n",
		exception, html.EscapeString(message))
}

func (s *Server) serveDAV(w http.ResponseWriter, r *http.Request) {
	// AppAPI's DAV plugin checks the secret and the user, not whether the
	// app is enabled (fixture 81).
	who, present, ok := s.appAPIAuthFor(r, true)
	if !present {
		if u, bok := s.browserAuth(r); bok {
			who, ok = caller{user: u}, true
		}
	}
	if !ok || who.user == "" {
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, davAuthFailed)
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, "/remote.php/dav/")
	kind, rest, _ := strings.Cut(rest, "/")
	if kind == "addressbooks" {
		rest = strings.TrimPrefix(rest, "users/")
	}
	// r.URL.Path is decoded once, as Nextcloud decodes it: "jean%20dupont"
	// is "jean dupont", "jean%2520dupont" is "jean%20dupont" (fixtures 301–303).
	owner, rest, _ := strings.Cut(rest, "/")
	switch kind {
	case "files":
		s.serveFiles(w, r, who.user, owner)
	case "calendars", "addressbooks":
		if owner != who.user {
			sabreError(w, http.StatusNotFound, `Sabre\DAV\Exception\NotFound`, "Node with name '"+owner+"' could not be found")
			return
		}
		s.serveCollections(w, r, who.user, kind, rest)
	default:
		sabreError(w, http.StatusNotFound, `Sabre\DAV\Exception\NotFound`, "File not found: "+kind+" in 'root'")
	}
}

// serveFiles serves a user's files. Another user's tree shows only its root,
// without children, as Nextcloud does for an admin acting user (fixture 32).
func (s *Server) serveFiles(w http.ResponseWriter, r *http.Request, user, owner string) {
	s.mu.Lock()
	exists := s.users[owner] != nil
	d := s.davLocked(user)
	s.mu.Unlock()
	if owner != user {
		if !exists || r.Method != "PROPFIND" {
			sabreError(w, http.StatusNotFound, `Sabre\DAV\Exception\NotFound`, "File with name "+owner+" could not be located")
			return
		}
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.WriteHeader(http.StatusMultiStatus)
		fmt.Fprintf(w, `<?xml version="1.0"?>`+"\n"+`<d:multistatus xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns" xmlns:oc="http://owncloud.org/ns" xmlns:nc="http://nextcloud.org/ns"><d:response><d:href>%s</d:href><d:propstat><d:prop><d:resourcetype><d:collection/></d:resourcetype></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>`, sabrePath("/remote.php/dav/files/"+owner+"/"))
		return
	}
	if r.Method == "PROPFIND" {
		s.propfindFiles(w, r, user, d)
		return
	}
	// Count file content: downloaded bodies and uploaded ones.
	var n int64
	var out http.ResponseWriter = w
	switch r.Method {
	case http.MethodGet:
		out = &countingWriter{ResponseWriter: w, n: &n}
	case http.MethodPut:
		r.Body = &countingBody{ReadCloser: r.Body, n: &n}
	}
	defer func() {
		s.mu.Lock()
		s.fileBytes += n
		s.mu.Unlock()
	}()
	d.handler.ServeHTTP(out, r)
}

// countingWriter counts the body bytes of an answer.
type countingWriter struct {
	http.ResponseWriter
	n *int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.ResponseWriter.Write(b)
	*c.n += int64(n)
	return n, err
}

// countingBody counts the bytes read from a request body.
type countingBody struct {
	io.ReadCloser
	n *int64
}

func (c *countingBody) Read(b []byte) (int, error) {
	n, err := c.ReadCloser.Read(b)
	*c.n += int64(n)
	return n, err
}

// serveCollections serves the calendars or address books of user; rest is
// the path below the home ("", "personal/", "personal/x.ics").
func (s *Server) serveCollections(w http.ResponseWriter, r *http.Request, user, kind, rest string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.davLocked(user)
	colls := d.collections(kind)
	home := "/remote.php/dav/calendars/" + user + "/"
	if kind == "addressbooks" {
		home = "/remote.php/dav/addressbooks/users/" + user + "/"
	}
	collURI, name, _ := strings.Cut(strings.TrimSuffix(rest, "/"), "/")
	c := colls[collURI]
	if c == nil {
		if c = s.sharedInLocked(user, kind, collURI); c != nil && r.Method != "PROPFIND" && r.Method != "REPORT" && r.Method != "GET" {
			// The fake serves a sharee reads only.
			sabreError(w, http.StatusForbidden, `Sabre\DAV\Exception\Forbidden`, "Permission denied")
			return
		}
	}

	switch {
	case r.Method == "PROPFIND" && collURI == "":
		props := requestedProps(r)
		var b bytes.Buffer
		writeResponse(&b, home, homeProps(), props)
		if r.Header.Get("Depth") != "0" {
			for _, uri := range sortedKeys(colls) {
				writeResponse(&b, home+uri+"/", s.collProps(colls[uri], kind), props)
			}
			s.writeSharedIn(&b, user, kind, home, props)
			if kind == "calendars" {
				writeResponse(&b, home+"inbox/", specialProps("cal:schedule-inbox"), props)
				writeResponse(&b, home+"outbox/", specialProps("cal:schedule-outbox"), props)
				writeResponse(&b, home+"trashbin/", specialProps("nc:trash-bin"), props)
			}
		}
		multistatus(w, b.Bytes())
	case collURI == "trashbin" && kind == "calendars":
		s.serveTrashbin(w, r, colls, home, name)
	case c == nil && (r.Method == "MKCALENDAR" || r.Method == "MKCOL") && name == "":
		if collURI == "inbox" || collURI == "outbox" || collURI == "trashbin" {
			sabreError(w, http.StatusMethodNotAllowed, `Sabre\DAV\Exception\MethodNotAllowed`, "The resource you tried to create already exists")
			return
		}
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		nc := &collection{owner: user, uri: collURI, displayName: xmlText(body, "displayname"), objects: map[string]*object{}}
		if kind == "calendars" {
			nc.components = []string{"VEVENT", "VTODO"}
			nc.description = xmlText(body, "calendar-description")
			nc.color = xmlText(body, "calendar-color")
		} else {
			nc.description = xmlText(body, "addressbook-description")
		}
		if nc.displayName == "" {
			nc.displayName = collURI
		}
		colls[collURI] = nc
		w.WriteHeader(http.StatusCreated)
	case c == nil:
		if r.Method == "MKCALENDAR" || r.Method == "MKCOL" {
			sabreError(w, http.StatusMethodNotAllowed, `Sabre\DAV\Exception\MethodNotAllowed`, "The resource you tried to create already exists")
			return
		}
		sabreError(w, http.StatusNotFound, `Sabre\DAV\Exception\NotFound`, "Node with name '"+collURI+"' could not be found")
	case name == "":
		s.serveCollection(w, r, colls, c, kind, home+collURI+"/")
	case r.Method == "MOVE" && kind == "calendars" && c.deletedAt.IsZero():
		sabreError(w, http.StatusNotImplemented, `Sabre\DAV\Exception\NotImplemented`, "MOVE is not implemented")
	default:
		s.serveObject(w, r, c, kind, name)
	}
}

func (s *Server) serveCollection(w http.ResponseWriter, r *http.Request, colls map[string]*collection, c *collection, kind, href string) {
	switch r.Method {
	case "MKCALENDAR", "MKCOL":
		sabreError(w, http.StatusMethodNotAllowed, `Sabre\DAV\Exception\MethodNotAllowed`, "The resource you tried to create already exists")
	case "GET":
		if _, ok := r.URL.Query()["export"]; !ok {
			sabreError(w, http.StatusNotImplemented, `Sabre\DAV\Exception\NotImplemented`, "GET is only implemented on File objects")
			return
		}
		if kind == "calendars" {
			w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="`+c.uri+`.ics"`)
			io.WriteString(w, exportCalendar(c))
			return
		}
		w.Header().Set("Content-Type", "text/directory")
		w.Header().Set("Content-Disposition", `attachment; filename="`+c.uri+`.vcf"`)
		for _, n := range sortedKeys(c.objects) {
			w.Write(c.objects[n].data)
		}
	case "PROPFIND", "REPORT":
		props := requestedProps(r)
		var b bytes.Buffer
		if r.Method == "PROPFIND" {
			writeResponse(&b, href, s.collProps(c, kind), props)
		}
		if r.Method == "REPORT" || r.Header.Get("Depth") != "0" {
			wanted := reportHrefs(r)
			for _, n := range sortedKeys(c.objects) {
				if wanted != nil && !wanted[n] {
					continue
				}
				writeResponse(&b, href+n, objectProps(c.objects[n], kind), props)
			}
		}
		multistatus(w, b.Bytes())
	case "DELETE":
		// Calendars go to the owner's trash bin unless asked otherwise;
		// address books have none.
		if kind == "calendars" && r.Header.Get("X-NC-CalDAV-No-Trashbin") != "1" && c.deletedAt.IsZero() {
			c.deletedAt = s.now()
		} else {
			delete(colls, c.uri)
		}
		w.WriteHeader(http.StatusNoContent)
	case "POST":
		s.shareCollection(w, r, c)
	case "MOVE":
		dest, _ := url.Parse(r.Header.Get("Destination"))
		if kind != "calendars" || c.deletedAt.IsZero() || dest == nil || path.Base(dest.Path) != c.uri ||
			!strings.HasSuffix(path.Dir(dest.Path), "/trashbin/restore") {
			sabreError(w, http.StatusForbidden, `Sabre\DAV\Exception\Forbidden`, "Permission denied to rename this resource")
			return
		}
		c.deletedAt = time.Time{}
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.WriteHeader(http.StatusCreated)
	default:
		sabreError(w, http.StatusNotImplemented, `Sabre\DAV\Exception\NotImplemented`, r.Method+" is not implemented")
	}
}

func (s *Server) serveObject(w http.ResponseWriter, r *http.Request, c *collection, kind, name string) {
	o := c.objects[name]
	ct := "text/calendar; charset=utf-8"
	if kind == "addressbooks" {
		ct = "text/vcard; charset=utf-8"
	}
	switch r.Method {
	case "GET", "HEAD":
		if o == nil {
			sabreError(w, http.StatusNotFound, `Sabre\DAV\Exception\NotFound`, "Card "+name+" not found")
			return
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("ETag", `"`+o.etag+`"`)
		w.Header().Set("Last-Modified", o.modTime.UTC().Format(http.TimeFormat))
		if r.Method == "GET" {
			data := o.data
			if kind == "addressbooks" {
				data = convertVCard(data, strings.Contains(r.Header.Get("Accept"), "version=4.0"))
			}
			w.Write(data)
		}
	case "PUT":
		body, _ := io.ReadAll(io.LimitReader(r.Body, 20<<20))
		begin := "BEGIN:VCALENDAR"
		if kind == "addressbooks" {
			begin = "BEGIN:VCARD"
		}
		if !bytes.Contains(body, []byte(begin)) {
			sabreError(w, http.StatusUnsupportedMediaType, `Sabre\DAV\Exception\UnsupportedMediaType`, "This resource only supports valid data")
			return
		}
		if im := r.Header.Get("If-None-Match"); im == "*" && o != nil {
			sabreError(w, http.StatusPreconditionFailed, `Sabre\DAV\Exception\PreconditionFailed`, "An If-None-Match header was specified, but the ETag matched (or * was specified).")
			return
		}
		if uid := componentUID(body); uid != "" {
			for other, oo := range c.objects {
				if other != name && oo.uid == uid {
					msg := "Calendar object with uid already exists in this calendar collection."
					if kind == "addressbooks" {
						msg = "VCard object with uid already exists in this addressbook collection."
					}
					sabreError(w, http.StatusBadRequest, `Sabre\DAV\Exception\BadRequest`, msg)
					return
				}
			}
		}
		changed := false
		if kind == "calendars" {
			body, changed = s.scheduleLocked(c.owner, body, r.Header.Get("Schedule-Reply"))
		}
		created := c.put(name, body, s.now())
		if !changed {
			w.Header().Set("ETag", `"`+c.objects[name].etag+`"`)
		}
		if created {
			w.WriteHeader(http.StatusCreated)
		} else {
			w.WriteHeader(http.StatusNoContent)
		}
	case "DELETE":
		if o == nil {
			sabreError(w, http.StatusNotFound, `Sabre\DAV\Exception\NotFound`, "Card "+name+" not found")
			return
		}
		delete(c.objects, name)
		c.ctag++
		w.WriteHeader(http.StatusNoContent)
	case "PROPFIND":
		if o == nil {
			sabreError(w, http.StatusNotFound, `Sabre\DAV\Exception\NotFound`, "Card "+name+" not found")
			return
		}
		var b bytes.Buffer
		writeResponse(&b, r.URL.Path, objectProps(o, kind), requestedProps(r))
		multistatus(w, b.Bytes())
	default:
		sabreError(w, http.StatusNotImplemented, `Sabre\DAV\Exception\NotImplemented`, r.Method+" is not implemented")
	}
}

// exportCalendar merges a calendar's objects into one VCALENDAR, as
// Nextcloud's ?export (Sabre's ICSExportPlugin) does.
func exportCalendar(c *collection) string {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nCALSCALE:GREGORIAN\r\nPRODID:-//SabreDAV//SabreDAV//EN\r\n")
	b.WriteString("X-WR-CALNAME:" + c.displayName + "\r\nREFRESH-INTERVAL;VALUE=DURATION:PT4H\r\nX-PUBLISHED-TTL:PT4H\r\n")
	for _, n := range sortedKeys(c.objects) {
		lines := strings.Split(strings.ReplaceAll(string(c.objects[n].data), "\r\n", "\n"), "\n")
		depth := 0
		for _, l := range lines {
			switch {
			case l == "":
				continue
			case strings.HasPrefix(l, "BEGIN:"):
				depth++
				if depth == 1 {
					continue
				}
			case strings.HasPrefix(l, "END:"):
				depth--
				if depth == 0 {
					continue
				}
			case depth == 1:
				continue // VERSION, PRODID… of the object's own VCALENDAR
			}
			b.WriteString(l + "\r\n")
		}
	}
	b.WriteString("END:VCALENDAR\r\n")
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// prop is a property value, already XML, keyed by "prefix:name".
type propSet map[string]string

func homeProps() propSet {
	return propSet{"d:resourcetype": "<d:collection/>"}
}

func specialProps(rt string) propSet {
	return propSet{"d:resourcetype": "<d:collection/><" + rt + "/>"}
}

func (s *Server) collProps(c *collection, kind string) propSet {
	var inv strings.Builder
	for _, sh := range c.sharees {
		access := "<oc:read/>"
		if sh.readWrite {
			access = "<oc:read-write/>"
		}
		cn, _ := s.principalNameLocked(strings.TrimPrefix(sh.href, "principal:"))
		inv.WriteString("<oc:user><d:href>" + html.EscapeString(sh.href) + "</d:href><oc:common-name>" + html.EscapeString(cn) +
			"</oc:common-name><oc:invite-accepted/><oc:access>" + access + "</oc:access></oc:user>")
	}
	p := propSet{
		"oc:invite":          inv.String(),
		"d:displayname":      html.EscapeString(c.displayName),
		"cs:getctag":         fmt.Sprintf("http://sabre.io/ns/sync/%d", c.ctag),
		"d:sync-token":       fmt.Sprintf("http://sabre.io/ns/sync/%d", c.ctag),
		"oc:owner-principal": "principals/users/" + html.EscapeString(c.owner),
	}
	if kind == "calendars" {
		p["d:resourcetype"] = "<d:collection/><cal:calendar/>"
		if !c.deletedAt.IsZero() {
			p["d:resourcetype"] = `<d:collection/><x1:deleted-calendar xmlns:x1="http://nextcloud.com/ns"/>`
			p["x1:deleted-at"] = c.deletedAt.UTC().Format("2006-01-02T15:04:05+00:00")
		}
		var comps strings.Builder
		for _, comp := range c.components {
			comps.WriteString(`<cal:comp name="` + comp + `"/>`)
		}
		p["cal:supported-calendar-component-set"] = comps.String()
		if c.description != "" {
			p["cal:calendar-description"] = html.EscapeString(c.description)
		}
		if c.color != "" {
			p["ap:calendar-color"] = html.EscapeString(c.color)
		}
	} else {
		p["d:resourcetype"] = "<d:collection/><card:addressbook/>"
		if c.description != "" {
			p["card:addressbook-description"] = html.EscapeString(c.description)
		}
	}
	return p
}

func objectProps(o *object, kind string) propSet {
	p := propSet{
		"d:getetag":          "&quot;" + o.etag + "&quot;",
		"d:getcontentlength": fmt.Sprint(len(o.data)),
		"d:getlastmodified":  o.modTime.UTC().Format(http.TimeFormat),
		"d:resourcetype":     "",
	}
	if kind == "calendars" {
		p["d:getcontenttype"] = "text/calendar; charset=utf-8; component=vevent"
		p["cal:calendar-data"] = html.EscapeString(string(o.data))
	} else {
		p["d:getcontenttype"] = "text/vcard; charset=utf-8"
		p["card:address-data"] = html.EscapeString(string(o.data))
	}
	return p
}

var prefixes = map[string]string{nsApple: "ap", nsDAV: "d", nsCal: "cal", nsCard: "card", nsCS: "cs", nsOC: "oc", "http://nextcloud.org/ns": "nc", nsNC: "x1"}

// requestedProps lists the "prefix:name" properties a PROPFIND or REPORT
// asks for; nil means all (allprop or no body).
func requestedProps(r *http.Request) []string {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	r.Body = io.NopCloser(bytes.NewReader(body)) // read again by reportHrefs
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := xml.NewDecoder(bytes.NewReader(body))
	var out []string
	depth, propDepth := 0, -1
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if t.Name.Local == "allprop" {
				return nil
			}
			if t.Name.Local == "prop" && t.Name.Space == nsDAV && propDepth < 0 {
				propDepth = depth
			} else if propDepth > 0 && depth == propDepth+1 {
				pfx, ok := prefixes[t.Name.Space]
				if !ok {
					pfx = "x"
				}
				out = append(out, pfx+":"+t.Name.Local)
			}
		case xml.EndElement:
			if depth == propDepth {
				propDepth = -2 // only the first <prop>
			}
			depth--
		}
	}
	return out
}

// reportHrefs returns the object names a multiget asks for, nil for a query.
func reportHrefs(r *http.Request) map[string]bool {
	if r.Method != "REPORT" {
		return nil
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	dec := xml.NewDecoder(bytes.NewReader(body))
	var out map[string]bool
	for {
		tok, err := dec.Token()
		if err != nil {
			return out
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "href" && se.Name.Space == nsDAV {
			var h string
			if dec.DecodeElement(&h, &se) == nil {
				if out == nil {
					out = map[string]bool{}
				}
				name, _ := url.PathUnescape(path.Base(h))
				out[name] = true
			}
		}
	}
}

// writeResponse writes one <d:response> for href, given unescaped and
// escaped here as Sabre does.
func writeResponse(b *bytes.Buffer, href string, have propSet, want []string) {
	b.WriteString("<d:response><d:href>" + html.EscapeString(sabrePath(href)) + "</d:href>")
	var found, missing []string
	if want == nil {
		for _, k := range sortedKeys(have) {
			found = append(found, k)
		}
	} else {
		for _, k := range want {
			if _, ok := have[k]; ok {
				found = append(found, k)
			} else {
				missing = append(missing, k)
			}
		}
	}
	if len(found) > 0 {
		b.WriteString("<d:propstat><d:prop>")
		for _, k := range found {
			if have[k] == "" {
				b.WriteString("<" + k + nsAttr(k) + "/>")
			} else {
				b.WriteString("<" + k + nsAttr(k) + ">" + have[k] + "</" + k + ">")
			}
		}
		b.WriteString("</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>")
	}
	if len(missing) > 0 {
		b.WriteString("<d:propstat><d:prop>")
		for _, k := range missing {
			if strings.HasPrefix(k, "x:") {
				continue
			}
			b.WriteString("<" + k + nsAttr(k) + "/>")
		}
		b.WriteString("</d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>")
	}
	b.WriteString("</d:response>")
}

func multistatus(w http.ResponseWriter, inner []byte) {
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusMultiStatus)
	io.WriteString(w, `<?xml version="1.0"?>`+"\n"+`<d:multistatus xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns" xmlns:cal="urn:ietf:params:xml:ns:caldav" xmlns:cs="http://calendarserver.org/ns/" xmlns:card="urn:ietf:params:xml:ns:carddav" xmlns:oc="http://owncloud.org/ns" xmlns:nc="http://nextcloud.org/ns">`)
	w.Write(inner)
	io.WriteString(w, "</d:multistatus>\n")
}

// xmlText returns the text of the first element with the given local name.
func xmlText(body []byte, local string) string {
	dec := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == local {
			var s string
			if dec.DecodeElement(&s, &se) == nil {
				return s
			}
			return ""
		}
	}
}

// nsAttr declares the x1: namespace where Sabre does: on the element itself.
func nsAttr(k string) string {
	if strings.HasPrefix(k, "x1:") {
		return ` xmlns:x1="` + nsNC + `"`
	}
	if strings.HasPrefix(k, "ap:") {
		return ` xmlns:ap="` + nsApple + `"`
	}
	return ""
}

// writeSharedIn lists the calendars or address books others share with
// user, directly, through a group or a team, as Nextcloud shows them in the
// sharee's home: "<uri>_shared_by_<owner>", named "<name> (<owner's name>)"
// (fixtures 346, 352).
func (s *Server) writeSharedIn(b *bytes.Buffer, user, kind, home string, props []string) {
	for _, owner := range sortedKeys(s.dav) {
		if owner == user {
			continue
		}
		colls := s.dav[owner].collections(kind)
		for _, uri := range sortedKeys(colls) {
			c := colls[uri]
			if !slices.ContainsFunc(c.sharees, func(sh sharee) bool { return s.reachesLocked(sh, user) }) {
				continue
			}
			p := s.collProps(c, kind)
			p["d:displayname"] = html.EscapeString(c.displayName + " (" + s.users[owner].DisplayName + ")")
			writeResponse(b, home+uri+"_shared_by_"+owner+"/", p, props)
		}
	}
}

// sharedInLocked returns the collection another account shares with user
// under the name "<uri>_shared_by_<owner>" (fixtures 346, 352), or nil.
func (s *Server) sharedInLocked(user, kind, name string) *collection {
	uri, owner, ok := strings.Cut(name, "_shared_by_")
	if !ok || s.dav[owner] == nil {
		return nil
	}
	c := s.dav[owner].collections(kind)[uri]
	if c == nil || !slices.ContainsFunc(c.sharees, func(sh sharee) bool { return s.reachesLocked(sh, user) }) {
		return nil
	}
	return c
}

// shareCollection handles the oc-resource-sharing POST on a calendar or an
// address book (fixtures 340, 344, 350): <o:share> with
// <o:set> (read-only unless <o:read-write/>) and <o:remove> of principals.
func (s *Server) shareCollection(w http.ResponseWriter, r *http.Request, c *collection) {
	var req struct {
		Set []struct {
			Href      string    `xml:"DAV: href"`
			ReadWrite *struct{} `xml:"http://owncloud.org/ns read-write"`
		} `xml:"http://owncloud.org/ns set"`
		Remove []struct {
			Href string `xml:"DAV: href"`
		} `xml:"http://owncloud.org/ns remove"`
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err := xml.Unmarshal(body, &req); err != nil {
		sabreError(w, http.StatusBadRequest, `Sabre\DAV\Exception\BadRequest`, "The request body was not a valid share request")
		return
	}
	for _, rm := range req.Remove {
		c.sharees = slices.DeleteFunc(c.sharees, func(sh sharee) bool { return sh.href == rm.Href })
	}
	for _, set := range req.Set {
		principal := strings.TrimPrefix(set.Href, "principal:")
		if _, ok := s.principalNameLocked(principal); !ok || principal == "principals/users/"+c.owner {
			continue // Sabre ignores principals it cannot resolve
		}
		c.sharees = slices.DeleteFunc(c.sharees, func(sh sharee) bool { return sh.href == set.Href })
		c.sharees = append(c.sharees, sharee{href: set.Href, readWrite: set.ReadWrite != nil})
	}
	w.Header().Set("X-Sabre-Status", "everything-went-well")
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.WriteHeader(http.StatusOK)
}

// serveTrashbin serves the calendar trash bin: its PROPFIND (restore/ and
// objects/, with the retention), and 501 for a PROPFIND of objects/.
func (s *Server) serveTrashbin(w http.ResponseWriter, r *http.Request, colls map[string]*collection, home, name string) {
	if r.Method != "PROPFIND" {
		sabreError(w, http.StatusNotImplemented, `Sabre\DAV\Exception\NotImplemented`, r.Method+" is not implemented")
		return
	}
	if name != "" {
		sabreError(w, http.StatusNotImplemented, `Sabre\DAV\Exception\NotImplemented`, "PROPFIND is not implemented")
		return
	}
	props := requestedProps(r)
	var b bytes.Buffer
	writeResponse(&b, home+"trashbin/", propSet{"d:resourcetype": "<d:collection/><nc:trash-bin/>",
		"nc:trash-bin-retention-duration": fmt.Sprint(int(trashRetention.Seconds()))}, props)
	if r.Header.Get("Depth") != "0" {
		writeResponse(&b, home+"trashbin/restore/", propSet{"d:resourcetype": "<d:collection/>"}, props)
		writeResponse(&b, home+"trashbin/objects/", propSet{"d:resourcetype": "<d:collection/>"}, props)
	}
	multistatus(w, b.Bytes())
}

// componentUID returns the UID of an iCalendar object or a vCard ("" if none).
func componentUID(data []byte) string {
	for _, l := range strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") {
		if strings.HasPrefix(l, "UID:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "UID:"))
		}
	}
	return ""
}

// convertVCard imitates Sabre's conversion on a GET: without
// "Accept: text/vcard; version=4.0" every card is served as vCard 3.0, a
// 4.0 card losing what 3.0 cannot hold (KIND, PRODID, BDAY without year,
// ANNIVERSARY, PREF); with it, 3.0 cards are converted to 4.0. A card
// already in the wanted version is served as stored.
func convertVCard(data []byte, want4 bool) []byte {
	text := string(data)
	is4 := strings.Contains(text, "\nVERSION:4.0")
	if is4 == want4 {
		return data
	}
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	var out []string
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "VERSION:"):
			if want4 {
				l = "VERSION:4.0"
			} else {
				l = "VERSION:3.0"
			}
		case strings.HasPrefix(l, "PRODID:"):
			l = "PRODID:-//Sabre//Sabre VObject 4.5.6//EN"
		case !want4 && strings.HasPrefix(l, "KIND:"):
			continue
		case !want4 && strings.HasPrefix(l, "BDAY:--"):
			l = "BDAY;X-APPLE-OMIT-YEAR=1604:1604-" + l[len("BDAY:--"):len("BDAY:--")+2] + "-" + l[len("BDAY:--")+2:]
		case !want4 && strings.HasPrefix(l, "ANNIVERSARY"):
			l = "X-" + l
		case !want4:
			l = strings.Replace(l, ";PREF=1", ";TYPE=PREF", 1)
		}
		out = append(out, l)
	}
	return []byte(strings.Join(out, "\r\n"))
}
