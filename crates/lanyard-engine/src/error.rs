//! The engine's errors, one type per boundary, each in the engine's words: [`AuthError`] for a
//! call's answer (how each variant answers over HTTP is the API's business, `api::answer`),
//! [`StartError`] for start-up, [`OperatorError`] for the operator's commands (SPEC §8).

use lanyard_contract::{ErrorCode, LogoutCode, LogoutContext};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The session has ended (401) or the plan refuses the call (402): answered with the code.
    #[error("session refused: {code}")]
    Logout { code: LogoutCode, context: Box<LogoutContext> },
    /// The access token is missing, malformed or expired while its session may live: the client
    /// refreshes and retries. The detail is for logs only.
    #[error("access token invalid: {0}")]
    AccessTokenInvalid(&'static str),
    /// Wrong password or unknown email: one answer for both, so accounts cannot be enumerated.
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A new password that the policy refuses; the message says why.
    #[error("weak password: {0}")]
    Weak(String),
    /// A well-formed request the caller may not make; never ends a session.
    #[error("forbidden: {code}")]
    Forbidden { code: ErrorCode, message: &'static str },
    /// A sensitive action with no password check within the reauth window (step-up): 403, the
    /// session kept; the client confirms the password and retries.
    #[error("a fresh password check is required")]
    ReauthRequired,
    #[error("not found")]
    NotFound,
    #[error("rate limited for {retry_after} s")]
    RateLimited { retry_after: u64 },
    /// The database cannot be reached: the call may be retried and the session is kept.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// More passwords wait to be checked than the hashing queue holds: shed before any work, and
    /// answered like `Unavailable` (503, retry).
    #[error("too many passwords are being checked")]
    Overloaded,
    #[error("internal error: {0}")]
    Internal(String),
}

/// Why the engine could not start: its database could not be reached, created or migrated.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("DATABASE_URL must name a SQLite file, e.g. sqlite://data/lanyard.db")]
    NoSqliteFile,
    #[error("creating {path}: {source}")]
    File { path: String, source: std::io::Error },
    /// Connecting, or a statement of the migrations, failed.
    #[error("{0}")]
    Database(#[from] sqlx::Error),
    #[error("the database has lanyard's migration {0}, which this build does not know: a newer lanyard made it")]
    NewerDatabase(i64),
    #[error("lanyard's migration {0} is not the one this database applied")]
    ChangedMigration(i64),
    /// Reading or creating the instance's settings (its secret) failed.
    #[error("reading the instance's settings: {0}")]
    Settings(AuthError),
}

/// What an operator's command (SPEC §8) could not do, in the operator's words.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    #[error("no user has the email {0}")]
    NoSuchUser(String),
    #[error("{0} has no account")]
    NoAccount(String),
    #[error("a user with the email {0} exists already")]
    UserExists(String),
    /// An email address, password or account name that breaks its rule; the message says which.
    #[error("{0}")]
    Invalid(String),
    /// The database failed under the command.
    #[error(transparent)]
    Database(#[from] AuthError),
}

impl AuthError {
    pub fn logout(code: LogoutCode, context: LogoutContext) -> Self {
        Self::Logout { code, context: Box::new(context) }
    }
}

impl From<sqlx::Error> for AuthError {
    /// Connection trouble is a 503 the client retries; anything else is a bug worth a 500.
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Protocol(_) => Self::Unavailable(error.to_string()),
            sqlx::Error::Database(ref db) if is_sqlite_busy(db.as_ref()) => Self::Unavailable(error.to_string()),
            other => Self::Internal(other.to_string()),
        }
    }
}

/// SQLITE_BUSY (5) or SQLITE_LOCKED (6), with their extended codes (`code & 0xff`): another writer
/// held the file past the busy timeout, so the call may be retried.
fn is_sqlite_busy(error: &dyn sqlx::error::DatabaseError) -> bool {
    const SQLITE_BUSY: i64 = 5;
    const SQLITE_LOCKED: i64 = 6;
    error.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some()
        && error
            .code()
            .and_then(|code| code.parse::<i64>().ok())
            .is_some_and(|code| matches!(code & 0xff, SQLITE_BUSY | SQLITE_LOCKED))
}

pub type AuthResult<T> = Result<T, AuthError>;

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::any::{AnyPoolOptions, install_default_drivers};

    /// A writer that meets another's lock past the busy timeout gets SQLITE_BUSY: a retryable 503,
    /// whatever the wording of SQLite's message.
    #[tokio::test]
    async fn a_busy_sqlite_file_is_unavailable_not_internal() {
        install_default_drivers();
        let dir = std::env::temp_dir().join(format!("lanyard-busy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("busy.db").display());
        let pool = AnyPoolOptions::new().max_connections(2).connect(&url).await.unwrap();
        sqlx::query("CREATE TABLE IF NOT EXISTS t (x INTEGER)").execute(&pool).await.unwrap();
        let mut holder = pool.acquire().await.unwrap();
        sqlx::query("BEGIN EXCLUSIVE").execute(&mut *holder).await.unwrap();
        let mut other = pool.acquire().await.unwrap();
        sqlx::query("PRAGMA busy_timeout = 0").execute(&mut *other).await.unwrap();
        let error = sqlx::query("INSERT INTO t VALUES (1)").execute(&mut *other).await.unwrap_err();
        assert!(matches!(AuthError::from(error), AuthError::Unavailable(_)));

        let constraint = sqlx::query("INSERT INTO missing VALUES (1)").execute(&mut *other).await.unwrap_err();
        assert!(matches!(AuthError::from(constraint), AuthError::Internal(_)));
        drop((holder, other));
        pool.close().await;
        std::fs::remove_dir_all(dir).ok();
    }
}
