package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Transfer is an ownership transfer from Source to Target, started by Admin.
type Transfer struct {
	ID         int64     `json:"id"`
	Source     string    `json:"source"`
	Target     string    `json:"target"`
	Admin      string    `json:"admin"`
	CreatedAt  time.Time `json:"createdAt"`
	FinishedAt time.Time `json:"finishedAt"`
	State      string    `json:"state"` // pending, running, done, partial, failed
	Error      string    `json:"error"`
	// SourceWasDisabled: the source was disabled when the transfer
	// started; while it runs, the source counts as disabled.
	SourceWasDisabled bool `json:"sourceWasDisabled"`
	// NotifiedAt is when the accounts were told the outcome (zero: not yet).
	NotifiedAt time.Time `json:"notifiedAt"`
}

// ErrBusy is the refusal of a transfer whose source already leaves in an
// active transfer, whose target leaves in one, or whose source takes over
// in one (migration 0005).
var ErrBusy = errors.New("store: an account of this transfer is in another active transfer")

// TransferItem is one line of a transfer's journal.
type TransferItem struct {
	ID         int64     `json:"id"`
	TransferID int64     `json:"-"`
	Seq        int       `json:"seq"`
	Kind       string    `json:"kind"` // files, calendar, addressbook, board, conversation, disable
	Ref        string    `json:"ref"`
	Label      string    `json:"label"`
	Step       string    `json:"step"`
	State      string    `json:"state"` // pending, running, waiting, done, failed
	Data       string    `json:"-"`
	Total      int       `json:"total"`
	Copied     int       `json:"copied"`
	Error      string    `json:"error"`
	UpdatedAt  time.Time `json:"updatedAt"`
}

// CreateTransfer records a transfer and its items (Seq taken from their
// order) in one transaction, and returns its id. It returns ErrBusy when
// the source already leaves in an active transfer, or one of the two
// accounts leaves or takes over in another (checked by the database, so two
// requests at once cannot both pass).
func (s *Store) CreateTransfer(ctx context.Context, t Transfer, items []TransferItem) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		now := s.now().Unix()
		res, err := tx.ExecContext(ctx, `INSERT INTO transfers (source, target, admin, created_at, source_was_disabled) VALUES (?, ?, ?, ?, ?)`,
			t.Source, t.Target, t.Admin, now, t.SourceWasDisabled)
		if err != nil && (strings.Contains(err.Error(), "transfer_busy") || strings.Contains(err.Error(), "UNIQUE constraint failed: transfers.source")) {
			return ErrBusy
		}
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		for i, it := range items {
			if it.Data == "" {
				it.Data = "{}"
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO transfer_items (transfer_id, seq, kind, ref, label, data, total, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, i+1, it.Kind, it.Ref, it.Label, it.Data, it.Total, now); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, ErrBusy) {
		return 0, ErrBusy
	}
	if err != nil {
		return 0, fmt.Errorf("store: create transfer: %w", err)
	}
	return id, nil
}

const transferCols = `id, source, target, admin, created_at, finished_at, state, error, source_was_disabled, notified_at`

func scanTransfer(row interface{ Scan(...any) error }) (Transfer, error) {
	var t Transfer
	var created, finished, notified int64
	if err := row.Scan(&t.ID, &t.Source, &t.Target, &t.Admin, &created, &finished, &t.State, &t.Error, &t.SourceWasDisabled, &notified); err != nil {
		return t, err
	}
	t.NotifiedAt = time.Unix(notified, 0).UTC()
	t.CreatedAt = time.Unix(created, 0).UTC()
	if finished > 0 {
		t.FinishedAt = time.Unix(finished, 0).UTC()
	}
	return t, nil
}

// Transfer returns the transfer id, or ErrNotFound.
func (s *Store) Transfer(ctx context.Context, id int64) (Transfer, error) {
	t, err := scanTransfer(s.db.QueryRowContext(ctx, `SELECT `+transferCols+` FROM transfers WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("store: transfer %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("store: transfer %d: %w", id, err)
	}
	return t, nil
}

// RecentTransfers returns the last transfers, newest first.
func (s *Store) RecentTransfers(ctx context.Context, limit int) ([]Transfer, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+transferCols+` FROM transfers ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: list transfers: %w", err)
	}
	defer rows.Close()
	var out []Transfer
	for rows.Next() {
		t, err := scanTransfer(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list transfers: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// DisabledSourcesInTransfer lists the sources of active transfers that
// were disabled when their transfer started: the member sync treats them
// as disabled although the transfer enabled them for its duration.
func (s *Store) DisabledSourcesInTransfer(ctx context.Context) (map[string]bool, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT source FROM transfers WHERE state IN ('pending', 'running') AND source_was_disabled`)
	if err != nil {
		return nil, fmt.Errorf("store: disabled sources in transfer: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var uid string
		if err := rows.Scan(&uid); err != nil {
			return nil, fmt.Errorf("store: disabled sources in transfer: %w", err)
		}
		out[uid] = true
	}
	return out, rows.Err()
}

// SetTransferState records a transfer's state; a final state (done,
// partial, failed) also records when it finished.
func (s *Store) SetTransferState(ctx context.Context, id int64, state, errCode string) error {
	finished := int64(0)
	if state == "done" || state == "partial" || state == "failed" {
		finished = s.now().Unix()
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE transfers SET state = ?, error = ?, finished_at = ? WHERE id = ?`,
		state, errCode, finished, id); err != nil {
		return fmt.Errorf("store: transfer %d state: %w", id, err)
	}
	return nil
}

// MarkTransferNotified records that the accounts were told how transfer id
// ended, so that a resumed run does not tell them twice.
func (s *Store) MarkTransferNotified(ctx context.Context, id int64) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE transfers SET notified_at = ? WHERE id = ?`, s.now().Unix(), id); err != nil {
		return fmt.Errorf("store: transfer %d notified: %w", id, err)
	}
	return nil
}

// TransferItems returns the journal of a transfer, in order.
func (s *Store) TransferItems(ctx context.Context, transferID int64) ([]TransferItem, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, transfer_id, seq, kind, ref, label, step, state, data, total, copied, error, updated_at
		FROM transfer_items WHERE transfer_id = ? ORDER BY seq`, transferID)
	if err != nil {
		return nil, fmt.Errorf("store: transfer %d items: %w", transferID, err)
	}
	defer rows.Close()
	var out []TransferItem
	for rows.Next() {
		var it TransferItem
		var updated int64
		if err := rows.Scan(&it.ID, &it.TransferID, &it.Seq, &it.Kind, &it.Ref, &it.Label, &it.Step, &it.State,
			&it.Data, &it.Total, &it.Copied, &it.Error, &updated); err != nil {
			return nil, fmt.Errorf("store: transfer %d items: %w", transferID, err)
		}
		it.UpdatedAt = time.Unix(updated, 0).UTC()
		out = append(out, it)
	}
	return out, rows.Err()
}

// SaveTransferItem writes an item's journal line: step, state, data,
// counts and error. It is the commit point of each step.
func (s *Store) SaveTransferItem(ctx context.Context, it TransferItem) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE transfer_items SET step = ?, state = ?, data = ?, total = ?, copied = ?,
		error = ?, updated_at = ? WHERE id = ?`, it.Step, it.State, it.Data, it.Total, it.Copied, it.Error, s.now().Unix(), it.ID); err != nil {
		return fmt.Errorf("store: save transfer item %d: %w", it.ID, err)
	}
	return nil
}
