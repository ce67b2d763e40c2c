package pahekotest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// fixtureDir holds the exchanges captured from a real Paheko 1.3.22.1.
const fixtureDir = "../../../../shared/fixtures/paheko-1.3.22"

// capture is one request of a fixture and the answer recorded for it.
type capture struct {
	name           string
	method, target string
	header         http.Header
	body           []byte
	status         int
	contentType    string
	respBody       []byte
}

// readCapture parses a curl capture: "> " lines are the request as sent,
// wrapped at 64 characters ("> [body] " lines carry the body, one line of
// it per capture line), then the response after "### response:".
func readCapture(file string) (capture, bool) {
	raw, err := os.ReadFile(file)
	if err != nil || !bytes.Contains(raw, []byte("### request as sent:")) {
		return capture{}, false
	}
	c := capture{name: strings.TrimSuffix(filepath.Base(file), ".txt"), header: http.Header{}}
	var head []string
	var chunks []string
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	inResponse, wrap := false, false
	var resp []string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "### response:"):
			inResponse = true
		case inResponse:
			resp = append(resp, line)
		case strings.HasPrefix(line, "> [body] ") || line == "> [body]":
			chunks = append(chunks, strings.TrimPrefix(strings.TrimPrefix(line, "> [body]"), " "))
		case strings.HasPrefix(line, "> "):
			text := line[2:]
			if wrap {
				head[len(head)-1] += text
			} else {
				head = append(head, text)
			}
			wrap = len(text) == 64
		}
	}
	if len(head) == 0 {
		return capture{}, false
	}
	parts := strings.Fields(head[0])
	c.method, c.target = parts[0], parts[1]
	for _, h := range head[1:] {
		if k, v, ok := strings.Cut(h, ": "); ok {
			c.header.Set(k, v)
		}
	}
	var body strings.Builder
	for i, ch := range chunks {
		body.WriteString(ch)
		if len(ch) != 64 && i < len(chunks)-1 {
			body.WriteString("\r\n")
		}
	}
	c.body = []byte(body.String())
	if n, err := strconv.Atoi(c.header.Get("Content-Length")); err == nil {
		for len(c.body) < n {
			c.body = append(c.body, '\r', '\n')
		}
	}
	// Response: status line, headers, blank line, body.
	i := 0
	for ; i < len(resp); i++ {
		if strings.HasPrefix(resp[i], "HTTP/1.1 ") {
			c.status, _ = strconv.Atoi(strings.Fields(resp[i])[1])
			break
		}
	}
	for i++; i < len(resp) && resp[i] != ""; i++ {
		if k, v, ok := strings.Cut(resp[i], ": "); ok && strings.EqualFold(k, "Content-Type") {
			c.contentType = v
		}
	}
	if i < len(resp) {
		c.respBody = []byte(strings.TrimSpace(strings.Join(resp[i+1:], "\n")))
	}
	return c, true
}

// notReplayed lists captures the fake does not replay, and why.
var notReplayed = map[string]string{
	"29": "CSV exports of a category are not used by AssoKit",
	"32": "member import is not part of the fake (AssoKit does not import)",
	"34": "member import is not part of the fake; its effect is applied directly",
	"48": "admin UI session, not the API; its effect is applied directly",
	"49": "LOCAL_LOGIN experiment on a second server",
	"50": "password login in the admin UI",
	"59": "member import is not part of the fake; its effect is applied directly",
	"60": "database download",
	"61": "LOCAL_LOGIN experiment on a second server",
	"62": "taken on another instance (304 members): TestSQLCountIgnoresLimit",
	"63": "taken on another instance (304 members): TestSQLCountIgnoresLimit",
}

// labSetup brings the fake to the state of the lab before a capture: what
// the lab did in the admin UI between two API captures.
func labSetup(t *testing.T, s *Server, name string) {
	t.Helper()
	must := func(err error) {
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	switch name[:2] {
	case "00":
		must(s.SetMemberField(1, "nom", "Admin Lab"))
		must(s.SetMemberField(1, "email", "admin@lab.example"))
		s.AddKey("bridge_admin", "BridgeAdminSecret-0001", LevelAdmin)
		s.AddKey("bridge_write", "BridgeWriteSecret-0002", LevelWrite)
		s.AddKey("bridge_read", "BridgeReadSecret-0003", LevelRead)
		s.SetSystemUser("sysapi", "sysapi-lab-password-0001")
	case "15": // the five "Nextcloud — …" categories were created in the UI
		for _, c := range []Category{
			{ID: 4, Name: "Nextcloud — Membre", PermConnect: 1},
			{ID: 5, Name: "Nextcloud — Comptabilité", PermAccounting: 2, PermConnect: 1},
			{ID: 6, Name: "Nextcloud — Gestion des membres", PermUsers: 2, PermConnect: 1},
			{ID: 7, Name: "Nextcloud — Comptabilité + Membres", PermUsers: 2, PermAccounting: 2, PermConnect: 1},
			{ID: 8, Name: "Nextcloud — Admin", PermWeb: 9, PermDocuments: 9, PermUsers: 9, PermAccounting: 9, PermConnect: 1, PermConfig: 9},
		} {
			must(s.AddCategory(c))
		}
	case "34": // import: ville of members 2 and 4
		must(s.SetMemberField(2, "ville", "Marseille"))
		must(s.SetMemberField(4, "ville", "Grenoble"))
	case "45": // the nextcloud_uid field was created in the UI
		must(s.AddField("nextcloud_uid", "Identifiant Nextcloud"))
	case "48":
		must(s.SetMemberCategory(2, 5))
		must(s.SetMemberCategory(3, 8))
	case "59":
		must(s.SetMemberField(9, "ville", "Toulouse"))
	}
}

var dateValue = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`)

// normalize replaces volatile values (timestamps) so that answers compare.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
	case string:
		if dateValue.MatchString(x) {
			return "<date>"
		}
	}
	return v
}

// realCredentials maps the lab's credentials to those of a real Paheko
// given in the environment.
func realCredentials() map[string][2]string {
	get := func(kind string) [2]string {
		return [2]string{os.Getenv("ASSOKIT_TEST_PAHEKO_" + kind + "_KEY"), os.Getenv("ASSOKIT_TEST_PAHEKO_" + kind + "_SECRET")}
	}
	return map[string][2]string{"bridge_admin": get("ADMIN"), "bridge_write": get("WRITE"),
		"bridge_read": get("READ"), "sysapi": get("SYSTEM")}
}

// TestConformance replays the captured API exchanges, in order, against the
// fake and compares status, Content-Type and body (timestamps aside). With
// ASSOKIT_TEST_PAHEKO_URL (and ASSOKIT_TEST_PAHEKO_{ADMIN,WRITE,READ,SYSTEM}_{KEY,SECRET})
// it replays them against a real Paheko prepared as in the lab (a fresh
// install; categories and the nextcloud_uid field created when the captures
// say so) and compares the status codes only.
func TestConformance(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(fixtureDir, "*.txt"))
	if len(files) == 0 {
		t.Skip("shared fixtures not found beside the project")
	}
	sort.Strings(files)
	base := os.Getenv("ASSOKIT_TEST_PAHEKO_URL")
	real := base != ""
	var fake *Server
	if !real {
		var err error
		fake, err = New()
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(fake)
		defer ts.Close()
		defer fake.Close()
		fake.SetURL(ts.URL)
		base = ts.URL
	}
	creds := realCredentials()
	replayed := 0
	for _, file := range files {
		c, ok := readCapture(file)
		name := strings.TrimSuffix(filepath.Base(file), ".txt")
		if !real {
			labSetup(t, fake, name)
		}
		if why := notReplayed[name[:2]]; why != "" || !ok {
			continue
		}
		t.Run(name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, strings.TrimRight(base, "/")+c.target, bytes.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range c.header {
				if k != "Host" && k != "Content-Length" {
					req.Header[k] = v
				}
			}
			if user, _, ok := req.BasicAuth(); ok && real {
				if cr, known := creds[user]; known {
					req.SetBasicAuth(cr[0], cr[1])
				}
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, captured %d; body %s", resp.StatusCode, c.status, got)
			}
			if real {
				return
			}
			if ct := resp.Header.Get("Content-Type"); ct != c.contentType {
				t.Errorf("Content-Type %q, captured %q", ct, c.contentType)
			}
			compareBodies(t, c, got)
		})
		replayed++
	}
	if replayed < 45 {
		t.Errorf("only %d captures replayed", replayed)
	}
}

func compareBodies(t *testing.T, c capture, got []byte) {
	t.Helper()
	switch {
	case c.name[:2] == "25": // the capture keeps only the count of 2,401 rows
		var g struct{ Count int }
		json.Unmarshal(got, &g)
		if g.Count != 2401 {
			t.Errorf("count %d, captured 2401", g.Count)
		}
	case c.status == http.StatusInternalServerError:
		if !bytes.Contains(got, []byte("FOREIGN KEY constraint failed")) {
			t.Errorf("500 body %q does not name the failed constraint", got)
		}
	case strings.Contains(c.contentType, "json"):
		var want, have any
		if err := json.Unmarshal(c.respBody, &want); err != nil {
			t.Fatalf("capture body is not JSON: %v", err)
		}
		if err := json.Unmarshal(got, &have); err != nil {
			t.Fatalf("answer is not JSON: %v: %s", err, got)
		}
		if w, h := normalize(want), normalize(have); !reflect.DeepEqual(w, h) {
			wb, _ := json.Marshal(w)
			hb, _ := json.Marshal(h)
			t.Errorf("body differs\n got: %s\nwant: %s", hb, wb)
		}
	default:
		if g, w := strings.TrimSpace(strings.ReplaceAll(string(got), "\r\n", "\n")), string(c.respBody); g != w {
			t.Errorf("body differs\n got: %q\nwant: %q", g, w)
		}
	}
}
