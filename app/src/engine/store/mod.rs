//! The database: one `AnyPool` over SQLite or PostgreSQL, with every SQL statement of the engine.
//!
//! Statements use `$n` placeholders, which both drivers accept, and only integers and text, so one
//! statement serves both dialects. On SQLite, this process's write transactions are turns of a
//! group commit ([`batch`]), whose batches begin with `BEGIN IMMEDIATE` so that another process's
//! writer queues on the busy timeout instead of failing on a lock upgrade.

mod batch;
pub mod feed;

use super::error::AuthResult;
use crate::contract::{
    AccountStatus, AccountUser, AuditKind, EventSource, EventView, LogoutCode, LogoutCount, PlanStatus, RefreshDay,
    Role, Secret, SignInDay,
};
use crate::credentials::email_key;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyConnection, AnyPool, FromRow, Transaction};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    pub(super) pool: AnyPool,
    dialect: Dialect,
    /// The connection URL, for the PostgreSQL change listener's own connection.
    url: String,
    /// SQLite's one writer, shared by this process's write transactions (see [`batch`]).
    group_commit: batch::GroupCommit,
}

/// A write transaction: PostgreSQL's own, or a turn in SQLite's group commit. Either way `commit`
/// returns once the writes are durable, and dropping it undoes them.
pub enum Tx {
    Postgres(Transaction<'static, Any>),
    Sqlite(batch::Turn),
}

impl Tx {
    pub fn conn(&mut self) -> &mut AnyConnection {
        match self {
            Self::Postgres(tx) => tx,
            Self::Sqlite(turn) => turn.conn(),
        }
    }

    pub async fn commit(self) -> AuthResult<()> {
        match self {
            Self::Postgres(tx) => Ok(tx.commit().await?),
            Self::Sqlite(turn) => turn.commit().await,
        }
    }

    pub async fn rollback(self) -> AuthResult<()> {
        match self {
            Self::Postgres(tx) => Ok(tx.rollback().await?),
            Self::Sqlite(turn) => turn.rollback().await,
        }
    }
}

/// The session, its user and the user's account, as one row: all the guard needs to decide.
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
    pub account_id: Option<String>,
    pub account_name: Option<String>,
    pub account_status: Option<AccountStatus>,
    pub account_plan: Option<PlanStatus>,
}

const SESSION_STATE_SELECT: &str = "
    SELECT s.id AS session_id, s.user_id AS session_user_id, s.account_id AS session_account_id,
           s.created_at, s.expires_at, s.last_active_at, s.refresh_count, s.ended_at, s.end_reason,
           u.email, u.role,
           a.id AS account_id, a.name AS account_name, a.status AS account_status, a.plan AS account_plan
    FROM sessions s
    LEFT JOIN users u ON u.id = s.user_id
    LEFT JOIN accounts a ON a.id = u.account_id";

/// Which of [`SESSION_STATE_SELECT`]'s rows are a user's live sessions.
const LIVE_SESSIONS_OF_USER: &str = " WHERE s.user_id = $1 AND s.ended_at IS NULL";

/// A user found by email at sign-in, with their account.
#[derive(Debug, Clone, FromRow)]
pub struct UserRecord {
    pub id: String,
    pub email: String,
    #[sqlx(try_from = "String")]
    pub password_hash: Secret,
    pub role: Role,
    pub account_id: Option<String>,
    pub account_name: Option<String>,
    pub account_status: Option<AccountStatus>,
}

/// The closed sets stored as their names decode here, at the store's edge; the CHECK constraints of
/// the schema keep other names out, and one that slipped in is an error, never a default.
macro_rules! name_column {
    ($($set:ty),+) => {$(
        impl sqlx::Type<Any> for $set {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <String as sqlx::Type<Any>>::type_info()
            }

            fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
                <String as sqlx::Type<Any>>::compatible(ty)
            }
        }

        impl<'r> sqlx::Decode<'r, Any> for $set {
            fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                Ok(<String as sqlx::Decode<'r, Any>>::decode(value)?.parse::<$set>()?)
            }
        }
    )+};
}

name_column!(Role, AccountStatus, PlanStatus, AuditKind, LogoutCode, EventSource);

crate::contract::closed_set! {
    /// How a refresh token came to be, which says how its successor is derived again (`Keys::rederive`).
    pub enum TokenOrigin {
        /// Random, the first of a session's chain.
        SignIn = "sign_in",
        /// Derived from the raw token it replaced.
        Rotation = "rotation",
        /// Derived from the hash of the token that was live when a password change restarted the chain.
        Restart = "restart",
    }
}

name_column!(TokenOrigin);

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

/// One line of a user's security activity as stored: the event and its session's facts.
#[derive(Debug, Clone, FromRow)]
pub struct ActivityRow {
    pub at: i64,
    pub kind: AuditKind,
    pub reason: Option<LogoutCode>,
    pub session_id: Option<String>,
    pub device_id: Option<String>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub new_device: i64,
    pub ended_at: Option<i64>,
    pub expires_at: i64,
}

/// What the operator sets on an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountChange {
    Status(AccountStatus),
    Plan(PlanStatus),
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

/// One line of the audit trail.
#[derive(Debug, Clone)]
pub struct AuthEvent<'a> {
    pub at: i64,
    pub kind: AuditKind,
    pub user_id: Option<&'a str>,
    pub account_id: Option<&'a str>,
    pub session_id: Option<&'a str>,
    pub reason: Option<LogoutCode>,
    pub source: Option<EventSource>,
    pub path: Option<&'a str>,
    pub idle_secs: Option<i64>,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub detail: Option<String>,
}

impl Store {
    /// Connects, creating the SQLite file and its folder if needed, and applies the migrations.
    pub async fn connect(url: &str) -> AuthResult<Self> {
        install_default_drivers();
        let dialect = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Dialect::Postgres
        } else {
            Dialect::Sqlite
        };
        let url = match dialect {
            Dialect::Postgres => url.to_owned(),
            Dialect::Sqlite => prepare_sqlite_url(url)?,
        };
        // SQLite has one writer (the group commit's) and readers that share this process's cores,
        // each with a page cache of its own: past a handful, more connections only cost memory.
        let connections = match dialect {
            Dialect::Sqlite => 8,
            Dialect::Postgres => 16,
        };
        let pool = AnyPoolOptions::new()
            .max_connections(connections)
            .acquire_timeout(Duration::from_secs(3))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if dialect == Dialect::Sqlite {
                        // FULL: a rotation the browser was answered is on disk. NORMAL could lose it
                        // on power loss, and the browser would then hold a token no one knows.
                        sqlx::query("PRAGMA synchronous = FULL").execute(&mut *conn).await?;
                        // 1 MiB of page cache per connection (SQLite's default is 2): the lookups
                        // are by key, and the system's file cache holds the rest.
                        sqlx::query("PRAGMA cache_size = -1024").execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        let store = Self { pool, dialect, url, group_commit: batch::GroupCommit::default() };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> AuthResult<()> {
        let migrator = match self.dialect {
            Dialect::Sqlite => {
                // WAL lets readers run beside the one writer; the setting persists in the file.
                sqlx::query("PRAGMA journal_mode=WAL").execute(&self.pool).await?;
                sqlx::migrate!("../migrations/sqlite")
            }
            Dialect::Postgres => sqlx::migrate!("../migrations/postgres"),
        };
        migrator.run(&self.pool).await.map_err(|e| super::error::AuthError::Internal(format!("migrations: {e}")))
    }

    /// A write transaction (on SQLite, a turn of the group commit: see [`batch`]).
    pub async fn write_tx(&self) -> AuthResult<Tx> {
        Ok(match self.dialect {
            Dialect::Sqlite => Tx::Sqlite(self.group_commit.turn(&self.pool).await?),
            Dialect::Postgres => Tx::Postgres(self.pool.begin().await?),
        })
    }

    // ---- settings ----

    /// The value of `key`, setting it to `default` first if absent (first writer wins across instances).
    pub async fn setting_or_insert(&self, key: &str, default: &str) -> AuthResult<String> {
        sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(default)
            .execute(&self.pool)
            .await?;
        let (value,): (String,) =
            sqlx::query_as("SELECT value FROM settings WHERE key = $1").bind(key).fetch_one(&self.pool).await?;
        Ok(value)
    }

    // ---- accounts and users ----

    pub async fn account_id_by_name(&self, name: &str) -> AuthResult<Option<String>> {
        Ok(sqlx::query_as::<_, (String,)>("SELECT id FROM accounts WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .map(|(id,)| id))
    }

    /// Creates the account if it does not exist and returns its id.
    pub async fn ensure_account(&self, name: &str, now: i64) -> AuthResult<String> {
        sqlx::query(
            "INSERT INTO accounts (id, name, status, plan, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(new_id())
        .bind(name)
        .bind(AccountStatus::Active.as_str())
        .bind(PlanStatus::Active.as_str())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(self.account_id_by_name(name).await?.expect("the account was just ensured"))
    }

    pub async fn user_count(&self) -> AuthResult<i64> {
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users").fetch_one(&self.pool).await?;
        Ok(count)
    }

    /// Inserts a user; returns `None` if the email is taken.
    pub async fn insert_user(
        &self,
        email: &str,
        password_hash: &str,
        role: Role,
        account_id: Option<&str>,
        now: i64,
    ) -> AuthResult<Option<String>> {
        let id = new_id();
        let inserted = sqlx::query(
            "INSERT INTO users (id, email, email_key, password_hash, role, account_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (email_key) DO NOTHING",
        )
        .bind(&id)
        .bind(email.trim())
        .bind(email_key(email))
        .bind(password_hash)
        .bind(role.as_str())
        .bind(account_id)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok((inserted == 1).then_some(id))
    }

    pub async fn user_by_email(&self, email: &str) -> AuthResult<Option<UserRecord>> {
        Ok(sqlx::query_as(
            "SELECT u.id, u.email, u.password_hash, u.role, a.id AS account_id, a.name AS account_name,
                    a.status AS account_status
             FROM users u LEFT JOIN accounts a ON a.id = u.account_id
             WHERE u.email_key = $1",
        )
        .bind(email_key(email))
        .fetch_optional(&self.pool)
        .await?)
    }

    // ---- sessions ----

    pub async fn insert_session(tx: &mut Tx, session: &NewSession<'_>) -> AuthResult<()> {
        sqlx::query(
            "INSERT INTO sessions (id, user_id, account_id, device_id, user_agent, ip, remember_me, new_device,
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
        let ended =
            sqlx::query("UPDATE sessions SET ended_at = $1, end_reason = $2 WHERE id = $3 AND ended_at IS NULL")
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
            "UPDATE sessions SET refresh_count = refresh_count + $1
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

    // ---- refresh tokens ----

    pub async fn insert_refresh_token(tx: &mut Tx, token: &NewRefreshToken<'_>, now: i64) -> AuthResult<()> {
        sqlx::query(
            "INSERT INTO refresh_tokens (hash, session_id, parent_hash, issued_at, origin, key_id)
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
            "SELECT 1 FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
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
             FROM refresh_tokens p LEFT JOIN refresh_tokens c ON c.parent_hash = p.hash
             WHERE p.hash = $1",
        )
        .bind(hash)
        .fetch_optional(tx.conn())
        .await?)
    }

    /// The session a refresh token belongs to, used or not.
    pub async fn session_of_token(&self, hash: &str) -> AuthResult<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT session_id FROM refresh_tokens WHERE hash = $1")
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(session_id,)| session_id))
    }

    /// Marks the token used if it was unused, atomically: true for exactly one caller.
    pub async fn consume_refresh_token(tx: &mut Tx, hash: &str, now: i64) -> AuthResult<bool> {
        let consumed = sqlx::query("UPDATE refresh_tokens SET used_at = $1 WHERE hash = $2 AND used_at IS NULL")
            .bind(now)
            .bind(hash)
            .execute(tx.conn())
            .await?
            .rows_affected();
        Ok(consumed == 1)
    }

    // ---- audit ----

    pub async fn record_event(tx: &mut Tx, event: &AuthEvent<'_>) -> AuthResult<()> {
        sqlx::query(
            "INSERT INTO auth_events (at, kind, user_id, account_id, session_id, reason, source, path,
                                      idle_secs, ip, user_agent, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(event.at)
        .bind(event.kind.as_str())
        .bind(event.user_id)
        .bind(event.account_id)
        .bind(event.session_id)
        .bind(event.reason.map(LogoutCode::as_str))
        .bind(event.source.map(EventSource::as_str))
        .bind(event.path)
        .bind(event.idle_secs)
        .bind(event.ip)
        .bind(event.user_agent)
        .bind(event.detail.as_deref())
        .execute(tx.conn())
        .await?;
        Ok(())
    }

    /// A write transaction of its own, so that on SQLite it joins the group commit instead of
    /// waiting on the database lock beside it.
    pub async fn set_last_active(&self, session_id: &str, at: i64) -> AuthResult<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE sessions SET last_active_at = $1 WHERE id = $2 AND last_active_at < $1")
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
             FROM sessions WHERE user_id = $1 AND (ended_at IS NULL OR ended_at >= $2)
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
            sqlx::query_as("SELECT COUNT(*) FROM sessions WHERE ended_at IS NULL AND expires_at > $1")
                .bind(now)
                .fetch_one(&self.pool)
                .await?;
        Ok(live)
    }

    /// Closes the pool; on SQLite first folds the write-ahead log into the database file, so a
    /// stopped instance leaves one self-contained file (a backup or a copy needs nothing else).
    pub async fn close(&self) -> AuthResult<()> {
        if self.dialect == Dialect::Sqlite {
            self.group_commit.settle().await;
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&self.pool).await?;
        }
        self.pool.close().await;
        Ok(())
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> AuthResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Live sessions and users of an account, for the admin overview.
    pub async fn account_counts(&self, account_id: &str, now: i64) -> AuthResult<(i64, i64)> {
        let (sessions,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM sessions WHERE account_id = $1 AND ended_at IS NULL AND expires_at > $2",
        )
        .bind(account_id)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        let (users,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users WHERE account_id = $1")
            .bind(account_id)
            .fetch_one(&self.pool)
            .await?;
        Ok((sessions, users))
    }

    /// Sets the user's password hash to `new` if it is still `checked` (the hash a password was
    /// just verified against); false when it changed meanwhile. Either way the user's row is held
    /// for the rest of `tx` (on PostgreSQL a second writer waits, then sees this one's commit), so a
    /// sign-in (`new` = `checked`) and a password change of one user take turns: a sign-in that
    /// checked the old password while the change committed finds it gone, and what either reads of
    /// the user's sessions stays true until it commits. Every transaction that holds a user's row
    /// and a session's takes the user's first.
    pub async fn swap_password_hash(tx: &mut Tx, user_id: &str, checked: &str, new: &str) -> AuthResult<bool> {
        let swapped = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3")
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
            AccountChange::Status(status) => ("UPDATE accounts SET status = $1 WHERE id = $2", status.as_str()),
            AccountChange::Plan(plan) => ("UPDATE accounts SET plan = $1 WHERE id = $2", plan.as_str()),
        };
        sqlx::query(sql).bind(value).bind(account_id).execute(tx.conn()).await?;
        Ok(())
    }

    /// Marks every unused token of a session used, and returns their hashes, newest first: the
    /// token that was live when a password change restarts the chain.
    pub async fn retire_live_tokens(tx: &mut Tx, session_id: &str, now: i64) -> AuthResult<Vec<String>> {
        let mut retired: Vec<(String, i64)> = sqlx::query_as(
            "UPDATE refresh_tokens SET used_at = $1 WHERE session_id = $2 AND used_at IS NULL
             RETURNING hash, issued_at",
        )
        .bind(now)
        .bind(session_id)
        .fetch_all(tx.conn())
        .await?;
        retired.sort_by_key(|(_, issued_at)| std::cmp::Reverse(*issued_at));
        Ok(retired.into_iter().map(|(hash, _)| hash).collect())
    }

    /// The session's newest audit events (no secret is ever recorded in them).
    pub async fn recent_events(&self, session_id: &str, limit: i64) -> AuthResult<Vec<EventView>> {
        type Row =
            (i64, AuditKind, Option<LogoutCode>, Option<EventSource>, Option<String>, Option<i64>, Option<String>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT at, kind, reason, source, path, idle_secs, ip FROM auth_events
             WHERE session_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(session_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(at, kind, reason, source, path, idle_secs, ip)| EventView {
                at,
                kind,
                reason,
                source,
                path,
                idle_secs,
                ip,
            })
            .collect())
    }

    /// Server-recorded session endings per UTC day and reason since `since`, for one account or all.
    pub async fn endings_by_day(&self, account_id: Option<&str>, since: i64) -> AuthResult<Vec<LogoutCount>> {
        let day = utc_day("at");
        let select = format!(
            "SELECT {day} AS day, reason, COUNT(*) AS endings FROM auth_events
             WHERE kind = $1 AND reason IS NOT NULL AND at >= $2"
        );
        let group = format!("GROUP BY {day}, reason ORDER BY day, reason");
        let query = match account_id {
            Some(_) => format!("{select} AND account_id = $3 {group}"),
            None => format!("{select} {group}"),
        };
        let query = sqlx::query_as(&query).bind(AuditKind::SessionEnded.as_str()).bind(since);
        let query = match account_id {
            Some(account_id) => query.bind(account_id),
            None => query,
        };
        let rows: Vec<(i64, LogoutCode, i64)> = query.fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(|(day, reason, count)| LogoutCount { day, reason, count }).collect())
    }

    /// Whether `user_id` has signed in with `device_id` before (within the kept history).
    pub async fn knows_device(&self, user_id: &str, device_id: &str) -> AuthResult<bool> {
        let known: Option<(i64,)> =
            sqlx::query_as("SELECT 1 FROM sessions WHERE user_id = $1 AND device_id = $2 LIMIT 1")
                .bind(user_id)
                .bind(device_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(known.is_some())
    }

    /// When the session's password was last checked (sign-in, reauth, password change).
    pub async fn password_checked_at(&self, session_id: &str) -> AuthResult<Option<i64>> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT password_checked_at FROM sessions WHERE id = $1")
            .bind(session_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(at,)| at))
    }

    pub async fn set_password_checked(tx: &mut Tx, session_id: &str, now: i64) -> AuthResult<()> {
        sqlx::query("UPDATE sessions SET password_checked_at = $1 WHERE id = $2")
            .bind(now)
            .bind(session_id)
            .execute(tx.conn())
            .await?;
        Ok(())
    }

    /// The account of the user `user_id`: `None` for no such user, `Some(None)` for a user without one.
    pub async fn account_of_user(&self, user_id: &str) -> AuthResult<Option<Option<String>>> {
        let row: Option<(Option<String>,)> = sqlx::query_as("SELECT account_id FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(account_id,)| account_id))
    }

    /// The account's users with their live sessions, by email.
    pub async fn account_users(&self, account_id: &str, now: i64) -> AuthResult<Vec<AccountUser>> {
        let rows: Vec<(String, String, Role, i64)> = sqlx::query_as(
            "SELECT u.id, u.email, u.role,
                    (SELECT COUNT(*) FROM sessions s
                     WHERE s.user_id = u.id AND s.ended_at IS NULL AND s.expires_at > $2) AS live_sessions
             FROM users u WHERE u.account_id = $1 ORDER BY u.email_key",
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

    /// The user's security activity since `since`, newest first, at most `limit` lines: sign-ins,
    /// password changes, reauths and endings, each with the session it concerns.
    pub async fn activity(&self, user_id: &str, since: i64, limit: i64) -> AuthResult<Vec<ActivityRow>> {
        Ok(sqlx::query_as(
            "SELECT e.at, e.kind, e.reason, e.session_id, s.device_id,
                    COALESCE(s.user_agent, e.user_agent) AS user_agent, COALESCE(s.ip, e.ip) AS ip,
                    COALESCE(s.new_device, 0) AS new_device, s.ended_at, COALESCE(s.expires_at, 0) AS expires_at
             FROM auth_events e LEFT JOIN sessions s ON s.id = e.session_id
             WHERE e.user_id = $1 AND e.at >= $2 AND e.kind IN ($3, $4, $5, $6)
             ORDER BY e.at DESC, e.id DESC LIMIT $7",
        )
        .bind(user_id)
        .bind(since)
        .bind(AuditKind::SignedIn.as_str())
        .bind(AuditKind::PasswordChanged.as_str())
        .bind(AuditKind::Reauthed.as_str())
        .bind(AuditKind::SessionEnded.as_str())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Per UTC day since `since`, the account's rotations, replays answered again, and refreshes that
    /// ended a live session as reuse.
    pub async fn refreshes_by_day(&self, account_id: &str, since: i64) -> AuthResult<Vec<RefreshDay>> {
        let day = utc_day("at");
        let rows: Vec<(i64, i64, i64, i64)> = sqlx::query_as(&format!(
            "SELECT {day} AS day,
                    SUM(CASE WHEN kind = $3 THEN 1 ELSE 0 END) AS rotated,
                    SUM(CASE WHEN kind = $4 THEN 1 ELSE 0 END) AS replayed,
                    SUM(CASE WHEN kind = $5 THEN 1 ELSE 0 END) AS refused
             FROM auth_events
             WHERE account_id = $1 AND at >= $2
               AND (kind IN ($3, $4) OR (kind = $5 AND reason = $6))
             GROUP BY {day} ORDER BY day"
        ))
        .bind(account_id)
        .bind(since)
        .bind(AuditKind::Refreshed.as_str())
        .bind(AuditKind::RefreshReplayed.as_str())
        .bind(AuditKind::SessionEnded.as_str())
        .bind(LogoutCode::RefreshTokenReused.as_str())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(day, rotated, replayed, refused)| RefreshDay { day, rotated, replayed, refused })
            .collect())
    }

    /// How many of the account's sessions that ended since `since` lasted up to each of `bounds`
    /// (seconds, ascending), and longer than the last: one count per band, `bounds.len() + 1` in all.
    pub async fn session_lengths(&self, account_id: &str, since: i64, bounds: &[i64]) -> AuthResult<Vec<i64>> {
        let band: String = bounds
            .iter()
            .enumerate()
            .map(|(i, bound)| format!("WHEN ended_at - created_at < {bound} THEN {i} "))
            .collect();
        let rows: Vec<(i64, i64)> = sqlx::query_as(&format!(
            "SELECT CAST(CASE {band}ELSE {open} END AS BIGINT) AS band, COUNT(*) FROM sessions
             WHERE account_id = $1 AND ended_at >= $2 GROUP BY 1",
            open = bounds.len()
        ))
        .bind(account_id)
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        let mut counts = vec![0; bounds.len() + 1];
        for (band, count) in rows {
            counts[band as usize] = count;
        }
        Ok(counts)
    }

    /// Per UTC day since `since`, the account's sign-ins with and without remember-me.
    pub async fn sign_ins_by_day(&self, account_id: &str, since: i64) -> AuthResult<Vec<SignInDay>> {
        let day = utc_day("created_at");
        let rows: Vec<(i64, i64, i64)> = sqlx::query_as(&format!(
            "SELECT {day} AS day,
                    SUM(CASE WHEN remember_me <> 0 THEN 1 ELSE 0 END) AS remembered,
                    SUM(CASE WHEN remember_me = 0 THEN 1 ELSE 0 END) AS not_remembered
             FROM sessions WHERE account_id = $1 AND created_at >= $2
             GROUP BY {day} ORDER BY day"
        ))
        .bind(account_id)
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(day, remembered, not_remembered)| SignInDay { day, remembered, not_remembered })
            .collect())
    }

    /// Removes what has been kept long enough: ended sessions (with their tokens), used refresh
    /// tokens and events older than `history_before`, and changes older than `changes_before`. It
    /// deletes in batches of [`PRUNE_BATCH`] rows, each in a transaction of its own, so the one
    /// SQLite writer is never held for long; returns the rows removed.
    pub async fn prune(&self, history_before: i64, changes_before: i64) -> AuthResult<u64> {
        const BATCHES: [(&str, bool); 4] = [
            (
                "DELETE FROM refresh_tokens WHERE hash IN (SELECT hash FROM refresh_tokens WHERE used_at < $1 LIMIT $2)",
                true,
            ),
            ("DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE ended_at < $1 LIMIT $2)", true),
            ("DELETE FROM auth_events WHERE id IN (SELECT id FROM auth_events WHERE at < $1 LIMIT $2)", true),
            ("DELETE FROM changes WHERE id IN (SELECT id FROM changes WHERE at < $1 LIMIT $2)", false),
        ];
        let mut removed = 0;
        for (sql, is_history) in BATCHES {
            let before = if is_history { history_before } else { changes_before };
            loop {
                let mut tx = self.write_tx().await?;
                let batch = sqlx::query(sql).bind(before).bind(PRUNE_BATCH).execute(tx.conn()).await?.rows_affected();
                tx.commit().await?;
                removed += batch;
                if batch < PRUNE_BATCH as u64 {
                    break;
                }
            }
        }
        Ok(removed)
    }
}

/// Rows one prune transaction deletes at most.
const PRUNE_BATCH: i64 = 1_000;

/// The case-insensitive key of an email.
/// Seconds in a UTC day, by which reports count.
pub const DAY_SECS: i64 = 86_400;

/// The first second of the UTC day `at` falls on.
pub fn utc_day_of(at: i64) -> i64 {
    at.div_euclid(DAY_SECS) * DAY_SECS
}

/// [`utc_day_of`] in SQL, for an instant column: reports group by it.
fn utc_day(column: &str) -> String {
    format!("({column} / {DAY_SECS}) * {DAY_SECS}")
}

/// A new random id (UUID v4, 32 hex digits).
pub fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Creates the database file readable and writable by its owner only (it holds the generated signing
/// secret and every session); SQLite gives its WAL and shared-memory files the same mode.
fn create_private_file(file: &str) -> AuthResult<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(file) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(super::error::AuthError::Internal(format!("creating {file}: {error}"))),
    }
}

/// Makes a `sqlite:` URL create its file (and folder) when missing.
fn prepare_sqlite_url(url: &str) -> AuthResult<String> {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let file = path.split('?').next().unwrap_or_default();
    if file.is_empty() || file == ":memory:" {
        return Err(super::error::AuthError::BadRequest(
            "DATABASE_URL must name a SQLite file, e.g. sqlite://data/lanyard.db".into(),
        ));
    }
    if let Some(parent) = std::path::Path::new(file).parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| super::error::AuthError::Internal(format!("creating {}: {e}", parent.display())))?;
    }
    create_private_file(file)?;
    Ok(if path.contains("mode=") {
        format!("sqlite://{path}")
    } else if path.contains('?') {
        format!("sqlite://{path}&mode=rwc")
    } else {
        format!("sqlite://{path}?mode=rwc")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rotation answered to a browser survives a power loss: every commit is synced.
    #[tokio::test]
    async fn sqlite_commits_are_durable() {
        let dir = std::env::temp_dir().join(format!("lanyard-durable-{}", std::process::id()));
        let store = Store::connect(&format!("sqlite://{}/durable.db", dir.display())).await.unwrap();
        let (journal,): (String,) = sqlx::query_as("PRAGMA journal_mode").fetch_one(&store.pool).await.unwrap();
        let (synchronous,): (i64,) = sqlx::query_as("PRAGMA synchronous").fetch_one(&store.pool).await.unwrap();
        assert_eq!((journal.as_str(), synchronous), ("wal", 2), "WAL with synchronous = FULL");
        drop(store);
        std::fs::remove_dir_all(dir).ok();
    }

    #[tokio::test]
    async fn prune_removes_old_history_in_batches_and_keeps_the_recent() {
        let dir = std::env::temp_dir().join(format!("lanyard-prune-{}", std::process::id()));
        let store = Store::connect(&format!("sqlite://{}/prune.db", dir.display())).await.unwrap();
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500)
             INSERT INTO auth_events (at, kind) SELECT 100, 'login' FROM n",
        )
        .execute(&store.pool)
        .await
        .unwrap();
        sqlx::query("INSERT INTO auth_events (at, kind) VALUES (5000, 'login')").execute(&store.pool).await.unwrap();

        assert_eq!(store.prune(1_000, 1_000).await.unwrap(), 2_500, "three batches");
        let (left,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM auth_events").fetch_one(&store.pool).await.unwrap();
        assert_eq!(left, 1);
        drop(store);
        std::fs::remove_dir_all(dir).ok();
    }

    #[tokio::test]
    async fn a_new_sqlite_file_is_private_to_its_owner() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = std::env::temp_dir().join(format!("lanyard-private-{}", std::process::id()));
        let store = Store::connect(&format!("sqlite://{}/private.db", dir.display())).await.unwrap();
        store.setting_or_insert("probe", "x").await.unwrap();
        for name in ["private.db", "private.db-wal"] {
            let mode = std::fs::metadata(dir.join(name)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{name}");
        }
        drop(store);
        std::fs::remove_dir_all(dir).ok();
    }
}
