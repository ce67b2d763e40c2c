package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

func newTestStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestMigrationsAreNumberedOnce checks that the migrations are numbered 1, 2,
// 3… with no number used twice: migrate skips a file whose number the
// database already has, so a second file with the same number would never run.
func TestMigrationsAreNumberedOnce(t *testing.T) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	for i, name := range names {
		if want := fmt.Sprintf("migrations/%04d_", i+1); len(name) < len(want) || name[:len(want)] != want {
			t.Errorf("migration %d is %s, want a name starting %q", i+1, name, want)
		}
	}
	s := newTestStore(t)
	if v, err := s.SchemaVersion(t.Context()); err != nil || v != len(names) {
		t.Errorf("SchemaVersion() = %d, %v; want %d", v, err, len(names))
	}
}

func TestOpenIsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "assokit.db")
	for range 2 {
		s, err := Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		v, err := s.SchemaVersion(t.Context())
		if err != nil || v < 1 {
			t.Fatalf("SchemaVersion() = %d, %v; want >= 1", v, err)
		}
		s.Close()
	}
}

func TestSettings(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	if _, err := s.Setting(ctx, "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Setting(missing) error = %v; want ErrNotFound", err)
	}
	for _, v := range []string{"one", "two"} {
		if err := s.SetSetting(ctx, "x", v); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Setting(ctx, "x"); got != v {
			t.Fatalf("Setting(x) = %q; want %q", got, v)
		}
	}
}

func TestJobLifecycle(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	now := time.Unix(1_800_000_000, 0)
	s.SetClock(func() time.Time { return now })

	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"same key twice is one job", func(t *testing.T) {
			a, created, err := s.EnqueueJob(ctx, NewJob{Kind: "k", Key: "dup"})
			if err != nil || !created {
				t.Fatalf("first enqueue = %d, %v, %v", a, created, err)
			}
			b, created, err := s.EnqueueJob(ctx, NewJob{Kind: "k", Key: "dup"})
			if err != nil || created || a != b {
				t.Fatalf("second enqueue = %d, %v, %v; want %d, false, nil", b, created, err, a)
			}
			j, err := s.ClaimJob(ctx, time.Minute)
			if err != nil || j.ID != a {
				t.Fatalf("ClaimJob() = %v, %v", j.ID, err)
			}
			if err := s.CompleteJob(ctx, j); err != nil {
				t.Fatal(err)
			}
			// Once done, the key may be used again.
			if _, created, _ := s.EnqueueJob(ctx, NewJob{Kind: "k", Key: "dup"}); !created {
				t.Fatal("enqueue after done did not create a job")
			}
			j, _ = s.ClaimJob(ctx, time.Minute)
			s.CompleteJob(ctx, j)
		}},
		{"expired lease is claimed again and the old claim is lost", func(t *testing.T) {
			id, _, _ := s.EnqueueJob(ctx, NewJob{Kind: "k", Key: "lease"})
			first, err := s.ClaimJob(ctx, time.Minute)
			if err != nil || first.ID != id {
				t.Fatalf("ClaimJob() = %v, %v", first.ID, err)
			}
			if _, err := s.ClaimJob(ctx, time.Minute); !errors.Is(err, ErrNotFound) {
				t.Fatalf("claim during lease = %v; want ErrNotFound", err)
			}
			now = now.Add(2 * time.Minute)
			second, err := s.ClaimJob(ctx, time.Minute)
			if err != nil || second.ID != id || second.Attempts != 2 {
				t.Fatalf("claim after lease = %+v, %v", second, err)
			}
			if err := s.CompleteJob(ctx, first); !errors.Is(err, ErrNotFound) {
				t.Fatalf("CompleteJob(stale claim) = %v; want ErrNotFound", err)
			}
			if err := s.CompleteJob(ctx, second); err != nil {
				t.Fatal(err)
			}
		}},
		{"retry waits, failure keeps the error", func(t *testing.T) {
			id, _, _ := s.EnqueueJob(ctx, NewJob{Kind: "k", Key: "retry"})
			j, _ := s.ClaimJob(ctx, time.Minute)
			if err := s.RetryJob(ctx, j, now.Add(time.Minute), "boom"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.ClaimJob(ctx, time.Minute); !errors.Is(err, ErrNotFound) {
				t.Fatalf("claim before run_after = %v; want ErrNotFound", err)
			}
			now = now.Add(time.Minute)
			j, _ = s.ClaimJob(ctx, time.Minute)
			if err := s.FailJob(ctx, j, "broken for good"); err != nil {
				t.Fatal(err)
			}
			got, err := s.Job(ctx, id)
			if err != nil || got.State != JobFailed || got.LastError != "broken for good" || got.Attempts != 2 {
				t.Fatalf("Job() = %+v, %v", got, err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}

func TestFilesArePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "assokit.db")
	check := func(when string) {
		t.Helper()
		for name, want := range map[string]os.FileMode{dir: 0o700, path: 0o600, path + "-wal": 0o600, path + "-shm": 0o600} {
			fi, err := os.Stat(name)
			if err != nil {
				t.Fatalf("%s: %v", when, err)
			}
			if got := fi.Mode().Perm(); got != want {
				t.Errorf("%s: %s is %v, want %v", when, filepath.Base(name), got, want)
			}
		}
	}
	os.MkdirAll(dir, 0o755) // a volume's folder, as a host may create it
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetSetting(t.Context(), "k", "v"); err != nil {
		t.Fatal(err)
	}
	check("new database")
	s.Close()

	// A database left world-readable by an older AssoKit is narrowed at open.
	os.Chmod(dir, 0o755)
	os.Chmod(path, 0o644)
	s, err = Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.SetSetting(t.Context(), "k", "v"); err != nil {
		t.Fatal(err)
	}
	check("older database")
}
