-- Transfers as Nextcloud 32 behaves. A source disabled before its transfer
-- is remembered (enabled for the transfer's duration, then disabled again;
-- the member sync keeps treating it as disabled meanwhile). One active
-- transfer per source, and an account cannot leave while it takes over, or
-- take over while it leaves. Journal items gain the step that enables the
-- source.
ALTER TABLE transfers ADD COLUMN source_was_disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE transfers ADD COLUMN notified_at INTEGER NOT NULL DEFAULT 0; -- the accounts were told the outcome

-- Two active transfers of one source could be started before this rule:
-- the later ones stop (their job sees a final state and ends).
UPDATE transfers SET state = 'failed', error = 'transfer_busy', finished_at = CAST(strftime('%s', 'now') AS INTEGER)
WHERE state IN ('pending', 'running')
  AND id NOT IN (SELECT MIN(id) FROM transfers WHERE state IN ('pending', 'running') GROUP BY source);

CREATE UNIQUE INDEX transfers_one_active_per_source ON transfers (source) WHERE state IN ('pending', 'running');

CREATE TRIGGER transfers_leaving_or_taking_over BEFORE INSERT ON transfers
WHEN EXISTS (SELECT 1 FROM transfers WHERE state IN ('pending', 'running') AND (source = NEW.target OR target = NEW.source))
BEGIN
    SELECT RAISE(ABORT, 'transfer_busy: an account of this transfer is leaving or taking over in another one');
END;

CREATE TABLE transfer_items_new (
    id          INTEGER PRIMARY KEY,
    transfer_id INTEGER NOT NULL REFERENCES transfers (id),
    seq         INTEGER NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('enable', 'files', 'calendar', 'addressbook', 'disable')),
    ref         TEXT    NOT NULL, -- the source's path, or collection URI
    label       TEXT    NOT NULL,
    step        TEXT    NOT NULL DEFAULT '',
    state       TEXT    NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'running', 'waiting', 'done', 'failed')),
    data        TEXT    NOT NULL DEFAULT '{}',
    total       INTEGER NOT NULL DEFAULT 0,
    copied      INTEGER NOT NULL DEFAULT 0,
    error       TEXT    NOT NULL DEFAULT '',
    updated_at  INTEGER NOT NULL,
    UNIQUE (transfer_id, seq)
);
INSERT INTO transfer_items_new SELECT * FROM transfer_items;
DROP TABLE transfer_items;
ALTER TABLE transfer_items_new RENAME TO transfer_items;
