-- Paheko bridge: which member each account has, the reports of the sync
-- runs and the audit log of every change made in Paheko.
CREATE TABLE paheko_links (
    uid        TEXT    PRIMARY KEY,
    member_id  INTEGER NOT NULL,
    name       TEXT    NOT NULL, -- the account's name last written or found
    email      TEXT    NOT NULL,
    notice     TEXT    NOT NULL DEFAULT '', -- last notice reported, reported once
    updated_at INTEGER NOT NULL
);

CREATE TABLE paheko_runs (
    id          INTEGER PRIMARY KEY,
    trigger     TEXT    NOT NULL, -- poll, manual
    actor       TEXT    NOT NULL, -- the admin for a manual run, else ''
    started_at  INTEGER NOT NULL,
    finished_at INTEGER NOT NULL DEFAULT 0,
    state       TEXT    NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done', 'failed')),
    report      TEXT    NOT NULL DEFAULT '{}', -- JSON: counts and notices
    error       TEXT    NOT NULL DEFAULT ''    -- stable code of what stopped the run
);

CREATE TABLE paheko_audit (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    run_id    INTEGER NOT NULL DEFAULT 0,
    actor     TEXT    NOT NULL, -- who asked: an admin's uid, or 'sync'
    action    TEXT    NOT NULL, -- create, adopt, update
    uid       TEXT    NOT NULL,
    member_id INTEGER NOT NULL DEFAULT 0,
    detail    TEXT    NOT NULL DEFAULT '', -- the fields written (no secrets)
    result    TEXT    NOT NULL  -- ok, or a stable error code
);
CREATE INDEX paheko_audit_at ON paheko_audit (id DESC);

-- OpenID Connect provider: signing keys, single-use codes, access tokens.
CREATE TABLE oidc_keys (
    kid         TEXT    PRIMARY KEY,
    private_pem TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER NOT NULL DEFAULT 0 -- 0: the key in use or still published
);

CREATE TABLE oidc_codes (
    code_hash    TEXT    PRIMARY KEY, -- SHA-256 of the code; the code itself is never stored
    uid          TEXT    NOT NULL,
    client_id    TEXT    NOT NULL,
    redirect_uri TEXT    NOT NULL,
    nonce        TEXT    NOT NULL DEFAULT '',
    challenge    TEXT    NOT NULL DEFAULT '',
    method       TEXT    NOT NULL DEFAULT '',
    expires_at   INTEGER NOT NULL,
    used         INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE oidc_tokens (
    token_hash TEXT    PRIMARY KEY,
    uid        TEXT    NOT NULL,
    code_hash  TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);
