-- A user's account may be an app's own (lanyard_engine::Accounts, SPEC §12), whose ids are not in
-- lanyard_accounts: the users' account_id loses its foreign key. SQLite cannot drop a constraint,
-- so the table is made again; nothing refers to lanyard_users, so nothing else moves.
CREATE TABLE lanyard_users_new (
    id             TEXT PRIMARY KEY,
    email          TEXT NOT NULL,
    -- The lower-cased email: the unique, case-insensitive key sign-in looks up.
    email_key      TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL DEFAULT 'viewer' CHECK (role IN ('owner', 'admin', 'viewer')),
    account_id     TEXT,
    created_at     INTEGER NOT NULL
);
INSERT INTO lanyard_users_new (id, email, email_key, password_hash, role, account_id, created_at)
    SELECT id, email, email_key, password_hash, role, account_id, created_at FROM lanyard_users;
DROP TABLE lanyard_users;
ALTER TABLE lanyard_users_new RENAME TO lanyard_users;
CREATE INDEX lanyard_users_account ON lanyard_users (account_id);
