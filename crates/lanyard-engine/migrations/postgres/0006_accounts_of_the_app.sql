-- A user's account may be an app's own (lanyard_engine::Accounts, SPEC §12), whose ids are not in
-- lanyard_accounts: the users' account_id loses its foreign key (named when the table was still
-- `users`).
ALTER TABLE lanyard_users DROP CONSTRAINT IF EXISTS users_account_id_fkey;
CREATE INDEX lanyard_users_account ON lanyard_users (account_id);
