package paheko

import (
	"strings"
	"testing"
)

// The snippet's rules, as its text: what it must and must never contain.
func TestSnippetRules(t *testing.T) {
	p := SnippetParams{ClientURL: "https://nc.example/oidc", ClientID: "paheko", ClientSecret: "it's",
		Categories: map[string]int{RoleAdmin: 8, RoleCompta: 5, RoleMembres: 6}, MemberCategory: 4, MatchUID: true}
	s := Snippet(p)
	for _, want := range []string{
		"const OIDC_CLIENT_MATCH_EMAIL = false;",                         // never by e-mail
		"WHERE id = ? AND nextcloud_uid = ?",                             // both the linked id and the uid
		"(int) ($info->paheko_member ?? 0), (string) ($info->sub ?? '')", // from userinfo
		"$managed = array_merge(array_values($map), [4]);",               // roles' and new members' categories
		"in_array((int) $user->id_category, $managed, true)",             // never another category
		"'compta+membres' => 0, // category",                             // a missing category refuses
		"'compta' => 5,",
		"$user->set('id_category', $map[$role]);",
		"$user->save();",
		"if (!$user->canLogin())",
		"return $user;",
		`'it\'s'`, // quoted for PHP
	} {
		if !strings.Contains(s, want) {
			t.Errorf("snippet lacks %q", want)
		}
	}
	// Every refusal logs out before throwing.
	if strings.Count(s, "$refuse(") != 3 || strings.Count(s, "throw new UserException") != 1 ||
		!strings.Contains(s, "$session->logout(); // without it") {
		t.Error("a refusal does not go through logout() then the exception")
	}
	for _, never := range []string{"return null", "TODO", "getFromLogin"} {
		if strings.Contains(s, never) {
			t.Errorf("snippet contains %q", never)
		}
	}
	if strings.Contains(strings.ToLower(strings.ReplaceAll(s, "MATCH_EMAIL = false; // never by e-mail", "")), "email") {
		t.Error("the snippet reads an e-mail")
	}
	p.MatchUID = false
	if Snippet(p) != "" {
		t.Error("without the nextcloud_uid field, sign-on must stay off (no snippet)")
	}
}
