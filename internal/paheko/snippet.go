package paheko

import (
	"fmt"
	"sort"
	"strings"
)

// SnippetParams fill the config.local.php snippet for one instance.
type SnippetParams struct {
	ClientURL      string         // the provider's issuer (OIDC_CLIENT_URL)
	ClientID       string         // OIDC_CLIENT_ID
	ClientSecret   string         // OIDC_CLIENT_SECRET
	Categories     map[string]int // role → category id; a missing role refuses its members
	MemberCategory int            // category of the members AssoKit creates; 0: none found
	MatchUID       bool           // Paheko has the nextcloud_uid field
}

// Snippet returns the lines to add to Paheko's config.local.php so that its
// members sign in through AssoKit, with rights from their Nextcloud groups,
// or "" when Paheko has no nextcloud_uid field: single sign-on then stays
// off, since matching by e-mail would give a member's rights to whoever
// sets that e-mail in Nextcloud.
//
// It follows what a real Paheko 1.3.22 does (reference/paheko-oidc.md):
// OIDC_CLIENT_MATCH_EMAIL is false, so Paheko hands a virtual user and the
// callback returns the member; the member is the one AssoKit linked
// (userinfo's paheko_member) and only if its nextcloud_uid is still the
// account's (sub); refusing means logout() then a UserException; the
// category changes with set() + save(), and only from a category of the
// role map or of new members, never for the association's own Paheko
// admins and other categories; canLogin() is checked because Paheko does not.
func Snippet(p SnippetParams) string {
	if !p.MatchUID {
		return ""
	}
	var b strings.Builder
	q := func(s string) string { return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'" }
	fmt.Fprintf(&b, "// --- AssoKit: sign-on with Nextcloud (keep this block together) ---\n")
	fmt.Fprintf(&b, "const OIDC_CLIENT_URL = %s;\n", q(p.ClientURL))
	fmt.Fprintf(&b, "const OIDC_CLIENT_ID = %s;\n", q(p.ClientID))
	fmt.Fprintf(&b, "const OIDC_CLIENT_SECRET = %s;\n", q(p.ClientSecret))
	b.WriteString("const OIDC_CLIENT_BUTTON = 'Se connecter avec Nextcloud'; // keep a button: password login stays possible\n")
	b.WriteString("const OIDC_CLIENT_MATCH_EMAIL = false; // never by e-mail: a Nextcloud user can change theirs\n")
	b.WriteString("const OIDC_CLIENT_CALLBACK = 'Paheko\\assokit_sign_on';\n\n")
	b.WriteString("function assokit_sign_on(\\stdClass $info, ?Entities\\Users\\User $user): ?Entities\\Users\\User\n{\n")
	b.WriteString("\t$session = Users\\Session::getInstance();\n")
	b.WriteString("\t$refuse = function (string $message) use ($session): void {\n")
	b.WriteString("\t\t$session->logout(); // without it the session opened by Paheko stays valid\n")
	b.WriteString("\t\tthrow new UserException($message);\n\t};\n\n")
	b.WriteString("\t// Category of each role given by AssoKit from the Nextcloud groups.\n\t$map = [\n")
	roles := make([]string, 0, len(RoleCategories))
	for _, rc := range RoleCategories {
		roles = append(roles, rc.Role)
	}
	sort.Strings(roles)
	for _, role := range roles {
		if id, ok := p.Categories[role]; ok {
			fmt.Fprintf(&b, "\t\t%s => %d,\n", q(role), id)
		} else {
			fmt.Fprintf(&b, "\t\t%s => 0, // category %q missing in Paheko: create it, then check again in AssoKit\n", q(role), categoryName(role))
		}
	}
	b.WriteString("\t];\n")
	b.WriteString("\t// AssoKit moves members only between these categories: never the association's own admins or others.\n")
	fmt.Fprintf(&b, "\t$managed = array_merge(array_values($map), [%d]);\n", p.MemberCategory)
	b.WriteString("\t$role = is_string($info->paheko_role ?? null) ? $info->paheko_role : '';\n")
	b.WriteString("\tif (empty($map[$role])) {\n")
	b.WriteString("\t\t$refuse('Votre compte Nextcloud ne donne pas accès à Paheko. Demandez-le à un administrateur de votre association.');\n\t}\n\n")
	b.WriteString("\t// The member AssoKit linked to this account, and only while it carries the account's uid.\n")
	b.WriteString("\t$user = \\KD2\\DB\\EntityManager::findOne(Entities\\Users\\User::class,\n")
	b.WriteString("\t\t'SELECT * FROM @TABLE WHERE id = ? AND nextcloud_uid = ? LIMIT 1;', (int) ($info->paheko_member ?? 0), (string) ($info->sub ?? ''));\n")
	b.WriteString("\tif (!$user) {\n")
	b.WriteString("\t\t$refuse('Votre compte Nextcloud n\\'est relié à aucune fiche de membre de Paheko. Un administrateur de l\\'association peut le vérifier dans AssoKit.');\n\t}\n\n")
	b.WriteString("\tif (in_array((int) $user->id_category, $managed, true) && (int) $user->id_category !== $map[$role]) {\n")
	b.WriteString("\t\t$user->set('id_category', $map[$role]);\n")
	b.WriteString("\t\t$user->save(); // refreshes the session's rights; a direct SQL update would not\n\t}\n\n")
	b.WriteString("\tif (!$user->canLogin()) { // Paheko does not check it for OIDC sign-ons\n")
	b.WriteString("\t\t$refuse('Votre catégorie de membre ne permet pas de se connecter.');\n\t}\n\n")
	b.WriteString("\tDB::getInstance()->preparedQuery('UPDATE users SET date_login = ? WHERE id = ?;', [new \\DateTime, $user->id()]);\n")
	b.WriteString("\tLog::add(Log::LOGIN_SUCCESS, ['oidc' => $info->sub ?? null], $user->id());\n\n")
	b.WriteString("\treturn $user; // replaces Paheko's virtual user in the session\n}\n")
	b.WriteString("// --- end of AssoKit's block ---\n")
	return b.String()
}

func categoryName(role string) string {
	for _, rc := range RoleCategories {
		if rc.Role == role {
			return rc.Name
		}
	}
	return role
}
