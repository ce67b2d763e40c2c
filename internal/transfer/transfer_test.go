package transfer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"assokit/internal/jobs"
	"assokit/internal/nextcloud"
	"assokit/internal/nextcloud/nextcloudtest"
	"assokit/internal/store"
)

const fixtures = "../../../shared/fixtures/nextcloud-32-transfer"

// fixtureBody returns the request body of a capture: the real events and
// cards the lab stored in Nextcloud.
func fixtureBody(t testing.TB, prefix string) []byte {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(fixtures, prefix+"-*.txt"))
	if len(files) == 0 {
		t.Skip("shared fixtures not found beside the project")
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	req, _, _ := strings.Cut(string(raw), "=== RESPONSE ===")
	_, body, _ := strings.Cut(strings.ReplaceAll(req, "\r\n\r\n", "\n\n"), "\n\n")
	return []byte(strings.TrimRight(body, "\n") + "\n")
}

// lab is a fake Nextcloud with alice (who leaves), bob (who takes over),
// carol and an admin, and a transfer service over it.
type lab struct {
	nc  *nextcloudtest.Server
	st  *store.Store
	svc *Service
	ics map[string][]byte // name → event as stored at the source
	vcf map[string][]byte // name → card as stored at the source
}

func newLab(t testing.TB) *lab {
	t.Helper()
	ctx := context.Background()
	nc := nextcloudtest.NewServer(t)
	nc.StartCron(5 * time.Millisecond) // Nextcloud's background jobs
	nc.InstallExApp(nextcloudtest.ExApp{ID: "assokit", Version: "0.1.0", Secret: "test-secret"})
	nc.AddUser(nextcloudtest.User{ID: "camille", DisplayName: "Camille Admin", Groups: []string{"admin"}, Enabled: true, Language: "fr"})
	nc.AddUser(nextcloudtest.User{ID: "alice", DisplayName: "Alice Départ", Enabled: true, Language: "fr"})
	nc.AddUser(nextcloudtest.User{ID: "bob", DisplayName: "Bob Relève", Enabled: true})
	nc.AddUser(nextcloudtest.User{ID: "carol", DisplayName: "Carol", Enabled: true})
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "assokit.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	client, err := nextcloud.New(nextcloud.Config{BaseURL: nc.URL(), AppID: "assokit", AppSecret: "test-secret",
		AppVersion: "0.1.0", Retries: -1, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	l := &lab{nc: nc, st: st, ics: map[string][]byte{}, vcf: map[string][]byte{}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	l.svc = New(st, client, jobs.New(st, log, jobs.Options{}), log, Options{Poll: 5 * time.Millisecond, FilesWait: 5 * time.Second})

	// Files: a shared folder, a public link, a file; a file carol shares with alice.
	nc.PutFile("alice", "/Projets/budget.ods", []byte("budget 2027"))
	nc.PutFile("alice", "/Projets/photos/fête.jpg", []byte("jpeg…"))
	nc.PutFile("alice", "/notes.txt", []byte("notes"))
	nc.PutFile("carol", "/from-carol.txt", []byte("carol's"))
	nc.AddShare(nextcloudtest.Share{Type: 0, Owner: "alice", Path: "/Projets", ShareWith: "carol", IsDir: true})
	nc.AddShare(nextcloudtest.Share{Type: 3, Owner: "alice", Path: "/notes.txt"})
	nc.AddShare(nextcloudtest.Share{Type: 0, Owner: "carol", Path: "/from-carol.txt", ShareWith: "alice"})

	// A calendar with the lab's events (attendee, weekly recurrence with a
	// time zone, EXDATE and an overridden instance, non-ASCII all-day
	// event), shared with carol; a second calendar; bob's own calendar.
	nc.PutCalendar("alice", "personal", "Personnel")
	nc.PutCalendar("alice", "team-cal", "Équipe")
	for i, prefix := range []string{"203", "204", "205"} {
		name := fmt.Sprintf("ev%d.ics", i+1)
		l.ics[name] = fixtureBody(t, prefix)
		nc.PutObject("alice", "calendars", "team-cal", name, l.ics[name])
	}
	nc.PutObject("alice", "calendars", "personal", "lf.ics", []byte("BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:lf-only\nSUMMARY:Saisi avec des fins de ligne LF\nDTSTART:20270301T090000Z\nEND:VEVENT\nEND:VCALENDAR\n"))
	shareCalendar(t, client.As("alice"), "team-cal", "carol")
	nc.PutCalendar("bob", "personal", "Personal")

	// An address book with the lab's cards: 3.0 with a photo, 4.0, non-ASCII.
	nc.PutAddressBook("alice", "contacts", "Contacts")
	for i, prefix := range []string{"302", "303", "304"} {
		name := fmt.Sprintf("c%d.vcf", i+1)
		l.vcf[name] = fixtureBody(t, prefix)
		nc.PutObject("alice", "addressbooks", "contacts", name, l.vcf[name])
	}
	return l
}

func shareCalendar(t testing.TB, as *nextcloud.Client, uri, with string) {
	t.Helper()
	if err := as.Share(context.Background(), nextcloud.Calendars, uri, []nextcloud.Sharee{nextcloud.UserSharee(with, true)}); err != nil {
		t.Fatal(err)
	}
}

// everything chooses all files, both calendars, the address book, and
// disabling alice.
func (l *lab) everything() Choice {
	return Choice{AllFiles: true,
		Calendars:     []string{"personal", "team-cal"},
		AddressBooks:  []string{"contacts"},
		DisableSource: true}
}

// runToEnd runs the transfer until it is over, as the job queue does:
// again after each wait for Nextcloud's background jobs.
func (l *lab) runToEnd(t testing.TB, id int64) store.Transfer {
	t.Helper()
	ctx := context.Background()
	if err := runWaiting(ctx, l.svc, id); err != nil {
		t.Fatalf("run: %v", err)
	}
	tr, err := l.st.Transfer(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// runWaiting calls Run again while it waits for Nextcloud's background
// jobs, and returns its first other outcome.
func runWaiting(ctx context.Context, svc *Service, id int64) error {
	for {
		err := svc.Run(ctx, id)
		if !errors.Is(err, errWaiting) {
			return err
		}
		time.Sleep(svc.opt.Poll)
	}
}

// checkMoved checks that bob has everything, once, byte for byte, and that
// what alice had is gone from her account (calendars in her trash bin).
func (l *lab) checkMoved(t testing.TB) {
	t.Helper()
	cal := l.nc.Objects("bob", "calendars", "team-cal")
	if len(cal) != len(l.ics) {
		t.Fatalf("bob's team calendar has %d objects, want %d", len(cal), len(l.ics))
	}
	for name, want := range l.ics {
		if string(cal[name]) != string(want) {
			t.Errorf("event %s changed in the copy", name)
		}
	}
	if got := l.nc.Objects("bob", "calendars", "personal-2"); len(got) != 1 || !strings.Contains(string(got["lf.ics"]), "\nUID:lf-only\n") {
		t.Errorf("bob's copy of the personal calendar = %q", got)
	}
	cards := l.nc.Objects("bob", "addressbooks", "contacts")
	if len(cards) != len(l.vcf) {
		t.Fatalf("bob's address book has %d cards, want %d", len(cards), len(l.vcf))
	}
	for name, want := range l.vcf {
		if string(cards[name]) != string(want) {
			t.Errorf("card %s changed in the copy", name)
		}
	}
	if got := l.nc.Objects("alice", "addressbooks", "contacts"); len(got) != 0 {
		t.Errorf("alice still has %d cards", len(got))
	}
	if n := len(l.nc.Objects("bob", "calendars", "team-cal-2")); n != 0 {
		t.Error("a second copy of the calendar was made")
	}
	var owners []string
	for _, sh := range l.nc.Shares() {
		owners = append(owners, sh.Owner+":"+sh.ShareWith)
	}
	if got := strings.Join(owners, ","); got != "bob:carol,bob:,carol:bob" {
		t.Errorf("shares after the transfer = %s", got)
	}
}

func TestTransferEverything(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	inv, err := l.svc.Inventory(ctx, "camille", "alice", "bob")
	if err != nil {
		t.Fatal(err)
	}
	if inv.FilesCount != 3 || len(inv.Files) != 2 || len(inv.Received) != 1 || len(inv.Shares) != 2 {
		t.Errorf("files inventory = %+v", inv)
	}
	if len(inv.Calendars) != 2 || inv.Calendars[1].Objects != 3 || len(inv.Calendars[1].Sharees) != 1 || inv.Calendars[1].Sharees[0].ID() != "carol" {
		t.Errorf("calendars inventory = %+v", inv.Calendars)
	}
	if len(inv.AddressBooks) != 1 || inv.AddressBooks[0].Objects != 3 {
		t.Errorf("address books inventory = %+v", inv.AddressBooks)
	}
	id, err := l.svc.Start(ctx, "camille", "alice", "bob", l.everything())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.svc.Start(ctx, "camille", "alice", "carol", l.everything()); !errors.Is(err, ErrBusy) {
		t.Errorf("second transfer of alice: %v, want ErrBusy", err)
	}
	filesBefore := l.nc.FileBytes()
	tr := l.runToEnd(t, id)
	if tr.State != "done" {
		items, _ := l.st.TransferItems(ctx, id)
		t.Fatalf("transfer state %s: %+v", tr.State, items)
	}
	l.checkMoved(t)
	if rep, _ := l.svc.Detail(ctx, id); !strings.HasPrefix(rep.Items[0].Folder, "Transferred from Alice Départ on 20") {
		t.Errorf("files landed in %q", rep.Items[0].Folder)
	}
	export := 0
	for _, card := range l.vcf {
		export += len(card)
	}
	if got := l.nc.FileBytes() - filesBefore; got != int64(export) {
		t.Errorf("%d bytes of file content went through AssoKit; only the contacts export (%d) should", got, export)
	}
	// The calendar carol saw is re-shared by bob; alice's is in her trash bin.
	raw, _ := l.svc.nc.As("alice").Collections(ctx, nextcloud.Calendars)
	for _, c := range raw {
		if c.URI == "team-cal" && !c.Deleted {
			t.Error("alice's calendar was not deleted")
		}
	}
	bobCals, _ := l.svc.nc.As("bob").Collections(ctx, nextcloud.Calendars)
	shared := false
	for _, c := range bobCals {
		if c.URI == "team-cal" && c.Name == "Équipe" && len(c.Sharees) == 1 && c.Sharees[0].ID() == "carol" && c.Sharees[0].ReadWrite {
			shared = true
		}
	}
	if !shared {
		t.Errorf("bob's copy is not shared with carol: %+v", bobCals)
	}
	for _, u := range l.nc.Users() {
		if u.ID == "alice" && u.Enabled {
			t.Error("alice is still enabled")
		}
	}
	saved := false
	files, _ := l.svc.nc.As("bob").ListFiles(ctx, "/", true)
	for _, f := range files {
		saved = saved || (f.Path == "/Contacts - Alice Départ/Contacts.vcf" && f.Size == int64(export))
	}
	if !saved {
		t.Errorf("no contacts export in bob's files: %+v", files)
	}
	notes := map[string]string{}
	for _, n := range l.nc.Notifications() {
		if n.App == "assokit" {
			notes[n.User] = n.Subject
		}
	}
	if !strings.HasPrefix(notes["camille"], "Transfert terminé") || !strings.HasPrefix(notes["bob"], "Transfer finished") || notes["alice"] == "" {
		t.Errorf("end notifications = %v", notes)
	}
}

// TestResumeAfterEveryStep stops the run after each journaled step in
// turn, as a crash would, then runs it again: whatever the step, the end
// is the same — everything once at the target, nothing lost.
func TestResumeAfterEveryStep(t *testing.T) {
	resumeAfterEveryStep(t, 15, func(t testing.TB) (*lab, Choice, func(testing.TB)) {
		l := newLab(t)
		return l, l.everything(), l.checkMoved
	})
}

// TestFailuresKeepTheSource injects Nextcloud failures: the source keeps
// what was not copied and verified, and the transfer goes on or resumes.
func TestFailuresKeepTheSource(t *testing.T) {
	cases := []struct {
		name      string
		fault     nextcloudtest.Fault
		wantState string // after the run with the fault
		wantCode  string // error of the failed item
	}{
		{"server errors on every PUT of an event", func(r *http.Request) (int, time.Duration) {
			if r.Method == "PUT" && strings.Contains(r.URL.Path, "/calendars/bob/team-cal/") {
				return 503, 0
			}
			return 0, 0
		}, "", ""},
		{"quota exceeded on the cards", func(r *http.Request) (int, time.Duration) {
			if r.Method == "PUT" && strings.Contains(r.URL.Path, "/addressbooks/users/bob/") {
				return http.StatusInsufficientStorage, 0
			}
			return 0, 0
		}, "partial", "transfer_quota"},
		{"timeouts on the shares", func(r *http.Request) (int, time.Duration) {
			if r.Method == "POST" && strings.Contains(r.URL.Path, "/calendars/bob/") {
				return 0, 3 * time.Second
			}
			return 0, 0
		}, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := newLab(t)
			ctx := context.Background()
			id, err := l.svc.Start(ctx, "camille", "alice", "bob", l.everything())
			if err != nil {
				t.Fatal(err)
			}
			l.nc.SetFault(c.fault)
			err = runWaiting(ctx, l.svc, id)
			tr, _ := l.st.Transfer(ctx, id)
			if c.wantState == "" {
				// A passing failure: the run stops, to be retried.
				if err == nil {
					t.Fatalf("run succeeded despite the fault (state %s)", tr.State)
				}
			} else if tr.State != c.wantState {
				t.Fatalf("state = %s (err %v), want %s", tr.State, err, c.wantState)
			}
			if len(l.nc.Objects("alice", "calendars", "team-cal")) != 3 || len(l.nc.Objects("alice", "addressbooks", "contacts")) != 3 {
				t.Fatal("the source lost data")
			}
			if c.wantCode != "" {
				items, _ := l.st.TransferItems(ctx, id)
				found := false
				for _, it := range items {
					found = found || it.Error == c.wantCode
					if it.Kind == "disable" && it.State != "failed" {
						t.Error("alice was disabled although an item failed")
					}
				}
				if !found {
					t.Errorf("no item failed with %s: %+v", c.wantCode, items)
				}
				return
			}
			// Once Nextcloud is well again, the retried job finishes.
			l.nc.SetFault(nil)
			if tr := l.runToEnd(t, id); tr.State != "done" {
				t.Fatalf("state after recovery = %s", tr.State)
			}
			l.checkMoved(t)
		})
	}
}

func TestStartRefusals(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	l.nc.AddUser(nextcloudtest.User{ID: "gone", Enabled: false})
	cases := []struct {
		source, target string
		choice         Choice
		want           error
	}{
		{"alice", "alice", Choice{AllFiles: true}, ErrSameAccount},
		{"alice", "nobody", Choice{AllFiles: true}, ErrUnknownAccount},
		{"alice", "gone", Choice{AllFiles: true}, ErrTargetDisabled},
		{"alice", "bob", Choice{}, ErrNothing},
		{"alice", "bob", Choice{Folders: []string{"/from-carol.txt"}}, ErrNotInInventory},
		{"alice", "bob", Choice{Calendars: []string{"x"}}, ErrNotInInventory},
	}
	for _, c := range cases {
		if _, err := l.svc.Start(ctx, "camille", c.source, c.target, c.choice); !errors.Is(err, c.want) {
			t.Errorf("Start(%s→%s, %+v) = %v, want %v", c.source, c.target, c.choice, err, c.want)
		}
	}
}

func TestSplitCards(t *testing.T) {
	for _, in := range []string{"", "BEGIN:VCARD\r\nEND:VCARD\r\n", "BEGIN:VCARD\nEND:VCARD\nBEGIN:VCARD\r\nEND:VCARD", "garbage"} {
		var got strings.Builder
		if _, err := splitCards(strings.NewReader(in), 1<<20, func(_ int64, b []byte) { got.Write(b) }); err != nil || got.String() != strings.TrimSuffix(in, "garbage") {
			t.Errorf("splitCards(%q) loses bytes: %q, %v", in, got.String(), err)
		}
	}
	// A card over the limit is refused, named; never cut.
	big := "BEGIN:VCARD\r\nPHOTO:" + strings.Repeat("A", 300) + "\r\nEND:VCARD\r\n"
	_, err := splitCards(strings.NewReader("BEGIN:VCARD\r\nEND:VCARD\r\n"+big), 200, func(int64, []byte) {})
	if !errors.Is(err, nextcloud.ErrTooLarge) || !strings.Contains(err.Error(), "card 2") {
		t.Errorf("a card over the limit: %v", err)
	}
}

// TestTooLargeCardKeepsTheSource puts a card over nextcloud.ObjectLimit in
// the address book: its item fails with nextcloud_too_large, nothing is cut,
// the source stays whole, and the spooled export is removed.
func TestTooLargeCardKeepsTheSource(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	big := []byte("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:big\r\nFN:Grande Photo\r\nPHOTO;ENCODING=b;TYPE=JPEG:" +
		strings.Repeat("A", nextcloud.ObjectLimit) + "\r\nEND:VCARD\r\n")
	if err := l.nc.PutObject("alice", "addressbooks", "contacts", "big.vcf", big); err != nil {
		t.Fatal(err)
	}
	spooled, _ := filepath.Glob(filepath.Join(os.TempDir(), "assokit-export-*"))
	id, err := l.svc.Start(ctx, "camille", "alice", "bob", Choice{AddressBooks: []string{"contacts"}})
	if err != nil {
		t.Fatal(err)
	}
	if tr := l.runToEnd(t, id); tr.State != "failed" {
		t.Errorf("state = %s, want failed", tr.State)
	}
	items, _ := l.st.TransferItems(ctx, id)
	if len(items) != 1 || items[0].State != "failed" || items[0].Error != "nextcloud_too_large" {
		t.Errorf("items %+v, want the address book failed with nextcloud_too_large", items)
	}
	if n := len(l.nc.Objects("alice", "addressbooks", "contacts")); n != 4 {
		t.Errorf("the source holds %d cards, want 4", n)
	}
	if left, _ := filepath.Glob(filepath.Join(os.TempDir(), "assokit-export-*")); len(left) != len(spooled) {
		t.Errorf("spooled exports left behind: %v", left)
	}
}
