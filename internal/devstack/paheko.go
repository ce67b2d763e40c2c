package devstack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"assokit/internal/paheko/pahekotest"
)

// demoPassword is every demo account's password.
const demoPassword = "demo"

var (
	firstNames = []string{"Alice", "Bruno", "Claire", "David", "Emma", "François", "Gabrielle", "Henri", "Isabelle", "Jules",
		"Karima", "Lucas", "Maëlle", "Noé", "Océane", "Pierre", "Quentin", "Rose", "Samuel", "Thérèse"}
	lastNames = []string{"Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin",
		"Morin", "Mathieu", "Clément", "Gauthier", "Dumont"}
)

// SeedPaheko prepares the fake Paheko as an association would (categories,
// the nextcloud_uid field, a write key) and fills it with members: 300 who
// have no Nextcloud account, and Jeanne and Hugo, already members with the
// e-mail of their account (AssoKit proposes to link each, an admin confirms or refuses).
func SeedPaheko(pk *pahekotest.Server) (pahekotest.Bridge, error) {
	b, err := pk.PrepareBridge()
	if err != nil {
		return b, err
	}
	for i := range 300 {
		f, l := firstNames[i%len(firstNames)], lastNames[(i/len(firstNames))%len(lastNames)]
		fields := map[string]any{"nom": fmt.Sprintf("%s %s", f, l), "ville": "Lyon"}
		if i%3 != 0 { // some members have no e-mail
			fields["email"] = fmt.Sprintf("%s.%s.%d@adherents.example", strings.ToLower(asciiName(f)), strings.ToLower(asciiName(l)), i)
		}
		if _, err := pk.AddMember(pahekotest.Member{CategoryID: 1, Fields: fields}); err != nil {
			return b, err
		}
	}
	// Jeanne's record was already moved to "Nextcloud — Membre" by the
	// association; Hugo's is still in Paheko's default category.
	for _, m := range []struct {
		uid, name string
		category  int
	}{{"jeanne", "DUPONT Jeanne", b.Categories[""]}, {"hugo", "MOREAU Hugo", 1}} {
		if _, err := pk.AddMember(pahekotest.Member{CategoryID: m.category, Fields: map[string]any{"nom": m.name, "email": m.uid + "@" + emailDomain}}); err != nil {
			return b, err
		}
	}
	return b, nil
}

// asciiName drops accents for e-mail addresses.
func asciiName(s string) string {
	return strings.NewReplacer("é", "e", "è", "e", "ë", "e", "ç", "c", "É", "E", "à", "a", "ï", "i").Replace(s)
}

// ConnectPaheko saves AssoKit's Paheko settings as the demo admin would on
// the settings page, then gives the fake Paheko the sign-on configuration
// that the page shows (its config.local.php). The sync itself waits for the
// admin to look at the preview and start it.
func (d *Demo) ConnectPaheko(ctx context.Context) error {
	call := func(method, path string, in, out any) error {
		var body io.Reader
		if in != nil {
			b, _ := json.Marshal(in)
			body = bytes.NewReader(b)
		}
		req, err := http.NewRequestWithContext(ctx, method, d.URL+"/index.php/apps/app_api/proxy/"+AppID+path, body)
		if err != nil {
			return err
		}
		req.SetBasicAuth("camille", demoPassword)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", d.URL) // as the admin's browser on Nextcloud's page
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode >= 300 {
			b, _ := io.ReadAll(resp.Body)
			return fmt.Errorf("demo: %s %s: %d %s", method, path, resp.StatusCode, b)
		}
		if out != nil {
			return json.NewDecoder(resp.Body).Decode(out)
		}
		return nil
	}
	err := call("PUT", "/api/admin/paheko/settings", map[string]any{"url": d.PahekoURL, "key": d.Bridge.Key, "secret": d.Bridge.Secret}, nil)
	if err != nil {
		return err
	}
	var view struct {
		Issuer       string `json:"issuer"`
		ClientID     string `json:"clientId"`
		ClientSecret string `json:"clientSecret"`
	}
	if err := call("GET", "/api/admin/paheko", nil, &view); err != nil {
		return err
	}
	cats := map[string]int{}
	for role, id := range d.Bridge.Categories {
		if role != "" {
			cats[role] = id
		}
	}
	d.Paheko.SetOIDC(pahekotest.OIDCConfig{ClientURL: view.Issuer, ClientID: view.ClientID, ClientSecret: view.ClientSecret,
		Categories: cats, MemberCategory: d.Bridge.Categories[""], MatchUID: true})
	return nil
}
