package membersync_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"assokit/internal/errcode"
	"assokit/internal/jobs"
	"assokit/internal/membersync"
	"assokit/internal/nextcloud"
	"assokit/internal/nextcloud/nextcloudtest"
	"assokit/internal/paheko"
	"assokit/internal/paheko/pahekotest"
	"assokit/internal/store"
)

// bridge is a sync service between a fake Nextcloud and a fake Paheko.
type bridge struct {
	svc         *membersync.Service
	nc          *nextcloudtest.Server
	pk          *pahekotest.Server
	st          *store.Store
	key, secret string // the Paheko API key PrepareBridge made
}

// newBridge is newUnsaved with the settings saved by camille, an admin.
func newBridge(t testing.TB, accounts int) *bridge {
	t.Helper()
	b := newUnsaved(t, accounts)
	if err := b.svc.SaveSettings(context.Background(), membersync.SettingsInput{URL: b.pk.URL(), Key: b.key, Secret: b.secret}, "camille"); err != nil {
		t.Fatal(err)
	}
	return b
}

// newUnsaved is a bridge whose settings nobody saved, with the admin
// camille and accounts other accounts.
func newUnsaved(t testing.TB, accounts int) *bridge {
	t.Helper()
	ctx := context.Background()
	nc := nextcloudtest.NewServer(t)
	nc.InstallExApp(nextcloudtest.ExApp{ID: "assokit", Version: "0.1.0", Secret: "test-secret"})
	nc.AddUser(nextcloudtest.User{ID: "camille", DisplayName: "Camille Admin", Email: "camille@asso.example", Groups: []string{"admin"}, Enabled: true})
	for i := range accounts {
		nc.AddUser(nextcloudtest.User{ID: fmt.Sprintf("user%02d", i), DisplayName: fmt.Sprintf("Bénévole %02d", i),
			Email: fmt.Sprintf("user%02d@asso.example", i), Enabled: true})
	}
	pk := pahekotest.NewServer(t)
	b, err := pk.PrepareBridge()
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "assokit.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	client, err := nextcloud.New(nextcloud.Config{BaseURL: nc.URL(), AppID: "assokit", AppSecret: "test-secret", AppVersion: "0.1.0", AAVersion: "32.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := membersync.New(st, client, jobs.New(st, log, jobs.Options{}), nil, log)
	return &bridge{svc: svc, nc: nc, pk: pk, st: st, key: b.Key, secret: b.Secret}
}

// linkedMembers counts members carrying each nextcloud_uid.
func (b *bridge) linkedMembers() map[string]int {
	out := map[string]int{}
	for _, m := range b.pk.Members() {
		if uid, ok := m.Fields["nextcloud_uid"].(string); ok && uid != "" {
			out[uid]++
		}
	}
	return out
}

func TestRunCreatesThenChangesNothing(t *testing.T) {
	b := newBridge(t, 5)
	ctx := context.Background()
	// A member without an account, which must stay as it is.
	loneID, _ := b.pk.AddMember(pahekotest.Member{Fields: map[string]any{"nom": "Adhérente Seule", "email": "seule@asso.example"}})
	lone, _ := b.pk.Member(loneID)

	rep, err := b.svc.Run(ctx, "manual", "camille")
	if err != nil {
		t.Fatal(err)
	}
	// camille has an e-mail no member has, the 5 others too, and "admin" has none.
	if rep.Created != 7 || rep.Failed != 0 {
		t.Fatalf("first run %+v", rep)
	}
	before := b.pk.RequestCount()
	rep, err = b.svc.Run(ctx, "poll", "")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Created+rep.Updated+rep.Adopted+rep.Unlinked+rep.Failed != 0 || rep.Unchanged != 7 {
		t.Fatalf("second run changed something: %+v", rep)
	}
	if n := b.pk.RequestCount() - before; n != 2 {
		t.Errorf("no-op run sent %d requests to Paheko, want 2 (categories, one page of members)", n)
	}
	if after, _ := b.pk.Member(loneID); fmt.Sprint(after) != fmt.Sprint(lone) {
		t.Errorf("a member without account changed: %v → %v", lone, after)
	}
	audit, _ := b.st.Audit(ctx, 100)
	if len(audit) != 7 || audit[0].Result != "ok" || audit[0].Actor != "camille" {
		t.Errorf("audit %+v", audit)
	}
}

func TestRenameAndEmailFollow(t *testing.T) {
	b := newBridge(t, 2)
	ctx := context.Background()
	// user00 has signed in: a rename then is the same account's.
	signedIn := time.Unix(1700000000, 0)
	b.nc.AddUser(nextcloudtest.User{ID: "user00", DisplayName: "Bénévole 00", Email: "user00@asso.example", Enabled: true, LastLogin: signedIn})
	if _, err := b.svc.Run(ctx, "poll", ""); err != nil {
		t.Fatal(err)
	}
	b.nc.AddUser(nextcloudtest.User{ID: "user00", DisplayName: "Bénévole Renommée", Email: "nouvelle@asso.example", Enabled: true, LastLogin: signedIn})
	rep, err := b.svc.Run(ctx, "poll", "")
	if err != nil || rep.Updated != 1 {
		t.Fatalf("run %+v, %v", rep, err)
	}
	for _, m := range b.pk.Members() {
		if m.Fields["nextcloud_uid"] == "user00" && (m.Fields["nom"] != "Bénévole Renommée" || m.Fields["email"] != "nouvelle@asso.example") {
			t.Errorf("member not updated: %v", m.Fields)
		}
	}
}

// A run that stops half-way (Paheko failing) and is run again creates every
// member exactly once, wherever it stopped.
func TestInterruptedRunResumesWithoutDuplicates(t *testing.T) {
	for stopAfter := 2; stopAfter <= 8; stopAfter++ {
		t.Run(fmt.Sprint("stop after ", stopAfter, " requests"), func(t *testing.T) {
			b := newBridge(t, 5)
			ctx := context.Background()
			b.pk.FailAfter(stopAfter, 500, 500, 500) // a create is looked up, then tried again
			_, err := b.svc.Run(ctx, "poll", "")
			if err == nil {
				t.Fatal("the failing run reported success")
			}
			if membersync.ErrorCode(err) != "paheko_unreachable" {
				t.Fatalf("error code %q for %v", membersync.ErrorCode(err), err)
			}
			for range 3 { // the queue runs it again until Paheko answers
				if _, err = b.svc.Run(ctx, "poll", ""); err == nil {
					break
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			for uid, n := range b.linkedMembers() {
				if n != 1 {
					t.Errorf("%s has %d members", uid, n)
				}
			}
			if n := len(b.linkedMembers()); n != 7 {
				t.Errorf("%d accounts have a member, want 7", n)
			}
		})
	}
}

// Paheko creates a member but its answer is lost: AssoKit looks the member
// up by nextcloud_uid before trying again, in the same run or the next.
func TestLostCreateAnswerNeverDuplicates(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(pk *pahekotest.Server)
		runs  int
	}{
		// requests: categories, uid field probe… then the first create is the 3rd.
		{"found again in the same run", func(pk *pahekotest.Server) { pk.LoseAnswers(2, 502) }, 1},
		{"lookup failing too: settled by the next run", func(pk *pahekotest.Server) {
			pk.LoseAnswers(2, 502)
			pk.FailAfter(3, 503)
		}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBridge(t, 2)
			ctx := context.Background()
			tc.setup(b.pk)
			for range tc.runs {
				b.svc.Run(ctx, "poll", "")
			}
			for uid, n := range b.linkedMembers() {
				if n != 1 {
					t.Errorf("%s has %d members", uid, n)
				}
			}
			links, _ := b.st.PahekoLinks(ctx)
			if len(links) != 4 || len(b.linkedMembers()) != 4 {
				t.Errorf("%d links, %d members with a uid; want 4", len(links), len(b.linkedMembers()))
			}
		})
	}
}

// A deleted account's member loses its nextcloud_uid, and a new account
// with the same uid never takes it over: within one run (the deletion not
// seen) and across runs, and when the former account never signed in (the
// new one has, while AssoKit was down).
func TestReusedUIDNeverTakesOverAMember(t *testing.T) {
	first := time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		seeDelete bool
		first     time.Time // the former account's first sign-in; zero: never
	}{{"deletion seen by a run", true, first}, {"deleted and re-created between two runs", false, first},
		{"the former account never signed in", false, time.Time{}}} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBridge(t, 0)
			ctx := context.Background()
			b.nc.AddUser(nextcloudtest.User{ID: "nathan", DisplayName: "Nathan Leroux", Email: "nathan@asso.example",
				Enabled: true, LastLogin: tc.first, FirstLogin: tc.first})
			if _, err := b.svc.Run(ctx, "poll", ""); err != nil {
				t.Fatal(err)
			}
			oldID := b.memberOf(t, "nathan")
			b.nc.DeleteUser("nathan")
			if tc.seeDelete {
				if _, err := b.svc.Run(ctx, "poll", ""); err != nil {
					t.Fatal(err)
				}
			}
			later := first.Add(24 * time.Hour)
			b.nc.AddUser(nextcloudtest.User{ID: "nathan", DisplayName: "Nathan Petit", Email: "n.petit@asso.example", Enabled: true,
				LastLogin: later, FirstLogin: later})
			if _, err := b.svc.Run(ctx, "poll", ""); err != nil {
				t.Fatal(err)
			}
			old, _ := b.pk.Member(oldID)
			if old.Fields["nextcloud_uid"] != nil || old.Fields["nom"] != "Nathan Leroux" {
				t.Errorf("the departed member: %v", old.Fields)
			}
			if id := b.memberOf(t, "nathan"); id == oldID {
				t.Error("the new account took over the departed person's member")
			}
			audit, _ := b.st.Audit(ctx, 100)
			found := false
			for _, e := range audit {
				if e.Action == "unlink" && e.MemberID == oldID && strings.Contains(e.Detail, "nextcloud_uid cleared") {
					found = true
				}
			}
			if !found {
				t.Errorf("the unlink is not in the audit log: %+v", audit)
			}
		})
	}
}

// memberOf returns the id of the member linked to uid.
func (b *bridge) memberOf(t *testing.T, uid string) int {
	t.Helper()
	links, _ := b.st.PahekoLinks(context.Background())
	for _, l := range links {
		if l.UID == uid {
			return l.MemberID
		}
	}
	t.Fatalf("%s has no link", uid)
	return 0
}

// An account whose e-mail is an existing member's waits as a proposal; an
// admin confirms one (linked, uid written) and refuses another (a new
// member, never proposed again); both are in the audit log.
func TestProposalsConfirmedAndRefused(t *testing.T) {
	b := newBridge(t, 0)
	ctx := context.Background()
	b.nc.AddUser(nextcloudtest.User{ID: "jeanne", DisplayName: "Jeanne Dupont", Email: "jeanne@asso.example", Enabled: true})
	b.nc.AddUser(nextcloudtest.User{ID: "eve", DisplayName: "Eve", Email: "tresor@asso.example", Enabled: true})
	jeanneID, _ := b.pk.AddMember(pahekotest.Member{Fields: map[string]any{"nom": "DUPONT Jeanne", "email": "jeanne@asso.example"}})
	tresorID, _ := b.pk.AddMember(pahekotest.Member{Fields: map[string]any{"nom": "Trésorière", "email": "tresor@asso.example"}})
	for range 2 { // waiting is not an error, run after run
		rep, err := b.svc.Run(ctx, "poll", "")
		if err != nil || rep.Failed != 0 || rep.Proposals != 2 || rep.Waiting != 2 || rep.Adopted != 0 {
			t.Fatalf("run %+v, %v", rep, err)
		}
	}
	if _, err := b.svc.Answer(ctx, "jeanne", jeanneID, true, "camille"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Answer(ctx, "eve", tresorID, false, "camille"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Answer(ctx, "eve", tresorID, true, "camille"); !errors.Is(err, membersync.ErrNoProposal) {
		t.Errorf("answering a refused proposal again: %v", err)
	}
	if m, _ := b.pk.Member(jeanneID); m.Fields["nextcloud_uid"] != "jeanne" {
		t.Errorf("confirmed member: %v", m.Fields)
	}
	if m, _ := b.pk.Member(tresorID); m.Fields["nextcloud_uid"] != nil {
		t.Errorf("refused member was touched: %v", m.Fields)
	}
	if id := b.memberOf(t, "eve"); id == tresorID {
		t.Error("eve got the treasurer's member")
	}
	plan, err := b.svc.Preview(ctx)
	if err != nil || len(plan.Proposals) != 0 {
		t.Errorf("proposals after the answers: %+v, %v", plan.Proposals, err)
	}
	audit, _ := b.st.Audit(ctx, 100)
	kinds := map[string]string{}
	for _, e := range audit {
		kinds[e.Action+" "+e.UID] = e.Actor
	}
	for _, k := range []string{"confirm jeanne", "adopt jeanne", "refuse eve", "create eve"} {
		if kinds[k] != "camille" {
			t.Errorf("audit lacks %q by camille: %v", k, kinds)
		}
	}
}

// Two new accounts with one name in one run: both get a member, the second
// forced (capture 58), none reported as a failure. Two more with the name
// of a member no account has: proposals, nothing created.
func TestHomonymsInOneRun(t *testing.T) {
	b := newBridge(t, 0)
	ctx := context.Background()
	b.nc.AddUser(nextcloudtest.User{ID: "jd1", DisplayName: "Jean Dupont", Email: "jd1@asso.example", Enabled: true})
	b.nc.AddUser(nextcloudtest.User{ID: "jd2", DisplayName: "Jean Dupont", Email: "jd2@asso.example", Enabled: true})
	rep, err := b.svc.Run(ctx, "poll", "")
	if err != nil || rep.Created != 4 || rep.Failed != 0 { // with camille and admin
		t.Fatalf("run %+v, %v", rep, err)
	}
	if n := len(b.linkedMembers()); n != 4 {
		t.Errorf("%d members, want 4", n)
	}
	b.pk.AddMember(pahekotest.Member{Fields: map[string]any{"nom": "Marie Curie"}})
	b.nc.AddUser(nextcloudtest.User{ID: "mc1", DisplayName: "Marie Curie", Email: "mc1@asso.example", Enabled: true})
	b.nc.AddUser(nextcloudtest.User{ID: "mc2", DisplayName: "Marie Curie", Email: "mc2@asso.example", Enabled: true})
	rep, err = b.svc.Run(ctx, "poll", "")
	if err != nil || rep.Created != 0 || rep.Failed != 0 || rep.Proposals != 2 {
		t.Fatalf("run %+v, %v", rep, err)
	}
}

// An account with the e-mail of Paheko's admin member: said once, never
// linked (Paheko refuses to write its nextcloud_uid), never counted done.
func TestAdminMemberReportedOnce(t *testing.T) {
	b := newBridge(t, 0)
	ctx := context.Background()
	// camille already is Paheko's admin member (category 3, protected).
	b.pk.SetMemberField(1, "email", "camille@asso.example")
	b.nc.AddUser(nextcloudtest.User{ID: "camille", DisplayName: "Camille B.", Email: "camille@asso.example", Groups: []string{"admin"}, Enabled: true})
	counts := []int{}
	for range 3 {
		rep, err := b.svc.Run(ctx, "poll", "")
		if err != nil || rep.Failed != 0 || rep.Waiting != 1 || rep.Adopted != 0 {
			t.Fatal(rep, err)
		}
		n := 0
		for _, no := range rep.Notices {
			if no.Code == membersync.NoticeProtectedEmail {
				n++
			}
		}
		counts = append(counts, n)
	}
	if m, _ := b.pk.Member(1); m.Fields["nom"] != "Admin" {
		t.Errorf("the admin member was changed: %v", m.Fields)
	}
	if fmt.Sprint(counts) != "[1 0 0]" {
		t.Errorf("protected notices per run %v, want [1 0 0]", counts)
	}
	// The preview still shows who waits, and why, after the notice was reported.
	if plan, err := b.svc.Preview(ctx); err != nil || len(plan.Held) != 1 || plan.Held[0].Code != membersync.NoticeProtectedEmail {
		t.Errorf("preview held %+v, %v", plan.Held, err)
	}
}

func TestPahekoDownChangesNothing(t *testing.T) {
	b := newBridge(t, 2)
	ctx := context.Background()
	b.pk.FailNext(503)
	if _, err := b.svc.Run(ctx, "poll", ""); membersync.ErrorCode(err) != "paheko_unreachable" {
		t.Fatalf("error %v", err)
	}
	if links, _ := b.st.PahekoLinks(ctx); len(links) != 0 || len(b.linkedMembers()) != 0 {
		t.Errorf("something changed: %d links", len(links))
	}
	runs, _ := b.st.PahekoRuns(ctx, 5)
	if len(runs) != 1 || runs[0].State != "failed" || runs[0].Error != "paheko_unreachable" {
		t.Errorf("runs %+v", runs)
	}
}

func TestCheckPreparedPaheko(t *testing.T) {
	b := newBridge(t, 1)
	setup := b.svc.Check(context.Background())
	if setup.Error != "" || !setup.MatchUID || len(setup.Categories) != 4 {
		t.Fatalf("setup %+v", setup)
	}
	for _, it := range setup.Items {
		if it.Status != "ok" && it.Status != "info" {
			t.Errorf("%s %s: %s", it.Code, it.Category, it.Status)
		}
	}
	if setup.Problem != "" {
		t.Errorf("problem %q on a prepared Paheko", setup.Problem)
	}
	snippet := paheko.Snippet(paheko.SnippetParams{ClientURL: "https://nc.example/oidc", ClientID: "paheko", ClientSecret: "s3cret",
		Categories: setup.Categories, MatchUID: true})
	for _, want := range []string{"'compta' => 12", "$session->logout();", "throw new UserException", "canLogin()",
		"set('id_category'", "->save();", "nextcloud_uid = ?", "OIDC_CLIENT_MATCH_EMAIL = false"} {
		if !strings.Contains(snippet, want) {
			t.Errorf("snippet lacks %q", want)
		}
	}
}

func TestCheckReadKeyAndMissingParts(t *testing.T) {
	b := newBridge(t, 1)
	ctx := context.Background()
	b.pk.AddKey("reader", "reader-secret-1", pahekotest.LevelRead)
	if err := b.svc.SaveSettings(ctx, membersync.SettingsInput{URL: b.pk.URL(), Key: "reader", Secret: "reader-secret-1"}, "camille"); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, it := range b.svc.Check(ctx).Items {
		got[it.Code] = it.Status
	}
	if got["key_write"] != "wrong" || got["connection"] != "ok" {
		t.Errorf("check with a read key: %v", got)
	}
	if err := b.svc.SaveSettings(ctx, membersync.SettingsInput{URL: b.pk.URL(), Key: "reader", Secret: "wrong"}, "camille"); err != nil {
		t.Fatal(err)
	}
	if e := b.svc.Check(ctx).Error; e != "paheko_refused" {
		t.Errorf("wrong secret: %q", e)
	}
}

// TestSecretStaysWithItsServer changes only the address: the stored secret
// is never sent to the new host.
func TestSecretStaysWithItsServer(t *testing.T) {
	b := newBridge(t, 1)
	ctx := context.Background()
	other := pahekotest.NewServer(t) // another host: another port of the loopback
	keyOf := func() string { k, _ := b.svc.Settings(ctx); return k.Key }

	// The same server written another way keeps the secret (and the
	// category for new members is checked with it).
	memberCategory := 10 + len(paheko.RoleCategories) // PrepareBridge's numbering
	if err := b.svc.SaveSettings(ctx, membersync.SettingsInput{URL: b.pk.URL() + "/", Key: keyOf(), Category: memberCategory}, "camille"); err != nil {
		t.Fatal(err)
	}
	if st, _ := b.svc.Settings(ctx); !st.HasSecret {
		t.Fatal("the secret was dropped for the same server")
	}

	if err := b.svc.SaveSettings(ctx, membersync.SettingsInput{URL: other.URL(), Key: keyOf(), Category: memberCategory}, "camille"); err != nil {
		t.Fatal(err)
	}
	if st, _ := b.svc.Settings(ctx); st.HasSecret || st.Configured() {
		t.Errorf("settings after moving to another host: %+v", st)
	}
	if e := b.svc.Check(ctx).Error; e != "paheko_not_configured" {
		t.Errorf("check after moving to another host: %q", e)
	}
	if _, err := b.svc.Run(ctx, "poll", ""); err == nil {
		t.Error("a sync ran without a secret")
	}
	if n := other.RequestCount(); n != 0 {
		t.Errorf("the new host got %d requests before its secret was entered", n)
	}
}

// TestHostSecretStaysWithItsServer: a secret the host set is the host's to
// change; the page cannot lead it to another server.
func TestHostSecretStaysWithItsServer(t *testing.T) {
	b := newBridge(t, 1)
	ctx := context.Background()
	other := pahekotest.NewServer(t)
	if err := b.svc.UseHosted(membersync.Hosted{Secret: b.secret}); err != nil {
		t.Fatal(err)
	}
	in := b.settings()
	in.URL, in.Secret = other.URL(), ""
	if err := b.svc.SaveSettings(ctx, in, "camille"); !errors.Is(err, membersync.ErrHostSecretElsewhere) {
		t.Errorf("moving the host's secret to another server: %v", err)
	}
	if st, _ := b.svc.Settings(ctx); st.URL != b.pk.URL() || !st.HasSecret {
		t.Errorf("settings after the refusal: %+v", st)
	}
	b.svc.Check(ctx)
	if n := other.RequestCount(); n != 0 {
		t.Errorf("the other server got %d requests", n)
	}
}

// Each outcome of the check names its problem with a code the page
// translates (js/src/l10n.js), and the admin by name when it is them.
func TestCheckOutcomes(t *testing.T) {
	l10n, err := os.ReadFile("../../js/src/l10n.js")
	if err != nil {
		t.Fatal(err)
	}
	notPaheko := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, "<html><body>Not found</body></html>")
	}))
	defer notPaheko.Close()
	aPage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<!DOCTYPE html><title>Mon site</title>")
	}))
	defer aPage.Close()
	for _, tc := range []struct {
		name    string
		prepare func(b *bridge) membersync.SettingsInput
		problem string
	}{
		{"ready", func(b *bridge) membersync.SettingsInput { return b.settings() }, ""},
		{"an address that is not a Paheko (404 page)", func(b *bridge) membersync.SettingsInput {
			in := b.settings()
			in.URL = notPaheko.URL
			return in
		}, "paheko_not_paheko"},
		{"an address that is not a Paheko (a web page)", func(b *bridge) membersync.SettingsInput {
			in := b.settings()
			in.URL = aPage.URL
			return in
		}, "paheko_not_paheko"},
		{"nothing answers", func(b *bridge) membersync.SettingsInput {
			in := b.settings()
			in.URL = "http://127.0.0.1:1"
			return in
		}, "paheko_unreachable"},
		{"wrong secret", func(b *bridge) membersync.SettingsInput {
			in := b.settings()
			in.Secret = "wrong"
			return in
		}, "paheko_refused"},
		{"read-only key", func(b *bridge) membersync.SettingsInput {
			b.pk.AddKey("reader", "reader-secret-1", pahekotest.LevelRead)
			in := b.settings()
			in.Key, in.Secret = "reader", "reader-secret-1"
			return in
		}, membersync.ProblemKeyReadOnly},
		{"a role category missing", func(b *bridge) membersync.SettingsInput {
			b.pk.AddCategory(pahekotest.Category{ID: 40, Name: "Autre"})
			b.pk.RenameCategory(11, "Compta")
			return b.settings()
		}, membersync.ProblemCategories},
		{"the admin is no longer one", func(b *bridge) membersync.SettingsInput {
			b.nc.AddUser(nextcloudtest.User{ID: "camille", DisplayName: "Camille Martin", Email: "camille@asso.example", Enabled: true})
			return b.settings()
		}, membersync.ProblemNoAdmin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBridge(t, 0)
			ctx := context.Background()
			if err := b.svc.SaveSettings(ctx, tc.prepare(b), "camille"); err != nil {
				t.Fatal(err)
			}
			setup := b.svc.Check(ctx)
			if setup.Problem != tc.problem {
				t.Fatalf("problem %q, want %q (%+v)", setup.Problem, tc.problem, setup)
			}
			if tc.problem != "" && !strings.Contains(string(l10n), "\t\t"+tc.problem+":") {
				t.Errorf("the page has no text for %q", tc.problem)
			}
			if tc.problem == membersync.ProblemNoAdmin {
				for _, it := range setup.Items {
					if it.Code == "acting_admin" && it.Name != "Camille Martin" {
						t.Errorf("the admin is not named: %+v", it)
					}
				}
			}
		})
	}
}

// settings are the bridge's working settings.
func (b *bridge) settings() membersync.SettingsInput {
	return membersync.SettingsInput{URL: b.pk.URL(), Key: b.key, Secret: b.secret}
}

// A confirmation holds for the account an admin answered for, not for
// another one given the same uid before the link was made (Paheko did not
// answer, AssoKit was down): that one gets its own member.
func TestConfirmationNotInheritedByAReusedUID(t *testing.T) {
	b := newBridge(t, 0)
	ctx := context.Background()
	b.nc.AddUser(nextcloudtest.User{ID: "jeanne", DisplayName: "Jeanne Dupont", Email: "jeanne@asso.example", Enabled: true})
	jeanneID, _ := b.pk.AddMember(pahekotest.Member{Fields: map[string]any{"nom": "DUPONT Jeanne", "email": "jeanne@asso.example"}})
	if _, err := b.svc.Run(ctx, "poll", ""); err != nil {
		t.Fatal(err)
	}
	b.pk.FailAfter(2, 503) // the confirmation is recorded, the link is not made
	if _, err := b.svc.Answer(ctx, "jeanne", jeanneID, true, "camille"); membersync.ErrorCode(err) != "paheko_unreachable" {
		t.Fatalf("answer while Paheko is down: %v", err)
	}
	b.nc.DeleteUser("jeanne")
	b.nc.AddUser(nextcloudtest.User{ID: "jeanne", DisplayName: "Jeanne Petit", Email: "j.petit@asso.example", Enabled: true})
	if _, err := b.svc.Run(ctx, "poll", ""); err != nil {
		t.Fatal(err)
	}
	if id := b.memberOf(t, "jeanne"); id == jeanneID {
		t.Error("the new account took the member confirmed for the former one")
	}
	if m, _ := b.pk.Member(jeanneID); m.Fields["nextcloud_uid"] != nil {
		t.Errorf("the confirmed member was written for another account: %v", m.Fields)
	}
}

// A run cut at any request, Paheko having done the work or not, then
// resumed: every account has one member, the one carrying its uid and its
// e-mail, and nothing is created twice.
func TestRunCutAtEveryRequest(t *testing.T) {
	for _, lose := range []bool{false, true} {
		for cut := 0; cut <= 16; cut++ {
			t.Run(fmt.Sprint("lose answer ", lose, ", cut at request ", cut+1), func(t *testing.T) {
				b := newBridge(t, 3)
				ctx := context.Background()
				b.nc.AddUser(nextcloudtest.User{ID: "jd1", DisplayName: "Jean Dupont", Email: "jd1@asso.example", Enabled: true})
				b.nc.AddUser(nextcloudtest.User{ID: "jd2", DisplayName: "Jean Dupont", Email: "jd2@asso.example", Enabled: true})
				if lose {
					b.pk.LoseAnswers(cut, 502)
				} else {
					b.pk.FailAfter(cut, 500)
				}
				var err error
				for range 4 {
					if _, err = b.svc.Run(ctx, "poll", ""); err == nil {
						break
					}
				}
				if err != nil {
					t.Fatal(err)
				}
				links, _ := b.st.PahekoLinks(ctx)
				if len(links) != 7 {
					t.Errorf("%d links, want 7", len(links))
				}
				for _, l := range links {
					m, err := b.pk.Member(l.MemberID)
					if err != nil || m.Fields["nextcloud_uid"] != l.UID {
						t.Errorf("%s linked to member %d: %v", l.UID, l.MemberID, m.Fields)
					}
				}
				for uid, n := range b.linkedMembers() {
					if n != 1 {
						t.Errorf("%s has %d members", uid, n)
					}
				}
				if n := len(b.pk.Members()); n != 8 { // the 7 accounts' and Paheko's admin
					t.Errorf("%d members in Paheko, want 8", n)
				}
			})
		}
	}
}

// The category of new members is checked when saved: one Paheko has,
// without admin rights. A secret never given reads "enter the key", not
// "wrong category".
func TestSaveSettingsChecksTheCategory(t *testing.T) {
	b := newUnsaved(t, 0)
	ctx := context.Background()
	pc, err := paheko.New(paheko.Config{URL: b.pk.URL(), Key: b.key, Secret: b.secret})
	if err != nil {
		t.Fatal(err)
	}
	cats, err := pc.Categories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var member, admin int
	for _, c := range cats {
		switch {
		case c.Name == paheko.MemberCategory.Name:
			member = c.ID
		case c.Protected() && admin == 0:
			admin = c.ID
		}
	}
	if member == 0 || admin == 0 {
		t.Fatalf("categories %+v", cats)
	}
	in := func(secret string, category int) membersync.SettingsInput {
		return membersync.SettingsInput{URL: b.pk.URL(), Key: b.key, Secret: secret, Category: category}
	}
	for _, tc := range []struct {
		name string
		in   membersync.SettingsInput
		want string
	}{
		{"unknown category", in(b.secret, 999), "paheko_category_invalid"},
		{"admin category", in(b.secret, admin), "paheko_category_invalid"},
		{"no secret given yet", in("", member), "paheko_not_configured"},
		{"the members' category", in(b.secret, member), ""},
	} {
		err := b.svc.SaveSettings(ctx, tc.in, "camille")
		if (tc.want == "" && err != nil) || (tc.want != "" && !errcode.Is(err, tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}
