package paheko

import (
	"fmt"
	"sort"
	"strings"
)

// SnippetParams fill the config.local.php snippet for one instance.
type SnippetParams struct {
	ClientURL    string         // the provider's issuer (OIDC_CLIENT_URL)
	ClientID     string         // OIDC_CLIENT_ID
	ClientSecret string         // OIDC_CLIENT_SECRET
	Categories   map[string]int // role → category id; a missing role gets a placeholder
	MatchUID     bool           // match members on nextcloud_uid (the field exists)
}

// Snippet returns the lines to add to Paheko's config.local.php so that its
// members sign in through AssoKit, with rights from their Nextcloud groups.
// It follows what a real Paheko 1.3.22 does (reference/paheko-oidc.md):
// refusing means logout() then a UserException; the category is changed
// with set() + save(); canLogin() is checked because Paheko does not; with
// MatchUID the member is found by nextcloud_uid and returned, else Paheko
// matched the e-mail and the callback returns null.
func Snippet(p SnippetParams) string {
	var b strings.Builder
	q := func(s string) string { return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'" }
	fmt.Fprintf(&b, "// --- AssoKit: sign-on with Nextcloud (keep this block together) ---\n")
	fmt.Fprintf(&b, "const OIDC_CLIENT_URL = %s;\n", q(p.ClientURL))
	fmt.Fprintf(&b, "const OIDC_CLIENT_ID = %s;\n", q(p.ClientID))
	fmt.Fprintf(&b, "const OIDC_CLIENT_SECRET = %s;\n", q(p.ClientSecret))
	b.WriteString("const OIDC_CLIENT_BUTTON = 'Se connecter avec Nextcloud'; // keep a button: password login stays possible\n")
	fmt.Fprintf(&b, "const OIDC_CLIENT_MATCH_EMAIL = %v;\n", !p.MatchUID)
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
			fmt.Fprintf(&b, "\t\t%s => 0, // TODO: id of the category %q\n", q(role), categoryName(role))
		}
	}
	b.WriteString("\t];\n")
	b.WriteString("\t$role = is_string($info->paheko_role ?? null) ? $info->paheko_role : '';\n")
	b.WriteString("\tif (empty($map[$role])) {\n")
	b.WriteString("\t\t$refuse('Votre compte Nextcloud ne donne pas accès à Paheko. Demandez-le à un administrateur de votre association.');\n\t}\n\n")
	if p.MatchUID {
		b.WriteString("\t// Paheko gives a virtual user: find the member by its Nextcloud account.\n")
		b.WriteString("\t$user = \\KD2\\DB\\EntityManager::findOne(Entities\\Users\\User::class,\n")
		b.WriteString("\t\t'SELECT * FROM @TABLE WHERE nextcloud_uid = ? LIMIT 1;', (string) ($info->sub ?? ''));\n")
		b.WriteString("\tif (!$user) {\n")
		b.WriteString("\t\t$refuse('Votre fiche de membre n\\'existe pas encore : réessayez dans quelques minutes.');\n\t}\n\n")
	}
	b.WriteString("\tif ((int) $user->id_category !== $map[$role]) {\n")
	b.WriteString("\t\t$user->set('id_category', $map[$role]);\n")
	b.WriteString("\t\t$user->save(); // refreshes the session's rights; a direct SQL update would not\n\t}\n\n")
	b.WriteString("\tif (!$user->canLogin()) { // Paheko does not check it for OIDC sign-ons\n")
	b.WriteString("\t\t$refuse('Votre catégorie de membre ne permet pas de se connecter.');\n\t}\n\n")
	b.WriteString("\tDB::getInstance()->preparedQuery('UPDATE users SET date_login = ? WHERE id = ?;', [new \\DateTime, $user->id()]);\n")
	b.WriteString("\tLog::add(Log::LOGIN_SUCCESS, ['oidc' => $info->sub ?? null], $user->id());\n\n")
	if p.MatchUID {
		b.WriteString("\treturn $user; // replaces the virtual user in the session\n}\n")
	} else {
		b.WriteString("\treturn null; // the session already holds the member, refreshed by save()\n}\n")
	}
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
