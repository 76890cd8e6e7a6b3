//! Accounts and their users: sign-in's lookup, the operator's changes, the admin pages' lists.

use super::new_id;
use super::{Store, Tx};
use crate::error::AuthResult;
use lanyard_contract::credentials::email_key;
use lanyard_contract::{AccountStatus, AccountUser, PlanStatus, Role, Secret};
use sqlx::FromRow;

/// A user found by email at sign-in. The account is named by its id only: its standing comes from
/// the engine's [`Accounts`](crate::Accounts), which may be the host's.
#[derive(Debug, Clone, FromRow)]
pub struct UserRecord {
    pub id: String,
    pub email: String,
    #[sqlx(try_from = "String")]
    pub password_hash: Secret,
    pub role: Role,
    pub account_id: Option<String>,
    /// When the user confirmed the address; `None` while a sign-up waits for its link.
    pub email_verified_at: Option<i64>,
}

/// An account row of lanyard's own table, as the default accounts read it.
#[derive(Debug, Clone, FromRow)]
pub struct AccountRow {
    pub name: String,
    pub status: AccountStatus,
    pub plan: PlanStatus,
}

/// An account's live sessions and users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountCounts {
    pub active_sessions: i64,
    pub users: i64,
}

/// What the operator sets on an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountChange {
    /// Sets the account's status; anything but `active` ends its sessions at their next call.
    Status(AccountStatus),
    /// Sets the account's plan; anything but `active` refuses the calls that check it with 402, the
    /// sessions kept.
    Plan(PlanStatus),
}

impl Store {
    pub async fn account_id_by_name(&self, name: &str) -> AuthResult<Option<String>> {
        Ok(sqlx::query_as::<_, (String,)>("SELECT id FROM lanyard_accounts WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .map(|(id,)| id))
    }

    /// Creates an account, active with an active plan; `None` when the name is taken.
    pub async fn insert_account(&self, name: &str, now: i64) -> AuthResult<Option<String>> {
        let id = new_id();
        let inserted = sqlx::query(
            "INSERT INTO lanyard_accounts (id, name, status, plan, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(&id)
        .bind(name)
        .bind(AccountStatus::Active.as_str())
        .bind(PlanStatus::Active.as_str())
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok((inserted == 1).then_some(id))
    }

    pub async fn account(&self, account_id: &str) -> AuthResult<Option<AccountRow>> {
        Ok(sqlx::query_as("SELECT name, status, plan FROM lanyard_accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn user_count(&self) -> AuthResult<i64> {
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM lanyard_users").fetch_one(&self.pool).await?;
        Ok(count)
    }

    /// Inserts a user, verified at `verified_at` or not yet; returns `None` if the email is taken.
    pub async fn insert_user(
        &self,
        email: &str,
        password_hash: &str,
        role: Role,
        account_id: Option<&str>,
        verified_at: Option<i64>,
        now: i64,
    ) -> AuthResult<Option<String>> {
        let id = new_id();
        let inserted = sqlx::query(
            "INSERT INTO lanyard_users (id, email, email_key, password_hash, role, account_id, email_verified_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (email_key) DO NOTHING",
        )
        .bind(&id)
        .bind(email.trim())
        .bind(email_key(email))
        .bind(password_hash)
        .bind(role.as_str())
        .bind(account_id)
        .bind(verified_at)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok((inserted == 1).then_some(id))
    }

    pub async fn user_by_email(&self, email: &str) -> AuthResult<Option<UserRecord>> {
        Ok(sqlx::query_as("SELECT id, email, password_hash, role, account_id, email_verified_at FROM lanyard_users WHERE email_key = $1")
            .bind(email_key(email))
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn user_by_id(&self, id: &str) -> AuthResult<Option<UserRecord>> {
        Ok(sqlx::query_as(
            "SELECT id, email, password_hash, role, account_id, email_verified_at FROM lanyard_users WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Sets the user's password hash, whatever it was (a reset by email proves the address, not the
    /// old password), and counts the address verified from now if it was not.
    pub async fn reset_password(tx: &mut Tx, user_id: &str, hash: &str, now: i64) -> AuthResult<()> {
        sqlx::query(
            "UPDATE lanyard_users SET password_hash = $1, email_verified_at = COALESCE(email_verified_at, $3)
             WHERE id = $2",
        )
        .bind(hash)
        .bind(user_id)
        .bind(now)
        .execute(tx.conn())
        .await?;
        Ok(())
    }

    /// Sets the password of a user who has not verified the address (a repeated sign-up).
    pub async fn set_unverified_password(tx: &mut Tx, user_id: &str, hash: &str) -> AuthResult<()> {
        sqlx::query("UPDATE lanyard_users SET password_hash = $1 WHERE id = $2 AND email_verified_at IS NULL")
            .bind(hash)
            .bind(user_id)
            .execute(tx.conn())
            .await?;
        Ok(())
    }

    /// Sets the user's address in `tx`; false when another user has it.
    pub async fn set_email(tx: &mut Tx, user_id: &str, email: &str) -> AuthResult<bool> {
        let changed = sqlx::query(
            "UPDATE lanyard_users SET email = $1, email_key = $2
             WHERE id = $3 AND NOT EXISTS (SELECT 1 FROM lanyard_users WHERE email_key = $2 AND id <> $3)",
        )
        .bind(email.trim())
        .bind(email_key(email))
        .bind(user_id)
        .execute(tx.conn())
        .await?
        .rows_affected();
        Ok(changed == 1)
    }

    /// Counts the user's address verified from `now`, if it was not.
    pub async fn verify_user(tx: &mut Tx, user_id: &str, now: i64) -> AuthResult<()> {
        sqlx::query("UPDATE lanyard_users SET email_verified_at = COALESCE(email_verified_at, $2) WHERE id = $1")
            .bind(user_id)
            .bind(now)
            .execute(tx.conn())
            .await?;
        Ok(())
    }

    /// Live sessions and users of an account, for the admin overview.
    pub async fn account_counts(&self, account_id: &str, now: i64) -> AuthResult<AccountCounts> {
        let (sessions,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM lanyard_sessions WHERE account_id = $1 AND ended_at IS NULL AND expires_at > $2",
        )
        .bind(account_id)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        let (users,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM lanyard_users WHERE account_id = $1")
            .bind(account_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(AccountCounts { active_sessions: sessions, users })
    }

    /// Sets the user's password hash to `new` if it is still `checked` (the hash a password was
    /// just verified against); false when it changed meanwhile. Either way the user's row is held
    /// for the rest of `tx` (on PostgreSQL a second writer waits, then sees this one's commit), so a
    /// sign-in (`new` = `checked`) and a password change of one user take turns: a sign-in that
    /// checked the old password while the change committed finds it gone, and what either reads of
    /// the user's sessions stays true until it commits. Every transaction that holds a user's row
    /// and a session's takes the user's first.
    pub async fn swap_password_hash(tx: &mut Tx, user_id: &str, checked: &str, new: &str) -> AuthResult<bool> {
        let swapped = sqlx::query("UPDATE lanyard_users SET password_hash = $1 WHERE id = $2 AND password_hash = $3")
            .bind(new)
            .bind(user_id)
            .bind(checked)
            .execute(tx.conn())
            .await?
            .rows_affected();
        Ok(swapped == 1)
    }

    /// Sets the status or the plan of an account.
    pub async fn change_account(tx: &mut Tx, account_id: &str, change: AccountChange) -> AuthResult<()> {
        let (sql, value) = match change {
            AccountChange::Status(status) => ("UPDATE lanyard_accounts SET status = $1 WHERE id = $2", status.as_str()),
            AccountChange::Plan(plan) => ("UPDATE lanyard_accounts SET plan = $1 WHERE id = $2", plan.as_str()),
        };
        sqlx::query(sql).bind(value).bind(account_id).execute(tx.conn()).await?;
        Ok(())
    }

    /// The account of the user `user_id`; `None` when there is no such user or it has no account.
    pub async fn account_of_user(&self, user_id: &str) -> AuthResult<Option<String>> {
        let row: Option<(Option<String>,)> = sqlx::query_as("SELECT account_id FROM lanyard_users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.and_then(|(account_id,)| account_id))
    }

    /// The account's users with their live sessions, by email.
    pub async fn account_users(&self, account_id: &str, now: i64) -> AuthResult<Vec<AccountUser>> {
        let rows: Vec<(String, String, Role, i64)> = sqlx::query_as(
            "SELECT u.id, u.email, u.role,
                    (SELECT COUNT(*) FROM lanyard_sessions s
                     WHERE s.user_id = u.id AND s.ended_at IS NULL AND s.expires_at > $2) AS live_sessions
             FROM lanyard_users u WHERE u.account_id = $1 ORDER BY u.email_key",
        )
        .bind(account_id)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, email, role, live_sessions)| AccountUser { id, email, role, live_sessions })
            .collect())
    }
}
