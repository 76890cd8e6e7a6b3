//! The engine's errors, one type per boundary, each in the engine's words: [`AuthError`] for a
//! call's answer (how each variant answers over HTTP is the API's business, `lanyard::api::answer`),
//! [`StartError`] for start-up, [`OperatorError`] for the operator's commands (SPEC §8).

use lanyard_contract::{ErrorCode, LogoutCode, LogoutContext, TokenState};

/// Why an engine call did not succeed, in the engine's words. The API turns each variant into a
/// status and an error body of SPEC §2 (`lanyard::api::answer`); nothing here knows HTTP.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The session has ended (401) or the plan refuses the call (402): answered with the code.
    #[error("session refused: {code}")]
    Logout {
        /// The code from SPEC §2's table: the ending, or the plan's refusal.
        code: LogoutCode,
        /// The ids and facts behind it, for the answer's `logout_context`; boxed, so every
        /// `AuthResult` stays small.
        context: Box<LogoutContext>,
    },
    /// The access token is missing, malformed or expired while its session may live: the client
    /// refreshes and retries. The detail is for logs only.
    #[error("access token invalid: {0}")]
    AccessTokenInvalid(&'static str),
    /// Wrong password or unknown email: one answer for both, so accounts cannot be enumerated.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The request breaks an input rule (400). The message is sent to the caller as it is: it names
    /// the rule, never the input.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A new password that the policy refuses; the message says why.
    #[error("weak password: {0}")]
    Weak(String),
    /// A well-formed request the caller may not make; never ends a session.
    #[error("forbidden: {code}")]
    Forbidden {
        /// The answer's code: `FORBIDDEN` for a role, `WRONG_PASSWORD` for a failed password check.
        code: ErrorCode,
        /// The answer's message: fixed text, never built from the request.
        message: &'static str,
    },
    /// The request conflicts with what exists (409): `EMAIL_TAKEN`.
    #[error("conflict: {code}")]
    Conflict {
        /// The answer's code.
        code: ErrorCode,
        /// The answer's message: fixed text, never built from the request.
        message: &'static str,
    },
    /// A refusal at sign-in that ends nothing (401, `logout_reason` null): a wrong second factor
    /// (`INVALID_MFA_CODE`), or a second step whose first one expired (`MFA_TOKEN_EXPIRED`).
    #[error("unauthorized: {code}")]
    Unauthorized {
        /// The answer's code.
        code: ErrorCode,
        /// The answer's message: fixed text, never built from the request.
        message: &'static str,
    },
    /// A right password of a user who has not confirmed the address yet (401, not an ending).
    #[error("the email address is not verified")]
    EmailNotVerified,
    /// A link's token that is used, expired, replaced or unknown (400 `TOKEN_INVALID`, SPEC §10).
    #[error("link token {0}")]
    TokenInvalid(TokenState),
    /// A sensitive action with no password check within the reauth window (step-up): 403, the
    /// session kept; the client confirms the password and retries.
    #[error("a fresh password check is required")]
    ReauthRequired,
    /// Nothing to answer with (404); also what another account's user or another user's session is,
    /// so that its existence is not revealed.
    #[error("not found")]
    NotFound,
    /// Too many attempts from this caller (429): wrong passwords, or browser logout reports.
    #[error("rate limited for {retry_after} s")]
    RateLimited {
        /// Seconds until the throttle lets the caller try again, for `Retry-After`.
        retry_after: u64,
    },
    /// The database cannot be reached: the call may be retried and the session is kept.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// More passwords wait to be checked than the hashing queue holds: shed before any work, and
    /// answered like `Unavailable` (503, retry).
    #[error("too many passwords are being checked")]
    Overloaded,
    /// A fault that is not the caller's (500): a bug, or a database error that is no outage. The
    /// detail is for the log, never for the answer.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Why the engine could not start: its database could not be reached, created or migrated.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// `DATABASE_URL` names no SQLite file (it is empty or `:memory:`): sessions live in the
    /// database, so it must outlive the process.
    #[error("DATABASE_URL must name a SQLite file, e.g. sqlite://data/lanyard.db")]
    NoSqliteFile,
    /// The SQLite file, or its folder, could not be created.
    #[error("creating {path}")]
    File {
        /// The file or folder that could not be created.
        path: String,
        /// Why, as the system said it.
        source: std::io::Error,
    },
    /// Connecting, or a statement before the migrations, failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// A migration failed; the database is as it was before the run (one transaction).
    #[error("applying lanyard's migration {version}")]
    Migration {
        /// The migration that failed.
        version: i64,
        /// What the database said.
        source: sqlx::Error,
    },
    /// The database has a lanyard migration (this version) that this build does not know: a newer
    /// lanyard applied it, and this build does not run on a schema it cannot read.
    #[error("the database has lanyard's migration {0}, which this build does not know: a newer lanyard made it")]
    NewerDatabase(i64),
    /// The migration of this version is not the one the database applied (the checksums differ), so
    /// the schema is not the one this build expects.
    #[error("lanyard's migration {0} is not the one this database applied")]
    ChangedMigration(i64),
    /// A second factor's secret in the database opens under none of the signing secrets given
    /// (the secret it was sealed under is no longer among `LANYARD_SECRET_PREVIOUS`): starting would
    /// lock its user out.
    #[error("{0}; add the signing secret it was sealed under to LANYARD_SECRET_PREVIOUS")]
    UnreadableFactor(String),
    /// Reading or creating the instance's settings (its secret) failed.
    #[error("reading the instance's settings: {0}")]
    Settings(AuthError),
}

/// What an operator's command (SPEC §8) could not do, in the operator's words.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    /// No user has the email given.
    #[error("no user has the email {0}")]
    NoSuchUser(String),
    /// The user with the email given belongs to no account, so there is none to change.
    #[error("{0} has no account")]
    NoAccount(String),
    /// A user with the email given exists already; emails are compared case-insensitively.
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
    /// An [`AuthError::Logout`] for `code`, with `context` boxed.
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

/// What an engine call returns: its value, or the [`AuthError`] the API answers with.
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
