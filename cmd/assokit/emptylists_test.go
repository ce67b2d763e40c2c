package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"assokit/internal/nextcloud/nextcloudtest"
	"assokit/internal/paheko/pahekotest"
)

// jsonEndpoints are every route answering JSON to the pages and to Paheko,
// with what a call needs. TestEmptyIsAList checks that it lists all of
// routes.go's GET routes.
var jsonEndpoints = []struct{ method, path string }{
	{"GET", "/api/status"},
	{"GET", "/api/paheko"},
	{"GET", "/api/tours"},
	{"GET", "/api/admin/jobs"},
	{"GET", "/api/admin/paheko"},
	{"POST", "/api/admin/paheko/check"},
	{"GET", "/api/admin/paheko/preview"},
	{"GET", "/api/admin/paheko/runs"},
	{"GET", "/api/admin/transfer/accounts"},
	{"GET", "/api/admin/transfer/inventory?source=lea&target=camille"},
	{"GET", "/api/admin/transfers"},
	{"GET", "/api/admin/tours"},
	{"GET", "/oidc/.well-known/openid-configuration"},
	{"GET", "/oidc/jwks"},
}

// nulls returns the JSON paths in v whose value is null.
func nulls(path string, v any) []string {
	switch x := v.(type) {
	case nil:
		return []string{path}
	case map[string]any:
		var out []string
		for k, e := range x {
			out = append(out, nulls(path+"."+k, e)...)
		}
		return out
	case []any:
		var out []string
		for i, e := range x {
			out = append(out, nulls(fmt.Sprintf("%s[%d]", path, i), e)...)
		}
		return out
	}
	return nil
}

// Every list the API returns is [] when empty, never null: on a fresh
// AssoKit, and once Paheko is connected and synchronised (nothing to do).
func TestEmptyIsAList(t *testing.T) {
	routes, err := os.ReadFile("../../internal/web/routes.go")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, e := range jsonEndpoints {
		listed[strings.SplitN(e.path, "?", 2)[0]] = true
	}
	groups := map[string]string{"api": "/api", "admin": "/api/admin", "op": "/oidc"}
	for _, m := range regexp.MustCompile(`(?m)^\s+(api|admin|op)\.GET\("([^"]+)"`).FindAllStringSubmatch(string(routes), -1) {
		p := groups[m[1]] + m[2]
		if !listed[p] && !strings.Contains(p, ":") && p != "/oidc/authorize" && p != "/oidc/userinfo" {
			t.Errorf("GET %s is not checked here", p)
		}
	}

	nc := nextcloudtest.NewServer(t)
	nc.AddUser(nextcloudtest.User{ID: "camille", DisplayName: "Camille Martin", Email: "camille@asso.example",
		Password: "pw", Groups: []string{"admin"}, Enabled: true})
	nc.AddUser(nextcloudtest.User{ID: "lea", DisplayName: "Léa", Password: "pw", Enabled: true})
	register(t, nc, startAssoKit(t, nc))
	call := func(method, path string, in any) (int, []byte) {
		var body io.Reader
		if in != nil {
			b, _ := json.Marshal(in)
			body = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, nc.URL()+"/index.php/apps/app_api/proxy/assokit"+path, body)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Sec-Fetch-Site", "same-origin") // as the pages' requests
		req.SetBasicAuth("camille", "pw")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, raw
	}
	checkAll := func(stage string) {
		for _, e := range jsonEndpoints {
			status, raw := call(e.method, e.path, nil)
			var v any
			if err := json.Unmarshal(raw, &v); err != nil {
				t.Errorf("%s: %s %s: %d, not JSON: %s", stage, e.method, e.path, status, raw)
				continue
			}
			if n := nulls("", v); len(n) > 0 {
				t.Errorf("%s: %s %s: null at %v", stage, e.method, e.path, n)
			}
		}
	}
	checkAll("fresh")

	pk := pahekotest.NewServer(t)
	b, err := pk.PrepareBridge()
	if err != nil {
		t.Fatal(err)
	}
	if st, raw := call("PUT", "/api/admin/paheko/settings", map[string]any{"url": pk.URL(), "key": b.Key, "secret": b.Secret}); st != 204 {
		t.Fatalf("settings: %d %s", st, raw)
	}
	if st, _ := call("POST", "/api/admin/paheko/sync", nil); st != 202 {
		t.Fatalf("sync: %d", st)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var runs struct {
			Runs []struct{ Run struct{ State string } } `json:"runs"`
		}
		_, raw := call("GET", "/api/admin/paheko/runs", nil)
		json.Unmarshal(raw, &runs)
		if len(runs.Runs) > 0 && runs.Runs[0].Run.State != "running" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sync did not finish")
		}
		time.Sleep(20 * time.Millisecond)
	}
	checkAll("synchronised")
}
