package oidc

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"assokit/internal/errcode"
	"assokit/internal/membersync"
	"assokit/internal/nextcloud"
	"assokit/internal/paheko"
	"assokit/internal/store"
)

// Lifetimes of what the provider issues.
const (
	CodeTTL  = 60 * time.Second
	TokenTTL = 10 * time.Minute
)

// ClientID is the client id Paheko is registered with.
const ClientID = "paheko"

const secretKey = "oidc.client_secret"

// Client is the registered client: Paheko.
type Client struct {
	ID          string
	Secret      string
	RedirectURI string // <Paheko>/admin/login.php?oidc, matched exactly
}

// Provider is the OpenID Connect provider. It is safe for concurrent use.
type Provider struct {
	store *store.Store
	nc    *nextcloud.Client
	// PahekoURL returns Paheko's address from the bridge settings ("" when unset).
	pahekoURL func(context.Context) string
	now       func() time.Time

	// hostSecret is the client secret the host set at deploy time ("": none).
	hostSecret string

	// hostedID is the client id the host set ("": ClientID), hostedErr why
	// what the host set was refused (UseHostedClient).
	hostedID  string
	hostedErr error

	mu     sync.Mutex
	issuer string
}

// ErrSecretFromHost is returned when asked to regenerate a client secret
// that the host set at deploy time: it is the host's to change.
var ErrSecretFromHost = errcode.New("signon_secret_from_host", "oidc: the client secret is set by the host")

// New returns a provider. pahekoURL gives Paheko's address, from which the
// redirect URI is built.
func New(st *store.Store, nc *nextcloud.Client, pahekoURL func(context.Context) string) *Provider {
	return &Provider{store: st, nc: nc, pahekoURL: pahekoURL, now: time.Now}
}

// UseHostSecret makes secret, set by the host at deploy time, the client
// secret: it replaces the stored one and cannot be regenerated.
func (p *Provider) UseHostSecret(secret string) { p.hostSecret = secret }

// SecretFromHost reports whether the client secret was set by the host.
func (p *Provider) SecretFromHost() bool { return p.hostSecret != "" }

// SetClock replaces the clock (tests).
func (p *Provider) SetClock(now func() time.Time) { p.now = now }

// ProxyPath is where the provider's endpoints are, below Nextcloud.
const ProxyPath = "/index.php/apps/app_api/proxy/assokit/oidc"

// Issuer is the provider's address as browsers and Paheko reach it: through
// Nextcloud's proxy, at the address Nextcloud gives for itself.
func (p *Provider) Issuer(ctx context.Context) (string, error) {
	p.mu.Lock()
	iss := p.issuer
	p.mu.Unlock()
	if iss != "" {
		return iss, nil
	}
	iss, err := p.nc.AbsoluteURL(ctx, ProxyPath)
	if err != nil {
		return "", err
	}
	p.mu.Lock()
	p.issuer = iss
	p.mu.Unlock()
	return iss, nil
}

// Client returns the registered client: its id and secret are the host's
// when it set them (UseHostedClient), else ClientID and the stored secret,
// created on first use.
func (p *Provider) Client(ctx context.Context) (Client, error) {
	c := Client{ID: ClientID, Secret: p.hostSecret}
	if p.hostedID != "" {
		c.ID = p.hostedID
	}
	if c.Secret == "" {
		secret, err := p.store.Setting(ctx, secretKey)
		if errors.Is(err, store.ErrNotFound) {
			secret = randomString(32)
			err = p.store.SetSetting(ctx, secretKey, secret)
		}
		if err != nil {
			return c, err
		}
		c.Secret = secret
	}
	if u := p.pahekoURL(ctx); u != "" {
		c.RedirectURI = paheko.LoginURL(u)
	}
	return c, nil
}

// RegenerateSecret replaces the client secret with a new random one and
// returns the client with it. Paheko's config.local.php must then be given
// the new secret: until it is, every sign-on fails with invalid_client. It
// returns ErrSecretFromHost when the host set the secret.
func (p *Provider) RegenerateSecret(ctx context.Context) (Client, error) {
	if p.SecretFromHost() {
		return Client{}, ErrSecretFromHost
	}
	if err := p.store.SetSetting(ctx, secretKey, randomString(32)); err != nil {
		return Client{}, err
	}
	return p.Client(ctx)
}

// Discovery is the provider's openid-configuration.
func (p *Provider) Discovery(ctx context.Context) (map[string]any, error) {
	iss, err := p.Issuer(ctx)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                iss + "/authorize",
		"token_endpoint":                        iss + "/token",
		"userinfo_endpoint":                     iss + "/userinfo",
		"jwks_uri":                              iss + "/jwks",
		"response_types_supported":              []string{"code"},
		"grant_types_supported":                 []string{"authorization_code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		// Paheko asks for every scope listed here.
		"scopes_supported":                      []string{"openid", "email", "profile"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_post"},
		"code_challenge_methods_supported":      []string{"S256"},
		"claims_supported":                      []string{"sub", "email", "name", "preferred_username", "paheko_role", "paheko_member"},
	}, nil
}

// Authorize handles an authorization request of the signed-in account uid
// and returns where to send the browser: the redirect URI with a fresh code
// (or an OAuth error) and the state. It returns ErrBadClient when the
// browser must not be sent anywhere, and ErrNoRole for an account that may
// not open Paheko.
func (p *Provider) Authorize(ctx context.Context, uid string, q url.Values) (string, error) {
	req, err := ParseAuthorizeRequest(q)
	if err != nil {
		return "", err
	}
	c, err := p.Client(ctx)
	if err != nil {
		return "", err
	}
	if c.RedirectURI == "" || req.ClientID != c.ID || req.RedirectURI != c.RedirectURI {
		return "", ErrBadClient
	}
	if oe := req.check(); oe != nil {
		return redirectWith(req.RedirectURI, url.Values{"error": {oe.Code}, "error_description": {oe.Description}}, req.State), nil
	}
	acc, err := p.nc.As(uid).Account(ctx, uid)
	if err != nil {
		return "", err
	}
	if !acc.Enabled || paheko.RoleFor(acc.Groups) == "" {
		return "", ErrNoRole
	}
	if _, err := p.linkedMember(ctx, acc); err != nil {
		return "", err
	}
	// Sign-ons are rare: this is the moment to drop long-expired codes and tokens.
	if err := p.store.PurgeOIDC(ctx); err != nil {
		return "", err
	}
	code := randomString(32)
	err = p.store.SaveOIDCCode(ctx, store.OIDCCode{Hash: hash(code), UID: uid, ClientID: c.ID, RedirectURI: req.RedirectURI,
		Nonce: req.Nonce, Challenge: req.Challenge, Method: req.ChallengeMeth, ExpiresAt: p.now().Add(CodeTTL)})
	if err != nil {
		return "", err
	}
	return redirectWith(req.RedirectURI, url.Values{"code": {code}}, req.State), nil
}

// redirectWith appends params and the state, byte for byte, to uri (which
// may already have a query, as Paheko's "login.php?oidc").
func redirectWith(uri string, params url.Values, state string) string {
	if state != "" {
		params.Set("state", state)
	}
	sep := "?"
	if strings.Contains(uri, "?") {
		sep = "&"
	}
	return uri + sep + params.Encode()
}

// TokenResponse is the token endpoint's answer.
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	IDToken     string `json:"id_token"`
	Scope       string `json:"scope"`
}

// Token exchanges a code. Every failure is an *Error to answer as JSON. The
// account must still be enabled and hold a Paheko role; a code_verifier is
// refused for a code issued without a challenge.
func (p *Provider) Token(ctx context.Context, form url.Values) (TokenResponse, error) {
	req, err := ParseTokenRequest(form)
	if err != nil {
		return TokenResponse{}, err
	}
	c, err := p.Client(ctx)
	if err != nil {
		return TokenResponse{}, err
	}
	if subtle.ConstantTimeCompare([]byte(req.ClientID), []byte(c.ID)) != 1 ||
		subtle.ConstantTimeCompare([]byte(req.ClientSecret), []byte(c.Secret)) != 1 {
		return TokenResponse{}, oauthError(401, "invalid_client", "client authentication failed")
	}
	codeHash := hash(req.Code)
	code, err := p.store.UseOIDCCode(ctx, codeHash)
	switch {
	case errors.Is(err, store.ErrCodeUsed):
		// A replayed code: the store revoked what it gave (RFC 6749 §4.1.2).
		return TokenResponse{}, oauthError(400, "invalid_grant", "the code was already used")
	case errors.Is(err, store.ErrNotFound):
		return TokenResponse{}, oauthError(400, "invalid_grant", "unknown code")
	case err != nil:
		return TokenResponse{}, err
	}
	switch {
	case !p.now().Before(code.ExpiresAt):
		return TokenResponse{}, oauthError(400, "invalid_grant", "the code has expired")
	case code.ClientID != req.ClientID || code.RedirectURI != req.RedirectURI:
		return TokenResponse{}, oauthError(400, "invalid_grant", "redirect_uri does not match the authorization request")
	case code.Challenge != "" && req.Verifier == "":
		return TokenResponse{}, oauthError(400, "invalid_grant", "code_verifier is required")
	case code.Challenge == "" && req.Verifier != "":
		// A verifier for a code issued without a challenge: a PKCE downgrade
		// (RFC 9700 §2.1.1).
		return TokenResponse{}, oauthError(400, "invalid_grant", "the authorization request had no code_challenge")
	case code.Challenge != "" && subtle.ConstantTimeCompare([]byte(s256(req.Verifier)), []byte(code.Challenge)) != 1:
		return TokenResponse{}, oauthError(400, "invalid_grant", "code_verifier does not match")
	}
	acc, err := p.allowedAccount(ctx, code.UID, "invalid_grant", 400)
	if err != nil {
		return TokenResponse{}, err
	}
	access := randomString(32)
	err = p.store.SaveOIDCToken(ctx, hash(access), code.UID, codeHash, p.now().Add(TokenTTL))
	if errors.Is(err, store.ErrCodeUsed) {
		return TokenResponse{}, oauthError(400, "invalid_grant", "the code was already used")
	}
	if err != nil {
		return TokenResponse{}, err
	}
	idToken, err := p.idToken(ctx, c.ID, acc, code.Nonce)
	if err != nil {
		return TokenResponse{}, err
	}
	return TokenResponse{AccessToken: access, TokenType: "Bearer", ExpiresIn: int(TokenTTL / time.Second),
		IDToken: idToken, Scope: "openid email profile"}, nil
}

// allowedAccount reads account uid and checks that it may still open
// Paheko: enabled and in one of the role groups. Otherwise it returns an
// *Error with the given OAuth code and status. Nextcloud refuses OCS acting
// as a disabled account (401, fixtures nextcloud-32-more 315): that too
// means the account may no longer sign in.
func (p *Provider) allowedAccount(ctx context.Context, uid, code string, status int) (nextcloud.Account, error) {
	acc, err := p.nc.As(uid).Account(ctx, uid)
	if errors.Is(err, nextcloud.ErrUnauthorized) || errors.Is(err, nextcloud.ErrNotFound) {
		return acc, oauthError(status, code, "the account is disabled or deleted")
	}
	if err != nil {
		return acc, err
	}
	if !acc.Enabled {
		return acc, oauthError(status, code, "the account is disabled")
	}
	if paheko.RoleFor(acc.Groups) == "" {
		return acc, oauthError(status, code, "the account has no Paheko role any more")
	}
	return acc, nil
}

// UserInfo returns the claims of the account an access token was issued
// to, with paheko_role computed from its groups now and paheko_member, the
// id of the member AssoKit linked to the account (absent when none): the
// sign-on snippet opens that member only, and only if its nextcloud_uid is
// still sub, so that neither a reused uid nor a member Paheko would not let
// AssoKit clear is ever opened for someone else. An account disabled,
// deleted or left without a role since the token was issued gets
// invalid_token.
func (p *Provider) UserInfo(ctx context.Context, token string) (map[string]any, error) {
	uid, exp, err := p.store.OIDCToken(ctx, hash(token))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !p.now().Before(exp)) {
		return nil, oauthError(401, "invalid_token", "unknown or expired access token")
	}
	if err != nil {
		return nil, err
	}
	acc, err := p.allowedAccount(ctx, uid, "invalid_token", 401)
	if err != nil {
		return nil, err
	}
	info := map[string]any{"sub": uid, "preferred_username": uid, "name": acc.DisplayName,
		"paheko_role": paheko.RoleFor(acc.Groups)}
	if acc.Email != "" {
		info["email"] = acc.Email
	}
	member, err := p.linkedMember(ctx, acc)
	switch {
	case err == nil:
		info["paheko_member"] = member
	case !errors.Is(err, ErrNotLinked):
		return nil, err
	}
	return info, nil
}

// linkedMember returns the id of the member AssoKit linked to account acc,
// or ErrNotLinked when there is none, or when the link was made for another
// account that had the same uid (membersync.SameAccount: another first
// sign-in, or another name or e-mail before any): the next sync drops that
// link, and until then nobody is signed in as that member.
func (p *Provider) linkedMember(ctx context.Context, acc nextcloud.Account) (int, error) {
	l, err := p.store.PahekoLinkOf(ctx, acc.ID)
	if errors.Is(err, store.ErrNotFound) {
		return 0, ErrNotLinked
	}
	if err != nil {
		return 0, err
	}
	if !membersync.SameAccount(membersync.Link{Name: l.Name, Email: l.Email, FirstLogin: l.FirstLogin},
		membersync.Account{UID: acc.ID, Name: acc.DisplayName, Email: acc.Email, FirstLogin: acc.FirstLogin}) {
		return 0, ErrNotLinked
	}
	return l.MemberID, nil
}

// idToken signs the id_token with the newest key.
func (p *Provider) idToken(ctx context.Context, clientID string, acc nextcloud.Account, nonce string) (string, error) {
	key, kid, err := p.signingKey(ctx)
	if err != nil {
		return "", err
	}
	iss, err := p.Issuer(ctx)
	if err != nil {
		return "", err
	}
	now := p.now()
	claims := jwt.MapClaims{"iss": iss, "sub": acc.ID, "aud": clientID, "iat": now.Unix(), "auth_time": now.Unix(),
		"exp": now.Add(TokenTTL).Unix(), "name": acc.DisplayName}
	if acc.Email != "" {
		claims["email"] = acc.Email
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = kid
	return t.SignedString(key)
}

// signingKey returns the newest key, creating one on first use.
func (p *Provider) signingKey(ctx context.Context) (*rsa.PrivateKey, string, error) {
	keys, err := p.store.OIDCKeys(ctx)
	if err != nil {
		return nil, "", err
	}
	if len(keys) == 0 {
		if err := p.RotateKeys(ctx); err != nil {
			return nil, "", err
		}
		if keys, err = p.store.OIDCKeys(ctx); err != nil || len(keys) == 0 {
			return nil, "", fmt.Errorf("oidc: no signing key: %w", err)
		}
	}
	k, err := parseKey(keys[0].PrivatePEM)
	return k, keys[0].KID, err
}

// RotateKeys creates a new signing key, which signs from now on. A key that
// stopped signing stays published for TokenTTL, the life of the id_tokens it
// signed; keys past that are retired.
func (p *Provider) RotateKeys(ctx context.Context) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	der := x509.MarshalPKCS1PrivateKey(key)
	pemText := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: der}))
	sum := sha256.Sum256(x509.MarshalPKCS1PublicKey(&key.PublicKey))
	kid := base64.RawURLEncoding.EncodeToString(sum[:12])
	if err := p.store.AddOIDCKey(ctx, kid, pemText); err != nil {
		return err
	}
	_, err = p.publishedKeys(ctx)
	return err
}

// publishedKeys returns the keys to publish, newest (the signing key)
// first: each older key until TokenTTL after the next one replaced it. It
// retires the others.
func (p *Provider) publishedKeys(ctx context.Context) ([]store.OIDCKey, error) {
	keys, err := p.store.OIDCKeys(ctx)
	if err != nil {
		return nil, err
	}
	for i := 1; i < len(keys); i++ {
		if p.now().Before(keys[i-1].CreatedAt.Add(TokenTTL)) {
			continue
		}
		for _, old := range keys[i:] {
			if err := p.store.RetireOIDCKey(ctx, old.KID); err != nil {
				return nil, err
			}
		}
		return keys[:i], nil
	}
	return keys, nil
}

// JWKS returns the published public keys: the signing key and those that
// signed id_tokens not expired yet.
func (p *Provider) JWKS(ctx context.Context) (map[string]any, error) {
	if _, _, err := p.signingKey(ctx); err != nil {
		return nil, err
	}
	keys, err := p.publishedKeys(ctx)
	if err != nil {
		return nil, err
	}
	out := []map[string]string{}
	for _, k := range keys {
		priv, err := parseKey(k.PrivatePEM)
		if err != nil {
			return nil, err
		}
		out = append(out, map[string]string{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": k.KID,
			"n": base64.RawURLEncoding.EncodeToString(priv.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(priv.E)).Bytes())})
	}
	return map[string]any{"keys": out}, nil
}

func parseKey(pemText string) (*rsa.PrivateKey, error) {
	b, _ := pem.Decode([]byte(pemText))
	if b == nil {
		return nil, errors.New("oidc: stored key is not PEM")
	}
	return x509.ParsePKCS1PrivateKey(b.Bytes)
}

func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
