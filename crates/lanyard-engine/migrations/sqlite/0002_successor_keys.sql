-- How each refresh token came to be, so a replay of its parent can be answered with it again:
-- `origin` is sign_in (random, no parent), rotation (derived from the parent token) or restart (the
-- new chain a password change starts, derived from the token that was live then); `key_id` names the
-- signing key that derived it (NULL for a random token, or one derived before key ids were kept,
-- which the current key derived), so an instance without that key answers
-- 503 instead of counting the replay as reuse.
ALTER TABLE refresh_tokens ADD COLUMN origin TEXT NOT NULL DEFAULT 'sign_in'
    CHECK (origin IN ('sign_in', 'rotation', 'restart'));
ALTER TABLE refresh_tokens ADD COLUMN key_id TEXT;
-- Tokens written before this migration were all derived by the one key of their instance.
UPDATE refresh_tokens SET origin = 'rotation' WHERE parent_hash IS NOT NULL;
CREATE INDEX refresh_tokens_parent ON refresh_tokens (parent_hash);
