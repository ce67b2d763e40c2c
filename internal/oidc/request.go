// Package oidc is the OpenID Connect provider Paheko signs its members in
// with: discovery, authorize, token, userinfo and JWKS. It issues
// single-use codes living at most a minute, checks redirect URIs exactly,
// honours PKCE and nonce when a client sends them, signs id_tokens with keys
// kept in the store, and computes the paheko_role claim from the account's
// Nextcloud groups at the moment userinfo is asked.
package oidc

import (
	"errors"
	"net/url"
	"strings"
)

// Error is an OAuth error: Code is the protocol's error code, Description a
// short English text (clients show it; no secret ever goes in it).
type Error struct {
	Code        string
	Description string
	Status      int // HTTP status for the token and userinfo endpoints
}

func (e *Error) Error() string { return "oidc: " + e.Code + ": " + e.Description }

func oauthError(status int, code, desc string) *Error {
	return &Error{Code: code, Description: desc, Status: status}
}

// ErrNoRole is returned by Authorize for an account in none of the groups
// that open Paheko; the page explains who to ask.
var ErrNoRole = errors.New("oidc: the account may not open Paheko")

// ErrNotLinked is returned by Authorize for an account that has no member
// in Paheko yet (the first sync has not run, or an admin must confirm which
// member is this person's); the page says so.
var ErrNotLinked = errors.New("oidc: the account has no linked Paheko member yet")

// ErrBadClient is returned by Authorize when the client or its redirect URI
// is not the registered one: the browser must not be sent anywhere.
var ErrBadClient = errors.New("oidc: unknown client or redirect URI")

// AuthorizeRequest is a checked authorization request.
type AuthorizeRequest struct {
	ClientID      string
	RedirectURI   string
	ResponseType  string
	Scope         string
	State         string
	Nonce         string
	Challenge     string // PKCE code_challenge, base64url of a SHA-256
	ChallengeMeth string
}

// pkceChallenge reports whether s is a PKCE S256 code_challenge: the
// base64url of a SHA-256 without padding, 43 characters (RFC 7636, 4.2).
func pkceChallenge(s string) bool { return pkceChars(s, 43, 43, "_-") }

// pkceVerifier reports whether s is a PKCE code_verifier: 43 to 128
// unreserved characters (RFC 7636, 4.1).
func pkceVerifier(s string) bool { return pkceChars(s, 43, 128, "._~-") }

// pkceChars reports whether s has min to max bytes, each an ASCII letter, a
// digit or one of extra.
func pkceChars(s string, min, max int, extra string) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(extra, c) >= 0) {
			return false
		}
	}
	return true
}

// maxParam bounds every parameter: nothing legitimate is longer.
const maxParam = 2048

// ParseAuthorizeRequest reads and checks the query of an authorization
// request. It never panics, whatever the input.
func ParseAuthorizeRequest(q url.Values) (AuthorizeRequest, error) {
	get := func(k string) (string, error) {
		v := q[k]
		if len(v) > 1 {
			return "", oauthError(400, "invalid_request", k+" is repeated")
		}
		if len(v) == 0 {
			return "", nil
		}
		if len(v[0]) > maxParam {
			return "", oauthError(400, "invalid_request", k+" is too long")
		}
		return v[0], nil
	}
	var r AuthorizeRequest
	var err error
	for _, f := range []struct {
		key string
		dst *string
	}{
		{"client_id", &r.ClientID}, {"redirect_uri", &r.RedirectURI}, {"response_type", &r.ResponseType},
		{"scope", &r.Scope}, {"state", &r.State}, {"nonce", &r.Nonce},
		{"code_challenge", &r.Challenge}, {"code_challenge_method", &r.ChallengeMeth},
	} {
		if *f.dst, err = get(f.key); err != nil {
			return r, err
		}
	}
	if r.ClientID == "" || r.RedirectURI == "" {
		return r, ErrBadClient
	}
	if u, err := url.Parse(r.RedirectURI); err != nil || !u.IsAbs() || u.Fragment != "" {
		return r, ErrBadClient
	}
	return r, nil
}

// check validates what can only be answered by a redirect to the client
// (after the client and redirect URI were found right).
func (r AuthorizeRequest) check() *Error {
	if r.ResponseType != "code" {
		return oauthError(400, "unsupported_response_type", "only the code flow is offered")
	}
	if r.Challenge != "" || r.ChallengeMeth != "" {
		if r.ChallengeMeth != "S256" {
			return oauthError(400, "invalid_request", "code_challenge_method must be S256")
		}
		if !pkceChallenge(r.Challenge) {
			return oauthError(400, "invalid_request", "code_challenge is not a base64url SHA-256")
		}
	}
	return nil
}

// TokenRequest is a checked token request (client_secret_post).
type TokenRequest struct {
	GrantType    string
	Code         string
	RedirectURI  string
	ClientID     string
	ClientSecret string
	Verifier     string
}

// ParseTokenRequest reads and checks the form of a token request. It never
// panics, whatever the input.
func ParseTokenRequest(form url.Values) (TokenRequest, error) {
	var r TokenRequest
	for _, f := range []struct {
		key string
		dst *string
	}{
		{"grant_type", &r.GrantType}, {"code", &r.Code}, {"redirect_uri", &r.RedirectURI},
		{"client_id", &r.ClientID}, {"client_secret", &r.ClientSecret}, {"code_verifier", &r.Verifier},
	} {
		v := form[f.key]
		if len(v) > 1 {
			return r, oauthError(400, "invalid_request", f.key+" is repeated")
		}
		if len(v) == 1 {
			if len(v[0]) > maxParam {
				return r, oauthError(400, "invalid_request", f.key+" is too long")
			}
			*f.dst = v[0]
		}
	}
	switch {
	case r.ClientID == "" || r.ClientSecret == "":
		return r, oauthError(401, "invalid_client", "client_id and client_secret are required in the body")
	case r.GrantType != "authorization_code":
		return r, oauthError(400, "unsupported_grant_type", "only authorization_code is offered")
	case r.Code == "" || r.RedirectURI == "":
		return r, oauthError(400, "invalid_request", "code and redirect_uri are required")
	case r.Verifier != "" && !pkceVerifier(r.Verifier):
		return r, oauthError(400, "invalid_request", "code_verifier is malformed")
	}
	return r, nil
}

// BearerToken extracts the token of an "Authorization: Bearer" header.
func BearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != "" && len(token) <= maxParam
}
