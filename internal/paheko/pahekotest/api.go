package pahekotest

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// apiError is an error Paheko answers as {"error": msg}.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func fail(status int, msg string) error { return &apiError{status, msg} }

var (
	errRights      = func() error { return fail(http.StatusForbidden, "You do not have enough rights to make this request") }
	errUnknownUser = func() error { return fail(http.StatusNotFound, "The requested user ID does not exist") }
	errProtected   = func() error {
		return fail(http.StatusForbidden, "Seul un membre administrateur peut modifier un autre membre administrateur.")
	}
	errLoginTaken   = `Le champ "Adresse E-Mail" (utilisé comme identifiant de connexion) est déjà utilisé par un autre membre. Il doit être unique pour chaque membre.`
	userIDPath      = regexp.MustCompile(`^user/(\d+)$`)
	categoryExport  = regexp.MustCompile(`^user/category/(-?\d+)\.(json|csv|ods|xlsx)$`)
	ignoredOnUpdate = map[string]bool{"id": true, "id_category": true, "password": true, "otp_secret": true, "otp_recovery_codes": true, "pgp_key": true}
)

// writeJSON answers pretty-printed JSON with PHP's escaping (\u00e9, \/).
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "    ")
	enc.Encode(v)
	var out strings.Builder
	for _, r := range strings.TrimSuffix(buf.String(), "\n") {
		switch {
		case r == '/':
			out.WriteString(`\/`)
		case r > 0x7e && r <= 0xffff:
			fmt.Fprintf(&out, `\u%04x`, r)
		case r > 0xffff:
			r1, r2 := utf16Pair(r)
			fmt.Fprintf(&out, `\u%04x\u%04x`, r1, r2)
		default:
			out.WriteRune(r)
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, out.String())
}

func utf16Pair(r rune) (rune, rune) {
	r -= 0x10000
	return 0xd800 + (r>>10)&0x3ff, 0xdc00 + r&0x3ff
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	injected := s.failures[s.requests]
	delete(s.failures, s.requests)
	lost := s.lost[s.requests]
	delete(s.lost, s.requests)
	s.mu.Unlock()
	if lost != 0 {
		s.handleAPI(httptest.NewRecorder(), r) // done, answer dropped
		injected = lost
	}
	if injected != 0 {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(injected)
		io.WriteString(w, " /!\\ KD2\\DB\\DB_Exception \ndatabase is locked\n")
		return
	}
	s.handleAPI(w, r)
}

// handleAPI answers one API request as Paheko does.
func (s *Server) handleAPI(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete:
	default: // checked before the credentials, in API::__construct
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "Invalid request method: " + r.Method})
		return
	}
	cred, status, msg := s.authenticate(r)
	if status != 0 {
		writeJSON(w, status, map[string]string{"error": msg})
		return
	}
	if err := s.routeAPI(w, r, cred); err != nil {
		var ae *apiError
		if errors.As(err, &ae) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(ae.status)
			b, _ := json.Marshal(map[string]string{"error": ae.msg})
			io.WriteString(w, phpEscape(string(b)))
			return
		}
		// Paheko does not catch unexpected errors: a text stack trace.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, " /!\\ KD2\\DB\\DB_Exception \n%s\n#0 .../include/lib/KD2/DB/SQLite3.php(947)\n", err)
	}
}

// phpEscape turns non-ASCII characters into \uXXXX escapes as PHP's json_encode does.
func phpEscape(s string) string {
	var out strings.Builder
	for _, r := range s {
		if r > 0x7e {
			fmt.Fprintf(&out, `\u%04x`, r)
			continue
		}
		out.WriteRune(r)
	}
	return out.String()
}

func (s *Server) routeAPI(w http.ResponseWriter, r *http.Request, cred credential) error {
	path := strings.Trim(strings.TrimPrefix(r.URL.Path, "/api/"), "/")
	switch {
	case path == "sql":
		return s.apiSQL(w, r)
	case path == "user/categories":
		return s.apiCategories(w)
	case path == "user/new": // Paheko does not check the method here
		p, err := writeParams(r, cred)
		if err != nil {
			return err
		}
		return s.apiCreate(w, p, cred)
	case strings.HasPrefix(path, "user/import"):
		if cred.level < LevelAdmin {
			return errRights()
		}
		return errors.New("member import is not part of the fake Paheko")
	case categoryExport.MatchString(path):
		m := categoryExport.FindStringSubmatch(path)
		return s.apiExport(w, m[1], m[2])
	case userIDPath.MatchString(path):
		// As API/User.php: the member must exist (404) before the key level is checked.
		id, _ := strconv.Atoi(userIDPath.FindStringSubmatch(path)[1])
		if _, err := s.Member(id); err != nil {
			return err
		}
		switch r.Method {
		case http.MethodPost:
			p, err := writeParams(r, cred)
			if err != nil {
				return err
			}
			return s.apiUpdate(w, id, p)
		case http.MethodDelete:
			if cred.level < LevelAdmin {
				return errRights()
			}
			return s.apiDelete(w, id)
		default:
			return s.apiMember(w, id)
		}
	case strings.HasPrefix(path, "user/"):
		return fail(http.StatusNotFound, "Unknown user action")
	default:
		return fail(http.StatusNotFound, "Unknown path")
	}
}

// writeParams checks that the key may write, then reads the parameters.
func writeParams(r *http.Request, cred credential) (map[string]string, error) {
	if cred.level < LevelWrite {
		return nil, errRights()
	}
	return params(r)
}

// params reads the request parameters as Paheko does: a JSON object when the
// Content-Type says JSON (invalid JSON gives no parameters), else the form
// (urlencoded or multipart), else the query string.
func params(r *http.Request) (map[string]string, error) {
	out := map[string]string{}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if strings.Contains(ct, "/json") {
		var obj map[string]any
		if json.NewDecoder(r.Body).Decode(&obj) == nil {
			for k, v := range obj {
				switch v := v.(type) {
				case nil:
					out[k] = ""
				case bool:
					out[k] = map[bool]string{true: "1", false: "0"}[v]
				case string:
					out[k] = v
				default:
					b, _ := json.Marshal(v)
					out[k] = string(b)
				}
			}
		}
		return out, nil
	}
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		if strings.HasPrefix(ct, "multipart/") {
			if err := r.ParseMultipartForm(1 << 20); err != nil {
				return nil, fail(http.StatusBadRequest, "Invalid request body")
			}
		} else {
			r.ParseForm()
		}
	} else {
		r.ParseForm()
	}
	for k, v := range r.Form {
		out[k] = v[len(v)-1]
	}
	return out, nil
}

func (s *Server) apiCategories(w http.ResponseWriter) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows, err := s.db.Query(`SELECT c.id, c.name, c.perm_web, c.perm_documents, c.perm_users, c.perm_accounting,
		c.perm_subscribe, c.perm_connect, c.perm_config, c.hidden, c.allow_passwordless_login, c.force_otp, c.force_pgp,
		(SELECT COUNT(*) FROM users u WHERE u.id_category = c.id)
		FROM users_categories c ORDER BY c.name`)
	if err != nil {
		return err
	}
	defer rows.Close()
	keys := []string{"id", "name", "perm_web", "perm_documents", "perm_users", "perm_accounting", "perm_subscribe",
		"perm_connect", "perm_config", "hidden", "allow_passwordless_login", "force_otp", "force_pgp", "count"}
	var out ordered
	for rows.Next() {
		vals := make([]any, len(keys))
		ptrs := make([]any, len(keys))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		var cat ordered
		for i, k := range keys {
			v := vals[i]
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			cat = append(cat, kv{k, v})
		}
		out = append(out, kv{fmt.Sprint(vals[0]), cat})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiSQL(w http.ResponseWriter, r *http.Request) error {
	var query, format string
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	p, _ := params(r)
	query, format = p["sql"], p["format"]
	if query == "" && !strings.Contains(ct, "/json") && r.URL.Query().Get("sql") == "" {
		query = string(body) // the raw body is the query
	}
	s.mu.Lock()
	res, err := readOnlyQuery(r.Context(), s.db, query)
	s.mu.Unlock()
	if err != nil {
		var se *errSQL
		if errors.As(err, &se) {
			return fail(http.StatusBadRequest, se.Error())
		}
		return err
	}
	if format == "csv" {
		w.Header().Set("Content-type", "application/csv")
		w.Header().Set("Content-Disposition", `attachment; filename="Recherche.csv"`)
		writeCSVRow(w, res.Columns)
		for _, row := range res.Rows {
			rec := make([]string, len(row))
			for i, v := range row {
				if v != nil {
					rec[i] = fmt.Sprint(v)
				}
			}
			writeCSVRow(w, rec)
		}
		return nil
	}
	results := make([]ordered, 0, len(res.Rows))
	for _, row := range res.Rows {
		var o ordered
		for i, c := range res.Columns {
			o = append(o, kv{c, row[i]})
		}
		results = append(results, o)
	}
	writeJSON(w, http.StatusOK, ordered{{"count", s.sqlCount(r, query, len(results))}, {"results", results}})
	return nil
}

// trailingLimit is a LIMIT clause at the end of a query.
var trailingLimit = regexp.MustCompile(`(?is)\s+LIMIT\s+\d+(\s*(,|OFFSET)\s*\d+)?\s*;?\s*$`)

// sqlCount is the "count" Paheko answers: the number of rows the query
// gives without its LIMIT, not the number returned (captures 62, 63).
func (s *Server) sqlCount(r *http.Request, query string, returned int) int {
	unlimited := trailingLimit.ReplaceAllString(query, "")
	if unlimited == query {
		return returned
	}
	s.mu.Lock()
	res, err := readOnlyQuery(r.Context(), s.db, "SELECT COUNT(*) FROM ("+unlimited+")")
	s.mu.Unlock()
	if err != nil || len(res.Rows) != 1 {
		return returned
	}
	n, _ := res.Rows[0][0].(int64)
	return int(n)
}

// writeCSVRow writes one CSV line with every value quoted, as Paheko does.
func writeCSVRow(w io.Writer, rec []string) {
	for i, v := range rec {
		if i > 0 {
			io.WriteString(w, ",")
		}
		io.WriteString(w, `"`+strings.ReplaceAll(v, `"`, `""`)+`"`)
	}
	io.WriteString(w, "\r\n")
}

func (s *Server) apiExport(w http.ResponseWriter, id, ext string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, _ := strconv.Atoi(id)
	var name string
	if n > 0 {
		if err := s.db.QueryRow(`SELECT name FROM users_categories WHERE id = ?`, n).Scan(&name); err != nil {
			return fail(http.StatusBadRequest, "This category does not exist")
		}
	}
	if ext != "json" {
		return errors.New("only JSON exports are part of the fake Paheko")
	}
	where := "1"
	switch {
	case n > 0:
		where = fmt.Sprintf("u.id_category = %d", n)
	case n == 0:
		where = "c.hidden = 0"
	}
	ids, err := s.idsLocked(`SELECT u.id FROM users u JOIN users_categories c ON c.id = u.id_category WHERE ` + where + ` ORDER BY u.id`)
	if err != nil {
		return err
	}
	w.Header().Set("Content-type", "application/json")
	var lines []string
	for _, i := range ids {
		m, err := s.memberLocked(i)
		if err != nil {
			return err
		}
		o := ordered{{"id", m.ID}}
		for _, f := range s.fields {
			if f.Type == "password" {
				continue
			}
			v := m.Fields[f.Key]
			switch f.Type {
			case "number":
				if v != nil {
					v = fmt.Sprint(v)
				}
			case "checkbox":
				v = map[bool]string{true: "Oui", false: ""}[v == int64(1)]
			}
			o = append(o, kv{f.Key, v})
		}
		var cat string
		s.db.QueryRow(`SELECT name FROM users_categories WHERE id = ?`, m.CategoryID).Scan(&cat)
		o = append(o, kv{"category", cat})
		b, _ := json.Marshal(o)
		lines = append(lines, phpEscape(string(b)))
	}
	io.WriteString(w, "["+strings.Join(lines, ",\n")+"]")
	return nil
}

func (s *Server) apiMember(w http.ResponseWriter, id int) error {
	s.mu.Lock()
	m, err := s.memberLocked(id)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.memberJSON(m))
	return nil
}

func (s *Server) apiCreate(w http.ResponseWriter, p map[string]string, cred credential) error {
	// Assumed from the real server's error log, not captured as an exchange:
	// two user/new at the same moment both take MAX(numero)+1 and the second
	// fails on the unique index, uncaught (500 with a text body).
	if s.creating.Add(1) > 1 {
		s.creating.Add(-1)
		return errors.New("UNIQUE constraint failed: users.numero")
	}
	defer s.creating.Add(-1)
	s.mu.Lock()
	slow := s.slowNew
	s.mu.Unlock()
	time.Sleep(slow)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !truthy(p["force_duplicate"]) && p["nom"] != "" {
		var n int
		s.db.QueryRow(`SELECT COUNT(*) FROM users WHERE nom LIKE ?`, p["nom"]).Scan(&n)
		if n > 0 {
			return fail(http.StatusConflict, "This user seems to be a duplicate of an existing one")
		}
	}
	cat := s.defaultCat
	if v, ok := p["id_category"]; ok && v != "" {
		c, _ := strconv.Atoi(v)
		var config int
		err := s.db.QueryRow(`SELECT perm_config FROM users_categories WHERE id = ?`, c).Scan(&config)
		if err != nil || (config != 0 && !cred.system) {
			return fail(http.StatusForbidden, "You are not allowed to create a user in this category")
		}
		cat = c
	}
	if pw, ok := p["password"]; ok {
		pw = strings.TrimSpace(pw)
		switch {
		case len(pw) < 8:
			return fail(http.StatusBadRequest, "Le mot de passe doit faire au moins 8 caractères.")
		case len(pw) > 72:
			return fail(http.StatusBadRequest, "Le mot de passe doit faire moins de 72 caractères.")
		}
		p["password"] = "$2y$10$hash-of-" + strconv.Itoa(len(pw))
	}
	id, given, err := s.insertMemberLocked(p, cat)
	if err != nil {
		return err
	}
	m, err := s.memberLocked(id)
	if err != nil {
		return err
	}
	// The answer is the entity as saved: fields not given are null, not false.
	out := s.memberJSON(m)
	for i, e := range out {
		if (e.k == "is_parent" || e.k == "lettre_infos") && !given[e.k] {
			out[i].v = nil
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// insertMemberLocked validates p as Paheko's User::save does and inserts
// the member. It returns the id and which fields were given.
func (s *Server) insertMemberLocked(p map[string]string, cat int) (int, map[string]bool, error) {
	given := map[string]bool{}
	cols := []string{"id_category", "date_updated"}
	args := []any{cat, s.now().In(s.loc).Format("2006-01-02 15:04:05")}
	if err := s.validateLocked(p, 0); err != nil {
		return 0, nil, err
	}
	if p["numero"] == "" {
		var next int
		s.db.QueryRow(`SELECT COALESCE(MAX(numero), 0) + 1 FROM users`).Scan(&next)
		p["numero"] = strconv.Itoa(next)
	}
	for _, f := range s.fields {
		v, ok := p[f.Key]
		if !ok {
			continue
		}
		given[f.Key] = true
		cols = append(cols, f.Key)
		args = append(args, fieldValue(f, v))
	}
	for _, k := range []string{"id_parent", "is_parent"} {
		if v, ok := p[k]; ok && v != "" {
			given[k] = true
			cols = append(cols, k)
			args = append(args, v)
		}
	}
	res, err := s.db.Exec(`INSERT INTO users (`+strings.Join(cols, ", ")+`) VALUES (?`+strings.Repeat(", ?", len(cols)-1)+`)`, args...)
	if err != nil {
		return 0, nil, fmt.Errorf("%w (%s)", err, strings.Join(cols, ", "))
	}
	id, _ := res.LastInsertId()
	return int(id), given, nil
}

// validateLocked applies Paheko's field rules to the values in p for member
// id (0 for a new member).
func (s *Server) validateLocked(p map[string]string, id int) error {
	if v, ok := p["nom"]; (id == 0 || ok) && strings.TrimSpace(v) == "" {
		return fail(http.StatusBadRequest, `"Nom & prénom" : ce champ est requis`)
	}
	if v := p["email"]; v != "" {
		if a, err := mail.ParseAddress(v); err != nil || a.Address != v || !strings.Contains(v, ".") {
			return fail(http.StatusBadRequest, fmt.Sprintf(`"Adresse E-Mail" : l'adresse e-mail "%s" n'est pas valide.`, v))
		}
		var n int
		s.db.QueryRow(`SELECT COUNT(*) FROM users WHERE email = ? COLLATE NOCASE AND id != ?`, v, id).Scan(&n)
		if n > 0 {
			return fail(http.StatusBadRequest, errLoginTaken)
		}
	}
	if v := p["numero"]; v != "" {
		var n int
		s.db.QueryRow(`SELECT COUNT(*) FROM users WHERE numero = ? AND id != ?`, v, id).Scan(&n)
		if n > 0 {
			return fail(http.StatusBadRequest, fmt.Sprintf("Le numéro de membre %s est déjà attribué à un autre membre.", v))
		}
	}
	return nil
}

func fieldValue(f field, v string) any {
	switch f.Type {
	case "checkbox":
		return truthy(v)
	case "number":
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	if v == "" {
		return nil
	}
	return v
}

func truthy(v string) bool { return v != "" && v != "0" && v != "false" }

func (s *Server) apiUpdate(w http.ResponseWriter, id int, p map[string]string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.modifiableLocked(id); err != nil {
		return err
	}
	for k := range ignoredOnUpdate {
		delete(p, k)
	}
	if err := s.validateLocked(p, id); err != nil {
		return err
	}
	sets := []string{"date_updated = ?"}
	args := []any{s.now().In(s.loc).Format("2006-01-02 15:04:05")}
	for _, f := range s.fields {
		if v, ok := p[f.Key]; ok {
			sets = append(sets, f.Key+" = ?")
			args = append(args, fieldValue(f, v))
		}
	}
	args = append(args, id)
	if _, err := s.db.Exec(`UPDATE users SET `+strings.Join(sets, ", ")+` WHERE id = ?`, args...); err != nil {
		return err
	}
	m, err := s.memberLocked(id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.memberJSON(m))
	return nil
}

func (s *Server) apiDelete(w http.ResponseWriter, id int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.modifiableLocked(id); err != nil {
		return err
	}
	if _, err := s.db.Exec(`DELETE FROM users WHERE id = ?`, id); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ordered{{"success", true}})
	return nil
}

// modifiableLocked is Paheko's validateCanBeModifiedBy(null): the API may not
// change or delete a member whose category is config admin or members admin.
func (s *Server) modifiableLocked(id int) error {
	m, err := s.memberLocked(id)
	if err != nil {
		return err
	}
	var config, users int
	s.db.QueryRow(`SELECT perm_config, perm_users FROM users_categories WHERE id = ?`, m.CategoryID).Scan(&config, &users)
	if config == 9 || users == 9 {
		return errProtected()
	}
	return nil
}

// idsLocked returns the ids a query selects.
func (s *Server) idsLocked(query string, args ...any) ([]int, error) {
	rows, err := s.db.Query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func (s *Server) hasFieldLocked(key string) bool {
	for _, f := range s.fields {
		if f.Key == key {
			return true
		}
	}
	return false
}

// memberLocked reads member id, or the API's 404.
func (s *Server) memberLocked(id int) (Member, error) {
	cols := []string{"id", "id_category", "date_login", "date_updated", "id_parent", "is_parent", "preferences", "otp_secret", "pgp_key"}
	for _, f := range s.fields {
		cols = append(cols, f.Key)
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	err := s.db.QueryRow(`SELECT `+strings.Join(cols, ", ")+` FROM users WHERE id = ?`, id).Scan(ptrs...)
	if errors.Is(err, sql.ErrNoRows) {
		return Member{}, errUnknownUser()
	}
	if err != nil {
		return Member{}, err
	}
	m := Member{Fields: map[string]any{}}
	for i, c := range cols {
		v := vals[i]
		if b, ok := v.([]byte); ok {
			v = string(b)
		}
		switch c {
		case "id":
			m.ID = int(v.(int64))
		case "id_category":
			m.CategoryID = int(v.(int64))
		default:
			m.Fields[c] = v
		}
	}
	return m, nil
}

// memberJSON is a member as GET /api/user/{id} answers it, keys in Paheko's order.
func (s *Server) memberJSON(m Member) ordered {
	o := ordered{
		{"has_password", m.Fields["password"] != nil},
		{"has_otp", m.Fields["otp_secret"] != nil},
		{"has_pgp_key", m.Fields["pgp_key"] != nil},
		{"id", m.ID},
		{"id_category", m.CategoryID},
		{"date_login", m.Fields["date_login"]},
		{"date_updated", m.Fields["date_updated"]},
		{"id_parent", m.Fields["id_parent"]},
		{"is_parent", m.Fields["is_parent"] == int64(1)},
		{"preferences", m.Fields["preferences"]},
	}
	for _, f := range s.fields {
		if f.Type == "password" {
			continue
		}
		v := m.Fields[f.Key]
		if f.Type == "checkbox" {
			v = v == int64(1)
		}
		o = append(o, kv{f.Key, v})
	}
	return o
}

// kv and ordered give JSON objects with keys in a chosen order.
type kv struct {
	k string
	v any
}

type ordered []kv

func (o ordered) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(e.k)
		v, err := json.Marshal(e.v)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
