-- The throttles of SPEC §9 held across instances: every attempt of a throttled flow (a password
-- checked, a sign-up, a reset …), counted by every instance. Subject (an email) and address are
-- keyed hashes: what is typed into an email field may be a password. Rows go once their window has
-- passed (the hourly sweep).
CREATE TABLE lanyard_attempts (
    id       TEXT PRIMARY KEY,
    flow     TEXT NOT NULL,
    subject  TEXT NOT NULL,
    address  TEXT NOT NULL,
    at       BIGINT NOT NULL
);
CREATE INDEX lanyard_attempts_subject ON lanyard_attempts (flow, subject, at);
CREATE INDEX lanyard_attempts_address ON lanyard_attempts (flow, address, at);
CREATE INDEX lanyard_attempts_at ON lanyard_attempts (at);
