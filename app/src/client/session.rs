//! Sign-in, restore and sign-out in the browser: the only places that set or drop the token.

use crate::api::{Login, Logout, Me, Refresh};
use crate::client::http::{self, CallError, Method, reason_only};
use crate::client::{storage, tokens};
use crate::contract::{HEADER_SESSION_USER, LoginAnswer, LogoutCode, TokenInfo, UserView};
use leptos::server_fn::ServerFn;
use serde_json::json;

fn keep(token: TokenInfo, user_id: String) {
    tokens::set(token, user_id);
    if let Some(held) = tokens::get() {
        storage::save_hint(&held);
    }
}

/// Renews the access token from the refresh cookie.
pub async fn refresh() -> Result<TokenInfo, CallError> {
    let response = http::send(Method::Post, Refresh::PATH, &json!({})).await?;
    match response.status() {
        200 => {
            let token: TokenInfo =
                response.json().await.map_err(|e| CallError::Unavailable(format!("unreadable refresh: {e}")))?;
            let user_id = response.headers().get(HEADER_SESSION_USER).unwrap_or_default();
            if tokens::get().is_some_and(|held| held.user_id != user_id) {
                return Err(CallError::SessionEnded(reason_only(LogoutCode::SessionUserMismatch)));
            }
            keep(token.clone(), user_id);
            Ok(token)
        }
        401 => {
            let body = http::error_body(&response).await.filter(|body| body.logout_reason.is_some());
            Err(CallError::SessionEnded(body.unwrap_or_else(|| reason_only(LogoutCode::TokenRefreshFailed))))
        }
        status if status >= 500 => Err(CallError::Unavailable(format!("refresh answered {status}"))),
        status => Err(CallError::Refused { status, body: http::error_body(&response).await }),
    }
}

/// Restores the session after a page load: a refresh from the cookie, then the user.
pub async fn restore() -> Result<UserView, CallError> {
    refresh().await?;
    http::call(Method::Get, Me::PATH, &()).await
}

/// Signs in; a refusal (wrong credentials, suspended account, throttling) comes back as `Refused`.
pub async fn sign_in(email: &str, password: &str, remember_me: bool) -> Result<UserView, CallError> {
    let body = json!({ "email": email, "password": password, "remember_me": remember_me });
    let response = http::send(Method::Post, Login::PATH, &body).await?;
    match response.status() {
        200 => {
            let answer: LoginAnswer =
                response.json().await.map_err(|e| CallError::Unavailable(format!("unreadable login: {e}")))?;
            keep(answer.token, answer.user.id.clone());
            Ok(answer.user)
        }
        status if status >= 500 => Err(CallError::Unavailable(format!("sign-in answered {status}"))),
        status => Err(CallError::Refused { status, body: http::error_body(&response).await }),
    }
}

/// Signs out this device. The local state goes whatever the server answers: the user asked to leave.
pub async fn sign_out() {
    let _ = http::send(Method::Post, Logout::PATH, &json!({})).await;
    forget();
}

/// Drops the token and the hint.
pub fn forget() {
    tokens::clear();
    storage::clear_hint();
}
