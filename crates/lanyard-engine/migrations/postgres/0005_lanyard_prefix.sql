-- lanyard's tables take the prefix lanyard_, so that they sit beside an app's own tables (SPEC §12),
-- and so do their indexes (the primary and unique keys' too) and sequences, which share the
-- schema's namespace with every table. lanyard's own migrator (lanyard_migrations) records this
-- and every migration.
ALTER TABLE accounts RENAME TO lanyard_accounts;
ALTER TABLE users RENAME TO lanyard_users;
ALTER TABLE sessions RENAME TO lanyard_sessions;
ALTER TABLE refresh_tokens RENAME TO lanyard_refresh_tokens;
ALTER TABLE auth_events RENAME TO lanyard_auth_events;
ALTER TABLE settings RENAME TO lanyard_settings;
ALTER TABLE changes RENAME TO lanyard_changes;

ALTER INDEX accounts_pkey RENAME TO lanyard_accounts_pkey;
ALTER INDEX accounts_name_key RENAME TO lanyard_accounts_name_key;
ALTER INDEX users_pkey RENAME TO lanyard_users_pkey;
ALTER INDEX users_email_key_key RENAME TO lanyard_users_email_key_key;
ALTER INDEX sessions_pkey RENAME TO lanyard_sessions_pkey;
ALTER INDEX sessions_user RENAME TO lanyard_sessions_user;
ALTER INDEX sessions_account_ended RENAME TO lanyard_sessions_account_ended;
ALTER INDEX sessions_ended RENAME TO lanyard_sessions_ended;
ALTER INDEX sessions_expiring RENAME TO lanyard_sessions_expiring;
ALTER INDEX sessions_user_device RENAME TO lanyard_sessions_user_device;
ALTER INDEX refresh_tokens_pkey RENAME TO lanyard_refresh_tokens_pkey;
ALTER INDEX refresh_tokens_session RENAME TO lanyard_refresh_tokens_session;
ALTER INDEX refresh_tokens_parent RENAME TO lanyard_refresh_tokens_parent;
ALTER INDEX refresh_tokens_used RENAME TO lanyard_refresh_tokens_used;
ALTER INDEX auth_events_pkey RENAME TO lanyard_auth_events_pkey;
ALTER INDEX auth_events_session RENAME TO lanyard_auth_events_session;
ALTER INDEX auth_events_account RENAME TO lanyard_auth_events_account;
ALTER INDEX auth_events_at RENAME TO lanyard_auth_events_at;
ALTER INDEX settings_pkey RENAME TO lanyard_settings_pkey;
ALTER INDEX changes_pkey RENAME TO lanyard_changes_pkey;
ALTER INDEX changes_at RENAME TO lanyard_changes_at;

ALTER SEQUENCE auth_events_id_seq RENAME TO lanyard_auth_events_id_seq;
ALTER SEQUENCE changes_id_seq RENAME TO lanyard_changes_id_seq;
