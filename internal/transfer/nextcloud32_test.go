package transfer

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"assokit/internal/jobs"
	"assokit/internal/nextcloud"
	"assokit/internal/nextcloud/nextcloudtest"
	"assokit/internal/store"
)

// setUser replaces an account of the lab's fake, keeping its id.
func (l *lab) setUser(uid string, edit func(*nextcloudtest.User)) {
	for _, u := range l.nc.Users() {
		if u.ID == uid {
			edit(&u)
			l.nc.AddUser(u)
		}
	}
}

func (l *lab) user(uid string) nextcloudtest.User {
	for _, u := range l.nc.Users() {
		if u.ID == uid {
			return u
		}
	}
	return nextcloudtest.User{}
}

// event is an iCalendar object organized by organizer with attendees.
func event(uid, organizer string, attendees ...string) []byte {
	s := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//AssoKit//test//FR\r\nBEGIN:VEVENT\r\nUID:" + uid +
		"\r\nDTSTAMP:20261130T010000Z\r\nDTSTART:20270315T170000Z\r\nDTEND:20270315T180000Z\r\nSUMMARY:Réunion\r\n" +
		"ORGANIZER:mailto:" + organizer + "\r\n"
	for _, a := range attendees {
		s += "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=TRUE:mailto:" + a + "\r\n"
	}
	return []byte(s + "END:VEVENT\r\nEND:VCALENDAR\r\n")
}

// TestCopiesNeverMail copies events organized by the source, by the
// target and by a third person, with the target as an attendee: no copy
// sends an invitation, an update or a reply (Schedule-Reply: F, fixtures
// 361–366), and every copy is byte for byte the source's.
func TestCopiesNeverMail(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	for uid, mail := range map[string]string{"alice": "alice@asso.example", "bob": "bob@asso.example", "carol": "carol@asso.example"} {
		l.setUser(uid, func(u *nextcloudtest.User) { u.Email = mail })
	}
	events := map[string][]byte{
		"by-source.ics": event("by-source", "alice@asso.example", "guest@external.example", "bob@asso.example"),
		"by-target.ics": event("by-target", "bob@asso.example", "guest@external.example", "alice@asso.example"),
		"by-third.ics":  event("by-third", "carol@asso.example", "bob@asso.example", "guest@external.example"),
	}
	l.nc.PutCalendar("alice", "rdv", "Rendez-vous")
	for name, data := range events {
		l.nc.PutObject("alice", "calendars", "rdv", name, data)
	}
	if got := l.nc.Mails(); len(got) != 0 {
		t.Fatalf("mails before the transfer: %+v", got)
	}
	id, err := l.svc.Start(ctx, "camille", "alice", "bob", Choice{Calendars: []string{"rdv"}})
	if err != nil {
		t.Fatal(err)
	}
	if tr := l.runToEnd(t, id); tr.State != "done" {
		t.Fatalf("state %s", tr.State)
	}
	if got := l.nc.Mails(); len(got) != 0 {
		t.Errorf("the copy mailed: %+v", got)
	}
	copies := l.nc.Objects("bob", "calendars", "rdv")
	for name, want := range events {
		if string(copies[name]) != string(want) {
			t.Errorf("%s: copy = %q, want the source's bytes", name, copies[name])
		}
	}
}

// TestSchedulingFakeMails checks the fake's scheduling against the
// captures, so that TestCopiesNeverMail cannot pass for a fake that never
// mails: an organizer's PUT without the header mails and adds
// SCHEDULE-STATUS (fixtures 361–362); with it, nothing (363–364).
func TestSchedulingFakeMails(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	l.setUser("bob", func(u *nextcloudtest.User) { u.Email = "bob@asso.example" })
	bob := l.svc.nc.As("bob")
	if err := bob.MakeCollection(ctx, nextcloud.Calendars, nextcloud.NewCollection{URI: "c", Name: "C"}); err != nil {
		t.Fatal(err)
	}
	// A plain PUT, as any CalDAV client sends it.
	req, _ := http.NewRequest("PUT", l.nc.URL()+"/remote.php/dav/calendars/bob/c/plain.ics",
		bytes.NewReader(event("plain-put", "bob@asso.example", "guest@external.example")))
	req.Header.Set("EX-APP-ID", "assokit")
	req.Header.Set("EX-APP-VERSION", "0.1.0")
	req.Header.Set("AUTHORIZATION-APP-API", base64.StdEncoding.EncodeToString([]byte("bob:test-secret")))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated || resp.Header.Get("ETag") != "" {
		t.Fatalf("plain PUT: %v %v (an organizer's PUT is changed by scheduling: no ETag, fixture 361)", resp, err)
	}
	resp.Body.Close()
	if m := l.nc.Mails(); len(m) != 1 || m[0].Method != "REQUEST" || m[0].To != "guest@external.example" {
		t.Errorf("mails after a plain PUT by the organizer = %+v", m)
	}
	if got := l.nc.Objects("bob", "calendars", "c")["plain.ics"]; !strings.Contains(strings.ReplaceAll(string(got), "\r\n ", ""), "SCHEDULE-STATUS=1.1") {
		t.Errorf("stored without SCHEDULE-STATUS: %q", got)
	}
	if err := bob.PutObject(ctx, nextcloud.Calendars, "c", "f.ics", event("with-f", "bob@asso.example", "guest@external.example")); err != nil {
		t.Fatal(err)
	}
	if m := l.nc.Mails(); len(m) != 1 {
		t.Errorf("Schedule-Reply: F mailed: %+v", m)
	}
}

// TestDisabledSource transfers from a disabled account: the inventory
// lists what DAV serves and says shares cannot be listed; files need the
// source enabled for the transfer, which then disables it again whatever
// happened, and the member sync sees it disabled meanwhile.
func TestDisabledSource(t *testing.T) {
	cases := []struct {
		name      string
		choice    Choice
		wantErr   error
		wantState string
	}{
		{"files without enabling", Choice{AllFiles: true}, ErrSourceDisabled, ""},
		{"calendars and contacts through DAV only", Choice{Calendars: []string{"team-cal"}, AddressBooks: []string{"contacts"}}, nil, "done"},
		{"everything, enabled for the transfer", Choice{AllFiles: true, Calendars: []string{"personal", "team-cal"}, AddressBooks: []string{"contacts"}, EnableSource: true}, nil, "done"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := newLab(t)
			ctx := context.Background()
			l.setUser("alice", func(u *nextcloudtest.User) { u.Enabled = false })
			inv, err := l.svc.Inventory(ctx, "camille", "alice", "bob")
			if err != nil {
				t.Fatalf("inventory of a disabled source: %v", err)
			}
			if inv.Source.Enabled || inv.SharesListed || inv.FilesCount != 3 || len(inv.Calendars) != 2 || len(inv.AddressBooks) != 1 {
				t.Fatalf("inventory = %+v", inv)
			}
			id, err := l.svc.Start(ctx, "camille", "alice", "bob", c.choice)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("start: %v, want %v", err, c.wantErr)
			}
			if err != nil {
				return
			}
			leaving, _ := l.st.DisabledSourcesInTransfer(ctx)
			if !leaving["alice"] {
				t.Error("the member sync would see alice enabled during her transfer")
			}
			sawEnabled := false
			l.svc.afterStep = func(store.TransferItem) error {
				sawEnabled = sawEnabled || l.user("alice").Enabled
				return nil
			}
			if tr := l.runToEnd(t, id); tr.State != c.wantState {
				items, _ := l.st.TransferItems(ctx, id)
				t.Fatalf("state %s: %+v", tr.State, items)
			}
			if l.user("alice").Enabled {
				t.Error("alice is enabled after the transfer")
			}
			if sawEnabled != c.choice.EnableSource {
				t.Errorf("alice enabled during the transfer: %v, want %v", sawEnabled, c.choice.EnableSource)
			}
			if leaving, _ := l.st.DisabledSourcesInTransfer(ctx); leaving["alice"] {
				t.Error("alice still counts as leaving after the transfer")
			}
		})
	}
}

// TestEverySharee shares a calendar with a user, a group, a team and the
// target, and an address book with a user and a group: the inventory shows
// each sharee, a group by its display name, the copies keep them all but the target, keep the name
// (disambiguated only against the target's own calendars) and the colour.
func TestEverySharee(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	l.nc.NameGroup("bureau", "Bureau de l'association")
	l.nc.AddTeam("F9UG1OmX78ejXCS1OCzBGvjvh5Q1Z8c", "Equipe Permanences", "carol")
	l.nc.PutCalendar("alice", "permanences", "Permanences")
	l.nc.PutObject("alice", "calendars", "permanences", "p.ics", event("perm-1", "alice@asso.example"))
	for _, p := range []string{"principals/groups/bureau", "principals/circles/F9UG1OmX78ejXCS1OCzBGvjvh5Q1Z8c", "principals/users/bob"} {
		if err := l.nc.ShareCollection("alice", "calendars", "permanences", p, true); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.svc.nc.As("alice").Share(ctx, nextcloud.AddressBooks, "contacts", []nextcloud.Sharee{
		nextcloud.UserSharee("carol", true), {Principal: "principals/groups/bureau"}}); err != nil {
		t.Fatal(err)
	}
	// bob already has a calendar of his own named "Équipe".
	l.nc.PutCalendar("bob", "equipe", "Équipe")
	inv, err := l.svc.Inventory(ctx, "camille", "alice", "bob")
	if err != nil {
		t.Fatal(err)
	}
	perm, _ := findCollection(inv.Calendars, "permanences")
	if len(perm.Sharees) != 3 || perm.Sharees[0].Kind() != "group" || perm.Sharees[1].Kind() != "team" || perm.Sharees[1].Name != "Equipe Permanences" {
		t.Errorf("sharees in the inventory = %+v", perm.Sharees)
	}
	if perm.Sharees[0].Name != "Bureau de l'association" {
		t.Errorf("group sharee named %q, want its display name", perm.Sharees[0].Name)
	}
	if book := inv.AddressBooks[0]; len(book.Sharees) != 2 || book.Sharees[1].Name != "Bureau de l'association" {
		t.Errorf("address book sharees = %+v", book.Sharees)
	}
	id, err := l.svc.Start(ctx, "camille", "alice", "bob", Choice{Calendars: []string{"permanences", "team-cal"}, AddressBooks: []string{"contacts"}})
	if err != nil {
		t.Fatal(err)
	}
	if tr := l.runToEnd(t, id); tr.State != "done" {
		t.Fatalf("state %s", tr.State)
	}
	names := map[string]string{}
	for kind, label := range map[string]string{nextcloud.Calendars: "calendar", nextcloud.AddressBooks: "book"} {
		colls, _ := l.svc.nc.As("bob").Collections(ctx, kind)
		for _, c := range colls {
			var who []string
			for _, sh := range c.Sharees {
				who = append(who, sh.Kind()+":"+sh.ID())
			}
			names[label+":"+c.URI] = c.Name + " → " + strings.Join(who, ",")
		}
	}
	want := map[string]string{
		"calendar:permanences": "Permanences → group:bureau,team:F9UG1OmX78ejXCS1OCzBGvjvh5Q1Z8c",
		"calendar:team-cal":    "Équipe (Alice Départ) → user:carol",
		"book:contacts":        "Contacts → user:carol,group:bureau",
	}
	for k, v := range want {
		if names[k] != v {
			t.Errorf("%s = %q, want %q", k, names[k], v)
		}
	}
}

// TestMountsStay gives alice external storage, a group folder and a share
// received: the inventory lists them apart, a whole-home transfer leaves
// them and ends done (fixture 410), and received calendars and address
// books are counted apart.
func TestMountsStay(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	if err := l.nc.AddExternalMount("alice", "Espace Bureau", "external", map[string][]byte{"plan.pdf": []byte("pdf")}); err != nil {
		t.Fatal(err)
	}
	if err := l.nc.AddExternalMount("alice", "Dossier du bureau", "group", map[string][]byte{"pv.odt": []byte("odt")}); err != nil {
		t.Fatal(err)
	}
	l.nc.PutCalendar("carol", "ag", "AG")
	l.nc.PutObject("carol", "calendars", "ag", "ag.ics", event("ag-1", "carol@asso.example"))
	l.nc.ShareCalendarWith("carol", "ag", "alice", false)
	l.nc.PutAddressBook("carol", "benevoles", "Bénévoles")
	l.nc.PutObject("carol", "addressbooks", "benevoles", "b.vcf", []byte("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:b1\r\nFN:B\r\nEND:VCARD\r\n"))
	l.nc.ShareCollection("carol", "addressbooks", "benevoles", "principals/users/alice", false)
	inv, err := l.svc.Inventory(ctx, "camille", "alice", "bob")
	if err != nil {
		t.Fatal(err)
	}
	var mounts []string
	for _, m := range inv.Mounts {
		mounts = append(mounts, m.Path+":"+m.Type+":"+m.From)
	}
	if got := strings.Join(mounts, ","); got != "/Dossier du bureau:group:,/Espace Bureau:external:,/from-carol.txt:shared:carol" || inv.FilesCount != 3 {
		t.Errorf("mounts = %s, files = %d", got, inv.FilesCount)
	}
	if len(inv.CalendarsIn) != 1 || inv.CalendarsIn[0].Objects != 1 || len(inv.BooksIn) != 1 || inv.BooksIn[0].Objects != 1 {
		t.Errorf("received = %+v / %+v", inv.CalendarsIn, inv.BooksIn)
	}
	id, err := l.svc.Start(ctx, "camille", "alice", "bob", Choice{AllFiles: true})
	if err != nil {
		t.Fatal(err)
	}
	if tr := l.runToEnd(t, id); tr.State != "done" {
		items, _ := l.st.TransferItems(ctx, id)
		t.Fatalf("state %s: %+v", tr.State, items)
	}
	left, _ := l.svc.nc.As("alice").ListFiles(ctx, "/", false)
	var still []string
	for _, f := range left {
		if f.MountRoot {
			still = append(still, f.Path)
		}
	}
	if got := strings.Join(still, ","); got != "/Dossier du bureau,/Espace Bureau" {
		t.Errorf("mounts left with alice = %s", got)
	}
}

// TestOutcomesTold runs a transfer whose files do not fit in bob's quota,
// then one whose files move to a French recipient: each person reads what
// moved and what did not, in their language, with Nextcloud's folder name.
func TestOutcomesTold(t *testing.T) {
	t.Run("files refused for space", func(t *testing.T) {
		l := newLab(t)
		ctx := context.Background()
		l.setUser("bob", func(u *nextcloudtest.User) { u.Quota = 10 })
		inv, err := l.svc.Inventory(ctx, "camille", "alice", "bob")
		if err != nil {
			t.Fatal(err)
		}
		if inv.FilesFit || inv.Target.Free != 10 || inv.Target.Unlimited {
			t.Errorf("space in the inventory: fit %v, free %d", inv.FilesFit, inv.Target.Free)
		}
		id, err := l.svc.Start(ctx, "camille", "alice", "bob", l.everything())
		if err != nil {
			t.Fatal(err)
		}
		if tr := l.runToEnd(t, id); tr.State != "partial" {
			t.Fatalf("state %s", tr.State)
		}
		items, _ := l.st.TransferItems(ctx, id)
		if items[0].Error != "transfer_files_no_space" {
			t.Errorf("files item = %+v", items[0])
		}
		if len(l.nc.Objects("alice", "calendars", "team-cal")) != 3 || !l.user("alice").Enabled {
			t.Error("the source lost data or was disabled")
		}
		notes := endNotes(l)
		if n := notes["alice"]; !strings.Contains(n, "Resté dans votre compte : tous les fichiers (probablement faute de place chez Bob Relève)") ||
			!strings.Contains(n, "Confié à Bob Relève : l'agenda « Personnel »") || strings.Contains(n, "désactivé") {
			t.Errorf("alice reads %q", n)
		}
		if n := notes["bob"]; !strings.Contains(n, "Received from Alice Départ: the calendar “Personnel”") || !strings.Contains(n, "Not transferred, still with Alice Départ: all files (likely for lack of space in your account)") {
			t.Errorf("bob reads %q", n)
		}
		if n := notes["camille"]; !strings.HasPrefix(n, "Transfert terminé en partie") {
			t.Errorf("camille reads %q", n)
		}
	})
	t.Run("files moved to a French recipient", func(t *testing.T) {
		l := newLab(t)
		ctx := context.Background()
		l.setUser("bob", func(u *nextcloudtest.User) { u.Language = "fr" })
		id, err := l.svc.Start(ctx, "camille", "alice", "bob", Choice{Folders: []string{"/Projets"}})
		if err != nil {
			t.Fatal(err)
		}
		if tr := l.runToEnd(t, id); tr.State != "done" {
			t.Fatalf("state %s", tr.State)
		}
		n := endNotes(l)["bob"]
		if !strings.Contains(n, "Reçu de Alice Départ : « Projets » (dans le dossier « Transféré de Alice Départ à 20") {
			t.Errorf("bob reads %q", n)
		}
	})
}

// endNotes returns the subject and message of AssoKit's notification to
// each account.
func endNotes(l *lab) map[string]string {
	out := map[string]string{}
	for _, n := range l.nc.Notifications() {
		if n.App == "assokit" {
			out[n.User] = n.Subject + " / " + n.Message
		}
	}
	return out
}

// TestOneTransferPerSource starts two transfers of alice at once: one
// passes, the other is refused; alice cannot take over while she leaves,
// and two members may leave to the same account.
func TestOneTransferPerSource(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	ch := Choice{Calendars: []string{"team-cal"}}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { _, errs[i] = l.svc.Start(ctx, "camille", "alice", "bob", ch) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrBusy):
			t.Errorf("refusal = %v, want ErrBusy", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d transfers of alice started at once", ok)
	}
	if _, err := l.svc.Start(ctx, "camille", "carol", "alice", Choice{AllFiles: true}); !errors.Is(err, ErrBusy) {
		t.Errorf("alice taking over while leaving: %v", err)
	}
	if _, err := l.svc.Start(ctx, "camille", "carol", "bob", Choice{AllFiles: true}); err != nil {
		t.Errorf("carol leaving to bob too: %v", err)
	}
}

// TestWaitingGivesTheWorkerBack runs the queue with one worker: while a
// transfer waits for Nextcloud's cron, other jobs run; once the cron runs,
// the transfer ends, its attempts not used up by the waiting.
func TestWaitingGivesTheWorkerBack(t *testing.T) {
	l := newLab(t)
	l.nc.StopCron()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	q := jobs.New(l.st, log, jobs.Options{Workers: 1, Poll: 5 * time.Millisecond})
	opt := l.svc.opt
	opt.FilesWait = time.Hour               // the other jobs may take seconds on a loaded machine
	svc := New(l.st, l.svc.nc, q, log, opt) // its transfer job runs on q
	ran := make(chan struct{}, 10)
	q.Handle("other", func(context.Context, store.Job) error { ran <- struct{}{}; return nil })
	id, err := svc.Start(ctx, "camille", "alice", "bob", Choice{AllFiles: true})
	if err != nil {
		t.Fatal(err)
	}
	go q.Run(ctx)
	waitFor(t, func() bool { items, _ := l.st.TransferItems(ctx, id); return items[0].State == "waiting" })
	for i := range 5 {
		q.Enqueue(ctx, "other", "other-"+itoa(int64(i)), nil)
		select {
		case <-ran:
		case <-time.After(5 * time.Second):
			t.Fatal("the waiting transfer holds the only worker")
		}
	}
	l.nc.RunCron()
	waitFor(t, func() bool { tr, _ := l.st.Transfer(ctx, id); return tr.State == "done" })
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
