package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Job states.
const (
	JobPending = "pending"
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
)

// Job is one row of the durable queue.
type Job struct {
	ID          int64
	Kind        string
	Key         string
	Payload     string
	State       string
	Attempts    int
	MaxAttempts int
	RunAfter    time.Time
	LeaseUntil  time.Time
	LastError   string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

const jobColumns = `id, kind, key, payload, state, attempts, max_attempts, run_after, lease_until, last_error, created_at, updated_at`

func scanJob(row interface{ Scan(...any) error }) (Job, error) {
	var j Job
	var runAfter, lease, created, updated int64
	err := row.Scan(&j.ID, &j.Kind, &j.Key, &j.Payload, &j.State, &j.Attempts, &j.MaxAttempts,
		&runAfter, &lease, &j.LastError, &created, &updated)
	if err != nil {
		return Job{}, err
	}
	j.RunAfter, j.LeaseUntil = time.Unix(runAfter, 0), time.Unix(lease, 0)
	j.CreatedAt, j.UpdatedAt = time.Unix(created, 0), time.Unix(updated, 0)
	return j, nil
}

// NewJob describes a job to enqueue.
type NewJob struct {
	Kind        string
	Key         string // jobs with the same key never run at the same time or twice over
	Payload     string // JSON
	RunAfter    time.Time
	MaxAttempts int
}

// EnqueueJob adds a pending job unless a pending or running job with the same
// key exists. It returns the id of the new job, or of the existing one with
// created false.
func (s *Store) EnqueueJob(ctx context.Context, nj NewJob) (id int64, created bool, err error) {
	if nj.Payload == "" {
		nj.Payload = "{}"
	}
	if nj.MaxAttempts <= 0 {
		nj.MaxAttempts = 5
	}
	now := s.now()
	if nj.RunAfter.IsZero() {
		nj.RunAfter = now
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO jobs
			(kind, key, payload, state, max_attempts, run_after, created_at, updated_at)
			VALUES (?, ?, ?, 'pending', ?, ?, ?, ?)`,
			nj.Kind, nj.Key, nj.Payload, nj.MaxAttempts, nj.RunAfter.Unix(), now.Unix(), now.Unix())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			id, err = res.LastInsertId()
			created = true
			return err
		}
		return tx.QueryRowContext(ctx,
			`SELECT id FROM jobs WHERE key = ? AND state IN ('pending', 'running')`, nj.Key).Scan(&id)
	})
	if err != nil {
		return 0, false, fmt.Errorf("store: enqueue %s: %w", nj.Key, err)
	}
	return id, created, nil
}

// ClaimJob takes the next due job — pending and due, or running with an
// expired lease (its worker died) — marks it running with a lease of the given
// length and counts one more attempt. It returns ErrNotFound when nothing is due.
func (s *Store) ClaimJob(ctx context.Context, lease time.Duration) (Job, error) {
	now := s.now()
	row := s.db.QueryRowContext(ctx, `UPDATE jobs
		SET state = 'running', attempts = attempts + 1, lease_until = ?, updated_at = ?
		WHERE id = (
			SELECT id FROM jobs
			WHERE (state = 'pending' AND run_after <= ?) OR (state = 'running' AND lease_until < ?)
			ORDER BY run_after, id LIMIT 1)
		RETURNING `+jobColumns,
		now.Add(lease).Unix(), now.Unix(), now.Unix(), now.Unix())
	j, err := scanJob(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, ErrNotFound
	}
	if err != nil {
		return Job{}, fmt.Errorf("store: claim job: %w", err)
	}
	return j, nil
}

// finishJob updates a running job only if this claim (id, attempts) still
// holds it, so that a worker whose lease expired cannot overwrite the work of
// the worker that took the job over. It returns ErrNotFound when the claim is lost.
func (s *Store) finishJob(ctx context.Context, j Job, set string, args ...any) error {
	args = append(args, s.now().Unix(), j.ID, j.Attempts)
	res, err := s.db.ExecContext(ctx, `UPDATE jobs SET `+set+`, updated_at = ?
		WHERE id = ? AND attempts = ? AND state = 'running'`, args...)
	if err != nil {
		return fmt.Errorf("store: update job %d: %w", j.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// CompleteJob marks a claimed job done.
func (s *Store) CompleteJob(ctx context.Context, j Job) error {
	return s.finishJob(ctx, j, `state = 'done', last_error = ''`)
}

// RetryJob puts a claimed job back in the queue, due at runAfter, keeping errText.
func (s *Store) RetryJob(ctx context.Context, j Job, runAfter time.Time, errText string) error {
	return s.finishJob(ctx, j, `state = 'pending', run_after = ?, lease_until = 0, last_error = ?`,
		runAfter.Unix(), errText)
}

// SnoozeJob puts a claimed job back in the queue, due at runAfter, without
// counting this run as an attempt: the job is waiting for something, not
// failing.
func (s *Store) SnoozeJob(ctx context.Context, j Job, runAfter time.Time) error {
	return s.finishJob(ctx, j, `state = 'pending', run_after = ?, lease_until = 0, attempts = attempts - 1, last_error = ''`,
		runAfter.Unix())
}

// FailJob marks a claimed job failed for good, keeping errText for the UI.
func (s *Store) FailJob(ctx context.Context, j Job, errText string) error {
	return s.finishJob(ctx, j, `state = 'failed', lease_until = 0, last_error = ?`, errText)
}

// ExtendLease pushes the lease of a claimed job to now+lease.
func (s *Store) ExtendLease(ctx context.Context, j Job, lease time.Duration) error {
	return s.finishJob(ctx, j, `lease_until = ?`, s.now().Add(lease).Unix())
}

// Job returns the job with the given id, or ErrNotFound.
func (s *Store) Job(ctx context.Context, id int64) (Job, error) {
	j, err := scanJob(s.db.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, ErrNotFound
	}
	if err != nil {
		return Job{}, fmt.Errorf("store: read job %d: %w", id, err)
	}
	return j, nil
}

// RecentJobs returns the last limit jobs, newest first.
func (s *Store) RecentJobs(ctx context.Context, limit int) ([]Job, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+jobColumns+` FROM jobs ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: list jobs: %w", err)
	}
	defer rows.Close()
	var jobs []Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list jobs: %w", err)
		}
		jobs = append(jobs, j)
	}
	return jobs, rows.Err()
}
