package appapi_test

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"slices"
	"strings"
	"testing"

	"assokit"
	"assokit/internal/appapi"
)

// TestRegisterJSON checks the --json-info of a manual install against the one
// a real Nextcloud 32 accepted (fixtures nextcloud-32-transfer, capture 500):
// integer access levels, the secret and the port AssoKit listens on.
func TestRegisterJSON(t *testing.T) {
	m, err := appapi.ParseManifest(assokit.InfoXML)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		secret  string
		port    int
		l10n    string
		wantErr string
	}{
		{"secret and port", "s3cret", 23000, "", ""},
		{"with translations", "s3cret", 23000, "/srv/assokit/l10n", ""},
		{"relative translations", "s3cret", 23000, "l10n", "absolute"},
		{"no port", "s3cret", 0, "", "APP_PORT"},
		{"no secret", "", 23000, "", "APP_SECRET"},
		{"neither", "", 0, "", "APP_SECRET and APP_PORT"},
		{"port out of range", "s3cret", 70000, "", "APP_PORT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m.TranslationsFolder = tc.l10n
			out, err := m.RegisterJSON(tc.secret, tc.port)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("RegisterJSON() error = %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				ID, Name, Version, Secret string
				Port                      int
				Translations              string `json:"translations_folder"`
				Routes                    []struct {
					URL              string   `json:"url"`
					AccessLevel      int      `json:"access_level"`
					HeadersToExclude []string `json:"headers_to_exclude"`
				}
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			if got.ID != "assokit" || got.Secret != tc.secret || got.Port != tc.port || got.Version != m.Version || got.Translations != tc.l10n {
				t.Errorf("RegisterJSON() = %s", out)
			}
			if len(got.Routes) != len(m.Routes) || got.Routes[0].HeadersToExclude == nil {
				t.Errorf("routes = %+v", got.Routes)
			}
		})
	}
}

// TestProvisionedVariables checks that info.xml declares exactly the
// variables AssoKit reads (AppAPI passes only declared ones) and that they
// are read, trimmed.
func TestProvisionedVariables(t *testing.T) {
	var info struct {
		Names []string `xml:"external-app>environment-variables>variable>name"`
	}
	if err := xml.Unmarshal(assokit.InfoXML, &info); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(info.Names, appapi.ProvisionedVariables) {
		t.Errorf("info.xml declares %v, AssoKit reads %v", info.Names, appapi.ProvisionedVariables)
	}
	env := map[string]string{}
	for i, name := range appapi.ProvisionedVariables {
		env[name] = fmt.Sprintf(" value%d ", i)
	}
	p := appapi.ProvisionedFromEnv(func(k string) string { return env[k] })
	got := []string{p.PahekoURL, p.PahekoKey, p.PahekoSecret, p.PahekoCategory, p.AssociationName, p.OIDCClientID, p.OIDCClientSecret, p.Admin}
	for i, v := range got {
		if v != fmt.Sprintf("value%d", i) {
			t.Errorf("%s read as %q", appapi.ProvisionedVariables[i], v)
		}
	}
}
