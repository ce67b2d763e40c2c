// Package pahekotest is a fake Paheko 1.3.22.1, faithful to the exchanges
// captured from a real one (shared/fixtures/paheko-1.3.22 and
// paheko-1.3.22-oidc): Basic authentication with API keys of three levels
// (401 without credentials, 403 with wrong ones), members in an SQLite
// database with Paheko's rules (ids reused, unique e-mail and number, 409 for
// a duplicate name, protected admin members, id_category ignored on update),
// the read-only SQL endpoint, French error messages, and Paheko's OIDC client
// so that single sign-on can be tested end to end. Tests and the embedded demo
// run against it.
package pahekotest

import (
	"crypto/subtle"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"assokit/internal/paheko"
)

// Version is the Paheko version the fake behaves like.
const Version = "1.3.22.1"

// API key levels, as Paheko's Session::ACCESS_*.
const (
	LevelRead  = 1
	LevelWrite = 2
	LevelAdmin = 9
)

// Category is a member category and the rights it carries.
type Category struct {
	ID                                                                         int
	Name                                                                       string
	PermWeb, PermDocuments, PermUsers, PermAccounting, PermConnect, PermConfig int
	Hidden                                                                     bool
}

// Member is a member as tests seed or read it. Fields holds the dynamic
// fields by key (nom, email, ville, nextcloud_uid…).
type Member struct {
	ID         int
	CategoryID int
	Fields     map[string]any
}

type credential struct {
	secret string
	level  int
	system bool // API_USER from config.local.php: may use any category
}

// Server is a fake Paheko. Create it with New; it is safe for concurrent use.
type Server struct {
	mu         sync.Mutex
	db         *sql.DB
	fields     []field
	keys       map[string]credential
	defaultCat int
	loc        *time.Location
	now        func() time.Time
	url        string

	requests int
	failures map[int]int // request number → status to answer instead
	lost     map[int]int // request number → status to answer after doing it
	creating atomic.Int32
	slowNew  time.Duration

	oidc     OIDCConfig
	sessions map[string]int    // pko cookie → member id
	states   map[string]string // pre-login cookie → state sent to the IdP
}

// New returns a fake Paheko freshly installed: the three categories of an
// install ("Membres actifs" the default, "Anciens membres", "Administrateurs")
// and its first administrator, member 1.
func New() (*Server, error) {
	db, err := openDB()
	if err != nil {
		return nil, fmt.Errorf("pahekotest: %w", err)
	}
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		loc = time.UTC
	}
	s := &Server{db: db, fields: append([]field(nil), defaultFields...), keys: map[string]credential{},
		defaultCat: 1, loc: loc, now: time.Now, sessions: map[string]int{}, states: map[string]string{}}
	for _, c := range []Category{
		{ID: 3, Name: "Administrateurs", PermWeb: 9, PermDocuments: 9, PermUsers: 9, PermAccounting: 9, PermConnect: 1, PermConfig: 9},
		{ID: 2, Name: "Anciens membres", Hidden: true},
		{ID: 1, Name: "Membres actifs", PermConnect: 1},
	} {
		if err := s.AddCategory(c); err != nil {
			return nil, err
		}
	}
	if _, err := s.AddMember(Member{CategoryID: 3, Fields: map[string]any{"nom": "Admin", "email": "admin@paheko.example"}}); err != nil {
		return nil, err
	}
	return s, nil
}

// NewServer starts a fake Paheko on loopback for the test and stops it at the end.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	s.SetURL(ts.URL)
	t.Cleanup(func() { ts.Close(); s.Close() })
	return s
}

// Close frees the database.
func (s *Server) Close() error { return s.db.Close() }

// SetURL tells the fake the address it is served at (its WWW_URL, without a
// trailing slash); the OIDC redirect URI is built from it.
func (s *Server) SetURL(u string) { s.mu.Lock(); s.url = strings.TrimSuffix(u, "/"); s.mu.Unlock() }

// URL is the address set with SetURL.
func (s *Server) URL() string { s.mu.Lock(); defer s.mu.Unlock(); return s.url }

// SetClock replaces the clock used for date_updated.
func (s *Server) SetClock(now func() time.Time) { s.mu.Lock(); s.now = now; s.mu.Unlock() }

// AddKey creates API credentials with the given level (LevelRead, LevelWrite, LevelAdmin).
func (s *Server) AddKey(key, secret string, level int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[key] = credential{secret: secret, level: level}
	s.db.Exec(`INSERT INTO api_credentials (label, key, secret, access_level) VALUES (?, ?, '', ?)`, key, key, level)
}

// SetSystemUser sets API_USER / API_PASSWORD: admin level, any category.
func (s *Server) SetSystemUser(user, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[user] = credential{secret: password, level: LevelAdmin, system: true}
}

// AddCategory creates a category, as an admin does in the UI.
func (s *Server) AddCategory(c Category) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.db.Exec(`INSERT INTO users_categories (id, name, perm_web, perm_documents, perm_users, perm_accounting,
		perm_connect, perm_config, hidden) VALUES (NULLIF(?, 0), ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Name, c.PermWeb, c.PermDocuments, c.PermUsers, c.PermAccounting, c.PermConnect, c.PermConfig, c.Hidden)
	if err != nil {
		return fmt.Errorf("pahekotest: add category %q: %w", c.Name, err)
	}
	return nil
}

// RenameCategory renames a category, as an admin does in the UI.
func (s *Server) RenameCategory(id int, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.db.Exec(`UPDATE users_categories SET name = ? WHERE id = ?`, name, id)
	return err
}

// AddField adds a text field to the member record, as an admin does in
// "Fiche des membres" (AssoKit's link field is "nextcloud_uid").
func (s *Server) AddField(key, label string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.db.Exec(`ALTER TABLE users ADD COLUMN ` + key + ` TEXT`); err != nil {
		return fmt.Errorf("pahekotest: add field %s: %w", key, err)
	}
	s.fields = append(s.fields, field{key, label, "text"})
	return nil
}

// AddMember creates a member directly in the database (as an admin in the UI
// would), any category allowed. It returns the member's id.
func (s *Server) AddMember(m Member) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	params := map[string]string{}
	for k, v := range m.Fields {
		params[k] = fmt.Sprint(v)
	}
	if m.CategoryID == 0 {
		m.CategoryID = s.defaultCat
	}
	id, _, err := s.insertMemberLocked(params, m.CategoryID)
	if err != nil {
		return 0, err
	}
	return id, nil
}

// SetMemberCategory moves a member to another category, as an admin does in the UI.
func (s *Server) SetMemberCategory(id, categoryID int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.db.Exec(`UPDATE users SET id_category = ? WHERE id = ?`, categoryID, id)
	return err
}

// SetMemberField changes one field of a member directly, as an admin in the UI.
func (s *Server) SetMemberField(id int, key string, value any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.hasFieldLocked(key) {
		return fmt.Errorf("pahekotest: no field %s", key)
	}
	_, err := s.db.Exec(`UPDATE users SET `+key+` = ? WHERE id = ?`, value, id)
	return err
}

// DeleteMember deletes a member directly, as an admin in the UI.
func (s *Server) DeleteMember(id int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.db.Exec(`DELETE FROM users WHERE id = ?`, id)
	return err
}

// Members returns every member, by id.
func (s *Server) Members() []Member {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids, err := s.idsLocked(`SELECT id FROM users ORDER BY id`)
	if err != nil {
		return nil
	}
	out := make([]Member, 0, len(ids))
	for _, id := range ids {
		if m, err := s.memberLocked(id); err == nil {
			out = append(out, m)
		}
	}
	return out
}

// Member returns one member.
func (s *Server) Member(id int) (Member, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.memberLocked(id)
}

// RequestCount is the number of /api requests served so far.
func (s *Server) RequestCount() int { s.mu.Lock(); defer s.mu.Unlock(); return s.requests }

// FailNext makes the next API requests fail with these statuses, one each
// (a 500 answers a text body, as Paheko's uncaught errors do).
func (s *Server) FailNext(statuses ...int) { s.FailAfter(0, statuses...) }

// FailAfter lets n API requests through, then fails the next ones with these statuses.
func (s *Server) FailAfter(n int, statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failures == nil {
		s.failures = map[int]int{}
	}
	for i, st := range statuses {
		s.failures[s.requests+n+i+1] = st
	}
}

// LoseAnswers lets n API requests through, then carries out the next ones
// but answers them with these statuses, as when Paheko did the work and
// its answer was lost (a proxy's 502, a timeout).
func (s *Server) LoseAnswers(n int, statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lost == nil {
		s.lost = map[int]int{}
	}
	for i, st := range statuses {
		s.lost[s.requests+n+i+1] = st
	}
}

// SlowCreate makes every user/new take d, so that tests can overlap two.
func (s *Server) SlowCreate(d time.Duration) { s.mu.Lock(); s.slowNew = d; s.mu.Unlock() }

// ServeHTTP serves the API under /api/ and the admin login pages under /admin/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Powered-By", "PHP/8.2.36")
	switch {
	case strings.HasPrefix(r.URL.Path, "/api/"):
		s.serveAPI(w, r)
	case strings.HasPrefix(r.URL.Path, "/admin"):
		s.serveAdmin(w, r)
	default:
		http.Redirect(w, r, "/admin/", http.StatusFound)
	}
}

// authenticate checks Basic credentials in constant time.
func (s *Server) authenticate(r *http.Request) (credential, int, string) {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return credential{}, http.StatusUnauthorized, "No username or password supplied"
	}
	s.mu.Lock()
	c, found := s.keys[user]
	s.mu.Unlock()
	if !found || subtle.ConstantTimeCompare([]byte(c.secret), []byte(pass)) != 1 {
		return credential{}, http.StatusForbidden, "Invalid username or password"
	}
	return c, 0, ""
}

// Bridge is what a Paheko prepared for AssoKit has: the role categories, the
// "Nextcloud — Membre" category, the nextcloud_uid field and a write key.
type Bridge struct {
	Key, Secret string
	Categories  map[string]int // role ("" for members) → category id
}

// PrepareBridge prepares the fake as AssoKit's setup page asks an admin to:
// it creates the categories of paheko.RoleCategories and paheko.MemberCategory,
// the nextcloud_uid field and a write key.
func (s *Server) PrepareBridge() (Bridge, error) {
	b := Bridge{Key: "assokit", Secret: "assokit-write-secret-0001", Categories: map[string]int{}}
	next := 10
	add := func(role string, c paheko.Category) error {
		b.Categories[role] = next
		err := s.AddCategory(Category{ID: next, Name: c.Name, PermUsers: c.PermUsers, PermAccounting: c.PermAccounting,
			PermDocuments: c.PermDocuments, PermWeb: c.PermWeb, PermConnect: c.PermConnect, PermConfig: c.PermConfig})
		next++
		return err
	}
	for _, rc := range paheko.RoleCategories {
		if err := add(rc.Role, rc.Category); err != nil {
			return b, err
		}
	}
	if err := add("", paheko.MemberCategory); err != nil {
		return b, err
	}
	if err := s.AddField("nextcloud_uid", "Identifiant Nextcloud"); err != nil {
		return b, err
	}
	s.AddKey(b.Key, b.Secret, LevelWrite)
	return b, nil
}
