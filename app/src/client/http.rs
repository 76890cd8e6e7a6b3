//! The call wrapper: every API call goes through [`call`], which adds the bearer, page and idle
//! headers, refreshes once on a 401 without a reason and retries once, and sorts every failure into
//! a [`CallError`]. Only a named reason or a failed refresh ends the session; 402, 403, 5xx,
//! unreadable answers, timeouts and network loss never do.

use crate::client::{activity, session, tokens, tracker};
use crate::contract::{ErrorBody, HEADER_PAGE_PATH, HEADER_SESSION_USER, HEADER_USER_IDLE, LogoutCode, LogoutSource};
use crate::paths::logout_path;
use crate::ui::state::{ApiFailure, RETRY_NOTICE};
use gloo_net::http::{Request, RequestBuilder, Response};
use leptos::prelude::Set;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A session ending, as the tracker records it.
#[derive(Clone, Debug)]
pub struct Ending {
    pub code: LogoutCode,
    pub message: String,
    pub path: String,
    pub context: serde_json::Value,
    pub source: LogoutSource,
}

impl Ending {
    /// An ending the server named (its path is the page the call came from).
    pub fn from_server(body: ErrorBody) -> Self {
        let code = body.logout_reason.unwrap_or(LogoutCode::TokenRefreshFailed);
        Self {
            code,
            message: body.logout_message.filter(|m| !m.is_empty()).unwrap_or_else(|| code.message().into()),
            path: body.logout_path.unwrap_or_else(|| logout_path(&current_page())),
            context: body.logout_context.unwrap_or_default(),
            source: LogoutSource::Backend,
        }
    }

    /// An ending this browser decided on.
    pub fn local(code: LogoutCode) -> Self {
        Self {
            code,
            message: code.message().into(),
            path: logout_path(&current_page()),
            context: serde_json::Value::Object(Default::default()),
            source: LogoutSource::Frontend,
        }
    }
}

/// Why a call did not give an answer. Only `SessionEnded` means the session is over.
#[derive(Clone, Debug)]
pub enum CallError {
    SessionEnded(Ending),
    /// A refusal that keeps the session: 402 (plan), 403, 404, 409, 429 …
    Refused {
        status: u16,
        body: Option<ErrorBody>,
    },
    /// 5xx (`status`), an unreadable answer, a timeout or no network (`status: None`): retry later.
    Unavailable {
        status: Option<u16>,
        detail: String,
    },
}

impl CallError {
    fn network(detail: impl std::fmt::Display) -> Self {
        Self::Unavailable { status: None, detail: detail.to_string() }
    }
}

/// Reads a 2xx answer's JSON body; an unreadable one counts as unavailable.
pub async fn read_json<T: DeserializeOwned>(response: &Response) -> Result<T, CallError> {
    response.json::<T>().await.map_err(|e| CallError::network(format!("unreadable answer: {e}")))
}

/// A non-2xx answer that does not concern the session: unavailable (5xx) or refused (4xx).
pub fn refusal(status: u16, body: Option<ErrorBody>) -> CallError {
    if status >= 500 {
        CallError::Unavailable { status: Some(status), detail: body.and_then(|b| b.message).unwrap_or_default() }
    } else {
        CallError::Refused { status, body }
    }
}

#[derive(Clone, Copy)]
pub enum Method {
    Get,
    Post,
}

/// The page this tab shows (path and query), for `X-Page-Path`.
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
    }
    .header(HEADER_PAGE_PATH, &current_page())
    .header(HEADER_USER_IDLE, &activity::idle_secs().to_string());
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
    .map_err(CallError::network)?;
    request.send().await.map_err(|e| CallError::network(format!("network: {e}")))
}

/// Reads the error body, if the answer has a JSON one.
pub async fn error_body(response: &Response) -> Option<ErrorBody> {
    response.json::<ErrorBody>().await.ok()
}

/// Calls the API with the session's credentials (see the module docs for the rules). A session
/// ending goes to the tracker here, so every caller gets the same behaviour.
pub async fn call<T: DeserializeOwned>(method: Method, path: &str, body: &impl Serialize) -> Result<T, CallError> {
    let result = call_once_refreshed(method, path, body).await;
    note_outcome(path, &result);
    if let Err(CallError::SessionEnded(ending)) = &result {
        tracker::logout(ending.clone());
    }
    result
}

async fn call_once_refreshed<T: DeserializeOwned>(
    method: Method,
    path: &str,
    body: &impl Serialize,
) -> Result<T, CallError> {
    let mut refreshed = false;
    loop {
        let response = send(method, path, body).await?;
        let status = response.status();
        if (200..300).contains(&status) {
            check_session_user(&response)?;
            return read_json(&response).await;
        }
        let body = error_body(&response).await;
        let credentials_missing =
            status == 403 && body.as_ref().and_then(|b| b.error.as_deref()) == Some("AUTH_CREDENTIALS_MISSING");
        let renewable = status == 401 || credentials_missing;
        match body {
            Some(body) if status == 401 && body.ends_session() => {
                return Err(CallError::SessionEnded(Ending::from_server(body)));
            }
            // The access token is missing or expired while the session lives: renew, retry once.
            _ if renewable && !refreshed => {
                session::refresh().await?;
                refreshed = true;
            }
            _ if renewable => {
                let code = if credentials_missing {
                    LogoutCode::AuthCredentialsMissing
                } else {
                    LogoutCode::TokenRefreshFailed
                };
                return Err(CallError::SessionEnded(Ending::local(code)));
            }
            body => {
                check_session_user(&response)?;
                return Err(refusal(status, body));
            }
        }
    }
}

/// An answer for another user than the signed-in one is discarded and ends the session.
fn check_session_user(response: &Response) -> Result<(), CallError> {
    let answered_for = response.headers().get(HEADER_SESSION_USER);
    let signed_in = tokens::get().map(|held| held.user_id);
    match (answered_for, signed_in) {
        (Some(answered), Some(signed_in)) if answered != signed_in => {
            Err(CallError::SessionEnded(Ending::local(LogoutCode::SessionUserMismatch)))
        }
        _ => Ok(()),
    }
}

/// Updates the notices and the debug panel's failure list with what a call came to.
fn note_outcome<T>(path: &str, result: &Result<T, CallError>) {
    let Some(view) = crate::client::view() else { return };
    let (status, decision) = match result {
        Ok(_) => {
            view.retry_notice.set(None);
            return;
        }
        Err(CallError::SessionEnded(ending)) => (401, format!("ended session: {}", ending.code)),
        Err(CallError::Refused { status: 402, body }) => {
            let message = body.as_ref().and_then(|b| b.logout_message.clone());
            view.billing_notice.set(Some(message.unwrap_or_else(|| LogoutCode::PlanInactive.message().into())));
            (402, "kept session: 402".into())
        }
        Err(CallError::Refused { status, .. }) => (*status, format!("kept session: {status}")),
        Err(CallError::Unavailable { status, .. }) => {
            view.retry_notice.set(Some(RETRY_NOTICE.into()));
            let shown = status.map_or_else(|| "network".to_owned(), |status| status.to_string());
            (status.unwrap_or(0), format!("kept session: {shown}"))
        }
    };
    view.record_failure(ApiFailure { at: tokens::server_now() as i64, path: path.to_owned(), status, decision });
}
