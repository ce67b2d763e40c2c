package store

import (
	"context"
	"database/sql"
	"fmt"
)

// ExpandTransfer journals step it (as SaveTransferItem does) and adds the
// items found by that step to its transfer, in one transaction: a step that
// discovers work either records it whole, or not at all and runs again. The
// new items take the places after the last one, the 'disable' line staying
// last; ExpandTransfer returns the transfer's items, in order.
func (s *Store) ExpandTransfer(ctx context.Context, it TransferItem, added []TransferItem) ([]TransferItem, error) {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		now := s.now().Unix()
		if _, err := tx.ExecContext(ctx, `UPDATE transfer_items SET step = ?, state = ?, data = ?, total = ?, copied = ?,
			error = ?, updated_at = ? WHERE id = ?`, it.Step, it.State, it.Data, it.Total, it.Copied, it.Error, now, it.ID); err != nil {
			return err
		}
		var last int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM transfer_items WHERE transfer_id = ?`, it.TransferID).Scan(&last); err != nil {
			return err
		}
		// Move the 'disable' line out of the way, then after the new ones.
		if _, err := tx.ExecContext(ctx, `UPDATE transfer_items SET seq = ? WHERE transfer_id = ? AND kind = 'disable'`,
			last+len(added)+1, it.TransferID); err != nil {
			return err
		}
		seq := last
		for _, a := range added {
			seq++
			if a.Data == "" {
				a.Data = "{}"
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO transfer_items (transfer_id, seq, kind, ref, label, data, total, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, it.TransferID, seq, a.Kind, a.Ref, a.Label, a.Data, a.Total, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: expand transfer %d: %w", it.TransferID, err)
	}
	return s.TransferItems(ctx, it.TransferID)
}
