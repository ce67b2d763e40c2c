package oidc

import (
	"context"

	"assokit/internal/paheko"
)

// Access is what the "Paheko" page shows a member.
type Access struct {
	Configured bool   `json:"configured"`         // Paheko's address is set
	LoginURL   string `json:"loginUrl,omitempty"` // starts the sign-on; only for those who may open Paheko
	Role       string `json:"role"`               // "" when the account may not open Paheko
}

// Access says whether an account in groups may open Paheko, with which
// role, and where its sign-on starts.
func (p *Provider) Access(ctx context.Context, groups []string) Access {
	u := p.pahekoURL(ctx)
	a := Access{Configured: u != "", Role: paheko.RoleFor(groups)}
	if a.Configured && a.Role != "" {
		a.LoginURL = paheko.LoginURL(u)
	}
	return a
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
// (role → category id) and matching members on nextcloud_uid when matchUID.
func (p *Provider) Snippet(ctx context.Context, categories map[string]int, matchUID bool) (string, error) {
	r, err := p.Registration(ctx)
	if err != nil {
		return "", err
	}
	return paheko.Snippet(paheko.SnippetParams{ClientURL: r.Issuer, ClientID: r.Client.ID,
		ClientSecret: r.Client.Secret, Categories: categories, MatchUID: matchUID}), nil
}
