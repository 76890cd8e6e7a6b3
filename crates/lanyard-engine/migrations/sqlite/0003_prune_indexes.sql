-- What the hourly sweep and prune filter on, so they stay index lookups as history grows: endings
-- and expiries of sessions, used refresh tokens, the age of audit events and of changes.
CREATE INDEX sessions_ended ON sessions (ended_at);
CREATE INDEX sessions_expiring ON sessions (expires_at) WHERE ended_at IS NULL;
CREATE INDEX refresh_tokens_used ON refresh_tokens (used_at);
CREATE INDEX auth_events_at ON auth_events (at);
CREATE INDEX changes_at ON changes (at);
