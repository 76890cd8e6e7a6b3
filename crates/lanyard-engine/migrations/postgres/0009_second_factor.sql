-- The second factor (SPEC §11). Everything a sign-in's two steps share lives here, so two instances
-- behind a proxy serve the two steps of one sign-in.

-- A user's authenticator app: the secret sealed under a key derived from the signing secret
-- (key_id names which), confirmed once a code from the app was right. last_step is the newest
-- 30-second step whose code was accepted: a code is accepted once, and no older one after it.
CREATE TABLE lanyard_totp (
    user_id       TEXT PRIMARY KEY,
    sealed        TEXT NOT NULL,
    key_id        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    confirmed_at  BIGINT,
    last_step     BIGINT
);

-- Recovery codes, each stored as a random salt and a hash (`salt$hash`), each usable once.
CREATE TABLE lanyard_recovery_codes (
    user_id     TEXT NOT NULL,
    hash        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    used_at     BIGINT,
    PRIMARY KEY (user_id, hash)
);

-- Passkeys: the credential as the WebAuthn library keeps it (JSON, public key and counter), the
-- user handle the authenticator holds (one per user), and the name the user gave it.
CREATE TABLE lanyard_passkeys (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL,
    user_handle    TEXT NOT NULL,
    credential_id  TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    credential     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    last_used_at   BIGINT
);
CREATE INDEX lanyard_passkeys_user ON lanyard_passkeys (user_id);
CREATE INDEX lanyard_passkeys_handle ON lanyard_passkeys (user_handle);

-- A sign-in between its two steps, named by a token (stored hashed) that lives five minutes and is
-- consumed by the second step that succeeds. A password reset of a second-factor user waits here
-- too: its link and its new password's hash commit with the second step.
CREATE TABLE lanyard_mfa_tokens (
    hash               TEXT PRIMARY KEY,
    user_id            TEXT NOT NULL,
    remember_me        BIGINT NOT NULL DEFAULT 0,
    device_id          TEXT,
    reset_link_hash    TEXT,
    new_password_hash  TEXT,
    created_at         BIGINT NOT NULL,
    expires_at         BIGINT NOT NULL,
    used_at            BIGINT
);

-- WebAuthn ceremonies under way, by their challenge: what the library needs to finish one, whom it
-- is for (a session, a first step, or nobody yet for a passkey sign-in) and until when.
CREATE TABLE lanyard_webauthn_challenges (
    challenge       TEXT PRIMARY KEY,
    purpose         TEXT NOT NULL,
    user_id         TEXT,
    session_id      TEXT,
    mfa_token_hash  TEXT,
    state           TEXT NOT NULL,
    expires_at      BIGINT NOT NULL
);
