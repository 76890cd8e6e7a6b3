-- The whole schema of SPEC §6. Every instant is Unix seconds (BIGINT); ids are text.

CREATE TABLE accounts (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'cancelled')),
    plan        TEXT NOT NULL DEFAULT 'active' CHECK (plan IN ('none', 'active', 'inactive')),
    created_at  BIGINT NOT NULL
);

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    email          TEXT NOT NULL,
    -- The lower-cased email: the unique, case-insensitive key sign-in looks up.
    email_key      TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL DEFAULT 'viewer' CHECK (role IN ('owner', 'admin', 'viewer')),
    account_id     TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at     BIGINT NOT NULL
);

-- Sessions are kept after they end (ended_at, end_reason) for "Recently ended" and the reports;
-- user_id and account_id carry no foreign key so that record outlives a deleted user.
CREATE TABLE sessions (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL,
    account_id      TEXT,
    device_id       TEXT,
    user_agent      TEXT,
    ip              TEXT,
    remember_me     BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    last_active_at  BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    refresh_count   BIGINT NOT NULL DEFAULT 0,
    ended_at        BIGINT,
    end_reason      TEXT
);
CREATE INDEX sessions_user ON sessions (user_id, ended_at);
CREATE INDEX sessions_account_ended ON sessions (account_id, ended_at);

-- The rotation chain: each token's SHA-256, its parent, and when it was consumed.
CREATE TABLE refresh_tokens (
    hash         TEXT PRIMARY KEY,
    session_id   TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    parent_hash  TEXT,
    issued_at    BIGINT NOT NULL,
    used_at      BIGINT
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

-- The audit trail: sign-ins, refreshes, reuse detections and every session ending.
CREATE TABLE auth_events (
    id          BIGSERIAL PRIMARY KEY,
    at          BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    user_id     TEXT,
    account_id  TEXT,
    session_id  TEXT,
    reason      TEXT,
    source      TEXT,
    path        TEXT,
    idle_secs   BIGINT,
    ip          TEXT,
    user_agent  TEXT,
    detail      TEXT
);
CREATE INDEX auth_events_session ON auth_events (session_id, at);
CREATE INDEX auth_events_account ON auth_events (account_id, at);

-- Instance-wide values, such as the signing secret when LANYARD_SECRET is unset.
CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

-- A sequence of changes that running servers read to learn of each other's writes (NOTIFY wakes them).
CREATE TABLE changes (
    id       BIGSERIAL PRIMARY KEY,
    at       BIGINT NOT NULL,
    kind     TEXT NOT NULL,
    subject  TEXT NOT NULL
);
