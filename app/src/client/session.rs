//! Sign-in, refresh, restore and sign-out in the browser: the only places that set or drop the token.

use crate::api::{BillingStatus as BillingStatusFn, Login, Logout, Me, Refresh};
use crate::client::http::{self, CallError, Ending, Method};
use crate::client::tabs::{self, REFRESH_LOCK, TabMessage};
use crate::client::{storage, tokens};
use crate::contract::{BillingStatus, HEADER_SESSION_USER, LoginAnswer, LogoutCode, TokenInfo, UserView};
use crate::ui::state::UNREACHABLE;
use leptos::server_fn::ServerFn;
use serde_json::json;

/// Keeps a new token in memory, the non-secret hint in storage, and tells the other tabs.
fn keep(token: TokenInfo, user_id: String) {
    tokens::set(token.clone(), user_id.clone());
    if let Some(held) = tokens::get() {
        storage::save_hint(&held);
    }
    tabs::broadcast(&TabMessage::Tokens { token, user_id });
}

/// Renews the access token, one tab at a time: under the Web Lock, a tab first checks whether
/// another tab refreshed while it waited (the result arrives by BroadcastChannel), and only asks the
/// server if not.
pub async fn refresh() -> Result<TokenInfo, CallError> {
    let before = tokens::get().map(|held| held.token.access_expires_at);
    tabs::with_lock(REFRESH_LOCK, async move {
        if let Some(before) = before
            && let Some(token) = refreshed_elsewhere(before).await
        {
            return Ok(token);
        }
        refresh_now().await
    })
    .await
}

/// The token another tab obtained after ours expired at `before`, if any: the shared hint says so at
/// once, and the token itself follows by broadcast within moments.
async fn refreshed_elsewhere(before: i64) -> Option<TokenInfo> {
    const WAIT_STEPS: u32 = 20;
    let newer = |expires_at: i64| expires_at > before;
    if !storage::hint().is_some_and(|hint| newer(hint.access_expires_at)) {
        return None;
    }
    for _ in 0..WAIT_STEPS {
        if let Some(held) = tokens::get().filter(|held| newer(held.token.access_expires_at)) {
            return Some(held.token);
        }
        gloo_timers::future::TimeoutFuture::new(50).await;
    }
    None
}

async fn refresh_now() -> Result<TokenInfo, CallError> {
    let response = http::send(Method::Post, Refresh::PATH, &json!({})).await?;
    match response.status() {
        200 => {
            let token: TokenInfo = http::read_json(&response).await?;
            let user_id = response.headers().get(HEADER_SESSION_USER).unwrap_or_default();
            if tokens::get().is_some_and(|held| held.user_id != user_id) {
                return Err(CallError::SessionEnded(Ending::local(LogoutCode::SessionUserMismatch)));
            }
            keep(token.clone(), user_id);
            Ok(token)
        }
        401 => match http::error_body(&response).await.filter(|body| body.logout_reason.is_some()) {
            Some(body) => Err(CallError::SessionEnded(Ending::from_server(body))),
            None => Err(CallError::SessionEnded(Ending::local(LogoutCode::TokenRefreshFailed))),
        },
        status => Err(http::refusal(status, http::error_body(&response).await)),
    }
}

/// Restores the session after a page load: a refresh from the cookie, then the user. A lapsed plan
/// (402) keeps the session: the user then comes from the billing status, which has no plan check.
pub async fn restore() -> Result<UserView, CallError> {
    refresh().await?;
    match http::call(Method::Get, Me::PATH, &()).await {
        Err(CallError::Refused { status: 402, .. }) => {
            let billing: BillingStatus = http::call(Method::Get, BillingStatusFn::PATH, &()).await?;
            Ok(billing.user)
        }
        other => other,
    }
}

/// Signs in; a refusal (wrong credentials, suspended account, throttling) comes back as `Refused`.
pub async fn sign_in(email: &str, password: &str, remember_me: bool) -> Result<UserView, CallError> {
    let device_id = storage::device_id();
    let body = json!({ "email": email, "password": password, "remember_me": remember_me, "device_id": device_id });
    let response = http::send(Method::Post, Login::PATH, &body).await?;
    match response.status() {
        200 => {
            let answer: LoginAnswer = http::read_json(&response).await?;
            keep(answer.token, answer.user.id.clone());
            Ok(answer.user)
        }
        status => Err(http::refusal(status, http::error_body(&response).await)),
    }
}

/// Signs out this device: the server ends the session, and the tracker records MANUAL_LOGOUT.
pub async fn sign_out() {
    let _ = http::send(Method::Post, Logout::PATH, &json!({})).await;
    crate::client::tracker::logout(Ending::local(LogoutCode::ManualLogout));
}

/// Drops the token and the hint.
pub fn forget() {
    tokens::clear();
    storage::clear_hint();
}

/// Changes the password; this session carries on with the new token, the others end.
pub async fn change_password(current_password: &str, new_password: &str) -> Result<(), String> {
    use crate::api::ChangePassword;
    let body = json!({ "current_password": current_password, "new_password": new_password });
    match http::call::<TokenInfo>(Method::Post, ChangePassword::PATH, &body).await {
        Ok(token) => {
            let user_id = tokens::get().map(|held| held.user_id).unwrap_or_default();
            keep(token, user_id);
            Ok(())
        }
        Err(CallError::Refused { status: 403, .. }) => Err("The current password is incorrect.".into()),
        Err(CallError::Refused { body, .. }) => {
            Err(body.and_then(|b| b.message).unwrap_or_else(|| "The password could not be changed.".into()))
        }
        Err(CallError::Unavailable { .. }) => Err(UNREACHABLE.into()),
        Err(CallError::SessionEnded(ending)) => Err(ending.message),
    }
}
