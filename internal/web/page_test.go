package web

import (
	"strings"
	"testing"
)

// TestPageHTMLEscapes checks that every field of a page is escaped, the
// address included (a redirect URI carries & between its parameters).
func TestPageHTMLEscapes(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    pageData
		want []string
		not  []string
	}{
		{"navigate", pageData{Lang: "fr", Title: "Ouverture <de> Paheko", Text: "a & b", Link: "Continuer",
			To: `https://paheko.example/admin/login.php?oidc&code=x"y&state=<s>`},
			[]string{`<html lang="fr">`, `content="0;url=https://paheko.example/admin/login.php?oidc&amp;code=x&#34;y&amp;state=&lt;s&gt;"`,
				`href="https://paheko.example/admin/login.php?oidc&amp;code=x&#34;y&amp;state=&lt;s&gt;"`, `<h1>Ouverture &lt;de&gt; Paheko</h1>`, `a &amp; b`},
			[]string{`<s>`, `<de>`}},
		{"message", pageData{Lang: "en", Title: "Refused", Text: "t", Ask: `Ask <b>Zoé</b> "the treasurer"`, Back: "Back"},
			[]string{`<p>Ask &lt;b&gt;Zoé&lt;/b&gt; &#34;the treasurer&#34;</p>`, `<a href="/">Back</a>`},
			[]string{"http-equiv", "<b>"}},
		{"message without ask", pageData{Lang: "en", Title: "T", Text: "t", Back: "Back"},
			[]string{`<p>t</p><p><a href="/">Back</a></p>`}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := pageHTML(tc.d)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("page lacks %s:\n%s", w, got)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(got, n) {
					t.Errorf("page has %s:\n%s", n, got)
				}
			}
		})
	}
}
