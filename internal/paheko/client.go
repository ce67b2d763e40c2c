// Package paheko is AssoKit's client for Paheko's REST API (1.3.x): member
// categories, read-only SQL to list members, and member creation and update.
// Credentials are an API key and secret sent with HTTP Basic on every
// request; they never appear in an error or a log line.
package paheko

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"assokit/internal/errcode"
)

// Errors a Paheko call may wrap; test with errors.Is.
var (
	ErrUnreachable  = errcode.New("paheko_unreachable", "paheko: unreachable")                       // network error, timeout or 5xx
	ErrUnauthorized = errcode.New("paheko_refused", "paheko: wrong API key or secret")               // 401, 403 "Invalid username or password"
	ErrRights       = errcode.New("paheko_key_read_only", "paheko: the API key has too low a level") // 403 "You do not have enough rights"
	ErrProtected    = errors.New("paheko: admin members cannot be changed")                          // 403 on an admin member
	ErrCategory     = errors.New("paheko: category not allowed")                                     // 403 on user/new
	ErrNotFound     = errors.New("paheko: not found")                                                // 404
	ErrDuplicate    = errors.New("paheko: a member with this name exists")                           // 409
	ErrInvalid      = errors.New("paheko: refused as invalid")                                       // 400
	ErrNotPaheko    = errcode.New("paheko_not_paheko", "paheko: the answer is not Paheko's")         // unexpected body
	ErrMoved        = errcode.New("paheko_moved", "paheko: the address sends elsewhere")             // 3xx: not followed
	ErrFieldName    = errors.New("paheko: not a member field name")                                  // refused before any request
)

// Error is a failed Paheko call. Message is Paheko's own text (often French).
type Error struct {
	Method, Path string
	StatusCode   int
	Message      string
	kind         error
}

func (e *Error) Error() string {
	if e.StatusCode == 0 {
		return fmt.Sprintf("paheko %s %s: %s", e.Method, e.Path, e.Message)
	}
	return fmt.Sprintf("paheko %s %s: HTTP %d: %s", e.Method, e.Path, e.StatusCode, e.Message)
}

// Is makes errors.Is(err, ErrProtected) and the like work.
func (e *Error) Is(target error) bool { return e.kind == target }

// Message returns Paheko's own text for a failed call (often French), or "".
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return ""
}

// Permanent reports whether retrying the same request cannot succeed.
func (e *Error) Permanent() bool { return e.kind != ErrUnreachable }

// Config is what the client needs. URL is the address of Paheko (its
// WWW_URL, e.g. https://asso.example.org/).
type Config struct {
	URL        string
	Key        string
	Secret     string
	HTTPClient *http.Client
	Timeout    time.Duration // per request; default 20 s
}

// Client calls one Paheko. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	key     string
	secret  string
	http    *http.Client
	timeout time.Duration
}

// SameHost reports whether two Paheko addresses lead to the same server:
// same host name (case aside) and port (the scheme's when none is written).
// The API secret follows an address only to the same server.
func SameHost(a, b string) bool {
	ua, errA := url.Parse(strings.TrimSpace(a))
	ub, errB := url.Parse(strings.TrimSpace(b))
	if errA != nil || errB != nil || ua.Hostname() == "" {
		return false
	}
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		if strings.EqualFold(u.Scheme, "http") {
			return "80"
		}
		return "443"
	}
	return strings.EqualFold(ua.Hostname(), ub.Hostname()) && port(ua) == port(ub)
}

// New checks cfg and returns a client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(cfg.URL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("paheko: %w: the address must start with https://", ErrInvalid)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	if cfg.Key == "" || cfg.Secret == "" {
		return nil, fmt.Errorf("paheko: %w: API key and secret are required", ErrInvalid)
	}
	c := &Client{base: u, key: cfg.Key, secret: cfg.Secret, http: cfg.HTTPClient, timeout: cfg.Timeout}
	if c.http == nil {
		c.http = &http.Client{}
	}
	// A redirect is never followed: Go would send a POST on as a GET
	// without its body (Paheko does not refuse user/new by GET, capture
	// 44) and drop the key on the way from http:// to https://, so the
	// admin would read "wrong key". The answer says where Paheko is.
	h := *c.http
	h.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.http = &h
	if c.timeout == 0 {
		c.timeout = 20 * time.Second
	}
	return c, nil
}

// call sends one API request. form, when not nil, is sent as JSON; out, when
// not nil, receives the decoded answer.
func (c *Client) call(ctx context.Context, method, path string, in any, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+"/api/"+path, body)
	if err != nil {
		return err
	}
	req.SetBasicAuth(c.key, c.secret) // Paheko sends no challenge: always up front
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		msg := "no answer"
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			msg = "no answer in time"
		}
		return &Error{Method: method, Path: path, Message: msg, kind: ErrUnreachable}
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return &Error{Method: method, Path: path, StatusCode: resp.StatusCode,
			Message: "sent to " + resp.Header.Get("Location"), kind: ErrMoved}
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return &Error{Method: method, Path: path, StatusCode: resp.StatusCode, Message: "answer cut short", kind: ErrUnreachable}
	}
	return decodeAnswer(method, path, resp.StatusCode, raw, out)
}

// decodeAnswer reads Paheko's answer to method path: an error for a status
// other than 200 (see responseError), else the JSON body decoded into out
// (when not nil), numbers as json.Number.
func decodeAnswer(method, path string, status int, raw []byte, out any) error {
	if status != http.StatusOK {
		return responseError(method, path, status, raw)
	}
	if out == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return &Error{Method: method, Path: path, StatusCode: status, Message: "the answer is not JSON", kind: ErrNotPaheko}
	}
	return nil
}

// responseError classifies a non-200 answer. Paheko answers {"error": "…"}
// for the errors it expects and a text page for the others.
func responseError(method, path string, status int, raw []byte) *Error {
	var body struct {
		Error string `json:"error"`
	}
	json.Unmarshal(raw, &body)
	e := &Error{Method: method, Path: path, StatusCode: status, Message: body.Error}
	if e.Message == "" {
		e.Message = firstLine(string(raw))
	}
	switch {
	case status >= 500 || status == http.StatusTooManyRequests:
		e.kind = ErrUnreachable
	case body.Error == "":
		// Paheko answers {"error": "…"} for every 4xx it makes (captures
		// 00, 02, 05…): anything else is another server at this address.
		e.kind = ErrNotPaheko
	case status == http.StatusUnauthorized:
		e.kind = ErrUnauthorized
	case status == http.StatusForbidden:
		switch {
		case strings.Contains(body.Error, "Invalid username or password"):
			e.kind = ErrUnauthorized
		case strings.Contains(body.Error, "enough rights"):
			e.kind = ErrRights
		case strings.Contains(body.Error, "category"):
			e.kind = ErrCategory
		default:
			e.kind = ErrProtected
		}
	case status == http.StatusNotFound:
		e.kind = ErrNotFound
	case status == http.StatusConflict:
		e.kind = ErrDuplicate
	default:
		e.kind = ErrInvalid
	}
	return e
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// Category is a member category and the rights it gives (0, 1 read,
// 2 write, 9 admin; PermConfig 0 or 9).
type Category struct {
	ID             int    `json:"id"`
	Name           string `json:"name"`
	PermUsers      int    `json:"perm_users"`
	PermAccounting int    `json:"perm_accounting"`
	PermDocuments  int    `json:"perm_documents"`
	PermWeb        int    `json:"perm_web"`
	PermConnect    int    `json:"perm_connect"`
	PermConfig     int    `json:"perm_config"`
	Count          int    `json:"count"`
}

// Protected reports whether Paheko's API refuses to change members of the
// category (config admins and members admins).
func (c Category) Protected() bool { return c.PermConfig == 9 || c.PermUsers == 9 }

// Categories lists the member categories, by id. Paheko answers an object
// keyed by id, ordered by name.
func (c *Client) Categories(ctx context.Context) ([]Category, error) {
	var byID map[string]Category
	if err := c.call(ctx, http.MethodGet, "user/categories", nil, &byID); err != nil {
		return nil, fmt.Errorf("list categories: %w", err)
	}
	out := make([]Category, 0, len(byID))
	for _, cat := range byID {
		out = append(out, cat)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Query runs a read-only SELECT through /api/sql and returns its rows.
// Numbers come as json.Number. The endpoint takes no parameters: embed
// values in the text, escaped.
func (c *Client) Query(ctx context.Context, sql string) ([]map[string]any, error) {
	var res struct {
		Count   int              `json:"count"`
		Results []map[string]any `json:"results"`
	}
	if err := c.call(ctx, http.MethodPost, "sql", map[string]string{"sql": sql}, &res); err != nil {
		return nil, fmt.Errorf("query members: %w", err)
	}
	return res.Results, nil
}

// ValidFieldName reports whether key is a member field name as Paheko
// allows them: only such names are ever written into SQL sent to Paheko.
// Paheko's syntax is ^[a-z][a-z0-9]*(_[a-z0-9]+)*$
// (Entities/Users/DynamicField.php, selfCheck): a lower-case letter first,
// then letters and digits, with single underscores between them.
func ValidFieldName(key string) bool {
	if key == "" || key[0] < 'a' || key[0] > 'z' || key[len(key)-1] == '_' || strings.Contains(key, "__") {
		return false
	}
	for _, c := range []byte(key) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// HasField reports whether the member record has the field key (a custom
// field such as nextcloud_uid). A key that is not a Paheko field name gives
// ErrFieldName, without asking Paheko.
func (c *Client) HasField(ctx context.Context, key string) (bool, error) {
	if !ValidFieldName(key) {
		return false, fmt.Errorf("%q: %w", key, ErrFieldName)
	}
	_, err := c.Query(ctx, "SELECT "+key+" FROM users LIMIT 0")
	if errors.Is(err, ErrInvalid) {
		return false, nil
	}
	return err == nil, err
}

// Member is the part of a member record AssoKit reads.
type Member struct {
	ID         int
	Number     int
	Name       string
	Email      string
	UID        string // the nextcloud_uid field; empty when absent
	CategoryID int
}

// Members lists every member, pageSize per request (keyset paging on id):
// ⌈members/pageSize⌉ requests.
// With withUID the nextcloud_uid field is read too.
func (c *Client) Members(ctx context.Context, withUID bool, pageSize int) ([]Member, error) {
	if pageSize <= 0 {
		pageSize = 500
	}
	cols := "id, numero, nom, email, id_category"
	if withUID {
		cols += ", nextcloud_uid"
	}
	var out []Member
	last := 0
	for {
		// One row more than a page tells whether another page follows.
		rows, err := c.Query(ctx, fmt.Sprintf("SELECT %s FROM users WHERE id > %d ORDER BY id LIMIT %d", cols, last, pageSize+1))
		if err != nil {
			return nil, err
		}
		more := len(rows) > pageSize
		if more {
			rows = rows[:pageSize]
		}
		page, err := membersOf(rows, last)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) > 0 {
			last = page[len(page)-1].ID
		}
		if !more {
			return out, nil
		}
	}
}

// membersOf reads rows of /api/sql as members. Their ids must go up from
// after, as "WHERE id > after ORDER BY id" asks: anything else is not
// Paheko's answer (and would page forever).
func membersOf(rows []map[string]any, after int) ([]Member, error) {
	out := make([]Member, 0, len(rows))
	for _, r := range rows {
		m := rowMember(r)
		if m.ID <= after {
			return nil, &Error{Method: http.MethodPost, Path: "sql", StatusCode: http.StatusOK,
				Message: fmt.Sprintf("member ids out of order (%d after %d)", m.ID, after), kind: ErrNotPaheko}
		}
		out = append(out, m)
		after = m.ID
	}
	return out, nil
}

func toInt(v any) int {
	switch x := v.(type) {
	case json.Number:
		n, _ := x.Int64()
		return int(n)
	case string:
		n, _ := strconv.Atoi(x)
		return n
	}
	return 0
}

func toString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// FindMember looks a member up by its nextcloud_uid (when uid is not empty)
// or else by its e-mail, skipping the ids in exclude. It returns a zero
// Member when none is found.
func (c *Client) FindMember(ctx context.Context, uid, email string, exclude map[int]bool) (Member, error) {
	where := "nextcloud_uid = " + quote(uid)
	cols := "id, numero, nom, email, id_category, nextcloud_uid"
	if uid == "" {
		where, cols = "email = "+quote(email)+" COLLATE NOCASE", "id, numero, nom, email, id_category"
	}
	rows, err := c.Query(ctx, "SELECT "+cols+" FROM users WHERE "+where+" ORDER BY id")
	if err != nil {
		return Member{}, err
	}
	for _, r := range rows {
		m := rowMember(r)
		if !exclude[m.ID] {
			return m, nil
		}
	}
	return Member{}, nil
}

// quote makes s an SQL string literal (/api/sql takes no parameters).
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func rowMember(r map[string]any) Member {
	return Member{ID: toInt(r["id"]), Number: toInt(r["numero"]), Name: toString(r["nom"]),
		Email: toString(r["email"]), UID: toString(r["nextcloud_uid"]), CategoryID: toInt(r["id_category"])}
}

// memberRecord is the JSON of GET /api/user/{id}.
type memberRecord struct {
	ID         int    `json:"id"`
	CategoryID int    `json:"id_category"`
	Numero     any    `json:"numero"`
	Nom        string `json:"nom"`
	Email      string `json:"email"`
	UID        string `json:"nextcloud_uid"`
}

func (r memberRecord) member() Member {
	return Member{ID: r.ID, Number: toInt(r.Numero), Name: r.Nom, Email: r.Email, UID: r.UID, CategoryID: r.CategoryID}
}

// Member reads one member.
func (c *Client) Member(ctx context.Context, id int) (Member, error) {
	var rec memberRecord
	if err := c.call(ctx, http.MethodGet, "user/"+strconv.Itoa(id), nil, &rec); err != nil {
		return Member{}, fmt.Errorf("read member %d: %w", id, err)
	}
	return rec.member(), nil
}

// NewMember is a member to create.
type NewMember struct {
	Name           string
	Email          string
	UID            string // written to nextcloud_uid when not empty
	CategoryID     int    // 0: Paheko's default category
	ForceDuplicate bool   // create even if a member has the same name
}

// CreateMember creates a member. A member with the same name gives
// ErrDuplicate unless ForceDuplicate; an e-mail in use gives ErrInvalid.
func (c *Client) CreateMember(ctx context.Context, m NewMember) (Member, error) {
	in := map[string]any{"nom": m.Name}
	if m.Email != "" {
		in["email"] = m.Email
	}
	if m.UID != "" {
		in["nextcloud_uid"] = m.UID
	}
	if m.CategoryID != 0 {
		in["id_category"] = m.CategoryID
	}
	if m.ForceDuplicate {
		in["force_duplicate"] = 1
	}
	var rec memberRecord
	if err := c.call(ctx, http.MethodPost, "user/new", in, &rec); err != nil {
		return Member{}, fmt.Errorf("create member: %w", err)
	}
	return rec.member(), nil
}

// UpdateMember changes the given fields of member id (keys are Paheko field
// keys: nom, email, nextcloud_uid). Admin members give ErrProtected.
func (c *Client) UpdateMember(ctx context.Context, id int, fields map[string]string) (Member, error) {
	var rec memberRecord
	if err := c.call(ctx, http.MethodPost, "user/"+strconv.Itoa(id), fields, &rec); err != nil {
		return Member{}, fmt.Errorf("update member %d: %w", id, err)
	}
	return rec.member(), nil
}

// ProtectedMemberID returns the id of a member Paheko's API may not change
// (an admin member), or 0 when there is none.
func (c *Client) ProtectedMemberID(ctx context.Context) (int, error) {
	rows, err := c.Query(ctx, "SELECT u.id FROM users u JOIN users_categories c ON c.id = u.id_category WHERE c.perm_config = 9 OR c.perm_users = 9 LIMIT 1")
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	return toInt(rows[0]["id"]), nil
}

// CanWrite reports whether the key may create and change members, without
// changing anything: it sends an empty update to a member Paheko protects,
// which a write key is refused for that member's sake (ErrProtected) and a
// read key for its own level (ErrRights). protectedID is such a member.
func (c *Client) CanWrite(ctx context.Context, protectedID int) (bool, error) {
	_, err := c.UpdateMember(ctx, protectedID, map[string]string{})
	switch {
	case errors.Is(err, ErrRights):
		return false, nil
	case errors.Is(err, ErrProtected):
		return true, nil
	case err == nil: // not protected after all: nothing but its date changed
		return true, nil
	}
	return false, err
}
