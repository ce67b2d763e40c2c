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
	"206": "iMIP scheduling (SCHEDULE-STATUS added to the organizer's copy) is not faked",
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
	files, _ := filepath.Glob(filepath.Join(transferFixtureDir, "*.txt"))
	if len(files) == 0 {
		t.Skip("shared fixtures not found beside the project")
	}
	sort.Strings(files)
	fake := NewServer(t)
	const appID, secret = "testexapp", "fixture-secret"
	fake.mu.Lock()
	fake.apps[appID] = &ExApp{ID: appID, Version: "1.0.0", Secret: secret, Enabled: true,
		TopMenus: map[string]TopMenuEntry{}, States: map[string]json.RawMessage{}, Forms: map[string]json.RawMessage{}, Config: map[string]string{}}
	fake.mu.Unlock()
	fake.AddUser(User{ID: "alice", DisplayName: "Alice Example", Email: "alice@example.invalid", Enabled: true})
	fake.AddUser(User{ID: "bob", Enabled: true})
	for _, u := range []string{"alice", "bob"} {
		fake.PutCalendar(u, "personal", "Personal")
		fake.PutAddressBook(u, "contacts", "Contacts")
	}
	// The lab's ExApp had sent alice a notification before the captures.
	fake.mu.Lock()
	fake.addNoteLocked(Notification{App: appID, User: "alice", ObjectType: "app_api", subjectRich: "Hello from testexapp", messageRich: "lab test"})
	fake.mu.Unlock()
	// cron.php ran at these times: they name the "Transferred from" folders.
	cronTimes := map[string]time.Time{
		"127": time.Date(2026, 11, 21, 14, 10, 17, 0, time.UTC),
		"146": time.Date(2026, 11, 21, 14, 10, 57, 0, time.UTC),
	}
	for _, f := range files {
		name := filepath.Base(f)
		if strings.Contains(name, "run-cron") {
			fake.mu.Lock()
			fake.now = func() time.Time { return cronTimes[name[:3]] }
			fake.mu.Unlock()
			fake.RunCron()
			fake.mu.Lock()
			fake.now = time.Now
			fake.mu.Unlock()
			continue
		}
		ex, ok := readExchange(f)
		if !ok {
			continue
		}
		t.Run(name, func(t *testing.T) {
			for prefix, why := range transferSkipped {
				if strings.HasPrefix(name, prefix) {
					t.Skip(why)
				}
			}
			req, _ := http.NewRequest(ex.method, fake.URL()+ex.path, bytes.NewReader(ex.body))
			req.Header = ex.header.Clone()
			req.Header.Del("Host")
			req.Header.Del("Content-Length")
			req.Header.Set("EX-APP-ID", appID)
			req.Header.Set("AUTHORIZATION-APP-API", base64.StdEncoding.EncodeToString([]byte(ex.user+":"+secret)))
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
		"already exists in this calendar collection", "already exists in this addressbook collection", "trash-bin-retention-duration"} {
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
		}
		out = append(out, fmt.Sprintf("%v:%s→%v", m["uid_owner"], path, m["share_with"]))
	}
	sort.Strings(out)
	return strings.Join(out, " | ")
}
