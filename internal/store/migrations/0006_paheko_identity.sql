-- Paheko bridge: identity across account lifetimes and proposals.
-- The first sign-in time of the linked account tells a re-created account
-- (same uid, someone else) from the one that was linked.
ALTER TABLE paheko_links ADD COLUMN first_login INTEGER NOT NULL DEFAULT 0; -- seconds, 0: never signed in

-- The last notice reported for an account, linked or not (reported once).
CREATE TABLE paheko_notices (
    uid  TEXT PRIMARY KEY,
    code TEXT NOT NULL
);
INSERT INTO paheko_notices (uid, code) SELECT uid, notice FROM paheko_links WHERE notice != '';
ALTER TABLE paheko_links DROP COLUMN notice;

-- An admin's answer to a proposal to link an account to an existing member:
-- confirmed (linked once), or refused (a new member, never proposed again).
CREATE TABLE paheko_decisions (
    uid       TEXT    NOT NULL,
    member_id INTEGER NOT NULL,
    decision  TEXT    NOT NULL CHECK (decision IN ('confirmed', 'refused')),
    actor     TEXT    NOT NULL,
    at        INTEGER NOT NULL,
    PRIMARY KEY (uid, member_id)
);

-- Members asked of Paheko and not yet known to exist: a retry first looks
-- the member up, so that it is never created twice.
CREATE TABLE paheko_pending (
    uid   TEXT    PRIMARY KEY,
    name  TEXT    NOT NULL,
    email TEXT    NOT NULL,
    at    INTEGER NOT NULL
);

-- Members whose link was dropped (account deleted, disabled or replaced):
-- never taken over again without an admin's confirmation.
CREATE TABLE paheko_released (
    member_id INTEGER NOT NULL,
    uid       TEXT    NOT NULL,
    at        INTEGER NOT NULL,
    PRIMARY KEY (member_id, uid)
);
