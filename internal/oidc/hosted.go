package oidc

import (
	"fmt"

	"assokit/internal/errcode"
)

// ErrHostedClient is a sign-on client the host provisioned that AssoKit
// refuses: it keeps its own client and shows admins why.
var ErrHostedClient = errcode.New("host_oidc_client_invalid", "oidc: the sign-on client provisioned by the host is invalid")

// HostedSecretShown stands for a client secret the host set, wherever the
// secret would be shown (the admin page, the config.local.php snippet): the
// host wrote it into Paheko's configuration itself.
const HostedSecretShown = "(set by your host)"

// UseHostedClient makes id and secret, set by the host at deploy time, the
// client Paheko signs on with ("" keeps AssoKit's: ClientID and a secret it
// makes). The id is 1 to 64 letters, digits, '.', '_' or '-'; the secret 16
// to 256 printable ASCII characters, as a config.local.php string holds
// them. An invalid value is not used: it returns an error matching
// ErrHostedClient, and HostedClientError reports it. Call it before serving.
func (p *Provider) UseHostedClient(id, secret string) error {
	var err error
	switch {
	case id != "" && !printable(id, 1, 64, false):
		err = fmt.Errorf("%w: client id", ErrHostedClient)
	case secret != "" && !printable(secret, 16, 256, true):
		err = fmt.Errorf("%w: client secret", ErrHostedClient)
	}
	p.hostedErr = err
	if err == nil {
		p.hostedID = id
		p.UseHostSecret(secret)
	}
	return err
}

// HostedClient reports whether the host set the client id and the secret,
// and ErrHostedClient's code when what it set was refused.
func (p *Provider) HostedClient() (id, secret bool, errCode string) {
	if p.hostedErr != nil {
		errCode = ErrHostedClient.Code()
	}
	return p.hostedID != "", p.SecretFromHost(), errCode
}

// printable reports whether s has min to max bytes, each an ASCII letter,
// digit, '.', '_' or '-', or, with any, any printable ASCII but quotes and
// backslashes.
func printable(s string, min, max int, any bool) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for _, c := range []byte(s) {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-'
		if any {
			ok = c > ' ' && c < 0x7f && c != '\'' && c != '"' && c != '\\'
		}
		if !ok {
			return false
		}
	}
	return true
}
