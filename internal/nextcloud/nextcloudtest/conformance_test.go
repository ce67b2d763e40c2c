package nextcloudtest

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// fixtureDir holds the exchanges captured from a real Nextcloud 32.0.1.
const fixtureDir = "../../../../shared/fixtures/nextcloud-32"

// exchange is one request and its recorded answer.
type exchange struct {
	file, method, path string
	header             http.Header
	user               string // acting user of AUTHORIZATION-APP-API
	body               []byte
	status             int
	respBody           []byte
}

var authComment = regexp.MustCompile(`base64\('([^:']*):<APP_SECRET>'\)`)

// readExchange parses a "=== REQUEST === / === RESPONSE ===" fixture.
func readExchange(file string) (exchange, bool) {
	raw, err := os.ReadFile(file)
	if err != nil || !bytes.Contains(raw, []byte("=== REQUEST ===")) {
		return exchange{}, false
	}
	req, resp, _ := strings.Cut(string(raw), "=== RESPONSE ===")
	req = req[strings.Index(req, "=== REQUEST ===")+len("=== REQUEST ==="):]
	ex := exchange{file: filepath.Base(file), header: http.Header{}}
	head, body, _ := strings.Cut(strings.TrimLeft(req, "\n"), "\n\n")
	sc := bufio.NewScanner(strings.NewReader(head))
	sc.Scan()
	parts := strings.Fields(sc.Text())
	ex.method, ex.path = parts[0], parts[1]
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ": ")
		if !ok {
			continue
		}
		if strings.EqualFold(k, "AUTHORIZATION-APP-API") {
			if m := authComment.FindStringSubmatch(v); m != nil {
				ex.user = m[1]
			}
			continue
		}
		ex.header.Set(k, strings.TrimSpace(v))
	}
	ex.body = []byte(strings.TrimRight(body, "\n"))
	_, resp, _ = strings.Cut(resp, "\n") // the rest of the line may hold the timing: "(40 ms)"
	rhead, rbody, _ := strings.Cut(strings.TrimLeft(resp, "\n"), "\n\n")
	fmt.Sscanf(strings.SplitN(rhead, "\n", 2)[0], "HTTP/1.1 %d", &ex.status)
	rbody, _, _ = strings.Cut(rbody, "\n=== ") // a NOTE or the SERVER LOG may follow
	ex.respBody = []byte(strings.TrimSpace(rbody))
	return ex, true
}

// shape reduces a JSON value to its structure: object keys with the shape
// of their values, and the type of everything else. Volatile values (dates,
// ids, tokens) vanish this way.
func shape(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = shape(e)
		}
		return out
	case []any:
		if len(x) == 0 {
			return "[]"
		}
		return []any{shape(x[0])}
	case nil:
		return "null"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// skipped lists the fixtures the fake does not replay, and why.
var skipped = map[string]string{
	"01": "registration is driven by the fake itself (TestRegisterSequence)",
	"24": "absolute URL depends on the host",
	"6":  "webhook_listeners is not faked: it offers no user or group events on NC 30-32",
	"70": "webhook deliveries",
	"85": "proxy fixtures need the ExApp behind the proxy (cmd/assokit end-to-end test)",
	"86": "proxy fixtures need the ExApp behind the proxy",
	"87": "proxy fixtures need the ExApp behind the proxy",
	"9":  "webhook fixtures",
}

func skipReason(name string) string {
	for prefix, why := range skipped {
		if strings.HasPrefix(name, prefix) {
			return why
		}
	}
	return ""
}

// TestConformance replays the captured exchanges, in order, against the
// fake (or, when ASSOKIT_TEST_NEXTCLOUD_URL is set, a real Nextcloud) and
// compares status codes, the OCS meta and the shape of the data.
func TestConformance(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(fixtureDir, "*.txt"))
	if len(files) == 0 {
		t.Skip("shared fixtures not found beside the project")
	}
	sort.Strings(files)
	base, appID, secret := os.Getenv("ASSOKIT_TEST_NEXTCLOUD_URL"), os.Getenv("ASSOKIT_TEST_APP_ID"), os.Getenv("ASSOKIT_TEST_APP_SECRET")
	var fake *Server
	if base == "" {
		fake = NewServer(t)
		base, appID, secret = fake.URL(), "testexapp", "fixture-secret"
		fake.mu.Lock()
		fake.apps[appID] = &ExApp{ID: appID, Version: "1.0.0", Secret: secret, Enabled: true,
			TopMenus: map[string]TopMenuEntry{}, States: map[string]json.RawMessage{}, Forms: map[string]json.RawMessage{}, Config: map[string]string{}}
		fake.mu.Unlock()
	} else if os.Getenv("ASSOKIT_TEST_CONFORMANCE_WRITES") == "" {
		t.Skip("against a real Nextcloud this test creates accounts: set ASSOKIT_TEST_CONFORMANCE_WRITES=1 on a throw-away instance")
	}
	for _, f := range files {
		ex, ok := readExchange(f)
		name := filepath.Base(f)
		if !ok {
			continue
		}
		t.Run(name, func(t *testing.T) {
			if why := skipReason(name); why != "" {
				t.Skip(why)
			}
			useSecret := secret
			if strings.Contains(name, "bad-secret") {
				useSecret = "not-the-secret"
			}
			if strings.HasPrefix(name, "8") && strings.Contains(name, "disabled") && fake != nil {
				fake.mu.Lock()
				fake.apps[appID].Enabled = false
				fake.mu.Unlock()
				defer func() { fake.mu.Lock(); fake.apps[appID].Enabled = true; fake.mu.Unlock() }()
			}
			req, _ := http.NewRequest(ex.method, base+ex.path, bytes.NewReader(ex.body))
			req.Header = ex.header.Clone()
			req.Header.Del("Host")
			req.Header.Del("Content-Length")
			if ex.header.Get("EX-APP-ID") != "" {
				req.Header.Set("EX-APP-ID", appID)
			}
			req.Header.Set("AUTHORIZATION-APP-API", base64.StdEncoding.EncodeToString([]byte(ex.user+":"+useSecret)))
			if d := req.Header.Get("Destination"); d != "" {
				req.Header.Set("Destination", base+d[strings.Index(d, "/remote.php"):])
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != ex.status {
				t.Fatalf("%s %s = %d; recorded %d\n%s", ex.method, ex.path, resp.StatusCode, ex.status, got)
			}
			if !bytes.HasPrefix(ex.respBody, []byte(`{"ocs"`)) {
				if ex.status == http.StatusMultiStatus && !bytes.Contains(bytes.ToLower(got), []byte(":multistatus xmlns:d=\"dav:\"")) {
					t.Fatalf("not a multistatus: %s", got)
				}
				return
			}
			wd, hd := compareMeta(t, ex.respBody, got)
			ws, hs := shape(wd), shape(hd)
			if fmt.Sprint(ws) != fmt.Sprint(hs) {
				t.Errorf("data shape = %v;\nrecorded %v", hs, ws)
			}
		})
	}
}

// compareMeta checks that an OCS answer has the recorded ocs.meta and
// returns the recorded and the received ocs.data.
func compareMeta(t *testing.T, recorded, got []byte) (want, have any) {
	t.Helper()
	var w, h map[string]any
	json.Unmarshal(recorded, &w)
	if err := json.Unmarshal(got, &h); err != nil {
		t.Fatalf("answer is not JSON: %s", got)
	}
	wm, hm := w["ocs"].(map[string]any)["meta"], h["ocs"].(map[string]any)["meta"]
	if fmt.Sprint(wm) != fmt.Sprint(hm) {
		t.Errorf("meta = %v; recorded %v", hm, wm)
	}
	return w["ocs"].(map[string]any)["data"], h["ocs"].(map[string]any)["data"]
}
