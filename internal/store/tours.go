package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// TourProgress is where one member stands in one tour.
type TourProgress struct {
	State string `json:"state"` // done, skipped
	Step  int    `json:"step"`  // the step shown last, 0-based
}

// TourProgress returns the member's progress, by tour id. Tours never
// started are absent.
func (s *Store) TourProgress(ctx context.Context, uid string) (map[string]TourProgress, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT tour, state, step FROM tour_progress WHERE uid = ?`, uid)
	if err != nil {
		return nil, fmt.Errorf("store: read tour progress: %w", err)
	}
	defer rows.Close()
	out := map[string]TourProgress{}
	for rows.Next() {
		var tour string
		var p TourProgress
		if err := rows.Scan(&tour, &p.State, &p.Step); err != nil {
			return nil, fmt.Errorf("store: read tour progress: %w", err)
		}
		out[tour] = p
	}
	return out, rows.Err()
}

// SetTourProgress records the member's progress in a tour, replacing the
// previous one. A tour done stays done when it is later left half-way
// ("Revoir" then "Quitter").
func (s *Store) SetTourProgress(ctx context.Context, uid, tour string, p TourProgress) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO tour_progress (uid, tour, state, step, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (uid, tour) DO UPDATE SET
			state = CASE WHEN tour_progress.state = 'done' THEN 'done' ELSE excluded.state END,
			step = excluded.step, updated_at = excluded.updated_at`,
		uid, tour, p.State, p.Step, s.now().Unix())
	if err != nil {
		return fmt.Errorf("store: save tour progress: %w", err)
	}
	return nil
}

// TourNoOffer reports whether the member chose not to be offered tours.
func (s *Store) TourNoOffer(ctx context.Context, uid string) (bool, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT no_offer FROM tour_prefs WHERE uid = ?`, uid).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: read tour preferences: %w", err)
	}
	return v == 1, nil
}

// SetTourNoOffer stores the member's choice not to be offered tours.
func (s *Store) SetTourNoOffer(ctx context.Context, uid string, noOffer bool) error {
	v := 0
	if noOffer {
		v = 1
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO tour_prefs (uid, no_offer, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (uid) DO UPDATE SET no_offer = excluded.no_offer, updated_at = excluded.updated_at`,
		uid, v, s.now().Unix())
	if err != nil {
		return fmt.Errorf("store: save tour preferences: %w", err)
	}
	return nil
}

// Account states of known_accounts.
const (
	AccountExisting = "existing" // there before AssoKit's first poll: never welcomed
	AccountPending  = "pending"  // new, welcome not sent yet
	AccountWelcomed = "welcomed"
	AccountDeclined = "declined" // chose not to be offered tours before the welcome
)

// KnownAccounts returns the state of every account seen so far, by uid.
func (s *Store) KnownAccounts(ctx context.Context) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT uid, state FROM known_accounts`)
	if err != nil {
		return nil, fmt.Errorf("store: read known accounts: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var uid, state string
		if err := rows.Scan(&uid, &state); err != nil {
			return nil, fmt.Errorf("store: read known accounts: %w", err)
		}
		out[uid] = state
	}
	return out, rows.Err()
}

// AddKnownAccounts records uids in state, in one transaction; accounts
// already known keep their state.
func (s *Store) AddKnownAccounts(ctx context.Context, uids []string, state string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		now := s.now().Unix()
		for _, uid := range uids {
			if _, err := tx.ExecContext(ctx, `INSERT INTO known_accounts (uid, state, first_seen, updated_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (uid) DO NOTHING`, uid, state, now, now); err != nil {
				return fmt.Errorf("store: record account %s: %w", uid, err)
			}
		}
		return nil
	})
}

// SetKnownAccount changes the state of a known account.
func (s *Store) SetKnownAccount(ctx context.Context, uid, state string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE known_accounts SET state = ?, updated_at = ? WHERE uid = ?`, state, s.now().Unix(), uid)
	if err != nil {
		return fmt.Errorf("store: update account %s: %w", uid, err)
	}
	return nil
}
