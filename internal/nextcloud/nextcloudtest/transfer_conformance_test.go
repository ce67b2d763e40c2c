package nextcloudtest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// transferFixtureDir holds the ownership-transfer exchanges captured from a
// real Nextcloud 32.0.1: files app transfers, CalDAV sharing and trash bin,
// CardDAV copies and deletion.
const transferFixtureDir = "../../../../shared/fixtures/nextcloud-32-transfer"

// transferSkipped lists the transfer fixtures the fake does not replay.
var transferSkipped = map[string]string{
	"136": "public link download pages are not faked",
	"137": "public WebDAV is not faked",
	"210": "the sharee's view of a shared calendar's objects is not faked",
	"232": "single objects have no trash bin in the fake",
	"233": "single objects have no trash bin in the fake",
	"235": "single objects have no trash bin in the fake",
	"238": "single objects have no trash bin in the fake",
	"312": "?photo is not faked",
	"4":   "AppAPI pages and proxy: covered by TestConformance and the end-to-end tests",
	"5":   "AppAPI proxy: covered by the end-to-end tests",
	"6":   "provisioning: covered by TestConformance",
}

// TestTransferConformance replays the transfer captures in order against
// the fake, running its cron where the lab ran cron.php, and compares status
// codes, OCS meta, the shape of OCS data (notifications, shares) and, for
// DAV answers, the markers AssoKit relies on.
func TestTransferConformance(t *testing.T) {
	fake := NewServer(t)
	fake.AddUser(User{ID: "alice", DisplayName: "Alice Example", Email: "alice@example.invalid", Enabled: true})
	fake.AddUser(User{ID: "bob", Enabled: true})
	for _, u := range []string{"alice", "bob"} {
		fake.PutCalendar(u, "personal", "Personal")
		fake.PutAddressBook(u, "contacts", "Contacts")
	}
	// The lab's ExApp had sent alice a notification before the captures.
	fake.mu.Lock()
	fake.addNoteLocked(Notification{App: "testexapp", User: "alice", ObjectType: "app_api", subjectRich: "Hello from testexapp", messageRich: "lab test"})
	fake.mu.Unlock()
	replay(t, fake, transferFixtureDir, "testexapp", "1.0.0", transferSkipped, map[string]func(){
		// cron.php ran at these times: they name the "Transferred from" folders.
		"127": runCronAt(fake, time.Date(2026, 11, 21, 14, 10, 17, 0, time.UTC)),
		"146": runCronAt(fake, time.Date(2026, 11, 21, 14, 10, 57, 0, time.UTC)),
	})
}

// runCronAt returns what replays a cron.php run at a given time.
func runCronAt(fake *Server, at time.Time) func() {
	return func() {
		fake.mu.Lock()
		fake.now = func() time.Time { return at }
		fake.mu.Unlock()
		fake.RunCron()
		fake.mu.Lock()
		fake.now = time.Now
		fake.mu.Unlock()
	}
}

// replay sends the captures of dir, in order, to the fake as app appID,
// and compares status codes, OCS meta, notifications and shares, and DAV
// markers. Before the capture whose name starts with a key of before, it
// runs that function (what the lab did outside HTTP: cron.php, occ); a
// capture that is not an HTTP exchange only runs its function. Basic auth
// as the lab's admin is replayed as the fake's admin.
func replay(t *testing.T, fake *Server, dir, appID, version string, skip map[string]string, before map[string]func()) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
	if len(files) == 0 {
		t.Skip("shared fixtures not found beside the project")
	}
	sort.Strings(files)
	const secret = "fixture-secret"
	fake.mu.Lock()
	fake.apps[appID] = &ExApp{ID: appID, Version: version, Secret: secret, Enabled: true,
		TopMenus: map[string]TopMenuEntry{}, States: map[string]json.RawMessage{}, Forms: map[string]json.RawMessage{}, Config: map[string]string{}}
	fake.mu.Unlock()
	for _, f := range files {
		name := filepath.Base(f)
		for prefix, do := range before {
			if strings.HasPrefix(name, prefix+"-") {
				do()
			}
		}
		ex, ok := readExchange(f)
		if !ok {
			continue
		}
		t.Run(name, func(t *testing.T) {
			for prefix, why := range skip {
				if strings.HasPrefix(name, prefix) {
					t.Skip(why)
				}
			}
			req, _ := http.NewRequest(ex.method, fake.URL()+ex.path, bytes.NewReader(ex.body))
			req.Header = ex.header.Clone()
			req.Header.Del("Host")
			req.Header.Del("Content-Length")
			if strings.HasPrefix(req.Header.Get("Authorization"), "Basic") {
				req.SetBasicAuth("admin", "admin")
			} else {
				req.Header.Set("EX-APP-ID", appID)
				req.Header.Set("AUTHORIZATION-APP-API", base64.StdEncoding.EncodeToString([]byte(ex.user+":"+secret)))
			}
			if d := req.Header.Get("Destination"); d != "" {
				req.Header.Set("Destination", fake.URL()+d[strings.Index(d, "/remote.php"):])
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
			for _, marker := range davMarkers(ex.respBody) {
				if !bytes.Contains(got, []byte(marker)) {
					t.Errorf("answer lacks %q:\n%s", marker, got)
				}
			}
			if !bytes.HasPrefix(ex.respBody, []byte(`{"ocs"`)) {
				return
			}
			wd, hd := compareMeta(t, ex.respBody, got)
			if strings.Contains(name, "notifications") {
				if fmt.Sprint(shape(wd)) != fmt.Sprint(shape(hd)) {
					t.Errorf("data shape = %v;\nrecorded %v", shape(hd), shape(wd))
				}
				if ws, hs := noteSummary(wd), noteSummary(hd); ws != hs {
					t.Errorf("notifications = %s\nrecorded %s", hs, ws)
				}
			}
			if strings.Contains(name, "shares") || strings.Contains(name, "shared-with-me") {
				if ws, hs := shareSummary(wd), shareSummary(hd); ws != hs {
					t.Errorf("shares = %s\nrecorded %s", hs, ws)
				}
			}
		})
	}
}

// davMarkers returns the pieces of a recorded DAV answer AssoKit relies on:
// Sabre's exception messages, the trash bin's resource type, calendar
// invites.
func davMarkers(body []byte) []string {
	var out []string
	for _, m := range []string{"deleted-calendar", "<oc:invite-accepted/>", "<oc:read-write/>",
		"already exists in this calendar collection", "already exists in this addressbook collection", "trash-bin-retention-duration",
		// Sharees of every kind, mounts, scheduling, hrefs escaped the
		// Sabre way, names in the recipient's language (2026-11-30).
		"principal:principals/groups/bureau", "principal:principals/circles/", "<oc:common-name>Equipe Permanences</oc:common-name>",
		"<nc:mount-type>external</nc:mount-type>", "<nc:mount-type>shared</nc:mount-type>", "<nc:is-mount-root>true</nc:is-mount-root>",
		"SCHEDULE-STATUS=1.1", "/remote.php/dav/files/jean%20dupont/", "Transf%c3%a9r%c3%a9%20de%20Hugo%20Bernard%20%c3%a0%20",
		"Transferred%20from%20Hugo%20Bernard%20on%20", "_shared_by_hugo/", "#E9322D"} {
		if bytes.Contains(body, []byte(m)) {
			out = append(out, m)
		}
	}
	return out
}

// noteSummary lists a notifications answer as "app/object_type/subject".
func noteSummary(data any) string {
	list, _ := data.([]any)
	var out []string
	for _, n := range list {
		m := n.(map[string]any)
		out = append(out, fmt.Sprintf("%v/%v/%v/%v", m["app"], m["object_type"], m["subject"], m["message"]))
	}
	return strings.Join(out, " | ")
}

// shareSummary lists a shares answer as "owner:path→with" (ids and dates aside).
func shareSummary(data any) string {
	list, _ := data.([]any)
	var out []string
	for _, n := range list {
		m := n.(map[string]any)
		path := m["path"].(string)
		if i := strings.Index(path, " on 20"); i >= 0 {
			path = path[:i] // the transfer folder's date
		} else if i := strings.Index(path, " à 20"); i >= 0 {
			path = path[:i] // the transfer folder's date
		}
		out = append(out, fmt.Sprintf("%v:%s→%v", m["uid_owner"], path, m["share_with"]))
	}
	sort.Strings(out)
	return strings.Join(out, " | ")
}

// TestSanitizeName names the "Transferred from" folder as
// OwnershipTransferService::sanitizeFolderName does.
func TestSanitizeName(t *testing.T) {
	for in, want := range map[string]string{
		"Hugo Bernard":                         "Hugo Bernard",
		"Zoé L'Hôte #1 50% + 🙂":                "Zoé L-Hôte -1 50% + 🙂",
		`J.-M. "Jo" O'Brien: a/b\c?`:           "J-M- -Jo- O-Brien- a-b-c-",
		"Transféré de A à 2026-11-30 01-09-31": "Transféré de A à 2026-11-30 01-09-31",
	} {
		if got := sanitizeName(in); got != want {
			t.Errorf("sanitizeName(%q) = %q, want %q", in, got, want)
		}
	}
}
