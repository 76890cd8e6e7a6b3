//! The one error type of the engine, and how each variant answers over HTTP (SPEC §2).

use crate::contract::{ErrorBody, ErrorCode, LogoutCode};
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The session has ended (401) or the plan refuses the call (402): answered with the code.
    #[error("session refused: {code}")]
    Logout { code: LogoutCode, context: Value },
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
    #[error("not found")]
    NotFound,
    #[error("rate limited for {retry_after} s")]
    RateLimited { retry_after: u64 },
    /// The database cannot be reached: the call may be retried and the session is kept.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

/// How long a client should wait before retrying after a 503.
const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 2;

impl AuthError {
    pub fn logout(code: LogoutCode, context: Value) -> Self {
        Self::Logout { code, context }
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::Logout { code, .. } => code.http_status(),
            Self::AccessTokenInvalid(_) | Self::InvalidCredentials => 401,
            Self::BadRequest(_) | Self::Weak(_) => 400,
            Self::Forbidden { .. } => 403,
            Self::NotFound => 404,
            Self::RateLimited { .. } => 429,
            Self::Unavailable(_) => 503,
            Self::Internal(_) => 500,
        }
    }

    /// Seconds for the `Retry-After` header, for the answers that have one.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after } => Some(*retry_after),
            Self::Unavailable(_) => Some(UNAVAILABLE_RETRY_AFTER_SECS),
            _ => None,
        }
    }

    /// The safe JSON body; `page_path` is the page the call came from (never a secret).
    pub fn to_body(&self, page_path: &str) -> ErrorBody {
        let logout_fields = |reason: Option<LogoutCode>, message: &str, context: Value| ErrorBody {
            error: None,
            message: None,
            logout_reason: reason,
            logout_message: Some(message.to_owned()),
            logout_path: Some(page_path.to_owned()),
            logout_context: Some(context),
        };
        let plain = ErrorBody::plain;
        match self {
            Self::Logout { code, context } => logout_fields(Some(*code), code.message(), context.clone()),
            Self::AccessTokenInvalid(_) => ErrorBody {
                error: Some(ErrorCode::AccessTokenInvalid),
                message: Some("The access token is missing, malformed or expired; refresh it.".into()),
                ..logout_fields(None, "", Value::Object(Default::default()))
            },
            Self::InvalidCredentials => ErrorBody {
                error: Some(ErrorCode::InvalidCredentials),
                message: Some("The email or password is incorrect.".into()),
                ..logout_fields(None, "", Value::Object(Default::default()))
            },
            Self::BadRequest(message) => plain(ErrorCode::BadRequest, message),
            Self::Weak(message) => plain(ErrorCode::WeakPassword, message),
            Self::Forbidden { code, message } => plain(*code, message),
            Self::NotFound => plain(ErrorCode::NotFound, "Nothing here."),
            Self::RateLimited { .. } => plain(ErrorCode::RateLimited, "Too many attempts; try again later."),
            Self::Unavailable(_) => {
                plain(ErrorCode::ServiceUnavailable, "The service is briefly unavailable; try again.")
            }
            Self::Internal(_) => plain(ErrorCode::Internal, "Something went wrong on our side."),
        }
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
            // SQLITE_BUSY: another writer held the file past the busy timeout; retryable.
            sqlx::Error::Database(ref db) if db.message().contains("database is locked") => {
                Self::Unavailable(error.to_string())
            }
            other => Self::Internal(other.to_string()),
        }
    }
}

pub type AuthResult<T> = Result<T, AuthError>;
