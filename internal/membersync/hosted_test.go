package membersync_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"assokit/internal/membersync"
	"assokit/internal/nextcloud/nextcloudtest"
)

// TestHostedSettings: what the host provisioned is used, shown as set by
// the host (the address yes, the key and the secret never), and kept when
// an admin saves; an invalid value is refused with the field it is about.
func TestHostedSettings(t *testing.T) {
	ctx := context.Background()
	t.Run("valid", func(t *testing.T) {
		b := newUnsaved(t, 2)
		if err := b.svc.UseHosted(membersync.Hosted{URL: " " + b.pk.URL() + " ", Key: b.key, Secret: b.secret}); err != nil {
			t.Fatal(err)
		}
		st, err := b.svc.Settings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Configured() || st.URL != b.pk.URL() || !slices.Equal(st.Hosted, []string{"url", "key", "secret"}) || st.HostError != "" {
			t.Fatalf("Settings() = %+v", st)
		}
		out, _ := json.Marshal(st)
		if strings.Contains(string(out), b.key) || strings.Contains(string(out), b.secret) || !strings.Contains(string(out), b.pk.URL()) {
			t.Errorf("the admin page would read %s", out)
		}
		// An admin saves other values: the host's stay; the interval is the admin's.
		if err := b.svc.SaveSettings(ctx, membersync.SettingsInput{URL: "https://elsewhere.example", Key: "other", Secret: "other", IntervalSeconds: 120}, "camille"); err != nil {
			t.Fatal(err)
		}
		st, _ = b.svc.Settings(ctx)
		if st.URL != b.pk.URL() || st.Key != b.key || st.Interval.Seconds() != 120 {
			t.Errorf("after a save, Settings() = %+v", st)
		}
		if _, err := b.svc.Run(ctx, "test", "camille"); err != nil {
			t.Errorf("Run() with the host's settings = %v", err)
		}
	})
	for _, tc := range []struct {
		name  string
		h     membersync.Hosted
		field string
	}{
		{"address", membersync.Hosted{URL: "ftp://paheko.example", Key: "k", Secret: "s"}, "url"},
		{"key", membersync.Hosted{Key: "Clé AssoKit"}, "key"},
		{"category", membersync.Hosted{Category: "membres"}, "category"},
		{"negative category", membersync.Hosted{Category: "-2"}, "category"},
	} {
		t.Run("invalid "+tc.name, func(t *testing.T) {
			b := newBridge(t, 1)
			err := b.svc.UseHosted(tc.h)
			if !errors.Is(err, membersync.ErrHostedInvalid) {
				t.Fatalf("UseHosted() = %v", err)
			}
			st, _ := b.svc.Settings(ctx)
			if st.HostError != membersync.ErrHostedInvalid.Code() || st.HostErrorField != tc.field || st.URL != b.pk.URL() {
				t.Errorf("Settings() = %+v: the error is shown and the saved settings stay", st)
			}
		})
	}
}

// TestActingAdmin: the admin the host named, else the one who saved the
// settings, else the first enabled member of admin, looked for at each run.
func TestActingAdmin(t *testing.T) {
	ctx := context.Background()
	t.Run("first admin", func(t *testing.T) {
		b := newUnsaved(t, 2)
		// By uid order: admin (the fake's), bernard (disabled), camille.
		b.nc.AddUser(nextcloudtest.User{ID: "bernard", DisplayName: "Bernard", Groups: []string{"admin"}, Enabled: false})
		if err := b.svc.UseHosted(membersync.Hosted{URL: b.pk.URL(), Key: b.key, Secret: b.secret}); err != nil {
			t.Fatal(err)
		}
		st, _ := b.svc.Settings(ctx)
		if st.AdminFrom != membersync.AdminFromFirst || st.Admin != "" {
			t.Fatalf("before any run, Settings() = %+v", st)
		}
		if _, err := b.svc.Run(ctx, "test", ""); err != nil {
			t.Fatal(err)
		}
		st, _ = b.svc.Settings(ctx)
		if st.AdminFrom != membersync.AdminFromFirst || st.Admin != "admin" {
			t.Fatalf("after a run, Settings() = %+v", st)
		}
		// admin is disabled, bernard enabled: the next run finds him.
		b.nc.AddUser(nextcloudtest.User{ID: "admin", Groups: []string{"admin"}, Enabled: false})
		b.nc.AddUser(nextcloudtest.User{ID: "bernard", DisplayName: "Bernard", Groups: []string{"admin"}, Enabled: true})
		if _, err := b.svc.Run(ctx, "test", ""); err != nil {
			t.Fatal(err)
		}
		if st, _ = b.svc.Settings(ctx); st.Admin != "bernard" {
			t.Errorf("after admin was disabled, Settings().Admin = %q", st.Admin)
		}
	})
	t.Run("named by the host", func(t *testing.T) {
		b := newBridge(t, 1)
		b.nc.AddUser(nextcloudtest.User{ID: "zoe", DisplayName: "Zoé", Groups: []string{"admin"}, Enabled: true})
		b.svc.UseHosted(membersync.Hosted{Admin: "zoe"})
		st, _ := b.svc.Settings(ctx)
		if st.Admin != "zoe" || st.AdminFrom != membersync.AdminFromHost || !slices.Equal(st.Hosted, []string{"admin"}) {
			t.Fatalf("Settings() = %+v", st)
		}
		if _, err := b.svc.Run(ctx, "test", ""); err != nil {
			t.Fatal(err)
		}
		b.nc.AddUser(nextcloudtest.User{ID: "zoe", DisplayName: "Zoé", Enabled: true})
		if _, err := b.svc.Run(ctx, "test", ""); !errors.Is(err, membersync.ErrNoAdmin) {
			t.Errorf("Run() as a host's admin who left admin = %v, want ErrNoAdmin", err)
		}
	})
}
