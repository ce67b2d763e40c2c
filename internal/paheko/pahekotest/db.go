package pahekotest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/mattn/go-sqlite3"
)

// Paheko keeps its data in SQLite, and its /api/sql endpoint is SQLite behind
// an authorizer. The fake does the same with an in-memory database, so that
// the SQL AssoKit sends is run by the same engine with the same rules.

const schema = `
CREATE TABLE users_categories (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	perm_web INTEGER NOT NULL DEFAULT 0,
	perm_documents INTEGER NOT NULL DEFAULT 0,
	perm_users INTEGER NOT NULL DEFAULT 0,
	perm_accounting INTEGER NOT NULL DEFAULT 0,
	perm_subscribe INTEGER NOT NULL DEFAULT 0,
	perm_connect INTEGER NOT NULL DEFAULT 0,
	perm_config INTEGER NOT NULL DEFAULT 0,
	hidden INTEGER NOT NULL DEFAULT 0,
	allow_passwordless_login INTEGER NOT NULL DEFAULT 0,
	force_otp INTEGER NOT NULL DEFAULT 0,
	force_pgp INTEGER NOT NULL DEFAULT 0
);
-- No AUTOINCREMENT, as in Paheko: the id of a deleted last member is reused.
CREATE TABLE users (
	id INTEGER PRIMARY KEY,
	id_category INTEGER NOT NULL REFERENCES users_categories (id),
	date_login TEXT,
	date_updated TEXT,
	id_parent INTEGER REFERENCES users (id),
	is_parent INTEGER NOT NULL DEFAULT 0,
	preferences TEXT,
	otp_secret TEXT,
	otp_recovery_codes TEXT,
	pgp_key TEXT,
	numero INTEGER,
	nom TEXT,
	email TEXT,
	password TEXT,
	adresse TEXT,
	code_postal TEXT,
	ville TEXT,
	telephone TEXT,
	lettre_infos INTEGER,
	date_inscription TEXT
);
CREATE UNIQUE INDEX users_number ON users (numero);
CREATE UNIQUE INDEX users_id_field ON users (email COLLATE NOCASE);
CREATE TABLE api_credentials (id INTEGER PRIMARY KEY, label TEXT, key TEXT, secret TEXT, access_level INTEGER);
CREATE TABLE config (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE logs (id INTEGER PRIMARY KEY, id_user INTEGER, type INTEGER, details TEXT, created TEXT);
CREATE TABLE users_sessions (selector TEXT, hash TEXT, id_user INTEGER, expiry TEXT);
CREATE TABLE emails_queue (id INTEGER PRIMARY KEY);
`

// field is a member field ("fiche des membres"), in the order Paheko lists them.
type field struct {
	Key   string
	Label string
	Type  string // number, text, email, checkbox, date, password
}

var defaultFields = []field{
	{"numero", "Numéro de membre", "number"},
	{"nom", "Nom & prénom", "text"},
	{"email", "Adresse E-Mail", "email"},
	{"password", "Mot de passe", "password"},
	{"adresse", "Adresse postale", "text"},
	{"code_postal", "Code postal", "text"},
	{"ville", "Ville", "text"},
	{"telephone", "Numéro de téléphone", "text"},
	{"lettre_infos", "Inscription à la lettre d'information", "checkbox"},
	{"date_inscription", "Date d'inscription", "date"},
}

// Tables and columns the SQL endpoint refuses, and columns it reads as NULL.
var (
	forbiddenTables = map[string]bool{"api_credentials": true, "config": true, "emails_queue": true,
		"logs": true, "users_sessions": true, "compromised_passwords_cache": true,
		"compromised_passwords_cache_ranges": true, "plugins_signals": true, "web_suspicious_clients": true}
	maskedColumns = map[string]bool{"password": true, "pgp_key": true, "otp_secret": true, "otp_recovery_codes": true}
)

var dbCounter atomic.Int64

// openDB opens a private in-memory database with Paheko's schema. One
// connection only: an in-memory database lives in its connection.
func openDB() (*sql.DB, error) {
	name := fmt.Sprintf("file:pahekotest%d?mode=memory&cache=private&_foreign_keys=on", dbCounter.Add(1))
	db, err := sql.Open("sqlite3", name)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// sqlResult is the answer of the SQL endpoint: column names (duplicates
// renamed as Paheko does) and typed rows.
type sqlResult struct {
	Columns []string
	Rows    [][]any
}

// errSQL is a query the endpoint refuses; its text follows Paheko's.
type errSQL struct{ msg string }

func (e *errSQL) Error() string { return "Erreur dans la requête : " + e.msg }

// readOnlyQuery runs query the way Paheko's /api/sql does: a SELECT on a
// read-only connection with an authorizer that refuses writes, recursive
// CTEs and private tables, and reads secret columns as NULL.
func readOnlyQuery(ctx context.Context, db *sql.DB, query string) (*sqlResult, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var prohibited string
	authorize := func(op int, arg1, arg2, _ string) int {
		switch op {
		case sqlite3.SQLITE_SELECT, sqlite3.SQLITE_FUNCTION:
			return sqlite3.SQLITE_OK
		case sqlite3.SQLITE_READ:
			if forbiddenTables[arg1] {
				if prohibited == "" {
					prohibited = fmt.Sprintf("access to %s.%s is prohibited", arg1, arg2)
				}
				return sqlite3.SQLITE_DENY
			}
			if arg1 == "users" && maskedColumns[arg2] {
				return sqlite3.SQLITE_IGNORE
			}
			return sqlite3.SQLITE_OK
		default: // writes, PRAGMA, ATTACH, transactions, recursive CTEs
			return sqlite3.SQLITE_DENY
		}
	}
	setAuthorizer := func(fn func(int, string, string, string) int) error {
		return conn.Raw(func(dc any) error {
			c, ok := dc.(*sqlite3.SQLiteConn)
			if !ok {
				return errors.New("pahekotest: not a SQLite connection")
			}
			c.RegisterAuthorizer(fn)
			return nil
		})
	}
	if err := setAuthorizer(authorize); err != nil {
		return nil, err
	}
	defer setAuthorizer(nil)

	rows, err := conn.QueryContext(ctx, query)
	if err != nil {
		return nil, sqlError(err, prohibited)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, sqlError(err, prohibited)
	}
	res := &sqlResult{Columns: uniqueColumns(cols)}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, sqlError(err, prohibited)
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b)
			}
		}
		res.Rows = append(res.Rows, vals)
	}
	if err := rows.Err(); err != nil {
		return nil, sqlError(err, prohibited)
	}
	return res, nil
}

func sqlError(err error, prohibited string) error {
	if prohibited != "" {
		return &errSQL{prohibited}
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		msg := se.Error()
		if se.Code == sqlite3.ErrAuth {
			msg = "not authorized"
		}
		return &errSQL{msg}
	}
	return &errSQL{err.Error()}
}

// uniqueColumns renames a repeated column name to name_<index>, as Paheko does.
func uniqueColumns(cols []string) []string {
	seen := map[string]bool{}
	out := make([]string, len(cols))
	for i, c := range cols {
		if seen[c] {
			c = fmt.Sprintf("%s_%d", c, i)
		}
		seen[c] = true
		out[i] = c
	}
	return out
}
