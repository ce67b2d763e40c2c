// Package jobs runs AssoKit's durable background work on top of the store's
// job table: leases so that the job of a worker that died is taken up again,
// retries with exponential backoff for transient errors, failed jobs kept
// with their error, and keys so that the same work enqueued twice runs once.
// It knows no feature: each feature registers the handlers of its own jobs.
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"assokit/internal/errcode"
	"assokit/internal/store"
)

// Handler does the work of one job. It must be safe to run again after a
// crash (check before writing). Returning an error marked with Permanent, or
// one whose Permanent method reports true, fails the job at once; any other
// error is retried with backoff until the job's attempts are used up.
type Handler func(ctx context.Context, job store.Job) error

// ErrPermanent marks an error that retrying cannot fix.
var ErrPermanent = errors.New("permanent error")

// Permanent wraps err so that the queue does not retry it.
func Permanent(err error) error { return fmt.Errorf("%w: %w", ErrPermanent, err) }

// laterError is a handler's "not yet": the job waits for something
// outside AssoKit (Nextcloud's background jobs) and is due again after d.
type laterError struct{ d time.Duration }

func (e laterError) Error() string { return fmt.Sprintf("waiting, due again in %s", e.d) }

// Later returns what a handler returns to give its worker back while it
// waits: the job is due again after d and the run does not count as an
// attempt, so a job may wait for hours without holding a worker or using up
// its attempts.
func Later(d time.Duration) error { return laterError{d} }

// Final reports whether the queue runs job no more once its handler
// returned err: err is neither nil nor Later, and it is permanent or job
// was on its last attempt. A handler that keeps a state of its own (a
// transfer's) settles it then, for nothing will run it again.
func Final(job store.Job, err error) bool {
	if err == nil {
		return false
	}
	if _, later := errors.AsType[laterError](err); later {
		return false
	}
	return isPermanent(err) || job.Attempts >= job.MaxAttempts
}

// ErrPanicked is the failure of work that panicked: a bug, or an answer
// nobody foresaw. Retrying would panic again, so it is permanent. A job
// failed by a panic has its last error start with its code.
var ErrPanicked = errcode.New("job_panicked", "jobs: the work stopped on an unexpected error (panic)")

// panicError is a recovered panic: its value and where it happened.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string   { return fmt.Sprintf("%s: %v", ErrPanicked.Code(), e.value) }
func (e *panicError) Unwrap() error   { return ErrPanicked }
func (e *panicError) Permanent() bool { return true }

// Recover, deferred by a function with a named error result, turns a panic
// of that function into an error matching ErrPanicked in *err, which keeps
// the stack for the log.
func Recover(err *error) {
	if v := recover(); v != nil {
		*err = &panicError{value: v, stack: debug.Stack()}
	}
}

// Code returns ErrPanicked's code for the last error of a job failed by a panic,
// "" for any other.
func Code(lastError string) string {
	if strings.HasPrefix(lastError, ErrPanicked.Code()+":") {
		return ErrPanicked.Code()
	}
	return ""
}

// Options tune a Queue. Zero values take the defaults in brackets.
type Options struct {
	Workers     int           // concurrent workers [2]
	Lease       time.Duration // how long a claim holds before another worker may take the job [2m]
	Poll        time.Duration // how often idle workers look for due jobs [1s]
	BaseBackoff time.Duration // first retry delay, doubled each attempt [5s]
	MaxBackoff  time.Duration // longest retry delay [10m]
}

// Queue runs registered handlers for the jobs in the store.
type Queue struct {
	st       *store.Store
	log      *slog.Logger
	opt      Options
	handlers map[string]Handler
	wake     chan struct{}
}

// New returns a queue over st. Register handlers with Handle before Run.
func New(st *store.Store, log *slog.Logger, opt Options) *Queue {
	if opt.Workers <= 0 {
		opt.Workers = 2
	}
	if opt.Lease <= 0 {
		opt.Lease = 2 * time.Minute
	}
	if opt.Poll <= 0 {
		opt.Poll = time.Second
	}
	if opt.BaseBackoff <= 0 {
		opt.BaseBackoff = 5 * time.Second
	}
	if opt.MaxBackoff <= 0 {
		opt.MaxBackoff = 10 * time.Minute
	}
	return &Queue{st: st, log: log, opt: opt, handlers: map[string]Handler{}, wake: make(chan struct{}, 1)}
}

// Handle registers the handler for a kind of job.
func (q *Queue) Handle(kind string, h Handler) { q.handlers[kind] = h }

// Enqueue adds a job of the given kind, with payload marshalled to JSON,
// unless a job with the same key is already pending or running; it returns
// the id of the job that will do the work.
func (q *Queue) Enqueue(ctx context.Context, kind, key string, payload any) (int64, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return 0, fmt.Errorf("jobs: encode %s payload: %w", kind, err)
	}
	return q.EnqueueJob(ctx, store.NewJob{Kind: kind, Key: key, Payload: string(body)})
}

// EnqueueJob is Enqueue for a job described in full (attempts, start time).
func (q *Queue) EnqueueJob(ctx context.Context, nj store.NewJob) (int64, error) {
	id, _, err := q.st.EnqueueJob(ctx, nj)
	if err != nil {
		return 0, err
	}
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return id, nil
}

// Run starts the workers and blocks until ctx is cancelled and every running
// handler has returned.
func (q *Queue) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range q.opt.Workers {
		wg.Go(func() { q.work(ctx) })
	}
	wg.Wait()
}

func (q *Queue) work(ctx context.Context) {
	t := time.NewTicker(q.opt.Poll)
	defer t.Stop()
	for {
		for {
			ran, err := q.RunOne(ctx)
			if err != nil && ctx.Err() == nil {
				q.log.ErrorContext(ctx, "job queue", "error", err)
			}
			if !ran || ctx.Err() != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-q.wake:
		}
	}
}

// RunOne claims one due job, runs it and records the outcome. It reports
// whether a job was run.
func (q *Queue) RunOne(ctx context.Context) (bool, error) {
	job, err := q.st.ClaimJob(ctx, q.opt.Lease)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	log := q.log.With("job", job.ID, "kind", job.Kind, "attempt", job.Attempts)
	h, ok := q.handlers[job.Kind]
	switch {
	case !ok:
		return true, q.st.FailJob(ctx, job, "no handler for job kind "+job.Kind)
	case job.Attempts > job.MaxAttempts:
		log.WarnContext(ctx, "job given up", "error", job.LastError)
		return true, q.st.FailJob(ctx, job, lastErr(job, "stopped after too many attempts"))
	}
	runErr := q.runWithLease(ctx, job, h)
	if ctx.Err() != nil {
		// Shutting down: leave the job running; its lease expires and it is
		// picked up again at the next start.
		return true, nil
	}
	// Outcomes are recorded even if ctx is cancelled right now.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	later, isLater := errors.AsType[laterError](runErr)
	switch {
	case runErr == nil:
		log.InfoContext(ctx, "job done")
		err = q.st.CompleteJob(wctx, job)
	case isLater:
		err = q.st.SnoozeJob(wctx, job, time.Now().Add(later.d))
	case Final(job, runErr):
		if pe, ok := errors.AsType[*panicError](runErr); ok {
			log.ErrorContext(ctx, "job panicked", "error", runErr, "stack", string(pe.stack))
		}
		log.WarnContext(ctx, "job failed", "error", runErr)
		err = q.st.FailJob(wctx, job, runErr.Error())
	default:
		delay := q.backoff(job.Attempts, runErr)
		log.InfoContext(ctx, "job will be retried", "error", runErr, "in", delay)
		err = q.st.RetryJob(wctx, job, time.Now().Add(delay), runErr.Error())
	}
	if errors.Is(err, store.ErrNotFound) {
		log.WarnContext(ctx, "job was taken over by another worker")
		return true, nil
	}
	return true, err
}

// runWithLease runs h while renewing the job's lease, so that a long job is
// not taken over while its worker is alive.
func (q *Queue) runWithLease(ctx context.Context, job store.Job, h Handler) error {
	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(q.opt.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-hctx.Done():
				return
			case <-t.C:
				if err := q.st.ExtendLease(hctx, job, q.opt.Lease); errors.Is(err, store.ErrNotFound) {
					cancel() // someone else holds the job now: stop
					return
				}
			}
		}
	}()
	defer close(done)
	return runHandler(hctx, job, h)
}

// runHandler runs h; a panic fails the job, never the process.
func runHandler(ctx context.Context, job store.Job, h Handler) (err error) {
	defer Recover(&err)
	return h(ctx, job)
}

// backoff is base·2^(attempt-1) capped at the maximum, or the delay the
// error asks for (Retry-After) when it is longer.
func (q *Queue) backoff(attempt int, err error) time.Duration {
	d := q.opt.BaseBackoff
	for i := 1; i < attempt && d < q.opt.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, q.opt.MaxBackoff)
	if ra, ok := errors.AsType[retryAfterError](err); ok {
		d = max(d, ra.RetryAfter())
	}
	return d
}

// retryAfterError is an error that says how long to wait (HTTP Retry-After).
type retryAfterError interface {
	error
	RetryAfter() time.Duration
}

// permanentError is an error that knows whether retrying can help.
type permanentError interface {
	error
	Permanent() bool
}

func isPermanent(err error) bool {
	if errors.Is(err, ErrPermanent) {
		return true
	}
	p, ok := errors.AsType[permanentError](err)
	return ok && p.Permanent()
}

func lastErr(j store.Job, fallback string) string {
	if j.LastError != "" {
		return j.LastError
	}
	return fallback
}
