package transfer

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"assokit/internal/nextcloud"
	"assokit/internal/nextcloud/nextcloudtest"
	"assokit/internal/store"
)

// TestCopyNamesNeverClash gives bob calendars whose names are the source
// calendar's and its disambiguated forms: the copy takes a name none of
// bob's own calendars has.
func TestCopyNamesNeverClash(t *testing.T) {
	cases := []struct {
		name string
		bobs []string
		want string
	}{
		{"no clash", []string{"Agenda"}, "Équipe"},
		{"same name", []string{"Équipe"}, "Équipe (Alice Départ)"},
		{"same name and its first form", []string{"Équipe", "Équipe (Alice Départ)"}, "Équipe (Alice Départ) 2"},
		{"every form up to 3", []string{"Équipe", "Équipe (Alice Départ)", "Équipe (Alice Départ) 2", "Équipe (Alice Départ) 3"}, "Équipe (Alice Départ) 4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := newLab(t)
			ctx := context.Background()
			for i, n := range c.bobs {
				l.nc.PutCalendar("bob", "own-"+itoa(int64(i)), n)
			}
			id, err := l.svc.Start(ctx, "camille", "alice", "bob", Choice{Calendars: []string{"team-cal"}})
			if err != nil {
				t.Fatal(err)
			}
			if tr := l.runToEnd(t, id); tr.State != "done" {
				t.Fatalf("state %s", tr.State)
			}
			colls, err := l.svc.nc.As("bob").Collections(ctx, nextcloud.Calendars)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, coll := range colls {
				if seen[coll.Name] {
					t.Errorf("two of bob's calendars are named %q", coll.Name)
				}
				seen[coll.Name] = true
			}
			if d, _ := l.svc.Detail(ctx, id); d.Items[0].CopyName != c.want {
				t.Errorf("copy named %q, want %q", d.Items[0].CopyName, c.want)
			}
		})
	}
}

// TestEmptyHome chooses all the files of a home that holds nothing of its
// own (empty, or only an external storage): an empty home looks the same
// before and after Nextcloud's transfer, so a files step would be judged
// moved before Nextcloud's job ran and the source disabled under it. There
// is nothing to move: alone, the choice is refused; with a calendar, only
// the calendar moves.
func TestEmptyHome(t *testing.T) {
	cases := []struct {
		name    string
		mount   bool
		choice  Choice
		wantErr error
		items   string
	}{
		{"empty, files only", false, Choice{AllFiles: true, DisableSource: true}, ErrNothing, ""},
		{"only a mount, files only", true, Choice{AllFiles: true}, ErrNothing, ""},
		{"empty, files and a calendar", false, Choice{AllFiles: true, Calendars: []string{"c"}, DisableSource: true}, nil, "calendar,disable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := newLab(t)
			ctx := context.Background()
			l.nc.StopCron() // Nextcloud's job would not have run yet
			l.nc.AddUser(nextcloudtest.User{ID: "vide", DisplayName: "Compte Vide", Enabled: true})
			l.nc.PutCalendar("vide", "c", "Agenda")
			if c.mount {
				if err := l.nc.AddExternalMount("vide", "Espace Bureau", "external", map[string][]byte{"plan.pdf": []byte("pdf")}); err != nil {
					t.Fatal(err)
				}
			}
			id, err := l.svc.Start(ctx, "camille", "vide", "bob", c.choice)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("start: %v, want %v", err, c.wantErr)
			}
			if err != nil {
				return
			}
			items, _ := l.st.TransferItems(ctx, id)
			var kinds []string
			for _, it := range items {
				kinds = append(kinds, it.Kind)
			}
			if got := strings.Join(kinds, ","); got != c.items {
				t.Errorf("items = %s, want %s", got, c.items)
			}
			if tr := l.runToEnd(t, id); tr.State != "done" {
				t.Errorf("state %s", tr.State)
			}
		})
	}
}

// TestEveryFolderReadBack moves two of alice's folders while Nextcloud's
// job runs after each acceptance, in the same second (one "Transféré de …"
// folder for both, fixture 128) or not: each item reads back the folder
// its files are in.
func TestEveryFolderReadBack(t *testing.T) {
	for _, sameSecond := range []bool{true, false} {
		t.Run(map[bool]string{true: "same second", false: "one second apart"}[sameSecond], func(t *testing.T) {
			l := newLab(t)
			ctx := context.Background()
			l.nc.StopCron()
			l.setUser("bob", func(u *nextcloudtest.User) { u.Language = "fr" })
			at := time.Date(2026, 11, 30, 1, 9, 31, 0, time.UTC)
			l.nc.SetClock(func() time.Time { return at })
			l.svc.afterStep = func(it store.TransferItem) error {
				if it.Step == stepAccepted {
					l.nc.RunCron()
					if !sameSecond {
						at = at.Add(time.Second)
					}
				}
				return nil
			}
			id, err := l.svc.Start(ctx, "camille", "alice", "bob", Choice{Folders: []string{"/Projets", "/notes.txt"}})
			if err != nil {
				t.Fatal(err)
			}
			if tr := l.runToEnd(t, id); tr.State != "done" {
				t.Fatalf("state %s", tr.State)
			}
			d, _ := l.svc.Detail(ctx, id)
			for _, it := range d.Items {
				if !strings.HasPrefix(it.Folder, "Transféré de Alice Départ à 2026-11-30 01-09-3") {
					t.Errorf("%s landed in %q", it.Ref, it.Folder)
					continue
				}
				if ok, err := holds(ctx, l.svc.nc.As("bob"), "/"+it.Folder, it.Label); !ok || err != nil {
					t.Errorf("%s is not in bob's %q: %v", it.Ref, it.Folder, err)
				}
			}
		})
	}
}

// TestGivenUpJobEndsTheTransfer plays a Nextcloud whose DAV keeps failing
// while a disabled source is enabled for its transfer: until the job's last
// attempt the transfer stays running for the queue to try again; once the
// queue gives up, the transfer is failed (not "running" for ever, which
// would keep its source from ever leaving) and the source disabled again.
func TestGivenUpJobEndsTheTransfer(t *testing.T) {
	cases := []struct {
		name      string
		attempt   int
		wantState string
		wantAlice bool // enabled afterwards
	}{
		{"an attempt left", jobAttempts - 1, "running", true},
		{"last attempt", jobAttempts, "failed", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := newLab(t)
			ctx := context.Background()
			l.setUser("alice", func(u *nextcloudtest.User) { u.Enabled = false })
			id, err := l.svc.Start(ctx, "camille", "alice", "bob", Choice{AllFiles: true, Calendars: []string{"team-cal"}, EnableSource: true})
			if err != nil {
				t.Fatal(err)
			}
			l.nc.SetFault(func(r *http.Request) (int, time.Duration) {
				if strings.HasPrefix(r.URL.Path, "/remote.php/dav/calendars/") {
					return http.StatusServiceUnavailable, 0
				}
				return 0, 0
			})
			payload, _ := json.Marshal(JobPayload{ID: id})
			err = l.svc.job(ctx, store.Job{Kind: JobRun, Payload: string(payload), Attempts: c.attempt, MaxAttempts: jobAttempts})
			if err == nil {
				t.Fatal("the job succeeded while Nextcloud failed")
			}
			tr, _ := l.st.Transfer(ctx, id)
			if tr.State != c.wantState {
				t.Errorf("state %s, want %s", tr.State, c.wantState)
			}
			if l.user("alice").Enabled != c.wantAlice {
				t.Errorf("alice enabled: %v, want %v", l.user("alice").Enabled, c.wantAlice)
			}
			if c.wantState == "failed" {
				l.nc.SetFault(nil)
				if _, err := l.svc.Start(ctx, "camille", "alice", "carol", Choice{Calendars: []string{"team-cal"}}); err != nil {
					t.Errorf("alice cannot leave again: %v", err)
				}
			}
		})
	}
}

// TestFilesTimeoutCancels plays a Nextcloud whose background jobs do not
// run before AssoKit stops waiting: the files item fails for that, and
// when the jobs run at last the files stay with alice, as AssoKit told
// everyone; a job that ran just before the deadline still counts.
func TestFilesTimeoutCancels(t *testing.T) {
	for _, cronAtDeadline := range []bool{false, true} {
		t.Run(map[bool]string{false: "cron never ran", true: "cron ran at the deadline"}[cronAtDeadline], func(t *testing.T) {
			l := newLab(t)
			ctx := context.Background()
			l.nc.StopCron()
			l.svc.opt.FilesWait = time.Millisecond
			if cronAtDeadline {
				l.nc.SetFault(func(r *http.Request) (int, time.Duration) {
					if r.Method == http.MethodDelete && strings.Contains(r.URL.Path, "/transferownership/") {
						l.nc.RunCron() // the job runs just before AssoKit's rejection
					}
					return 0, 0
				})
			}
			id, err := l.svc.Start(ctx, "camille", "alice", "bob", Choice{Folders: []string{"/Projets"}})
			if err != nil {
				t.Fatal(err)
			}
			tr := l.runToEnd(t, id)
			l.nc.SetFault(nil)
			l.nc.RunCron()
			items, _ := l.st.TransferItems(ctx, id)
			switch {
			case !cronAtDeadline && (tr.State != "failed" || items[0].Error != "transfer_files_timeout"):
				t.Errorf("state %s, item %+v", tr.State, items[0])
			case cronAtDeadline && tr.State != "done":
				t.Errorf("state %s, item %+v", tr.State, items[0])
			}
			if files, _ := l.svc.nc.As("alice").ListFiles(ctx, "/", false); cronAtDeadline == hasPath(files, "/Projets") {
				t.Errorf("alice's files after the deadline: %+v (said %s)", files, tr.State)
			}
		})
	}
}

func hasPath(files []nextcloud.FileInfo, p string) bool {
	for _, f := range files {
		if strings.TrimSuffix(f.Path, "/") == p {
			return true
		}
	}
	return false
}

// TestDisabledSourceNotDisabledAgain moves the calendars of a disabled
// account without enabling it, the admin having ticked "disable at the
// end" anyway: the account is disabled already, so there is no such step,
// and nobody reads that it is being disabled.
func TestDisabledSourceNotDisabledAgain(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	l.setUser("alice", func(u *nextcloudtest.User) { u.Enabled = false })
	id, err := l.svc.Start(ctx, "camille", "alice", "bob", Choice{Calendars: []string{"team-cal"}, DisableSource: true})
	if err != nil {
		t.Fatal(err)
	}
	if tr := l.runToEnd(t, id); tr.State != "done" {
		t.Fatalf("state %s", tr.State)
	}
	items, _ := l.st.TransferItems(ctx, id)
	if len(items) != 1 || items[0].Kind != "calendar" {
		t.Errorf("items = %+v", items)
	}
	for who, n := range endNotes(l) {
		if strings.Contains(n, "désactivé") || strings.Contains(n, "disabled") {
			t.Errorf("%s reads %q", who, n)
		}
	}
}

// TestCopyPutBackAfterTheMove plays the departing member's sync client
// uploading /Projets again right after Nextcloud moved it to bob: the files
// did move, and the report says so, with the folder they are in.
func TestCopyPutBackAfterTheMove(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	l.nc.StopCron()
	l.svc.afterStep = func(it store.TransferItem) error {
		if it.Step == stepAccepted {
			l.nc.RunCron()
			l.nc.PutFile("alice", "/Projets/budget.ods", []byte("budget 2027"))
		}
		return nil
	}
	id, err := l.svc.Start(ctx, "camille", "alice", "bob", Choice{Folders: []string{"/Projets"}})
	if err != nil {
		t.Fatal(err)
	}
	if tr := l.runToEnd(t, id); tr.State != "done" {
		items, _ := l.st.TransferItems(ctx, id)
		t.Fatalf("state %s: %+v", tr.State, items)
	}
	if d, _ := l.svc.Detail(ctx, id); !strings.HasPrefix(d.Items[0].Folder, "Transferred from Alice Départ on ") {
		t.Errorf("landed in %q", d.Items[0].Folder)
	}
}

// TestBlankCollectionNames moves calendars that a client created with no
// name or a name of spaces only: the inventory, the copies and the
// notifications name them by their URI rather than by nothing.
func TestBlankCollectionNames(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	l.nc.PutCalendar("alice", "sans-nom", "")
	l.nc.PutCalendar("alice", "espaces", "   ")
	inv, err := l.svc.Inventory(ctx, "camille", "alice", "bob")
	if err != nil {
		t.Fatal(err)
	}
	for _, uri := range []string{"sans-nom", "espaces"} {
		if c, _ := findCollection(inv.Calendars, uri); c.Name != uri {
			t.Errorf("%s is named %q in the inventory", uri, c.Name)
		}
	}
	id, err := l.svc.Start(ctx, "camille", "alice", "bob", Choice{Calendars: []string{"sans-nom", "espaces"}})
	if err != nil {
		t.Fatal(err)
	}
	if tr := l.runToEnd(t, id); tr.State != "done" {
		t.Fatalf("state %s", tr.State)
	}
	if n := endNotes(l)["alice"]; !strings.Contains(n, "l'agenda « sans-nom », l'agenda « espaces »") {
		t.Errorf("alice reads %q", n)
	}
}

// TestChosenTwice sends a choice naming a folder, a calendar and an
// address book twice: each moves once, and bob gets one copy of each.
func TestChosenTwice(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	id, err := l.svc.Start(ctx, "camille", "alice", "bob", Choice{Folders: []string{"/Projets", "/Projets"},
		Calendars: []string{"team-cal", "team-cal"}, AddressBooks: []string{"contacts", "contacts"}})
	if err != nil {
		t.Fatal(err)
	}
	if tr := l.runToEnd(t, id); tr.State != "done" {
		t.Fatalf("state %s", tr.State)
	}
	items, _ := l.st.TransferItems(ctx, id)
	if len(items) != 3 {
		t.Errorf("%d items: %+v", len(items), items)
	}
	cals, _ := l.svc.nc.As("bob").Collections(ctx, nextcloud.Calendars)
	if len(cals) != 2 { // his own and one copy
		t.Errorf("bob's calendars: %+v", cals)
	}
}

// TestOddNamesEndToEnd runs whole transfers between accounts whose uids
// hold what Nextcloud allows (a space, an apostrophe, @, dots, - and _),
// whose display names hold #, %, + and an emoji, with folders, calendars,
// objects and address books named with the same: everything moves, each
// folder is read back where it landed, and the notifications name things
// as they are.
func TestOddNamesEndToEnd(t *testing.T) {
	for _, uid := range []string{"jean dupont", "o'brien", "a@b.fr", "j.m.", "x-y_z"} {
		t.Run(uid, func(t *testing.T) {
			l := newLab(t)
			ctx := context.Background()
			target := uid + " 2"
			l.nc.AddUser(nextcloudtest.User{ID: uid, DisplayName: "Zoé L'Hôte #1 50% + 🙂", Enabled: true, Language: "fr"})
			l.nc.AddUser(nextcloudtest.User{ID: target, DisplayName: "Cible %20 é", Enabled: true, Language: "fr"})
			folders := []string{"/Dossier #1 & 50%+", "/Été 🙂", "/a%20b", "/l'été"}
			for _, f := range folders {
				if err := l.nc.PutFile(uid, f+"/a b.txt", []byte("x")); err != nil {
					t.Fatal(err)
				}
			}
			l.nc.PutCalendar(uid, "cal-1", "Agenda #1 50% 🙂/")
			l.nc.PutObject(uid, "calendars", "cal-1", "a b%20#.ics", event("u1", "x@y.example"))
			l.nc.PutAddressBook(uid, "ab-1", "Carnet l'été")
			l.nc.PutObject(uid, "addressbooks", "ab-1", "c d%.vcf", []byte("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:b1\r\nFN:B\r\nEND:VCARD\r\n"))
			if err := l.nc.ShareCollection(uid, "calendars", "cal-1", "principals/users/"+target, true); err != nil {
				t.Fatal(err)
			}
			id, err := l.svc.Start(ctx, "camille", uid, target, Choice{Folders: folders, Calendars: []string{"cal-1"}, AddressBooks: []string{"ab-1"}, DisableSource: true})
			if err != nil {
				t.Fatal(err)
			}
			if tr := l.runToEnd(t, id); tr.State != "done" {
				items, _ := l.st.TransferItems(ctx, id)
				t.Fatalf("state %s: %+v", tr.State, items)
			}
			d, _ := l.svc.Detail(ctx, id)
			for _, it := range d.Items {
				if it.Kind != "files" {
					continue
				}
				if ok, err := holds(ctx, l.svc.nc.As(target), "/"+it.Folder, it.Label); it.Folder == "" || !ok || err != nil {
					t.Errorf("%s: landed in %q (there: %v, %v)", it.Ref, it.Folder, ok, err)
				}
			}
			if got := l.nc.Objects(target, "calendars", "cal-1"); len(got) != 1 || got["a b%20#.ics"] == nil {
				t.Errorf("the calendar's copy holds %v", got)
			}
			// Nextcloud's folder: its name sanitized as OwnershipTransferService does.
			if n := endNotes(l)[target]; !strings.Contains(n, "Reçu de Zoé L'Hôte #1 50% + 🙂 : « Dossier #1 & 50%+ » (dans le dossier « Transféré de Zoé L-Hôte -1 50% + 🙂 à ") {
				t.Errorf("%s reads %q", target, n)
			}
			if l.user(uid).Enabled {
				t.Errorf("%s is still enabled", uid)
			}
		})
	}
}

// TestCandidatesIgnoreAccents searches accounts as people type, with or
// without accents and capitals.
func TestCandidatesIgnoreAccents(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	l.nc.AddUser(nextcloudtest.User{ID: "hdurand", DisplayName: "Hélène Durand", Email: "h.durand@asso.example", Enabled: true})
	for q, want := range map[string]string{"Hélène": "hdurand", "helene": "hdurand", "HELENE": "hdurand", "durand@": "hdurand", "départ": "alice", "DEPART": "alice", "relève": "bob"} {
		list, err := l.svc.Candidates(ctx, "camille", q)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].UID != want {
			t.Errorf("%q finds %+v, want %s", q, list, want)
		}
	}
}
