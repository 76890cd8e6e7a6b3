//! Sessions and their refresh tokens: the rows the guard judges, the rotation chain and the
//! endings, each written inside the caller's transaction where it must commit with other writes.

use super::TokenOrigin;
use super::{Store, Tx};
use crate::error::AuthResult;
use lanyard_contract::{LogoutCode, Role};
use sqlx::FromRow;

/// The session and its user, as one row: what the guard decides on, with the standing of the user's
/// account (which the engine's accounts give, see `live::Entry`).
#[derive(Debug, Clone, FromRow)]
pub struct SessionState {
    pub session_id: String,
    pub session_user_id: String,
    pub session_account_id: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_active_at: i64,
    pub refresh_count: i64,
    pub ended_at: Option<i64>,
    pub end_reason: Option<LogoutCode>,
    /// The user's email; `None` when the session's user no longer exists.
    pub email: Option<String>,
    pub role: Option<Role>,
    /// The user's account now (the session's may be another: SESSION_ACCOUNT_MISMATCH).
    pub account_id: Option<String>,
}

const SESSION_STATE_SELECT: &str = "
    SELECT s.id AS session_id, s.user_id AS session_user_id, s.account_id AS session_account_id,
           s.created_at, s.expires_at, s.last_active_at, s.refresh_count, s.ended_at, s.end_reason,
           u.email, u.role, u.account_id
    FROM lanyard_sessions s
    LEFT JOIN lanyard_users u ON u.id = s.user_id";

/// Which of [`SESSION_STATE_SELECT`]'s rows are a user's live sessions.
const LIVE_SESSIONS_OF_USER: &str = " WHERE s.user_id = $1 AND s.ended_at IS NULL";

/// A refresh token about to be stored.
#[derive(Debug, Clone, Copy)]
pub struct NewRefreshToken<'a> {
    pub hash: &'a str,
    pub session_id: &'a str,
    pub parent_hash: Option<&'a str>,
    pub origin: TokenOrigin,
    /// The key that derived it; `None` for a random token.
    pub key_id: Option<&'a str>,
}

/// What a replay of a used token needs: when it was used, and the token that followed it.
#[derive(Debug, Clone, FromRow)]
pub struct Replay {
    pub used_at: Option<i64>,
    pub successor_hash: Option<String>,
    pub successor_used_at: Option<i64>,
    pub successor_origin: Option<TokenOrigin>,
    pub successor_key_id: Option<String>,
}

/// A session as the sessions page lists it.
#[derive(Debug, Clone, FromRow)]
pub struct SessionRow {
    pub id: String,
    pub device_id: Option<String>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub created_at: i64,
    pub last_active_at: i64,
    pub expires_at: i64,
    pub ended_at: Option<i64>,
    pub end_reason: Option<LogoutCode>,
}

/// What a new session records about where it came from.
#[derive(Debug, Clone, Default)]
pub struct NewSession<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub account_id: Option<&'a str>,
    pub device_id: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub remember_me: bool,
    /// The user's first sign-in on this device (see [`Store::knows_device`]).
    pub new_device: bool,
    pub created_at: i64,
    pub expires_at: i64,
}

impl Store {
    pub async fn insert_session(tx: &mut Tx, session: &NewSession<'_>) -> AuthResult<()> {
        sqlx::query(
            "INSERT INTO lanyard_sessions (id, user_id, account_id, device_id, user_agent, ip, remember_me, new_device,
                                   created_at, last_active_at, password_checked_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $9, $10)",
        )
        .bind(session.id)
        .bind(session.user_id)
        .bind(session.account_id)
        .bind(session.device_id)
        .bind(session.user_agent)
        .bind(session.ip)
        .bind(i64::from(session.remember_me))
        .bind(i64::from(session.new_device))
        .bind(session.created_at)
        .bind(session.expires_at)
        .execute(tx.conn())
        .await?;
        Ok(())
    }

    pub async fn session_state(&self, session_id: &str) -> AuthResult<Option<SessionState>> {
        Ok(sqlx::query_as(&format!("{SESSION_STATE_SELECT} WHERE s.id = $1"))
            .bind(session_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Ends a live session; returns false if it had already ended (the first ending stands).
    pub async fn end_session(tx: &mut Tx, session_id: &str, code: LogoutCode, now: i64) -> AuthResult<bool> {
        let ended = sqlx::query(
            "UPDATE lanyard_sessions SET ended_at = $1, end_reason = $2 WHERE id = $3 AND ended_at IS NULL",
        )
        .bind(now)
        .bind(code.as_str())
        .bind(session_id)
        .execute(tx.conn())
        .await?
        .rows_affected();
        Ok(ended == 1)
    }

    /// Locks a live session's row for the rest of `tx`, counting a rotation when `rotated`; false
    /// when the session has ended or run out. Every transaction that changes a session's refresh
    /// chain, and every ending, writes this row first, so they take turns on it (on PostgreSQL the
    /// second waits and then sees the first's commit) and a refresh can never follow an ending.
    pub async fn hold_live_session(tx: &mut Tx, session_id: &str, now: i64, rotated: bool) -> AuthResult<bool> {
        let held = sqlx::query(
            "UPDATE lanyard_sessions SET refresh_count = refresh_count + $1
             WHERE id = $2 AND ended_at IS NULL AND expires_at > $3",
        )
        .bind(i64::from(rotated))
        .bind(session_id)
        .bind(now)
        .execute(tx.conn())
        .await?
        .rows_affected();
        Ok(held == 1)
    }

    pub async fn insert_refresh_token(tx: &mut Tx, token: &NewRefreshToken<'_>, now: i64) -> AuthResult<()> {
        sqlx::query(
            "INSERT INTO lanyard_refresh_tokens (hash, session_id, parent_hash, issued_at, origin, key_id)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token.hash)
        .bind(token.session_id)
        .bind(token.parent_hash)
        .bind(now)
        .bind(token.origin.as_str())
        .bind(token.key_id)
        .execute(tx.conn())
        .await?;
        Ok(())
    }

    /// Whether a token is unused and its session lives at `now`.
    pub async fn token_is_live(&self, hash: &str, now: i64) -> AuthResult<bool> {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT 1 FROM lanyard_refresh_tokens t JOIN lanyard_sessions s ON s.id = t.session_id
             WHERE t.hash = $1 AND t.used_at IS NULL AND s.ended_at IS NULL AND s.expires_at > $2",
        )
        .bind(hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    /// A used token's use and successor, read inside the transaction that holds its session.
    pub async fn replay(tx: &mut Tx, hash: &str) -> AuthResult<Option<Replay>> {
        Ok(sqlx::query_as(
            "SELECT p.used_at, c.hash AS successor_hash, c.used_at AS successor_used_at,
                    c.origin AS successor_origin, c.key_id AS successor_key_id
             FROM lanyard_refresh_tokens p LEFT JOIN lanyard_refresh_tokens c ON c.parent_hash = p.hash
             WHERE p.hash = $1",
        )
        .bind(hash)
        .fetch_optional(tx.conn())
        .await?)
    }

    /// The session a refresh token belongs to, used or not.
    pub async fn session_of_token(&self, hash: &str) -> AuthResult<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT session_id FROM lanyard_refresh_tokens WHERE hash = $1")
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(session_id,)| session_id))
    }

    /// Marks the token used if it was unused, atomically: true for exactly one caller.
    pub async fn consume_refresh_token(tx: &mut Tx, hash: &str, now: i64) -> AuthResult<bool> {
        let consumed =
            sqlx::query("UPDATE lanyard_refresh_tokens SET used_at = $1 WHERE hash = $2 AND used_at IS NULL")
                .bind(now)
                .bind(hash)
                .execute(tx.conn())
                .await?
                .rows_affected();
        Ok(consumed == 1)
    }

    /// A write transaction of its own, so that on SQLite it joins the group commit instead of
    /// waiting on the database lock beside it.
    pub async fn set_last_active(&self, session_id: &str, at: i64) -> AuthResult<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE lanyard_sessions SET last_active_at = $1 WHERE id = $2 AND last_active_at < $1")
            .bind(at)
            .bind(session_id)
            .execute(tx.conn())
            .await?;
        tx.commit().await
    }

    /// The user's sessions that are live or ended at or after `ended_since`, newest first.
    pub async fn sessions_of_user(&self, user_id: &str, ended_since: i64) -> AuthResult<Vec<SessionRow>> {
        Ok(sqlx::query_as(
            "SELECT id, device_id, user_agent, ip, created_at, last_active_at, expires_at, ended_at, end_reason
             FROM lanyard_sessions WHERE user_id = $1 AND (ended_at IS NULL OR ended_at >= $2)
             ORDER BY created_at DESC",
        )
        .bind(user_id)
        .bind(ended_since)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The user's sessions that have not ended.
    pub async fn live_sessions_of_user(&self, user_id: &str) -> AuthResult<Vec<SessionState>> {
        Ok(sqlx::query_as(&format!("{SESSION_STATE_SELECT}{LIVE_SESSIONS_OF_USER}"))
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// [`Store::live_sessions_of_user`] as `tx` sees them: with the user's row held
    /// ([`Store::swap_password_hash`]), no other sign-in or password change of the user can add or
    /// end one before `tx` commits.
    pub async fn live_sessions_of_user_in(tx: &mut Tx, user_id: &str) -> AuthResult<Vec<SessionState>> {
        Ok(sqlx::query_as(&format!("{SESSION_STATE_SELECT}{LIVE_SESSIONS_OF_USER}"))
            .bind(user_id)
            .fetch_all(tx.conn())
            .await?)
    }

    /// Sessions whose lifetime has run out but whose ending is not yet recorded.
    pub async fn expired_sessions(&self, now: i64) -> AuthResult<Vec<SessionState>> {
        Ok(sqlx::query_as(&format!("{SESSION_STATE_SELECT} WHERE s.ended_at IS NULL AND s.expires_at <= $1"))
            .bind(now)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Sessions neither ended nor past their lifetime, in every account (the `lanyard_live_sessions`
    /// gauge; `sessions_expiring` indexes exactly these rows).
    pub async fn count_live_sessions(&self, now: i64) -> AuthResult<i64> {
        let (live,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM lanyard_sessions WHERE ended_at IS NULL AND expires_at > $1")
                .bind(now)
                .fetch_one(&self.pool)
                .await?;
        Ok(live)
    }

    /// Marks every unused token of a session used, and returns their hashes, newest first: the
    /// token that was live when a password change restarts the chain.
    pub async fn retire_live_tokens(tx: &mut Tx, session_id: &str, now: i64) -> AuthResult<Vec<String>> {
        let mut retired: Vec<(String, i64)> = sqlx::query_as(
            "UPDATE lanyard_refresh_tokens SET used_at = $1 WHERE session_id = $2 AND used_at IS NULL
             RETURNING hash, issued_at",
        )
        .bind(now)
        .bind(session_id)
        .fetch_all(tx.conn())
        .await?;
        retired.sort_by_key(|(_, issued_at)| std::cmp::Reverse(*issued_at));
        Ok(retired.into_iter().map(|(hash, _)| hash).collect())
    }

    /// Whether `user_id` has signed in with `device_id` before (within the kept history).
    pub async fn knows_device(&self, user_id: &str, device_id: &str) -> AuthResult<bool> {
        let known: Option<(i64,)> =
            sqlx::query_as("SELECT 1 FROM lanyard_sessions WHERE user_id = $1 AND device_id = $2 LIMIT 1")
                .bind(user_id)
                .bind(device_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(known.is_some())
    }

    /// When the session's password was last checked (sign-in, reauth, password change).
    pub async fn password_checked_at(&self, session_id: &str) -> AuthResult<Option<i64>> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT password_checked_at FROM lanyard_sessions WHERE id = $1")
            .bind(session_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(at,)| at))
    }

    pub async fn set_password_checked(tx: &mut Tx, session_id: &str, now: i64) -> AuthResult<()> {
        sqlx::query("UPDATE lanyard_sessions SET password_checked_at = $1 WHERE id = $2")
            .bind(now)
            .bind(session_id)
            .execute(tx.conn())
            .await?;
        Ok(())
    }
}
