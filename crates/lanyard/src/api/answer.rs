//! How an engine error answers over HTTP (SPEC §2): its status, its `Retry-After` and its safe body.
//! The engine names what went wrong; only this file knows the numbers.

use crate::contract::{ErrorBody, ErrorCode, LogoutCode, LogoutContext, REAUTH_PATH};
use crate::engine::AuthError;
use axum::http::StatusCode;

/// How long a client should wait before retrying after a 503.
const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 2;

pub fn status(error: &AuthError) -> StatusCode {
    match error {
        AuthError::Logout { code, .. } => {
            StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        }
        AuthError::AccessTokenInvalid(_)
        | AuthError::InvalidCredentials
        | AuthError::EmailNotVerified
        | AuthError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
        AuthError::Conflict { .. } => StatusCode::CONFLICT,
        AuthError::BadRequest(_) | AuthError::Weak(_) | AuthError::TokenInvalid(_) => StatusCode::BAD_REQUEST,
        AuthError::Forbidden { .. } | AuthError::ReauthRequired => StatusCode::FORBIDDEN,
        AuthError::NotFound => StatusCode::NOT_FOUND,
        AuthError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        AuthError::Unavailable(_) | AuthError::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
        AuthError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Seconds for the `Retry-After` header, for the answers that have one.
pub fn retry_after(error: &AuthError) -> Option<u64> {
    match error {
        AuthError::RateLimited { retry_after } => Some(*retry_after),
        AuthError::Unavailable(_) | AuthError::Overloaded => Some(UNAVAILABLE_RETRY_AFTER_SECS),
        _ => None,
    }
}

/// The safe JSON body; `page_path` is the page the call came from (never a secret).
pub fn body(error: &AuthError, page_path: &str) -> ErrorBody {
    let logout_fields = |reason: Option<LogoutCode>, message: &str, context: Box<LogoutContext>| ErrorBody {
        error: None,
        message: None,
        logout_reason: reason,
        logout_message: Some(message.to_owned()),
        logout_path: Some(page_path.to_owned()),
        logout_context: Some(context),
        ..ErrorBody::default()
    };
    let plain = ErrorBody::plain;
    match error {
        AuthError::Logout { code, context } => logout_fields(Some(*code), code.message(), context.clone()),
        AuthError::AccessTokenInvalid(_) => ErrorBody {
            error: Some(ErrorCode::AccessTokenInvalid),
            message: Some("The access token is missing, malformed or expired; refresh it.".into()),
            ..logout_fields(None, "", Box::default())
        },
        AuthError::InvalidCredentials => ErrorBody {
            error: Some(ErrorCode::InvalidCredentials),
            message: Some("The email or password is incorrect.".into()),
            ..logout_fields(None, "", Box::default())
        },
        AuthError::BadRequest(message) => plain(ErrorCode::BadRequest, message),
        AuthError::Weak(message) => plain(ErrorCode::WeakPassword, message),
        AuthError::TokenInvalid(state) => {
            ErrorBody { token_state: Some(*state), ..plain(ErrorCode::TokenInvalid, state.message()) }
        }
        AuthError::Forbidden { code, message }
        | AuthError::Conflict { code, message }
        | AuthError::Unauthorized { code, message } => plain(*code, message),
        AuthError::EmailNotVerified => {
            plain(ErrorCode::EmailNotVerified, "Confirm your email address first: the link is in your mail.")
        }
        AuthError::ReauthRequired => ErrorBody {
            reauth_path: Some(REAUTH_PATH.into()),
            ..plain(ErrorCode::ReauthRequired, "Confirm your password to continue.")
        },
        AuthError::NotFound => plain(ErrorCode::NotFound, "Nothing here."),
        AuthError::RateLimited { .. } => plain(ErrorCode::RateLimited, "Too many attempts; try again later."),
        AuthError::Unavailable(_) | AuthError::Overloaded => {
            plain(ErrorCode::ServiceUnavailable, "The service is briefly unavailable; try again.")
        }
        AuthError::Internal(_) => plain(ErrorCode::Internal, "Something went wrong on our side."),
    }
}
