package appapi

import (
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"

	"assokit/internal/errcode"
)

// ErrUnauthenticated is returned for a request that is not signed by our
// Nextcloud. Its text never says which check failed or holds a secret.
var ErrUnauthenticated = errcode.New("unauthenticated", "appapi: request not signed by Nextcloud")

// Authenticator checks the AppAPI headers of inbound requests.
type Authenticator struct {
	appID  string
	secret []byte
}

// NewAuthenticator returns an Authenticator for our app id and secret.
func NewAuthenticator(appID, secret string) Authenticator {
	return Authenticator{appID: appID, secret: []byte(secret)}
}

// Authenticate checks a request's headers the way AppAPI's own SDK does:
// EX-APP-ID must be our id, EX-APP-VERSION present, AUTHORIZATION-APP-API
// base64("user:secret") with our secret (compared in constant time). It
// returns the acting Nextcloud user, "" for system calls, or ErrUnauthenticated.
// AA-VERSION and the version's value are deliberately not checked.
func (a Authenticator) Authenticate(h http.Header) (user string, err error) {
	if h.Get("EX-APP-ID") != a.appID || h.Get("EX-APP-VERSION") == "" {
		return "", ErrUnauthenticated
	}
	user, secret, err := ParseAuthorization(h.Get("AUTHORIZATION-APP-API"))
	if err != nil {
		return "", ErrUnauthenticated
	}
	if subtle.ConstantTimeCompare([]byte(secret), a.secret) != 1 {
		return "", ErrUnauthenticated
	}
	return user, nil
}

// ParseAuthorization decodes an AUTHORIZATION-APP-API value: standard base64
// of "user:secret", split at the first colon. The user may be empty; the
// secret may not.
func ParseAuthorization(v string) (user, secret string, err error) {
	if v == "" {
		return "", "", ErrUnauthenticated
	}
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return "", "", ErrUnauthenticated
	}
	user, secret, ok := strings.Cut(string(raw), ":")
	if !ok || secret == "" {
		return "", "", ErrUnauthenticated
	}
	return user, secret, nil
}
