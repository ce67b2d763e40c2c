-- Guided tours: each member's progress per tour, their personal choice not
-- to be offered tours, and the accounts the welcome notification knows about.
CREATE TABLE tour_progress (
    uid        TEXT    NOT NULL,
    tour       TEXT    NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('done', 'skipped')),
    step       INTEGER NOT NULL DEFAULT 0, -- the step shown last (0-based)
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (uid, tour)
);

CREATE TABLE tour_prefs (
    uid        TEXT    PRIMARY KEY,
    no_offer   INTEGER NOT NULL DEFAULT 0, -- 1: "don't offer me tours"
    updated_at INTEGER NOT NULL
);

-- Every account seen by the account polling. Accounts present when AssoKit
-- first polled are 'existing' and never welcomed; a new account is 'pending'
-- until its welcome notification is sent ('welcomed'), or 'declined' when it
-- chose not to be offered tours first.
CREATE TABLE known_accounts (
    uid        TEXT    PRIMARY KEY,
    state      TEXT    NOT NULL CHECK (state IN ('existing', 'pending', 'welcomed', 'declined')),
    first_seen INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
