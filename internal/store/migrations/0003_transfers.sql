-- Ownership transfers: one row per transfer an admin started, and its
-- journal, one row per item (files, a calendar, an address book, the last
-- steps) with the last step done, so that a restarted job resumes there.
CREATE TABLE transfers (
    id          INTEGER PRIMARY KEY,
    source      TEXT    NOT NULL,
    target      TEXT    NOT NULL,
    admin       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    finished_at INTEGER NOT NULL DEFAULT 0,
    state       TEXT    NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'running', 'done', 'partial', 'failed')),
    error       TEXT    NOT NULL DEFAULT '' -- stable code of what stopped the transfer
);
CREATE INDEX transfers_recent ON transfers (id DESC);

CREATE TABLE transfer_items (
    id          INTEGER PRIMARY KEY,
    transfer_id INTEGER NOT NULL REFERENCES transfers (id),
    seq         INTEGER NOT NULL, -- order of execution
    kind        TEXT    NOT NULL CHECK (kind IN ('files', 'calendar', 'addressbook', 'disable')),
    ref         TEXT    NOT NULL, -- the source's path or collection path
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
