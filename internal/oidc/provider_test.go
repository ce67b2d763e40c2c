package oidc_test

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"math/big"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"assokit/internal/nextcloud"
	"assokit/internal/nextcloud/nextcloudtest"
	"assokit/internal/oidc"
	"assokit/internal/store"
)

const pahekoURL = "https://paheko.asso.example"

var redirectURI = pahekoURL + "/admin/login.php?oidc"

func newProvider(t *testing.T) (*oidc.Provider, *nextcloudtest.Server, *time.Time) {
	t.Helper()
	return newProviderLinked(t, store.PahekoLink{UID: "jeanne", MemberID: 7, Name: "Jeanne Trésorière"})
}

// newProviderLinked is newProvider with jeanne's link given.
func newProviderLinked(t *testing.T, jeanne store.PahekoLink) (*oidc.Provider, *nextcloudtest.Server, *time.Time) {
	t.Helper()
	nc := nextcloudtest.NewServer(t)
	nc.InstallExApp(nextcloudtest.ExApp{ID: "assokit", Version: "0.1.0", Secret: "test-secret"})
	nc.AddGroup("paheko_compta")
	nc.AddGroup("paheko_membres")
	nc.AddUser(nextcloudtest.User{ID: "jeanne", DisplayName: "Jeanne Trésorière", Email: "jeanne@asso.example", Groups: []string{"paheko_compta"}, Enabled: true})
	nc.AddUser(nextcloudtest.User{ID: "lea", DisplayName: "Léa", Email: "lea@asso.example", Enabled: true})
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// jeanne's member is n°7 in Paheko; lea has none yet.
	if err := st.SavePahekoLink(context.Background(), jeanne); err != nil {
		t.Fatal(err)
	}
	client, err := nextcloud.New(nextcloud.Config{BaseURL: nc.URL(), AppID: "assokit", AppSecret: "test-secret", AppVersion: "0.1.0", AAVersion: "32.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	p := oidc.New(st, client, func(context.Context) string { return pahekoURL + "/" })
	now := time.Now()
	p.SetClock(func() time.Time { return now })
	st.SetClock(func() time.Time { return now })
	return p, nc, &now
}

func authorizeQuery(extra ...string) url.Values {
	q := url.Values{"response_type": {"code"}, "client_id": {"paheko"}, "redirect_uri": {redirectURI},
		"state": {"362c4c04eb7939ee"}, "scope": {"openid email profile"}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return q
}

// login runs authorize then returns the code and the state of the redirect.
func login(t *testing.T, p *oidc.Provider, uid string, q url.Values) (string, string) {
	t.Helper()
	to, err := p.Authorize(context.Background(), uid, q)
	if err != nil {
		t.Fatalf("authorize: %v", err)
	}
	if !strings.HasPrefix(to, redirectURI+"&") {
		t.Fatalf("redirect %q does not keep the redirect URI", to)
	}
	u, _ := url.Parse(to)
	return u.Query().Get("code"), u.Query().Get("state")
}

func tokenForm(p *oidc.Provider, code string, extra ...string) url.Values {
	c, _ := p.Client(context.Background())
	f := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI},
		"client_id": {"paheko"}, "client_secret": {c.Secret}}
	for i := 0; i+1 < len(extra); i += 2 {
		f.Set(extra[i], extra[i+1])
	}
	return f
}

func TestLoginGivesRoleFromGroupsNow(t *testing.T) {
	p, nc, _ := newProvider(t)
	ctx := context.Background()
	code, state := login(t, p, "jeanne", authorizeQuery("nonce", "n-0S6_WzA2Mj"))
	if state != "362c4c04eb7939ee" {
		t.Errorf("state %q not echoed", state)
	}
	tok, err := p.Token(ctx, tokenForm(p, code))
	if err != nil {
		t.Fatal(err)
	}
	info, err := p.UserInfo(ctx, tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if info["sub"] != "jeanne" || info["email"] != "jeanne@asso.example" || info["paheko_role"] != "compta" || info["paheko_member"] != 7 {
		t.Errorf("userinfo %v", info)
	}
	// The id_token is signed by a published key and carries the nonce.
	jwks, _ := p.JWKS(ctx)
	keys := jwks["keys"].([]map[string]string)
	parsed, err := jwt.Parse(tok.IDToken, func(t *jwt.Token) (any, error) {
		for _, k := range keys {
			if k["kid"] == t.Header["kid"] {
				return jwkKey(k), nil
			}
		}
		return nil, errors.New("unknown kid")
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithAudience("paheko"))
	if err != nil {
		t.Fatalf("id_token: %v", err)
	}
	if c := parsed.Claims.(jwt.MapClaims); c["nonce"] != "n-0S6_WzA2Mj" || c["sub"] != "jeanne" {
		t.Errorf("claims %v", c)
	}
	// Groups change: the next userinfo tells.
	nc.AddUser(nextcloudtest.User{ID: "jeanne", DisplayName: "Jeanne", Email: "jeanne@asso.example", Groups: []string{"paheko_compta", "paheko_membres"}, Enabled: true})
	info, _ = p.UserInfo(ctx, tok.AccessToken)
	if info["paheko_role"] != "compta+membres" {
		t.Errorf("role after a group change: %v", info["paheko_role"])
	}
}

func TestAuthorizeRefusals(t *testing.T) {
	p, nc, _ := newProvider(t)
	ctx := context.Background()
	if _, err := p.Authorize(ctx, "lea", authorizeQuery()); !errors.Is(err, oidc.ErrNoRole) {
		t.Errorf("account in no group: %v", err)
	}
	nc.AddUser(nextcloudtest.User{ID: "lea", DisplayName: "Léa", Email: "lea@asso.example", Groups: []string{"paheko_membres"}, Enabled: true})
	if _, err := p.Authorize(ctx, "lea", authorizeQuery()); !errors.Is(err, oidc.ErrNotLinked) {
		t.Errorf("account without a member yet: %v", err)
	}
	for name, q := range map[string]url.Values{
		"wrong redirect URI":     authorizeQuery("redirect_uri", pahekoURL+"/admin/login.php?oidc&x=1"),
		"redirect URI elsewhere": authorizeQuery("redirect_uri", "https://evil.example/admin/login.php?oidc"),
		"wrong client":           authorizeQuery("client_id", "other"),
		"no redirect URI":        authorizeQuery("redirect_uri", ""),
	} {
		if to, err := p.Authorize(ctx, "jeanne", q); !errors.Is(err, oidc.ErrBadClient) || to != "" {
			t.Errorf("%s: %q, %v", name, to, err)
		}
	}
	// Errors the client can be told about go back to it, with the state.
	to, err := p.Authorize(ctx, "jeanne", authorizeQuery("response_type", "token"))
	if err != nil || !strings.Contains(to, "error=unsupported_response_type") || !strings.Contains(to, "state=362c4c04eb7939ee") {
		t.Errorf("implicit flow: %q, %v", to, err)
	}
	to, _ = p.Authorize(ctx, "jeanne", authorizeQuery("code_challenge", "abc", "code_challenge_method", "plain"))
	if !strings.Contains(to, "error=invalid_request") {
		t.Errorf("plain PKCE accepted: %q", to)
	}
}

func TestStateEchoedByteForByte(t *testing.T) {
	p, _, _ := newProvider(t)
	for _, state := range []string{"a&b=c", "état+espace é", "x%2Fy", strings.Repeat("s", 500)} {
		_, got := login(t, p, "jeanne", authorizeQuery("state", state))
		if got != state {
			t.Errorf("state %q came back as %q", state, got)
		}
	}
}

// wantOAuthError fails the test unless err is an OAuth error with code want.
func wantOAuthError(t *testing.T, name, want string, err error) {
	t.Helper()
	var oe *oidc.Error
	if !errors.As(err, &oe) || oe.Code != want {
		t.Errorf("%s: %v, want %s", name, err, want)
	}
}

func TestTokenRefusals(t *testing.T) {
	p, _, now := newProvider(t)
	ctx := context.Background()
	code, _ := login(t, p, "jeanne", authorizeQuery())
	_, err := p.Token(ctx, tokenForm(p, code, "client_secret", "wrong"))
	wantOAuthError(t, "wrong secret", "invalid_client", err)

	code, _ = login(t, p, "jeanne", authorizeQuery())
	_, err = p.Token(ctx, tokenForm(p, code, "redirect_uri", pahekoURL+"/admin/login.php"))
	wantOAuthError(t, "other redirect URI", "invalid_grant", err)

	code, _ = login(t, p, "jeanne", authorizeQuery())
	tok, err := p.Token(ctx, tokenForm(p, code))
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Token(ctx, tokenForm(p, code))
	wantOAuthError(t, "reused code", "invalid_grant", err)
	if _, err := p.UserInfo(ctx, tok.AccessToken); err == nil {
		t.Error("the token of a replayed code still works")
	}

	code, _ = login(t, p, "jeanne", authorizeQuery())
	*now = now.Add(oidc.CodeTTL)
	_, err = p.Token(ctx, tokenForm(p, code))
	wantOAuthError(t, "expired code", "invalid_grant", err)

	_, err = p.Token(ctx, tokenForm(p, "made-up-code"))
	wantOAuthError(t, "unknown code", "invalid_grant", err)

	_, err = p.UserInfo(ctx, "made-up-token")
	wantOAuthError(t, "unknown token", "invalid_token", err)
}

func TestPKCE(t *testing.T) {
	p, _, _ := newProvider(t)
	ctx := context.Background()
	verifier := strings.Repeat("v", 50)
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	q := authorizeQuery("code_challenge", challenge, "code_challenge_method", "S256")
	code, _ := login(t, p, "jeanne", q)
	if _, err := p.Token(ctx, tokenForm(p, code, "code_verifier", strings.Repeat("w", 50))); err == nil {
		t.Error("a wrong verifier was accepted")
	}
	code, _ = login(t, p, "jeanne", q)
	if _, err := p.Token(ctx, tokenForm(p, code)); err == nil {
		t.Error("a missing verifier was accepted")
	}
	code, _ = login(t, p, "jeanne", q)
	if _, err := p.Token(ctx, tokenForm(p, code, "code_verifier", verifier)); err != nil {
		t.Errorf("the right verifier: %v", err)
	}
}

func TestKeyRotation(t *testing.T) {
	p, _, now := newProvider(t)
	ctx := context.Background()
	verify := func(idToken string) error {
		jwks, err := p.JWKS(ctx)
		if err != nil {
			return err
		}
		_, err = jwt.Parse(idToken, func(t *jwt.Token) (any, error) {
			for _, k := range jwks["keys"].([]map[string]string) {
				if k["kid"] == t.Header["kid"] {
					return jwkKey(k), nil
				}
			}
			return nil, errors.New("kid not published")
		}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(func() time.Time { return *now }))
		return err
	}
	signIn := func() string {
		code, _ := login(t, p, "jeanne", authorizeQuery())
		tok, err := p.Token(ctx, tokenForm(p, code))
		if err != nil {
			t.Fatal(err)
		}
		return tok.IDToken
	}
	first := signIn()
	// Two rotations in a row: the id_token signed before both still verifies.
	for range 2 {
		*now = now.Add(time.Second)
		if err := p.RotateKeys(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := verify(first); err != nil {
		t.Errorf("an id_token signed before two rotations: %v", err)
	}
	latest := signIn()
	if err := verify(latest); err != nil {
		t.Errorf("an id_token signed after the rotations: %v", err)
	}
	// Once every id_token of the old keys expired, only the signing key is published.
	*now = now.Add(oidc.TokenTTL)
	jwks, _ := p.JWKS(ctx)
	if n := len(jwks["keys"].([]map[string]string)); n != 1 {
		t.Errorf("%d keys published once the old keys' tokens expired, want 1", n)
	}
}

func TestRegenerateSecret(t *testing.T) {
	p, _, _ := newProvider(t)
	ctx := context.Background()
	old, _ := p.Client(ctx)
	code, _ := login(t, p, "jeanne", authorizeQuery())
	form := tokenForm(p, code)
	c, err := p.RegenerateSecret(ctx)
	if err != nil || c.Secret == old.Secret || len(c.Secret) < 40 {
		t.Fatalf("new secret %q (old %q): %v", c.Secret, old.Secret, err)
	}
	_, err = p.Token(ctx, form)
	wantOAuthError(t, "the old secret", "invalid_client", err)
	code, _ = login(t, p, "jeanne", authorizeQuery())
	if _, err := p.Token(ctx, tokenForm(p, code)); err != nil {
		t.Errorf("the new secret: %v", err)
	}

	// A secret set by the host is the host's to change.
	p.UseHostSecret("secret-from-the-host-0123456789")
	if c, _ := p.Client(ctx); c.Secret != "secret-from-the-host-0123456789" || !p.SecretFromHost() {
		t.Errorf("client secret %q with the host's set", c.Secret)
	}
	if _, err := p.RegenerateSecret(ctx); !errors.Is(err, oidc.ErrSecretFromHost) {
		t.Errorf("regenerating the host's secret: %v", err)
	}
}

func jwkKey(k map[string]string) any {
	n, _ := base64.RawURLEncoding.DecodeString(k["n"])
	e, _ := base64.RawURLEncoding.DecodeString(k["e"])
	ei := 0
	for _, b := range e {
		ei = ei<<8 | int(b)
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: ei}
}

func TestTokensOnlyForAccountsStillAllowed(t *testing.T) {
	p, nc, _ := newProvider(t)
	ctx := context.Background()
	jeanne := nextcloudtest.User{ID: "jeanne", DisplayName: "Jeanne Trésorière", Email: "jeanne@asso.example", Groups: []string{"paheko_compta"}, Enabled: true}

	// Disabled between authorize and token: no token.
	code, _ := login(t, p, "jeanne", authorizeQuery())
	disabled := jeanne
	disabled.Enabled = false
	nc.AddUser(disabled)
	_, err := p.Token(ctx, tokenForm(p, code))
	wantOAuthError(t, "disabled account at token", "invalid_grant", err)

	// Removed from every role group between authorize and token: no token.
	nc.AddUser(jeanne)
	code, _ = login(t, p, "jeanne", authorizeQuery())
	noRole := jeanne
	noRole.Groups = nil
	nc.AddUser(noRole)
	_, err = p.Token(ctx, tokenForm(p, code))
	wantOAuthError(t, "account without a role at token", "invalid_grant", err)

	// A token issued, then the account loses access: userinfo refuses.
	for name, later := range map[string]nextcloudtest.User{"disabled": disabled, "without a role": noRole} {
		nc.AddUser(jeanne)
		code, _ = login(t, p, "jeanne", authorizeQuery())
		tok, err := p.Token(ctx, tokenForm(p, code))
		if err != nil {
			t.Fatal(err)
		}
		nc.AddUser(later)
		_, err = p.UserInfo(ctx, tok.AccessToken)
		wantOAuthError(t, "userinfo of an account "+name, "invalid_token", err)
	}
}

func TestPKCEDowngradeRefused(t *testing.T) {
	p, _, _ := newProvider(t)
	code, _ := login(t, p, "jeanne", authorizeQuery())
	_, err := p.Token(context.Background(), tokenForm(p, code, "code_verifier", strings.Repeat("v", 50)))
	wantOAuthError(t, "a code_verifier for a code issued without a challenge", "invalid_grant", err)
}

// TestReplayRevokesAtomically replays a code while its first exchange is
// still waiting for Nextcloud: the token of the first exchange must not
// survive the replay.
func TestReplayRevokesAtomically(t *testing.T) {
	p, nc, _ := newProvider(t)
	ctx := context.Background()
	code, _ := login(t, p, "jeanne", authorizeQuery())
	replayed := make(chan error, 1)
	var once sync.Once
	nc.SetFault(func(r *http.Request) (int, time.Duration) {
		if strings.HasSuffix(r.URL.Path, "/cloud/users/jeanne") {
			once.Do(func() {
				_, err := p.Token(ctx, tokenForm(p, code))
				replayed <- err
			})
		}
		return 0, 0
	})
	tok, err := p.Token(ctx, tokenForm(p, code))
	if rerr := <-replayed; rerr == nil {
		t.Fatal("the replayed code was accepted")
	}
	if err == nil {
		if _, err := p.UserInfo(ctx, tok.AccessToken); err == nil {
			t.Error("the token of a replayed code still works")
		}
	}
}

// TestHostedClient: the client id and secret the host set are used, the
// secret never shown; what the page's rules refuse is not used.
func TestHostedClient(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, id, secret string
		ok               bool
	}{
		{"both", "paheko-asso", "0123456789abcdef-host", true},
		{"secret only", "", "0123456789abcdef-host", true},
		{"short secret", "paheko", "short", false},
		{"quote in secret", "paheko", "0123456789abcdef'x", false},
		{"space in id", "pa heko", "0123456789abcdef-host", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, _, _ := newProvider(t)
			err := p.UseHostedClient(tc.id, tc.secret)
			c, _ := p.Client(ctx)
			idByHost, secretByHost, code := p.HostedClient()
			if !tc.ok {
				if !errors.Is(err, oidc.ErrHostedClient) || code != oidc.ErrHostedClient.Code() || c.Secret == tc.secret || secretByHost {
					t.Fatalf("UseHostedClient(%q, %q) = %v; client %+v", tc.id, tc.secret, err, c)
				}
				return
			}
			wantID := tc.id
			if wantID == "" {
				wantID = oidc.ClientID
			}
			if err != nil || c.ID != wantID || c.Secret != tc.secret || idByHost != (tc.id != "") || !secretByHost || code != "" {
				t.Fatalf("UseHostedClient(%q, %q) = %v; client %+v", tc.id, tc.secret, err, c)
			}
			snippet, err := p.Snippet(ctx, nil, 0, true)
			if err != nil || strings.Contains(snippet, tc.secret) || !strings.Contains(snippet, oidc.HostedSecretShown) {
				t.Errorf("the snippet shows the host's secret: %v\n%s", err, snippet)
			}
		})
	}
}

// A member is opened only for the account its link was made for: an
// account deleted then created again with the same uid, before the next
// sync drops the link, gets no member (the snippet then refuses it).
func TestReplacedAccountGetsNoMember(t *testing.T) {
	first, later := time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC), time.Date(2026, 10, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		linkFirst int64 // the first sign-in recorded in the link
		now       nextcloudtest.User
	}{
		{"the former account had signed in", first.Unix(), nextcloudtest.User{ID: "jeanne", DisplayName: "Jeanne Trésorière",
			Email: "jeanne@asso.example", LastLogin: later}},
		{"the former account never signed in: another name", 0, nextcloudtest.User{ID: "jeanne", DisplayName: "Jeanne Petit",
			Email: "jeanne.petit@asso.example", LastLogin: later}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, nc, _ := newProviderLinked(t, store.PahekoLink{UID: "jeanne", MemberID: 7, Name: "Jeanne Trésorière",
				Email: "jeanne@asso.example", FirstLogin: tc.linkFirst})
			ctx := context.Background()
			var signedIn time.Time
			if tc.linkFirst != 0 {
				signedIn = first
			}
			nc.AddUser(nextcloudtest.User{ID: "jeanne", DisplayName: "Jeanne Trésorière", Email: "jeanne@asso.example",
				Groups: []string{"paheko_compta"}, Enabled: true, LastLogin: signedIn})
			code, _ := login(t, p, "jeanne", authorizeQuery())
			tok, err := p.Token(ctx, tokenForm(p, code))
			if err != nil {
				t.Fatal(err)
			}
			// The account is deleted and another one created with the uid.
			tc.now.Groups, tc.now.Enabled = []string{"paheko_compta"}, true
			nc.AddUser(tc.now)
			info, err := p.UserInfo(ctx, tok.AccessToken)
			if err != nil {
				t.Fatal(err)
			}
			if m, ok := info["paheko_member"]; ok {
				t.Errorf("userinfo hands member %v to the new account", m)
			}
			if _, err := p.Authorize(ctx, "jeanne", authorizeQuery()); !errors.Is(err, oidc.ErrNotLinked) {
				t.Errorf("authorize: %v, want ErrNotLinked", err)
			}
		})
	}
}
