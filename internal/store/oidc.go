package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrCodeUsed is returned when an authorization code is presented again.
var ErrCodeUsed = errors.New("store: code already used")

// OIDCKey is a signing key of the OpenID Connect provider.
type OIDCKey struct {
	KID        string
	PrivatePEM string
	CreatedAt  time.Time
	Retired    bool
}

// OIDCKeys returns the keys not retired, newest first.
func (s *Store) OIDCKeys(ctx context.Context) ([]OIDCKey, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT kid, private_pem, created_at FROM oidc_keys
		WHERE retired_at = 0 ORDER BY created_at DESC, rowid DESC`)
	if err != nil {
		return nil, fmt.Errorf("store: list keys: %w", err)
	}
	defer rows.Close()
	var out []OIDCKey
	for rows.Next() {
		var k OIDCKey
		var at int64
		if err := rows.Scan(&k.KID, &k.PrivatePEM, &at); err != nil {
			return nil, fmt.Errorf("store: list keys: %w", err)
		}
		k.CreatedAt = time.Unix(at, 0)
		out = append(out, k)
	}
	return out, rows.Err()
}

// AddOIDCKey stores a new signing key; the newest key signs.
func (s *Store) AddOIDCKey(ctx context.Context, kid, privatePEM string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO oidc_keys (kid, private_pem, created_at) VALUES (?, ?, ?)`,
		kid, privatePEM, s.now().Unix())
	if err != nil {
		return fmt.Errorf("store: add key: %w", err)
	}
	return nil
}

// RetireOIDCKey stops publishing key kid.
func (s *Store) RetireOIDCKey(ctx context.Context, kid string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE oidc_keys SET retired_at = ? WHERE kid = ?`, s.now().Unix(), kid)
	if err != nil {
		return fmt.Errorf("store: retire key: %w", err)
	}
	return nil
}

// OIDCCode is an authorization code, kept by the hash of its value.
type OIDCCode struct {
	Hash        string
	UID         string
	ClientID    string
	RedirectURI string
	Nonce       string
	Challenge   string
	Method      string
	ExpiresAt   time.Time
}

// SaveOIDCCode stores a new code.
func (s *Store) SaveOIDCCode(ctx context.Context, c OIDCCode) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO oidc_codes (code_hash, uid, client_id, redirect_uri, nonce, challenge,
		method, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, c.Hash, c.UID, c.ClientID, c.RedirectURI, c.Nonce,
		c.Challenge, c.Method, c.ExpiresAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: save code: %w", err)
	}
	return nil
}

// Values of oidc_codes.used.
const (
	codeFresh    = 0
	codeUsed     = 1
	codeReplayed = 2 // presented again: its tokens are revoked and no new one is saved
)

// UseOIDCCode marks the code used and returns it, once: a second call gives
// ErrCodeUsed, an unknown code ErrNotFound. A second call also revokes, in
// the same transaction, every token issued for the code and marks it
// replayed, so that a token still being issued for the first call is
// refused by SaveOIDCToken (RFC 6749 §4.1.2). Expiry is the caller's check.
func (s *Store) UseOIDCCode(ctx context.Context, hash string) (OIDCCode, error) {
	c := OIDCCode{Hash: hash}
	replayed := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var exp int64
		var used int
		err := tx.QueryRowContext(ctx, `SELECT uid, client_id, redirect_uri, nonce, challenge, method, expires_at, used
			FROM oidc_codes WHERE code_hash = ?`, hash).Scan(&c.UID, &c.ClientID, &c.RedirectURI, &c.Nonce, &c.Challenge, &c.Method, &exp, &used)
		if err := scanNotFound(err, "read code"); err != nil {
			return err
		}
		c.ExpiresAt = time.UnixMilli(exp)
		if used == codeFresh {
			_, err = tx.ExecContext(ctx, `UPDATE oidc_codes SET used = ? WHERE code_hash = ?`, codeUsed, hash)
			return err
		}
		replayed = true
		if _, err := tx.ExecContext(ctx, `UPDATE oidc_codes SET used = ? WHERE code_hash = ?`, codeReplayed, hash); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM oidc_tokens WHERE code_hash = ?`, hash)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return OIDCCode{}, err
	}
	if err != nil {
		return OIDCCode{}, fmt.Errorf("store: use code: %w", err)
	}
	if replayed {
		return c, ErrCodeUsed
	}
	return c, nil
}

// SaveOIDCToken stores an access token (by hash) issued for a code. It
// returns ErrCodeUsed, and saves nothing, when the code was replayed since
// it was used.
func (s *Store) SaveOIDCToken(ctx context.Context, hash, uid, codeHash string, expires time.Time) error {
	res, err := s.db.ExecContext(ctx, `INSERT INTO oidc_tokens (token_hash, uid, code_hash, expires_at)
		SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM oidc_codes WHERE code_hash = ? AND used = ?)`,
		hash, uid, codeHash, expires.UnixMilli(), codeHash, codeUsed)
	if err != nil {
		return fmt.Errorf("store: save token: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return ErrCodeUsed
	}
	return nil
}

// OIDCToken returns the uid an access token was issued to and its expiry.
func (s *Store) OIDCToken(ctx context.Context, hash string) (string, time.Time, error) {
	var uid string
	var exp int64
	err := s.db.QueryRowContext(ctx, `SELECT uid, expires_at FROM oidc_tokens WHERE token_hash = ?`, hash).Scan(&uid, &exp)
	if err := scanNotFound(err, "read token"); err != nil {
		return "", time.Time{}, err
	}
	return uid, time.UnixMilli(exp), nil
}

// PurgeOIDC deletes codes and tokens expired for more than a day.
func (s *Store) PurgeOIDC(ctx context.Context) error {
	limit := s.now().Add(-24 * time.Hour).UnixMilli()
	if _, err := s.db.ExecContext(ctx, `DELETE FROM oidc_codes WHERE expires_at < ?`, limit); err != nil {
		return fmt.Errorf("store: purge codes: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM oidc_tokens WHERE expires_at < ?`, limit); err != nil {
		return fmt.Errorf("store: purge tokens: %w", err)
	}
	return nil
}
