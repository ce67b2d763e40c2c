package appapi

import "strings"

// The environment variables a host sets at deploy time. They are declared in
// appinfo/info.xml's <environment-variables>: AppAPI (Nextcloud 31 and later,
// reference/appapi.md 1.1) passes only declared names, given with
// `occ app_api:app:register --env NAME=VALUE` or in the install dialog, and
// none whose value is empty. A manual install gets none before Nextcloud 35.
const (
	EnvPahekoURL        = "ASSOKIT_PAHEKO_URL"
	EnvPahekoKey        = "ASSOKIT_PAHEKO_API_KEY"
	EnvPahekoSecret     = "ASSOKIT_PAHEKO_API_SECRET"
	EnvPahekoCategory   = "ASSOKIT_PAHEKO_CATEGORY"
	EnvAssociationName  = "ASSOKIT_ASSOCIATION_NAME"
	EnvOIDCClientID     = "ASSOKIT_OIDC_CLIENT_ID"
	EnvOIDCClientSecret = "ASSOKIT_OIDC_CLIENT_SECRET"
	EnvAdmin            = "ASSOKIT_ADMIN"
)

// ProvisionedVariables lists the names above, in info.xml's order.
var ProvisionedVariables = []string{EnvPahekoURL, EnvPahekoKey, EnvPahekoSecret, EnvPahekoCategory,
	EnvAssociationName, EnvOIDCClientID, EnvOIDCClientSecret, EnvAdmin}

// Provisioned is what the host set at deploy time; "" means not set, and
// then the admins' settings apply. The values are as given, without
// surrounding spaces: each feature checks its own with the rules of its
// settings page.
type Provisioned struct {
	PahekoURL, PahekoKey, PahekoSecret string
	PahekoCategory                     string // a category id
	AssociationName                    string
	OIDCClientID, OIDCClientSecret     string
	Admin                              string // the admin account AssoKit reads accounts as
}

// ProvisionedFromEnv reads the provisioned values through getenv.
func ProvisionedFromEnv(getenv func(string) string) Provisioned {
	v := func(name string) string { return strings.TrimSpace(getenv(name)) }
	return Provisioned{PahekoURL: v(EnvPahekoURL), PahekoKey: v(EnvPahekoKey), PahekoSecret: v(EnvPahekoSecret),
		PahekoCategory: v(EnvPahekoCategory), AssociationName: v(EnvAssociationName),
		OIDCClientID: v(EnvOIDCClientID), OIDCClientSecret: v(EnvOIDCClientSecret), Admin: v(EnvAdmin)}
}
