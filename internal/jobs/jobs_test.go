package jobs

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"assokit/internal/store"
)

func newQueue(t *testing.T) (*Queue, *store.Store) {
	t.Helper()
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "jobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	q := New(st, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{
		Lease: time.Minute, BaseBackoff: time.Millisecond, MaxBackoff: time.Millisecond,
	})
	return q, st
}

type retryLater struct{}

func (retryLater) Error() string             { return "busy" }
func (retryLater) RetryAfter() time.Duration { return time.Hour }

type badRequest struct{}

func (badRequest) Error() string   { return "bad request" }
func (badRequest) Permanent() bool { return true }

func TestOutcomes(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		wantState string
		wantAfter time.Duration // minimum delay before the next attempt
	}{
		{"success", nil, store.JobDone, 0},
		{"transient error is retried", errors.New("connection reset"), store.JobPending, 0},
		{"retry-after is honoured", retryLater{}, store.JobPending, 59 * time.Minute},
		{"permanent error fails at once", Permanent(errors.New("no such user")), store.JobFailed, 0},
		{"error that says it is permanent", badRequest{}, store.JobFailed, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, st := newQueue(t)
			q.Handle("k", func(context.Context, store.Job) error { return tt.err })
			id, err := q.Enqueue(t.Context(), "k", "key", map[string]string{"a": "b"})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if ran, err := q.RunOne(t.Context()); !ran || err != nil {
				t.Fatalf("RunOne() = %v, %v", ran, err)
			}
			j, _ := st.Job(t.Context(), id)
			if j.State != tt.wantState {
				t.Fatalf("state = %s (%s); want %s", j.State, j.LastError, tt.wantState)
			}
			if tt.err != nil && j.LastError == "" {
				t.Error("last_error not kept")
			}
			if j.RunAfter.Before(start.Add(tt.wantAfter).Truncate(time.Second)) {
				t.Errorf("run_after = %v; want >= %v", j.RunAfter, start.Add(tt.wantAfter))
			}
		})
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	q, st := newQueue(t)
	var calls atomic.Int32
	q.Handle("k", func(context.Context, store.Job) error { calls.Add(1); return errors.New("down") })
	id, _ := q.Enqueue(t.Context(), "k", "key", nil)
	for range 10 {
		time.Sleep(2 * time.Millisecond)
		st.SetClock(func() time.Time { return time.Now().Add(time.Second) })
		q.RunOne(t.Context())
	}
	j, _ := st.Job(t.Context(), id)
	if j.State != store.JobFailed || calls.Load() != 5 {
		t.Fatalf("state %s after %d calls; want failed after 5", j.State, calls.Load())
	}
}

// A worker that dies mid-job (here: a claim that is never finished) leaves
// the job running; once the lease expires another worker runs it.
func TestDeadWorkerJobIsRetried(t *testing.T) {
	q, st := newQueue(t)
	id, _ := q.Enqueue(t.Context(), "k", "key", nil)
	if _, err := st.ClaimJob(t.Context(), time.Minute); err != nil { // the worker that dies
		t.Fatal(err)
	}
	var ran atomic.Bool
	q.Handle("k", func(context.Context, store.Job) error { ran.Store(true); return nil })
	if r, _ := q.RunOne(t.Context()); r {
		t.Fatal("job run again while its lease holds")
	}
	st.SetClock(func() time.Time { return time.Now().Add(2 * time.Minute) })
	if r, err := q.RunOne(t.Context()); !r || err != nil || !ran.Load() {
		t.Fatalf("RunOne after lease = %v, %v; handler ran %v", r, err, ran.Load())
	}
	if j, _ := st.Job(t.Context(), id); j.State != store.JobDone || j.Attempts != 2 {
		t.Fatalf("job = %+v; want done after 2 attempts", j)
	}
}

func TestSameKeyRunsOnce(t *testing.T) {
	q, _ := newQueue(t)
	var calls atomic.Int32
	q.Handle("k", func(context.Context, store.Job) error { calls.Add(1); return nil })
	a, _ := q.Enqueue(t.Context(), "k", "sync", nil)
	b, _ := q.Enqueue(t.Context(), "k", "sync", nil)
	if a != b {
		t.Fatalf("ids %d and %d; want the same job", a, b)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	q.Run(ctx)
	if calls.Load() != 1 {
		t.Fatalf("handler ran %d times; want 1", calls.Load())
	}
}

// A handler that panics fails its job for good, with its own code; the
// worker goes on with the next job.
func TestPanicFailsTheJobNotTheProcess(t *testing.T) {
	q, st := newQueue(t)
	var s []int
	q.Handle("bad", func(context.Context, store.Job) error { return errors.New(string(rune(s[1]))) })
	var ran atomic.Bool
	q.Handle("good", func(context.Context, store.Job) error { ran.Store(true); return nil })
	bad, _ := q.Enqueue(t.Context(), "bad", "bad", nil)
	q.Enqueue(t.Context(), "good", "good", nil)
	for range 2 {
		if r, err := q.RunOne(t.Context()); !r || err != nil {
			t.Fatalf("RunOne() = %v, %v", r, err)
		}
	}
	j, _ := st.Job(t.Context(), bad)
	if j.State != store.JobFailed || j.Attempts != 1 || Code(j.LastError) != ErrPanicked.Code() {
		t.Errorf("panicked job = %s after %d attempts, %q", j.State, j.Attempts, j.LastError)
	}
	if !ran.Load() {
		t.Error("the next job did not run")
	}
}

// TestFinal says when the queue runs a job no more after an outcome.
func TestFinal(t *testing.T) {
	transient := errors.New("nextcloud unreachable")
	cases := []struct {
		name     string
		attempts int
		err      error
		want     bool
	}{
		{"success", 5, nil, false},
		{"waiting, last attempt", 5, Later(time.Second), false},
		{"transient, attempts left", 4, transient, false},
		{"transient, last attempt", 5, transient, true},
		{"permanent, attempts left", 1, Permanent(transient), true},
		{"panic, attempts left", 1, &panicError{value: "boom"}, true},
	}
	for _, c := range cases {
		if got := Final(store.Job{Attempts: c.attempts, MaxAttempts: 5}, c.err); got != c.want {
			t.Errorf("%s: Final = %v, want %v", c.name, got, c.want)
		}
	}
}
