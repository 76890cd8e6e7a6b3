-- lanyard's tables take the prefix lanyard_, so that they sit beside an app's own tables (SPEC §12),
-- and their indexes follow. Renaming a table also renames it in the other tables' foreign keys and
-- in sqlite_sequence. lanyard's own migrator (lanyard_migrations) records this and every migration.
ALTER TABLE accounts RENAME TO lanyard_accounts;
ALTER TABLE users RENAME TO lanyard_users;
ALTER TABLE sessions RENAME TO lanyard_sessions;
ALTER TABLE refresh_tokens RENAME TO lanyard_refresh_tokens;
ALTER TABLE auth_events RENAME TO lanyard_auth_events;
ALTER TABLE settings RENAME TO lanyard_settings;
ALTER TABLE changes RENAME TO lanyard_changes;

-- SQLite cannot rename an index: each is made again under its new name.
DROP INDEX sessions_user;
CREATE INDEX lanyard_sessions_user ON lanyard_sessions (user_id, ended_at);
DROP INDEX sessions_account_ended;
CREATE INDEX lanyard_sessions_account_ended ON lanyard_sessions (account_id, ended_at);
DROP INDEX sessions_ended;
CREATE INDEX lanyard_sessions_ended ON lanyard_sessions (ended_at);
DROP INDEX sessions_expiring;
CREATE INDEX lanyard_sessions_expiring ON lanyard_sessions (expires_at) WHERE ended_at IS NULL;
DROP INDEX sessions_user_device;
CREATE INDEX lanyard_sessions_user_device ON lanyard_sessions (user_id, device_id);
DROP INDEX refresh_tokens_session;
CREATE INDEX lanyard_refresh_tokens_session ON lanyard_refresh_tokens (session_id);
DROP INDEX refresh_tokens_parent;
CREATE INDEX lanyard_refresh_tokens_parent ON lanyard_refresh_tokens (parent_hash);
DROP INDEX refresh_tokens_used;
CREATE INDEX lanyard_refresh_tokens_used ON lanyard_refresh_tokens (used_at);
DROP INDEX auth_events_session;
CREATE INDEX lanyard_auth_events_session ON lanyard_auth_events (session_id, at);
DROP INDEX auth_events_account;
CREATE INDEX lanyard_auth_events_account ON lanyard_auth_events (account_id, at);
DROP INDEX auth_events_at;
CREATE INDEX lanyard_auth_events_at ON lanyard_auth_events (at);
DROP INDEX changes_at;
CREATE INDEX lanyard_changes_at ON lanyard_changes (at);
