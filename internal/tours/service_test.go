package tours

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"assokit/internal/nextcloud"
	"assokit/internal/nextcloud/nextcloudtest"
	"assokit/internal/store"
)

type lab struct {
	nc     *nextcloudtest.Server
	client *nextcloud.Client
	st     *store.Store
	svc    *Service
}

func newLab(t *testing.T) *lab {
	t.Helper()
	nc := nextcloudtest.NewServer(t)
	nc.InstallExApp(nextcloudtest.ExApp{ID: "assokit", Version: "0.1.0", Secret: "test-secret"})
	nc.AddUser(nextcloudtest.User{ID: "camille", DisplayName: "Camille", Groups: []string{"admin"}, Enabled: true, Language: "fr"})
	nc.AddUser(nextcloudtest.User{ID: "lea", DisplayName: "Léa", Groups: []string{"paheko_membres"}, Enabled: true, Language: "fr"})
	nc.AddUser(nextcloudtest.User{ID: "tom", DisplayName: "Tom", Enabled: true, Language: "en"})
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "assokit.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	client, err := nextcloud.New(nextcloud.Config{BaseURL: nc.URL(), AppID: "assokit", AppSecret: "test-secret",
		AppVersion: "0.1.0", Retries: -1, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(st, client, slog.New(slog.NewTextHandler(io.Discard, nil)),
		Options{Association: func(context.Context) string { return "Les Jardins Partagés" }})
	if err != nil {
		t.Fatal(err)
	}
	return &lab{nc: nc, client: client, st: st, svc: svc}
}

func ids(tours []Tour) []string {
	var out []string
	for _, t := range tours {
		out = append(out, t.ID)
	}
	return out
}

func TestProgressPerMember(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	lea := Member{UID: "lea", Lang: "fr", Groups: []string{"paheko_membres"}}
	tom := Member{UID: "tom", Lang: "en_GB"}

	steps := []struct {
		uid, tour string
		p         store.TourProgress
		wantErr   error
	}{
		{"lea", "files", store.TourProgress{State: "done", Step: 7}, nil},
		{"lea", "calendar", store.TourProgress{State: "skipped", Step: 2}, nil},
		{"tom", "files", store.TourProgress{State: "skipped", Step: 0}, nil},
		{"lea", "files", store.TourProgress{State: "skipped", Step: 1}, nil}, // replayed and left: stays done
		{"lea", "nope", store.TourProgress{State: "done"}, ErrUnknownTour},
		{"lea", "files", store.TourProgress{State: "started"}, ErrInvalidInput},
		{"lea", "files", store.TourProgress{State: "done", Step: 8}, ErrInvalidInput},
		{"lea", "association", store.TourProgress{State: "done"}, ErrUnknownTour}, // not written yet
	}
	for _, s := range steps {
		if err := l.svc.SaveProgress(ctx, s.uid, s.tour, s.p); !errors.Is(err, s.wantErr) {
			t.Fatalf("SaveProgress(%s, %s, %+v) = %v, want %v", s.uid, s.tour, s.p, err, s.wantErr)
		}
	}
	got, err := l.svc.List(ctx, lea)
	if err != nil {
		t.Fatal(err)
	}
	if p := got.Progress["files"]; p.State != "done" || p.Step != 1 {
		t.Errorf("lea files = %+v, want done at step 1", p)
	}
	if p := got.Progress["calendar"]; p.State != "skipped" || p.Step != 2 {
		t.Errorf("lea calendar = %+v", p)
	}
	if got.Tours[0].Title != "Tableau de bord" || !got.Offer {
		t.Errorf("lea: first tour %q, offer %v", got.Tours[0].Title, got.Offer)
	}
	if ids(got.Tours)[len(got.Tours)-1] != "paheko" {
		t.Errorf("a member of paheko_membres should get the Paheko tour: %v", ids(got.Tours))
	}

	// Tom sees only his own progress, in English, and no Paheko tour.
	if err := l.svc.SetOffer(ctx, "tom", false); err != nil {
		t.Fatal(err)
	}
	got, err = l.svc.List(ctx, tom)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Progress) != 1 || got.Progress["files"].State != "skipped" {
		t.Errorf("tom's progress = %+v", got.Progress)
	}
	if got.Tours[0].Title != "Dashboard" || got.Offer {
		t.Errorf("tom: first tour %q, offer %v", got.Tours[0].Title, got.Offer)
	}
	for _, id := range ids(got.Tours) {
		if id == "paheko" {
			t.Error("tom is in no Paheko group but gets the Paheko tour")
		}
	}
	// Lea's choice is hers.
	if got, _ := l.svc.List(ctx, lea); !got.Offer {
		t.Error("tom's choice changed lea's")
	}
}

func TestAdminSettings(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	custom := CustomTour{Enabled: true, Title: " Bienvenue aux Jardins ", Page: "/index.php/apps/files/",
		Steps: []CustomStep{{Title: "Nos dossiers", Body: "Les comptes rendus sont dans « Bureau »."}, {Title: "Qui contacter", Body: "Écrivez à Camille."}}}
	if err := l.svc.SaveAdmin(ctx, AdminSettings{Enabled: map[string]bool{"deck": false}, Custom: custom}); err != nil {
		t.Fatal(err)
	}
	got, err := l.svc.List(ctx, Member{UID: "tom", Lang: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	list := ids(got.Tours)
	if list[0] != CustomID || got.Tours[0].Title != "Bienvenue aux Jardins" || len(got.Tours[0].Steps) != 2 {
		t.Fatalf("the association tour should come first, trimmed: %v %+v", list, got.Tours[0])
	}
	for _, id := range list {
		if id == "deck" {
			t.Error("deck is switched off but listed")
		}
	}
	if err := l.svc.SaveProgress(ctx, "tom", CustomID, store.TourProgress{State: "done", Step: 1}); err != nil {
		t.Fatal(err)
	}
	v, err := l.svc.Admin(ctx, "en")
	if err != nil {
		t.Fatal(err)
	}
	if v.Enabled["deck"] || !v.Enabled["files"] || len(v.Tours) != 8 || v.Custom.Title != "Bienvenue aux Jardins" {
		t.Errorf("admin view = %+v", v.Enabled)
	}

	bad := []CustomTour{
		{Enabled: true, Title: "", Steps: custom.Steps},
		{Enabled: true, Title: "x", Page: "https://evil.example/", Steps: custom.Steps},
		{Enabled: true, Title: "x", Steps: nil},
		{Enabled: true, Title: "x", Steps: make([]CustomStep, 9)},
		{Enabled: true, Title: "x", Steps: []CustomStep{{Title: "t", Body: " "}}},
	}
	for i, c := range bad {
		if err := l.svc.SaveAdmin(ctx, AdminSettings{Custom: c}); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("bad tour %d saved: %v", i, err)
		}
	}
	if err := l.svc.SaveAdmin(ctx, AdminSettings{Enabled: map[string]bool{"nope": true}}); !errors.Is(err, ErrUnknownTour) {
		t.Errorf("unknown tour switched: %v", err)
	}
	// A refused save changed nothing.
	if v, _ := l.svc.Admin(ctx, "fr"); v.Enabled["deck"] || v.Custom.Title != "Bienvenue aux Jardins" {
		t.Error("a refused save changed the settings")
	}
}

func welcomes(nc *nextcloudtest.Server) map[string][]nextcloudtest.Notification {
	out := map[string][]nextcloudtest.Notification{}
	for _, n := range nc.Notifications() {
		if n.ObjectID == "welcome-"+n.User {
			out[n.User] = append(out[n.User], n)
		}
	}
	return out
}

func TestWelcomeOncePerNewAccount(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()

	// First start: the three existing accounts are recorded, never welcomed.
	if err := l.svc.Welcome(ctx); err != nil {
		t.Fatal(err)
	}
	if w := welcomes(l.nc); len(w) != 0 {
		t.Fatalf("existing accounts welcomed at first start: %v", w)
	}

	l.nc.AddUser(nextcloudtest.User{ID: "zoe", DisplayName: "Zoé", Enabled: true, Language: "fr"})
	l.nc.AddUser(nextcloudtest.User{ID: "sam", DisplayName: "Sam", Enabled: true, Language: "en"})
	l.nc.AddUser(nextcloudtest.User{ID: "off", DisplayName: "Off", Enabled: false, Language: "fr"})
	l.nc.AddUser(nextcloudtest.User{ID: "quiet", DisplayName: "Quiet", Enabled: true})
	if err := l.svc.SetOffer(ctx, "quiet", false); err != nil {
		t.Fatal(err)
	}
	for range 3 { // polls again and again: still once
		if err := l.svc.Welcome(ctx); err != nil {
			t.Fatal(err)
		}
	}
	w := welcomes(l.nc)
	if len(w) != 2 || len(w["zoe"]) != 1 || len(w["sam"]) != 1 {
		t.Fatalf("welcomes = %v, want one for zoe and one for sam", w)
	}
	if got := w["zoe"][0]; got.Subject != "Bienvenue sur le Nextcloud de Les Jardins Partagés !" || got.Link == "" {
		t.Errorf("zoe's welcome = %q, link %q", got.Subject, got.Link)
	}
	if got := w["sam"][0]; got.Subject != "Welcome to Les Jardins Partagés's Nextcloud!" {
		t.Errorf("sam's welcome = %q", got.Subject)
	}

	// A disabled account is welcomed once enabled; Nextcloud failing keeps
	// the welcome pending.
	l.nc.SetFault(func(r *http.Request) (int, time.Duration) {
		if strings.HasSuffix(r.URL.Path, "/apps/app_api/api/v1/notification") {
			return http.StatusServiceUnavailable, 0
		}
		return 0, 0
	})
	if err := l.client.As("camille").SetAccountEnabled(ctx, "off", true); err != nil {
		t.Fatal(err)
	}
	if err := l.svc.Welcome(ctx); err == nil {
		t.Error("a failed notification should be reported")
	}
	l.nc.SetFault(nil)
	if err := l.svc.Welcome(ctx); err != nil {
		t.Fatal(err)
	}
	if w := welcomes(l.nc); len(w["off"]) != 1 || len(w) != 3 {
		t.Errorf("after enabling: %v", w)
	}
}
