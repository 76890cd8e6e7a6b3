-- Step-up (SPEC §1): when this session's password was last checked, by its sign-in, a reauth or a
-- password change; a sensitive action needs it within LANYARD_REAUTH_WINDOW.
ALTER TABLE sessions ADD COLUMN password_checked_at BIGINT NOT NULL DEFAULT 0;
UPDATE sessions SET password_checked_at = created_at;
-- Whether the sign-in that made this session was the user's first on its device (SPEC §3 activity,
-- §4 new device); devices are told apart by the browser's device_id.
ALTER TABLE sessions ADD COLUMN new_device BIGINT NOT NULL DEFAULT 0;
CREATE INDEX sessions_user_device ON sessions (user_id, device_id);
