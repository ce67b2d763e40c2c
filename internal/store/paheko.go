package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// PahekoLink ties a Nextcloud account to its Paheko member.
type PahekoLink struct {
	UID      string
	MemberID int
	Name     string
	Email    string
	Notice   string
}

// PahekoLinks returns every link, by uid.
func (s *Store) PahekoLinks(ctx context.Context) ([]PahekoLink, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT uid, member_id, name, email, notice FROM paheko_links ORDER BY uid`)
	if err != nil {
		return nil, fmt.Errorf("store: list links: %w", err)
	}
	defer rows.Close()
	var out []PahekoLink
	for rows.Next() {
		var l PahekoLink
		if err := rows.Scan(&l.UID, &l.MemberID, &l.Name, &l.Email, &l.Notice); err != nil {
			return nil, fmt.Errorf("store: list links: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// SavePahekoLink creates or replaces the link of l.UID.
func (s *Store) SavePahekoLink(ctx context.Context, l PahekoLink) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO paheko_links (uid, member_id, name, email, notice, updated_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (uid) DO UPDATE SET member_id = excluded.member_id,
		name = excluded.name, email = excluded.email, notice = excluded.notice, updated_at = excluded.updated_at`,
		l.UID, l.MemberID, l.Name, l.Email, l.Notice, s.now().Unix())
	if err != nil {
		return fmt.Errorf("store: save link of %s: %w", l.UID, err)
	}
	return nil
}

// SetPahekoNotice records the last notice reported for a linked account.
func (s *Store) SetPahekoNotice(ctx context.Context, uid, notice string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE paheko_links SET notice = ? WHERE uid = ?`, notice, uid)
	if err != nil {
		return fmt.Errorf("store: save notice of %s: %w", uid, err)
	}
	return nil
}

// DeletePahekoLink forgets the link of uid; deleting a missing link is not an error.
func (s *Store) DeletePahekoLink(ctx context.Context, uid string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM paheko_links WHERE uid = ?`, uid); err != nil {
		return fmt.Errorf("store: delete link of %s: %w", uid, err)
	}
	return nil
}

// PahekoRun is one sync run and its report (JSON, written by membersync).
type PahekoRun struct {
	ID         int64     `json:"id"`
	Trigger    string    `json:"trigger"`
	Actor      string    `json:"actor"`
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
	State      string    `json:"state"`
	Report     string    `json:"-"`
	Error      string    `json:"error"`
}

// StartPahekoRun records the start of a run and returns its id.
func (s *Store) StartPahekoRun(ctx context.Context, trigger, actor string) (int64, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO paheko_runs (trigger, actor, started_at) VALUES (?, ?, ?)`,
		trigger, actor, s.now().Unix())
	if err != nil {
		return 0, fmt.Errorf("store: start run: %w", err)
	}
	return res.LastInsertId()
}

// FinishPahekoRun records the end of run id: its report, and errCode if it failed.
func (s *Store) FinishPahekoRun(ctx context.Context, id int64, report, errCode string) error {
	state := "done"
	if errCode != "" {
		state = "failed"
	}
	_, err := s.db.ExecContext(ctx, `UPDATE paheko_runs SET finished_at = ?, state = ?, report = ?, error = ? WHERE id = ?`,
		s.now().Unix(), state, report, errCode, id)
	if err != nil {
		return fmt.Errorf("store: finish run %d: %w", id, err)
	}
	return nil
}

// PahekoRuns returns the last limit runs, newest first.
func (s *Store) PahekoRuns(ctx context.Context, limit int) ([]PahekoRun, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, trigger, actor, started_at, finished_at, state, report, error
		FROM paheko_runs ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: list runs: %w", err)
	}
	defer rows.Close()
	var out []PahekoRun
	for rows.Next() {
		var r PahekoRun
		var started, finished int64
		if err := rows.Scan(&r.ID, &r.Trigger, &r.Actor, &started, &finished, &r.State, &r.Report, &r.Error); err != nil {
			return nil, fmt.Errorf("store: list runs: %w", err)
		}
		r.StartedAt = time.Unix(started, 0)
		if finished > 0 {
			r.FinishedAt = time.Unix(finished, 0)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// AuditEntry is one change AssoKit made (or tried) in Paheko.
type AuditEntry struct {
	ID       int64     `json:"id"`
	At       time.Time `json:"at"`
	RunID    int64     `json:"runId"`
	Actor    string    `json:"actor"`
	Action   string    `json:"action"`
	UID      string    `json:"uid"`
	MemberID int       `json:"memberId"`
	Detail   string    `json:"detail"`
	Result   string    `json:"result"`
}

// AddAudit appends e to the audit log (At is set to now).
func (s *Store) AddAudit(ctx context.Context, e AuditEntry) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO paheko_audit (at, run_id, actor, action, uid, member_id, detail, result)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, s.now().Unix(), e.RunID, e.Actor, e.Action, e.UID, e.MemberID, e.Detail, e.Result)
	if err != nil {
		return fmt.Errorf("store: write audit: %w", err)
	}
	return nil
}

// Audit returns the last limit audit entries, newest first.
func (s *Store) Audit(ctx context.Context, limit int) ([]AuditEntry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, at, run_id, actor, action, uid, member_id, detail, result
		FROM paheko_audit ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: read audit: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.RunID, &e.Actor, &e.Action, &e.UID, &e.MemberID, &e.Detail, &e.Result); err != nil {
			return nil, fmt.Errorf("store: read audit: %w", err)
		}
		e.At = time.Unix(at, 0)
		out = append(out, e)
	}
	return out, rows.Err()
}

// scanNotFound maps sql.ErrNoRows to ErrNotFound.
func scanNotFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	return nil
}
