-- Mail (SPEC §10): each message is queued in the transaction that makes what it announces, so none is
-- lost, and delivered by the background work of some instance (claimed_until keeps two from
-- sending one), retried with backoff. The message is removed once it is sent or given up.
CREATE TABLE lanyard_mail (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,
    recipient        TEXT NOT NULL,
    message          TEXT,
    created_at       BIGINT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    claimed_until    BIGINT,
    sent_at          BIGINT,
    failed_at        BIGINT
);
CREATE INDEX lanyard_mail_due ON lanyard_mail (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;

-- The single-use tokens of SPEC §10's links, stored hashed. A newer token of a kind for the same
-- user (or, for an invitation, the same email and account) replaces the older ones.
CREATE TABLE lanyard_link_tokens (
    hash         TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    user_id      TEXT,
    email        TEXT NOT NULL,
    account_id   TEXT,
    role         TEXT,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT,
    replaced_at  BIGINT
);
CREATE INDEX lanyard_link_tokens_user ON lanyard_link_tokens (user_id, kind);
CREATE INDEX lanyard_link_tokens_email ON lanyard_link_tokens (email, kind);

-- Who counts as verified (SPEC §10): every user that exists now.
ALTER TABLE lanyard_users ADD COLUMN email_verified_at BIGINT;
UPDATE lanyard_users SET email_verified_at = created_at;
