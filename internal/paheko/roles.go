package paheko

import (
	"slices"
	"strings"
)

// Roles given to Paheko at sign-on, from the Nextcloud groups of the account.
const (
	RoleAdmin         = "admin"
	RoleCompta        = "compta"
	RoleMembres       = "membres"
	RoleComptaMembres = "compta+membres"
)

// The Nextcloud groups that open Paheko.
const (
	GroupAdmin   = "admin"
	GroupCompta  = "paheko_compta"
	GroupMembres = "paheko_membres"
)

// RoleFor returns the Paheko role of an account in these groups, or "" when
// the account may not open Paheko. admin dominates.
func RoleFor(groups []string) string {
	compta, membres := slices.Contains(groups, GroupCompta), slices.Contains(groups, GroupMembres)
	switch {
	case slices.Contains(groups, GroupAdmin):
		return RoleAdmin
	case compta && membres:
		return RoleComptaMembres
	case compta:
		return RoleCompta
	case membres:
		return RoleMembres
	}
	return ""
}

// RoleCategory is the category a role maps to in Paheko: its name and the
// rights it must carry.
type RoleCategory struct {
	Role string
	Category
}

// RoleCategories are the categories the association creates once in Paheko
// (Configuration › Membres › Catégories), one per role, with these rights.
var RoleCategories = []RoleCategory{
	{RoleAdmin, Category{Name: "Nextcloud — Admin", PermUsers: 9, PermAccounting: 9, PermDocuments: 9, PermWeb: 9, PermConnect: 1, PermConfig: 9}},
	{RoleComptaMembres, Category{Name: "Nextcloud — Comptabilité + Membres", PermUsers: 2, PermAccounting: 2, PermConnect: 1}},
	{RoleCompta, Category{Name: "Nextcloud — Comptabilité", PermAccounting: 2, PermConnect: 1}},
	{RoleMembres, Category{Name: "Nextcloud — Gestion des membres", PermUsers: 2, PermConnect: 1}},
}

// MemberCategory is the category for members created by AssoKit: they may
// log in but manage nothing until a role moves them at sign-on.
var MemberCategory = Category{Name: "Nextcloud — Membre", PermConnect: 1}

// SameRights reports whether c carries the rights of want (names aside).
func (c Category) SameRights(want Category) bool {
	return c.PermUsers == want.PermUsers && c.PermAccounting == want.PermAccounting &&
		c.PermConnect == want.PermConnect && c.PermConfig == want.PermConfig
}

// LoginURL is the page of the Paheko at base that starts the sign-on with
// OpenID Connect: Paheko's "Se connecter avec Nextcloud" button points there,
// and it is also the redirect URI Paheko sends to the provider
// (reference/paheko-oidc.md; Paheko 1.3 admin/login.php).
func LoginURL(base string) string {
	return strings.TrimSuffix(base, "/") + "/admin/login.php?oidc"
}
