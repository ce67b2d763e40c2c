package oidc

import (
	"context"
	"errors"

	"assokit/internal/nextcloud"
	"assokit/internal/paheko"
)

// Access is what the "Paheko" page shows a member.
type Access struct {
	Configured bool   `json:"configured"`         // Paheko's address is set
	LoginURL   string `json:"loginUrl,omitempty"` // starts the sign-on; only for those who may open it now
	Role       string `json:"role"`               // "" when the account may not open Paheko
	Linked     bool   `json:"linked"`             // the account has its member in Paheko (sign-on needs it)
}

// Access says whether account acc may open Paheko, with which role
// (from its groups), whether its member is linked yet, as Authorize sees
// it (a link made for a former account with the same uid is not), and
// where its sign-on starts.
func (p *Provider) Access(ctx context.Context, acc nextcloud.Account) (Access, error) {
	u := p.pahekoURL(ctx)
	a := Access{Configured: u != "", Role: paheko.RoleFor(acc.Groups)}
	_, err := p.linkedMember(ctx, acc)
	switch {
	case err == nil:
		a.Linked = true
	case !errors.Is(err, ErrNotLinked):
		return a, err
	}
	if a.Configured && a.Role != "" && a.Linked {
		a.LoginURL = paheko.LoginURL(u)
	}
	return a, nil
}

// Registration is Paheko's registration with the provider and the
// provider's address: what Paheko's config.local.php needs.
type Registration struct {
	Issuer string
	Client Client
}

// Registration returns Paheko's client (its secret created on first use)
// and the issuer.
func (p *Provider) Registration(ctx context.Context) (Registration, error) {
	cl, err := p.Client(ctx)
	if err != nil {
		return Registration{}, err
	}
	iss, err := p.Issuer(ctx)
	return Registration{Issuer: iss, Client: cl}, err
}

// Snippet returns the config.local.php lines that make Paheko sign its
// members on through this provider, with the category of each role
// (role → category id) and of new members (the only categories it moves
// members between), or "" without the nextcloud_uid field (paheko.Snippet).
func (p *Provider) Snippet(ctx context.Context, categories map[string]int, memberCategory int, matchUID bool) (string, error) {
	r, err := p.Registration(ctx)
	if err != nil {
		return "", err
	}
	secret := r.Client.Secret
	if _, hosted, _ := p.HostedClient(); hosted {
		secret = HostedSecretShown
	}
	return paheko.Snippet(paheko.SnippetParams{ClientURL: r.Issuer, ClientID: r.Client.ID, ClientSecret: secret,
		Categories: categories, MemberCategory: memberCategory, MatchUID: matchUID}), nil
}
