package paheko_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"assokit/internal/paheko"
	"assokit/internal/paheko/pahekotest"
)

func newClient(t *testing.T, fake *pahekotest.Server, key, secret string) *paheko.Client {
	t.Helper()
	c, err := paheko.New(paheko.Config{URL: fake.URL() + "/", Key: key, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestErrors(t *testing.T) {
	fake := pahekotest.NewServer(t)
	fake.AddKey("w", "write-secret-123", pahekotest.LevelWrite)
	fake.AddKey("r", "read-secret-456", pahekotest.LevelRead)
	ctx := context.Background()
	w := newClient(t, fake, "w", "write-secret-123")
	r := newClient(t, fake, "r", "read-secret-456")
	bad := newClient(t, fake, "w", "not-the-secret")
	if _, err := w.CreateMember(ctx, paheko.NewMember{Name: "Alice Martin", Email: "alice@example.org"}); err != nil {
		t.Fatal(err)
	}
	fake.FailNext(500)
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"server error", func() error { _, err := w.Categories(ctx); return err }, paheko.ErrUnreachable},
		{"wrong secret", func() error { _, err := bad.Categories(ctx); return err }, paheko.ErrUnauthorized},
		{"read key writes", func() error { _, err := r.CreateMember(ctx, paheko.NewMember{Name: "Bob"}); return err }, paheko.ErrRights},
		{"homonym", func() error { _, err := w.CreateMember(ctx, paheko.NewMember{Name: "alice martin"}); return err }, paheko.ErrDuplicate},
		{"e-mail taken", func() error {
			_, err := w.CreateMember(ctx, paheko.NewMember{Name: "Other", Email: "ALICE@example.org"})
			return err
		}, paheko.ErrInvalid},
		{"admin member", func() error { _, err := w.UpdateMember(ctx, 1, map[string]string{"nom": "x"}); return err }, paheko.ErrProtected},
		{"admin category", func() error { _, err := w.CreateMember(ctx, paheko.NewMember{Name: "Eve", CategoryID: 3}); return err }, paheko.ErrCategory},
		{"unknown member", func() error { _, err := w.Member(ctx, 99); return err }, paheko.ErrNotFound},
		{"missing field", func() error { _, err := w.Query(ctx, "SELECT nextcloud_uid FROM users"); return err }, paheko.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error text shows a secret: %v", err)
			}
		})
	}
	if ok, err := r.CanWrite(ctx, 1); ok || err != nil {
		t.Errorf("read key: CanWrite = %v, %v", ok, err)
	}
	if ok, err := w.CanWrite(ctx, 1); !ok || err != nil {
		t.Errorf("write key: CanWrite = %v, %v", ok, err)
	}
}

func TestMembersPaged(t *testing.T) {
	fake := pahekotest.NewServer(t)
	fake.AddKey("r", "read-secret-456", pahekotest.LevelRead)
	if err := fake.AddField("nextcloud_uid", "Identifiant Nextcloud"); err != nil {
		t.Fatal(err)
	}
	for i := range 11 {
		if _, err := fake.AddMember(pahekotest.Member{Fields: map[string]any{"nom": fmt.Sprint("Membre ", i), "nextcloud_uid": fmt.Sprint("u", i)}}); err != nil {
			t.Fatal(err)
		}
	}
	c := newClient(t, fake, "r", "read-secret-456")
	before := fake.RequestCount()
	got, err := c.Members(context.Background(), true, 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 12 || got[11].UID != "u10" || got[0].CategoryID != 3 {
		t.Fatalf("members %+v", got)
	}
	if n := fake.RequestCount() - before; n != 3 {
		t.Errorf("%d requests for 12 members by 4, want 3", n)
	}
	if has, err := c.HasField(context.Background(), "nextcloud_uid"); !has || err != nil {
		t.Errorf("HasField = %v, %v", has, err)
	}
}

func TestFieldNamesNeverReachSQL(t *testing.T) {
	fake := pahekotest.NewServer(t)
	fake.AddKey("r", "read-secret-456", pahekotest.LevelRead)
	c := newClient(t, fake, "r", "read-secret-456")
	for _, key := range []string{
		"nom FROM users UNION SELECT password",
		"id, (SELECT password FROM users)",
		"nextcloud_uid--",
		"Nom",
		"_x",
		"x__y",
		"x_",
		"1x",
		"",
		"nom;",
		"prénom",
	} {
		before := fake.RequestCount()
		has, err := c.HasField(context.Background(), key)
		if has || !errors.Is(err, paheko.ErrFieldName) || fake.RequestCount() != before {
			t.Errorf("HasField(%q) = %v, %v after %d requests; want ErrFieldName and no request", key, has, err, fake.RequestCount()-before)
		}
	}
	for _, key := range []string{"nextcloud_uid", "email", "numero", "a1_b2", "x"} {
		if !paheko.ValidFieldName(key) {
			t.Errorf("%q refused", key)
		}
	}
}

func TestSameHost(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"https://asso.paheko.cloud", "https://asso.paheko.cloud/admin/", true},
		{"https://asso.paheko.cloud", "https://ASSO.paheko.cloud:443", true},
		{"https://asso.paheko.cloud", "http://asso.paheko.cloud", false},
		{"https://asso.paheko.cloud", "https://other.paheko.cloud", false},
		{"https://asso.paheko.cloud", "https://asso.paheko.cloud@other.example", false},
		{"https://asso.paheko.cloud", "https://asso.paheko.cloud:8443", false},
		{"", "https://asso.paheko.cloud", false},
	} {
		if got := paheko.SameHost(c.a, c.b); got != c.same {
			t.Errorf("SameHost(%q, %q) = %v", c.a, c.b, got)
		}
	}
}

// FuzzValidFieldName checks ValidFieldName against Paheko's own pattern
// (Entities/Users/DynamicField.php, selfCheck).
func FuzzValidFieldName(f *testing.F) {
	paheko1322 := regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	for _, s := range []string{"nextcloud_uid", "a1_b2", "x__y", "x_", "_x", "1x", "", "prénom", "Nom"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := paheko.ValidFieldName(s), paheko1322.MatchString(s); got != want {
			t.Errorf("ValidFieldName(%q) = %v, Paheko says %v", s, got, want)
		}
	})
}

// An address that sends AssoKit elsewhere (http:// to https://, another
// host) is said as such: the request is not followed, so the API key is
// never sent on, and a creation is never replayed as a GET (which Paheko
// does not refuse, capture 44).
func TestRedirectNotFollowed(t *testing.T) {
	fake := pahekotest.NewServer(t)
	fake.AddKey("w", "write-secret-123", pahekotest.LevelWrite)
	moved := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, fake.URL()+r.URL.Path, http.StatusMovedPermanently)
	}))
	t.Cleanup(moved.Close)
	c, err := paheko.New(paheko.Config{URL: moved.URL, Key: "w", Secret: "write-secret-123"})
	if err != nil {
		t.Fatal(err)
	}
	before := fake.RequestCount()
	_, err = c.CreateMember(context.Background(), paheko.NewMember{Name: "Alice Martin"})
	if !errors.Is(err, paheko.ErrMoved) {
		t.Errorf("create through a redirect: %v, want ErrMoved", err)
	}
	if _, err := c.Categories(context.Background()); !errors.Is(err, paheko.ErrMoved) {
		t.Errorf("categories through a redirect: %v, want ErrMoved", err)
	}
	if n := fake.RequestCount() - before; n != 0 {
		t.Errorf("the redirect was followed: %d requests reached Paheko", n)
	}
}
