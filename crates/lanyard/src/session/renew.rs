//! Renewing the access token: one refresh at a time across every tab of this browser. Under the
//! Web Lock a tab first checks whether another tab refreshed while it waited (the result arrives by
//! BroadcastChannel), and only asks the server if not.

use crate::api::credentials::Refresh;
use crate::contract::{ErrorBody, TokenInfo};
use crate::session::context::{client, current_page};
use crate::session::ending::Ending;
use crate::session::rules::{CallKind, Verdict, classify};
use crate::session::storage;
use crate::session::tabs::{self, REFRESH_LOCK, TabMessage};
use crate::session::wire::{ApiRequest, DEADLINE_MS, Exchange, exchange};
use leptos::server_fn::ServerFn;
use leptos::server_fn::codec::{IntoReq, Json};

/// Why a renewal gave no token. Deciding what an ending does (a logout, or a silent trip to the
/// sign-in page on a first visit) is the caller's.
#[derive(Clone, Debug)]
pub enum RenewError {
    /// The session is over.
    Ended(Ending),
    /// The refresh was refused or got no usable answer; the session is kept.
    Failed(Exchange),
}

/// Keeps a new token in memory, the non-secret hint in storage, and tells the other tabs.
pub fn keep(token: TokenInfo, user_id: String) {
    let client = client();
    client.hold(token.clone(), user_id.clone());
    if let Some(held) = client.held() {
        storage::save_hint(&held);
    }
    tabs::broadcast(&TabMessage::Tokens { token, user_id });
}

/// How long a tab waits for another tab's refresh lock before refreshing without it (SPEC §4
/// "Deadlines"): a frozen or closed tab never blocks the others, and the server's idempotent refresh
/// makes the unlocked refresh safe. A holder is itself bounded by the call deadline.
pub const LOCK_WAIT_MS: u32 = DEADLINE_MS;

/// Renews the access token (see the module docs). While a call of this tab that replaces the
/// cookie holds the lock, a refresh (the call's own, after a 401 without a reason) runs at once:
/// waiting would be waiting for this tab's own lock.
pub async fn refresh() -> Result<TokenInfo, RenewError> {
    if client().replacing_cookie.get() {
        return refresh_now().await;
    }
    let before = client().held().map(|held| held.token.access_expires_at);
    tabs::with_lock(REFRESH_LOCK, LOCK_WAIT_MS, async move {
        if let Some(before) = before
            && let Some(token) = refreshed_elsewhere(before).await
        {
            return Ok(token);
        }
        refresh_now().await
    })
    .await
}

/// Runs `work`, a call that replaces the refresh cookie (a password change), under the refresh lock,
/// so that no refresh in another tab races it.
pub async fn replacing_cookie<T: 'static>(work: impl std::future::Future<Output = T> + 'static) -> T {
    tabs::with_lock(REFRESH_LOCK, LOCK_WAIT_MS, async move {
        let _held = Replacing::start();
        work.await
    })
    .await
}

/// Notes, for as long as it lives, that this tab's cookie-replacing call holds the refresh lock.
struct Replacing;

impl Replacing {
    fn start() -> Self {
        client().replacing_cookie.set(true);
        Self
    }
}

impl Drop for Replacing {
    fn drop(&mut self) {
        client().replacing_cookie.set(false);
    }
}

/// The token another tab obtained after ours expired at `before`, if any: the shared hint says so at
/// once, and the token itself follows by broadcast within moments. A hint of another user (signed in
/// in another tab) is no token for this tab.
async fn refreshed_elsewhere(before: i64) -> Option<TokenInfo> {
    const WAIT_STEPS: u32 = 20;
    let newer = |expires_at: i64| expires_at > before;
    let user = client().signed_in_user();
    let ours = |hint_user: &str| user.as_deref().is_none_or(|user| user == hint_user);
    if !storage::hint().is_some_and(|hint| newer(hint.access_expires_at) && ours(&hint.user_id)) {
        return None;
    }
    for _ in 0..WAIT_STEPS {
        if let Some(held) = client().held().filter(|held| newer(held.token.access_expires_at)) {
            return Some(held.token);
        }
        gloo_timers::future::TimeoutFuture::new(50).await;
    }
    None
}

async fn refresh_now() -> Result<TokenInfo, RenewError> {
    let request: ApiRequest =
        IntoReq::<Json, ApiRequest, ErrorBody>::into_req(Refresh {}, Refresh::PATH, "application/json")
            .map_err(|error| RenewError::Failed(Exchange::Lost(format!("{error:?}"))))?;
    let answer = exchange(&request).await;
    let signed_in = client().signed_in_user();
    match classify(CallKind::Refresh, answer.reply(), signed_in.as_deref(), 0) {
        Verdict::Answer => {
            let Exchange::Answered { text, session_user, .. } = &answer else { unreachable!("an answer") };
            let Ok(token) = serde_json::from_str::<TokenInfo>(text) else {
                return Err(RenewError::Failed(Exchange::Lost("an unreadable token answer".into())));
            };
            // The user is the one this tab holds, or on a restore, the one the answer names.
            let user_id = signed_in.or_else(|| session_user.clone()).unwrap_or_default();
            keep(token.clone(), user_id);
            Ok(token)
        }
        Verdict::Ended(code, source) => {
            Err(RenewError::Ended(Ending::new(code, source, answer.error(), &current_page())))
        }
        _ => Err(RenewError::Failed(answer)),
    }
}
