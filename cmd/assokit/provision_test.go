package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"assokit/internal/appapi"
	"assokit/internal/nextcloud/nextcloudtest"
	"assokit/internal/oidc"
)

// TestProvisionedAtDeploy starts AssoKit as AppAPI does for a host that
// declared its settings (info.xml <environment-variables>): the values are
// used, the admin page shows them as set by the host, never the key or the
// secrets, and the association's name is the host's.
func TestProvisionedAtDeploy(t *testing.T) {
	nc := nextcloudtest.NewServer(t)
	nc.AddUser(nextcloudtest.User{ID: "alice", Password: "pw", Enabled: true})
	const key, secret, oidcSecret = "hostkey", "host-api-secret-42", "host-oidc-secret-0123456789"
	appURL := startAssoKitEnv(t, nc.URL(), testSecret, map[string]string{
		appapi.EnvPahekoURL: "https://paheko.example.org/", appapi.EnvPahekoKey: key, appapi.EnvPahekoSecret: secret,
		appapi.EnvAssociationName: "Les Jardins du Quartier", appapi.EnvOIDCClientID: "paheko-jardins",
		appapi.EnvOIDCClientSecret: oidcSecret})
	register(t, nc, appURL)
	nc.SetAppConfig("assokit", appapi.SettingAssociationName, "Written in the form")

	get := func(uid, pw, path string) string {
		req, _ := http.NewRequest("GET", nc.URL()+"/index.php/apps/app_api/proxy/assokit"+path, nil)
		req.SetBasicAuth(uid, pw)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		return string(body)
	}
	admin := get("admin", "admin", "/api/admin/paheko")
	for _, want := range []string{`"url":"https://paheko.example.org`, `"hosted":["url","key","secret"]`, `"hasSecret":true`,
		`"clientId":"paheko-jardins"`, `"clientIdByHost":true`, `"secretFromHost":true`, `"clientSecret":"` + oidc.HostedSecretShown + `"`} {
		if !strings.Contains(admin, want) {
			t.Errorf("the admin page lacks %s:\n%s", want, admin)
		}
	}
	for _, never := range []string{key, secret, oidcSecret} {
		if strings.Contains(admin, never) {
			t.Errorf("the admin page shows %q:\n%s", never, admin)
		}
	}
	if status := get("alice", "pw", "/api/status"); !strings.Contains(status, `"name":"Les Jardins du Quartier","nameByHost":true`) {
		t.Errorf("status: %s", status)
	}
}
