-- Transfers hand over Deck boards and Talk conversations too: three more
-- kinds of journal lines, 'board' (ref: the board's id), 'conversation'
-- (ref: its token) and 'discover' (for a source whose account is disabled,
-- the step that lists its boards and conversations once it is enabled and
-- adds their lines). SQLite cannot change a CHECK constraint, so the table
-- is rebuilt with its rows.
CREATE TABLE transfer_items_new (
    id          INTEGER PRIMARY KEY,
    transfer_id INTEGER NOT NULL REFERENCES transfers (id),
    seq         INTEGER NOT NULL, -- order of execution
    kind        TEXT    NOT NULL
                CHECK (kind IN ('enable', 'files', 'calendar', 'addressbook', 'discover', 'board', 'conversation', 'disable')),
    ref         TEXT    NOT NULL, -- the source's path, collection path, board id or conversation token
    label       TEXT    NOT NULL, -- what the pages show
    step        TEXT    NOT NULL DEFAULT '', -- the last step done (journal)
    state       TEXT    NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'running', 'waiting', 'done', 'failed')),
    data        TEXT    NOT NULL DEFAULT '{}', -- JSON the steps keep: target path, transfer id, counts
    total       INTEGER NOT NULL DEFAULT 0,   -- objects to copy, when known
    copied      INTEGER NOT NULL DEFAULT 0,
    error       TEXT    NOT NULL DEFAULT '',  -- stable code of a failed item
    updated_at  INTEGER NOT NULL,
    UNIQUE (transfer_id, seq)
);
INSERT INTO transfer_items_new (id, transfer_id, seq, kind, ref, label, step, state, data, total, copied, error, updated_at)
    SELECT id, transfer_id, seq, kind, ref, label, step, state, data, total, copied, error, updated_at FROM transfer_items;
DROP TABLE transfer_items;
ALTER TABLE transfer_items_new RENAME TO transfer_items;
