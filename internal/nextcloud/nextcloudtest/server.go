// Package nextcloudtest is a fake Nextcloud 32 with AppAPI, faithful to the
// exchanges captured from a real one (shared/fixtures/nextcloud-32): the same
// AppAPI authentication rules, OCS envelopes and status codes, provisioning,
// the AppAPI endpoints an ExApp calls, per-user WebDAV files, CalDAV
// calendars and CardDAV address books, the embedded top-menu page and the
// proxy to the ExApp. It drives an ExApp through registration the way AppAPI
// does. Tests and the embedded demo run against it.
package nextcloudtest

import (
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/webdav"
)

// Version is the Nextcloud version the fake claims to be.
const Version = "32.0.1"

// AAVersion is the AppAPI version the fake claims to be.
const AAVersion = "32.0.0"

// Server is a fake Nextcloud. Create it with New; it is safe for concurrent use.
type Server struct {
	mu     sync.Mutex
	url    string
	users  map[string]*User
	groups map[string]bool
	// Display names of the groups that have one other than their id.
	groupNames map[string]string
	teams      map[string]team // circles of the Teams app, by id
	apps       map[string]*ExApp
	// Apps with a navigation entry, by id, and pages served without one.
	navApps    map[string]installedApp
	extraPages map[string]PageHandler
	dav        map[string]*userDAV // by uid
	notes      []Notification
	mails      []Mail // iTIP messages scheduling would have mailed
	logs       []LogEntry

	transfers    map[int]*fileTransfer // files app ownership transfers
	lastTransfer int                   // ids of oc_user_transfer_owner
	shares       []*Share
	lastShare    int // ids of oc_share
	fault        Fault
	deck         *deckState // nil until Deck is first used
	talk         *talkState // nil until Talk is first used
	fileBytes    int64      // file content served or received over WebDAV
	cronStop     chan struct{}
	nextID       int
	now          func() time.Time

	// Requests counts the requests served, by "METHOD path-prefix" class;
	// benchmarks read it.
	requests map[string]int

	ts *httptest.Server
}

// Fault decides whether the fake fails a request instead of serving it: a
// status to answer (0: serve), and a delay before answering (a timeout when
// longer than the client waits). Tests inject failures with SetFault.
type Fault func(r *http.Request) (status int, delay time.Duration)

// SetFault installs f (nil: none).
func (s *Server) SetFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

// User is an account of the fake.
type User struct {
	ID          string
	DisplayName string
	Email       string
	Password    string
	Groups      []string
	Enabled     bool
	Language    string
	LastLogin   time.Time
	FirstLogin  time.Time // zero: the last sign-in was the first
	Quota       int64     // bytes; 0 is unlimited
	created     time.Time
}

// Notification is a notification of a user: sent by an ExApp (App is the
// app id, ObjectType "app_api") or by Nextcloud's files app (App "files",
// ObjectType "transfer").
type Notification struct {
	ID         int
	App        string
	User       string
	ObjectType string
	ObjectID   string
	Subject    string
	Message    string
	Link       string
	Time       time.Time

	subjectRich, messageRich     string
	subjectParams, messageParams map[string]any
	actions                      []map[string]any
}

// LogEntry is a line an ExApp wrote in the log.
type LogEntry struct {
	App     string
	Level   int
	Message string
}

type userDAV struct {
	files   webdav.FileSystem
	locks   webdav.LockSystem
	cals    map[string]*collection
	books   map[string]*collection
	handler *webdav.Handler
	mounts  map[string]*mount // shares received and external storage, by path in this user's files
}

// New returns a fake with an "admin" account in group "admin". It does not
// listen: call Start, or use it as an http.Handler.
func New() *Server {
	s := &Server{
		users: map[string]*User{}, groups: map[string]bool{"admin": true}, groupNames: map[string]string{}, teams: map[string]team{},
		apps: map[string]*ExApp{}, navApps: map[string]installedApp{}, extraPages: map[string]PageHandler{}, dav: map[string]*userDAV{}, requests: map[string]int{},
		transfers: map[int]*fileTransfer{},
		now:       time.Now, nextID: 1,
	}
	s.AddUser(User{ID: "admin", DisplayName: "admin", Password: "admin", Groups: []string{"admin"}, Enabled: true})
	return s
}

// SetClock sets the fake's clock (time.Now by default): the date in the
// "Transferred from … on DATE" folders comes from it, so that tests can
// play transfers run in the same second, which land in the same folder.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// NewServer starts a fake on a loopback port for the duration of the test.
func NewServer(t interface{ Cleanup(func()) }) *Server {
	s := New()
	s.ts = httptest.NewServer(s)
	s.url = s.ts.URL
	t.Cleanup(s.Close)
	return s
}

// SetURL tells the fake the base URL it is reached at (for absolute URLs in
// its answers) when it is served by someone else.
func (s *Server) SetURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.url = strings.TrimSuffix(u, "/")
}

// URL returns the fake's base URL.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// Close stops a fake started by NewServer.
func (s *Server) Close() {
	s.StopCron()
	if s.ts != nil {
		s.ts.Close()
	}
}

// AddUser creates (or replaces) an account. Groups that do not exist are created.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addUserLocked(u)
}

func (s *Server) addUserLocked(u User) {
	if u.DisplayName == "" {
		u.DisplayName = u.ID
	}
	if u.Language == "" {
		u.Language = "en"
	}
	u.created = s.now()
	for _, g := range u.Groups {
		s.groups[g] = true
	}
	cp := u
	cp.Groups = append([]string(nil), u.Groups...)
	s.users[u.ID] = &cp
}

// DeleteUser deletes an account, as an admin does; its uid may be given to
// a new account afterwards.
func (s *Server) DeleteUser(uid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.users, uid)
}

// AddGroup creates a group.
func (s *Server) AddGroup(gid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[gid] = true
}

// NameGroup gives group gid (created if needed) the display name name, as
// an admin does in Nextcloud's account settings.
func (s *Server) NameGroup(gid, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[gid] = true
	s.groupNames[gid] = name
}

// Users returns a copy of every account, sorted by uid.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, 0, len(s.users))
	for _, u := range s.users {
		cp := *u
		cp.Groups = append([]string(nil), u.Groups...)
		out = append(out, cp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Notifications returns the notifications sent so far.
func (s *Server) Notifications() []Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Notification(nil), s.notes...)
}

// Logs returns the lines ExApps wrote in the log.
func (s *Server) Logs() []LogEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]LogEntry(nil), s.logs...)
}

// RequestCount returns how many requests the fake served whose class starts
// with prefix ("" for all), e.g. "OCS" (Talk's included), "OCS TALK", "DAV",
// "DECK".
func (s *Server) RequestCount(prefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, v := range s.requests {
		if strings.HasPrefix(k, prefix) {
			n += v
		}
	}
	return n
}

func (s *Server) isAdminLocked(uid string) bool {
	u := s.users[uid]
	return u != nil && hasGroup(u.Groups, "admin")
}

func hasGroup(groups []string, g string) bool {
	for _, x := range groups {
		if x == g {
			return true
		}
	}
	return false
}

// ServeHTTP routes a request like Nextcloud's front controllers do.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, file := staticPaths[r.URL.Path]; !file && strings.HasPrefix(r.URL.Path, "/apps/") {
		// With pretty URLs (modRewriteWorking, as the captured page says),
		// Nextcloud serves /apps/... as /index.php/apps/...
		r.URL.Path = "/index.php" + r.URL.Path
	}
	p := r.URL.Path
	class := "OTHER"
	switch {
	case strings.HasPrefix(p, "/ocs/v1.php/"), strings.HasPrefix(p, "/ocs/v2.php/"):
		class = "OCS"
	case strings.HasPrefix(p, "/remote.php/dav/"):
		class = "DAV"
	case strings.HasPrefix(p, "/index.php/apps/app_api/proxy/"):
		class = "PROXY"
	case strings.HasPrefix(p, "/index.php/apps/deck/api/"), strings.HasSuffix(p, "/transferOwner") && strings.HasPrefix(p, "/index.php/apps/deck/"):
		class = "DECK"
	}
	key := class
	if class == "OCS" && strings.Contains(p, "/apps/spreed/") {
		key = "OCS TALK"
	}
	s.mu.Lock()
	s.requests[key]++
	fault := s.fault
	s.mu.Unlock()
	commonHeaders(w)
	if fault != nil {
		if status, delay := fault(r); status != 0 || delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
			if status != 0 {
				failRequest(w, r, class, status)
				return
			}
		}
	}
	switch class {
	case "OCS":
		s.serveOCS(w, r)
	case "DAV":
		s.serveDAV(w, r)
	case "PROXY":
		s.serveProxy(w, r)
	case "DECK":
		s.serveDeck(w, r)
	default:
		s.servePages(w, r)
	}
}

// failRequest answers an injected failure the way Nextcloud would for that
// kind of request: a Sabre error for DAV, an OCS envelope for OCS.
func failRequest(w http.ResponseWriter, r *http.Request, class string, status int) {
	switch {
	case class == "DAV" && status == http.StatusInsufficientStorage:
		sabreError(w, status, `Sabre\DAV\Exception\InsufficientStorage`, "Insufficient space in /")
	case class == "DAV":
		sabreError(w, status, `Sabre\DAV\Exception\ServiceUnavailable`, "Injected failure")
	case class == "OCS":
		o := &ocsReq{w: w, r: r, v2: strings.HasPrefix(r.URL.Path, "/ocs/v2.php/")}
		o.reply(status, "", []any{})
	default:
		http.Error(w, http.StatusText(status), status)
	}
}

// commonHeaders are set by Nextcloud (and its Apache) on every answer.
func commonHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("X-Permitted-Cross-Domain-Policies", "none")
	h.Set("X-Robots-Tag", "noindex, nofollow")
	h.Set("Referrer-Policy", "no-referrer")
}
