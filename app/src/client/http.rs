//! The call wrapper: every API call goes through [`call`], which adds the bearer and page headers,
//! refreshes once on a 401 without a reason and retries once, and sorts every other failure into
//! an [`CallError`] that never, by itself, ends the session.

use crate::client::{session, tokens};
use crate::contract::{ErrorBody, HEADER_PAGE_PATH, HEADER_SESSION_USER, LogoutCode};
use gloo_net::http::{Request, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Why a call did not give an answer. Only `SessionEnded` means the session is over.
#[derive(Clone, Debug)]
pub enum CallError {
    /// The server ended the session (a 401 with a reason, or a failed refresh).
    SessionEnded(ErrorBody),
    /// A refusal that keeps the session: 402 (plan), 403, 404, 409, 429 …
    Refused { status: u16, body: Option<ErrorBody> },
    /// 5xx, a non-JSON answer, a timeout or no network: retry later.
    Unavailable(String),
}

#[derive(Clone, Copy)]
pub enum Method {
    Get,
    Post,
}

/// The page this tab shows, for `X-Page-Path`.
pub fn current_page() -> String {
    let location = web_sys::window().map(|w| w.location());
    let path = location.as_ref().and_then(|l| l.pathname().ok()).unwrap_or_else(|| "/".into());
    let search = location.as_ref().and_then(|l| l.search().ok()).unwrap_or_default();
    format!("{path}{search}")
}

fn build(method: Method, path: &str) -> RequestBuilder {
    let builder = match method {
        Method::Get => Request::get(path),
        Method::Post => Request::post(path),
    };
    let builder = builder.header(HEADER_PAGE_PATH, &current_page());
    match tokens::access_token() {
        Some(token) => builder.header("Authorization", &format!("Bearer {token}")),
        None => builder,
    }
}

/// Sends one request, without any retry.
pub async fn send(method: Method, path: &str, body: &impl Serialize) -> Result<Response, CallError> {
    let builder = build(method, path);
    let request = match method {
        Method::Get => builder.build(),
        Method::Post => builder.json(body),
    }
    .map_err(|e| CallError::Unavailable(e.to_string()))?;
    request.send().await.map_err(|e| CallError::Unavailable(format!("network: {e}")))
}

/// Reads the error body, if the answer has a JSON one.
pub async fn error_body(response: &Response) -> Option<ErrorBody> {
    response.json::<ErrorBody>().await.ok()
}

/// Calls the API with the session's credentials (see the module docs for the rules).
pub async fn call<T: DeserializeOwned>(method: Method, path: &str, body: &impl Serialize) -> Result<T, CallError> {
    let mut refreshed = false;
    loop {
        let response = send(method, path, body).await?;
        let status = response.status();
        if (200..300).contains(&status) {
            check_session_user(&response)?;
            return response.json::<T>().await.map_err(|e| CallError::Unavailable(format!("unreadable answer: {e}")));
        }
        let body = error_body(&response).await;
        match (status, body) {
            (401, Some(body)) if body.ends_session() => return Err(CallError::SessionEnded(body)),
            (401, _) if !refreshed => {
                // An access token that is missing or expired while the session lives: renew, retry once.
                session::refresh().await?;
                refreshed = true;
            }
            (401, body) => {
                return Err(CallError::SessionEnded(body.unwrap_or_else(|| reason_only(LogoutCode::TokenRefreshFailed))));
            }
            (status, body) if status >= 500 => {
                let detail = body.and_then(|b| b.message).unwrap_or_default();
                return Err(CallError::Unavailable(format!("{status} {detail}")));
            }
            (status, body) => return Err(CallError::Refused { status, body }),
        }
    }
}

/// An answer for another user than the signed-in one is discarded and ends the session.
fn check_session_user(response: &Response) -> Result<(), CallError> {
    let answered_for = response.headers().get(HEADER_SESSION_USER);
    let signed_in = tokens::get().map(|held| held.user_id);
    match (answered_for, signed_in) {
        (Some(answered), Some(signed_in)) if answered != signed_in => {
            Err(CallError::SessionEnded(reason_only(LogoutCode::SessionUserMismatch)))
        }
        _ => Ok(()),
    }
}

/// A client-side reason with its message, for endings the server did not name.
pub fn reason_only(code: LogoutCode) -> ErrorBody {
    ErrorBody {
        error: None,
        message: None,
        logout_reason: Some(code),
        logout_message: Some(code.message().into()),
        logout_path: Some(current_page()),
        logout_context: None,
    }
}
