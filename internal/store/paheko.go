package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// PahekoLink ties a Nextcloud account to its Paheko member, with the
// account's name, e-mail and first sign-in time (seconds, 0: never) as last
// seen.
type PahekoLink struct {
	UID        string
	MemberID   int
	Name       string
	Email      string
	FirstLogin int64
}

// PahekoLinks returns every link, by uid.
func (s *Store) PahekoLinks(ctx context.Context) ([]PahekoLink, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT uid, member_id, name, email, first_login FROM paheko_links ORDER BY uid`)
	if err != nil {
		return nil, fmt.Errorf("store: list links: %w", err)
	}
	defer rows.Close()
	var out []PahekoLink
	for rows.Next() {
		var l PahekoLink
		if err := rows.Scan(&l.UID, &l.MemberID, &l.Name, &l.Email, &l.FirstLogin); err != nil {
			return nil, fmt.Errorf("store: list links: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// PahekoLinkOf returns the link of uid, or ErrNotFound.
func (s *Store) PahekoLinkOf(ctx context.Context, uid string) (PahekoLink, error) {
	l := PahekoLink{UID: uid}
	err := s.db.QueryRowContext(ctx, `SELECT member_id, name, email, first_login FROM paheko_links WHERE uid = ?`, uid).
		Scan(&l.MemberID, &l.Name, &l.Email, &l.FirstLogin)
	return l, scanNotFound(err, "read link")
}

// SavePahekoLink creates or replaces the link of l.UID. A member linked
// again is no longer released, and the account no longer pending.
func (s *Store) SavePahekoLink(ctx context.Context, l PahekoLink) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO paheko_links (uid, member_id, name, email, first_login, updated_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (uid) DO UPDATE SET member_id = excluded.member_id,
			name = excluded.name, email = excluded.email, first_login = excluded.first_login, updated_at = excluded.updated_at`,
			l.UID, l.MemberID, l.Name, l.Email, l.FirstLogin, s.now().Unix())
		if err == nil {
			_, err = tx.ExecContext(ctx, `DELETE FROM paheko_released WHERE member_id = ? AND uid = ?`, l.MemberID, l.UID)
		}
		if err == nil {
			_, err = tx.ExecContext(ctx, `DELETE FROM paheko_pending WHERE uid = ?`, l.UID)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("store: save link of %s: %w", l.UID, err)
	}
	return nil
}

// ReleasePahekoLink drops the link of uid to memberID: the member is
// remembered as released (never taken over again without an admin), and a
// confirmation given for that pair no longer holds.
func (s *Store) ReleasePahekoLink(ctx context.Context, uid string, memberID int) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM paheko_links WHERE uid = ?`, uid)
		if err == nil && memberID != 0 {
			_, err = tx.ExecContext(ctx, `INSERT INTO paheko_released (member_id, uid, at) VALUES (?, ?, ?)
				ON CONFLICT DO UPDATE SET at = excluded.at`, memberID, uid, s.now().Unix())
		}
		if err == nil {
			_, err = tx.ExecContext(ctx, `DELETE FROM paheko_decisions WHERE uid = ? AND decision = 'confirmed'`, uid)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("store: release link of %s: %w", uid, err)
	}
	return nil
}

// PahekoReleased returns, for each released member id, the uids it was linked to.
func (s *Store) PahekoReleased(ctx context.Context) (map[int][]string, error) {
	out := map[int][]string{}
	err := s.each(ctx, `SELECT member_id, uid FROM paheko_released ORDER BY member_id, uid`, nil, func(sc func(...any) error) error {
		var id int
		var uid string
		if err := sc(&id, &uid); err != nil {
			return err
		}
		out[id] = append(out[id], uid)
		return nil
	})
	return out, err
}

// PahekoNotices returns the last notice reported for each account.
func (s *Store) PahekoNotices(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	err := s.each(ctx, `SELECT uid, code FROM paheko_notices`, nil, func(sc func(...any) error) error {
		var uid, code string
		if err := sc(&uid, &code); err != nil {
			return err
		}
		out[uid] = code
		return nil
	})
	return out, err
}

// SetPahekoNotice records the last notice reported for an account ("" forgets it).
func (s *Store) SetPahekoNotice(ctx context.Context, uid, code string) error {
	q := `INSERT INTO paheko_notices (uid, code) VALUES (?, ?) ON CONFLICT (uid) DO UPDATE SET code = excluded.code`
	args := []any{uid, code}
	if code == "" {
		q, args = `DELETE FROM paheko_notices WHERE uid = ?`, []any{uid}
	}
	if _, err := s.db.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("store: save notice of %s: %w", uid, err)
	}
	return nil
}

// PahekoDecision is an admin's answer to the proposal to link an account
// to an existing member, with the account's name, e-mail and first
// sign-in (seconds, 0: never) when the admin answered.
type PahekoDecision struct {
	UID        string
	MemberID   int
	Decision   string // confirmed, refused
	Actor      string
	Name       string
	Email      string
	FirstLogin int64
}

// Decisions on proposals.
const (
	DecisionConfirmed = "confirmed"
	DecisionRefused   = "refused"
)

// PahekoDecisions returns every decision, by uid and member id.
func (s *Store) PahekoDecisions(ctx context.Context) ([]PahekoDecision, error) {
	var out []PahekoDecision
	err := s.each(ctx, `SELECT uid, member_id, decision, actor, name, email, first_login FROM paheko_decisions
		ORDER BY uid, member_id`, nil,
		func(sc func(...any) error) error {
			var d PahekoDecision
			if err := sc(&d.UID, &d.MemberID, &d.Decision, &d.Actor, &d.Name, &d.Email, &d.FirstLogin); err != nil {
				return err
			}
			out = append(out, d)
			return nil
		})
	return out, err
}

// SetPahekoDecision records (or replaces) the decision for d.UID and d.MemberID.
func (s *Store) SetPahekoDecision(ctx context.Context, d PahekoDecision) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO paheko_decisions (uid, member_id, decision, actor, at, name, email, first_login)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (uid, member_id) DO UPDATE SET decision = excluded.decision, actor = excluded.actor, at = excluded.at,
		name = excluded.name, email = excluded.email, first_login = excluded.first_login`,
		d.UID, d.MemberID, d.Decision, d.Actor, s.now().Unix(), d.Name, d.Email, d.FirstLogin)
	if err != nil {
		return fmt.Errorf("store: save decision for %s: %w", d.UID, err)
	}
	return nil
}

// PahekoPending is a member asked of Paheko for an account, not yet known
// to exist.
type PahekoPending struct {
	UID, Name, Email string
}

// PahekoPendings returns the pending creations, by uid.
func (s *Store) PahekoPendings(ctx context.Context) (map[string]PahekoPending, error) {
	out := map[string]PahekoPending{}
	err := s.each(ctx, `SELECT uid, name, email FROM paheko_pending`, nil, func(sc func(...any) error) error {
		var p PahekoPending
		if err := sc(&p.UID, &p.Name, &p.Email); err != nil {
			return err
		}
		out[p.UID] = p
		return nil
	})
	return out, err
}

// AddPahekoPending records that a member is about to be asked of Paheko for p.UID.
func (s *Store) AddPahekoPending(ctx context.Context, p PahekoPending) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO paheko_pending (uid, name, email, at) VALUES (?, ?, ?, ?)
		ON CONFLICT (uid) DO UPDATE SET name = excluded.name, email = excluded.email, at = excluded.at`,
		p.UID, p.Name, p.Email, s.now().Unix())
	if err != nil {
		return fmt.Errorf("store: save pending member of %s: %w", p.UID, err)
	}
	return nil
}

// DeletePahekoPending forgets the pending creation of uid (Paheko refused it).
func (s *Store) DeletePahekoPending(ctx context.Context, uid string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM paheko_pending WHERE uid = ?`, uid); err != nil {
		return fmt.Errorf("store: delete pending member of %s: %w", uid, err)
	}
	return nil
}

// each runs query and calls row for every row with a scanner.
func (s *Store) each(ctx context.Context, query string, args []any, row func(scan func(...any) error) error) error {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows.Scan); err != nil {
			return fmt.Errorf("store: %w", err)
		}
	}
	return rows.Err()
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
	out := []PahekoRun{}
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
	out := []AuditEntry{}
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
