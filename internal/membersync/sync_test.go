package membersync_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

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
	svc *membersync.Service
	nc  *nextcloudtest.Server
	pk  *pahekotest.Server
	st  *store.Store
}

func newBridge(t testing.TB, accounts int) *bridge {
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
	if err := svc.SaveSettings(ctx, membersync.SettingsInput{URL: pk.URL(), Key: b.Key, Secret: b.Secret}, "camille"); err != nil {
		t.Fatal(err)
	}
	return &bridge{svc: svc, nc: nc, pk: pk, st: st}
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
	if _, err := b.svc.Run(ctx, "poll", ""); err != nil {
		t.Fatal(err)
	}
	b.nc.AddUser(nextcloudtest.User{ID: "user00", DisplayName: "Bénévole Renommée", Email: "nouvelle@asso.example", Enabled: true})
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
			b.pk.FailAfter(stopAfter, 500)
			_, err := b.svc.Run(ctx, "poll", "")
			if err == nil {
				t.Fatal("the failing run reported success")
			}
			if membersync.ErrorCode(err) != "paheko_unreachable" {
				t.Fatalf("error code %q for %v", membersync.ErrorCode(err), err)
			}
			if _, err := b.svc.Run(ctx, "poll", ""); err != nil {
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

// A crash after Paheko created a member but before AssoKit saved the link:
// the next run finds the member by its nextcloud_uid and adopts it.
func TestLostLinksAreFoundAgain(t *testing.T) {
	b := newBridge(t, 3)
	ctx := context.Background()
	if _, err := b.svc.Run(ctx, "poll", ""); err != nil {
		t.Fatal(err)
	}
	links, _ := b.st.PahekoLinks(ctx)
	for _, l := range links {
		b.st.DeletePahekoLink(ctx, l.UID)
	}
	rep, err := b.svc.Run(ctx, "poll", "")
	if err != nil || rep.Created != 0 || rep.Adopted != len(links) {
		t.Fatalf("run %+v, %v", rep, err)
	}
}

func TestAdminMemberReportedOnce(t *testing.T) {
	b := newBridge(t, 0)
	ctx := context.Background()
	// camille already is Paheko's admin member (category 3, protected).
	b.pk.SetMemberField(1, "email", "camille@asso.example")
	b.nc.AddUser(nextcloudtest.User{ID: "camille", DisplayName: "Camille B.", Email: "camille@asso.example", Groups: []string{"admin"}, Enabled: true})
	counts := []int{}
	for range 3 {
		rep, err := b.svc.Run(ctx, "poll", "")
		if err != nil || rep.Failed != 0 {
			t.Fatal(rep, err)
		}
		n := 0
		for _, no := range rep.Notices {
			if no.Code == membersync.NoticeProtected {
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
		if it.Status != "ok" {
			t.Errorf("%s %s: %s", it.Code, it.Category, it.Status)
		}
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

	// The same server written another way keeps the secret.
	if err := b.svc.SaveSettings(ctx, membersync.SettingsInput{URL: b.pk.URL() + "/", Key: keyOf()}, "camille"); err != nil {
		t.Fatal(err)
	}
	if st, _ := b.svc.Settings(ctx); !st.HasSecret {
		t.Fatal("the secret was dropped for the same server")
	}

	if err := b.svc.SaveSettings(ctx, membersync.SettingsInput{URL: other.URL(), Key: keyOf()}, "camille"); err != nil {
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
