//! The logout tracker: every logout of this tab (or of another tab) becomes one reason object that
//! is logged, stored, reported and shown, and the tab then goes to the sign-in page (SPEC §4).
//!
//! A sink: it is called by the transport, the flows and the monitor, and calls none of them.

use crate::api::credentials::{Logout, LogoutEvent as LogoutEventFn};
use crate::contract::{HEADER_PAGE_PATH, LogoutCode, LogoutEvent};
use crate::paths::{logout_path, signin_url};
use crate::session::context::{client, current_page};
use crate::session::ending::Ending;
use crate::session::tabs::{self, TabMessage};
use crate::session::{activity, storage};
use leptos::prelude::Set;
use leptos::server_fn::ServerFn;
use wasm_bindgen::JsValue;

/// How long the "Session ended" notice shows before the tab goes to the sign-in page.
const NOTICE_MS: u32 = 1_200;

/// Ends the session in this tab for `ending`'s reason: logs, stores, reports, tells the other tabs,
/// shows the notice and goes to the sign-in page.
pub fn logout(ending: Ending) {
    let client = client();
    if !client.begin_leaving() {
        return;
    }
    // A tab that learns its session's cookie now belongs to another user still holds its own
    // session: it ends it on the server, so nothing is left live that no tab can reach.
    if ending.code == LogoutCode::SessionUserMismatch {
        end_on_server();
    }
    let session = client.session_ids().or_else(storage::hinted_session);
    let event = ending.into_event(client.server_now() as i64, activity::idle_secs(), client.tab_id.clone(), session);
    log_to_console(&event);
    storage::record_logout(&event);
    report(&event);
    tabs::broadcast(&TabMessage::LoggedOut { event: event.clone() });
    forget();
    leave(&event.message);
}

/// Drops the token, and the hint if it names this tab's session (or this tab held none).
pub fn forget() {
    let client = client();
    let session = client.session_ids();
    client.drop_token();
    storage::clear_hint_of(session.as_ref().map(|ids| ids.session_id.as_str()));
}

/// What other tabs say: a new access token, the end of a session, or user activity.
pub fn on_tab_message(message: TabMessage) {
    let client = client();
    match message {
        TabMessage::Tokens { token, user_id } => {
            // Only a tab signed in as the same user takes the token; a tab of another user notices
            // the difference on its next call (SESSION_USER_MISMATCH).
            if client.signed_in_user().is_some_and(|held| held == user_id) {
                client.hold(token, user_id);
            }
        }
        TabMessage::LoggedOut { event } => {
            // Only the ending of the session this tab holds: another user's tab, or a tab that
            // adopted a newer session of the same user, carries on.
            if !client.session_ids().is_some_and(|ids| ids.ended_by(&event)) || !client.begin_leaving() {
                return;
            }
            // This tab's banner names this tab's page; the history and the report stay with the
            // tab where it happened.
            let own = LogoutEvent { path: logout_path(&current_page()), ..event };
            storage::keep_reason_for_this_tab(&own);
            forget();
            leave(&own.message);
        }
        TabMessage::Active { idle_ms } => activity::heard(idle_ms),
    }
}

fn log_to_console(event: &LogoutEvent) {
    let text = format!(
        "%c[lanyard] session ended: {} ({}) on {}, source {}, idle {} s",
        event.code,
        event.message,
        event.path,
        serde_json::to_string(&event.source).unwrap_or_default(),
        event.idle_secs
    );
    web_sys::console::warn_2(&JsValue::from_str(&text), &JsValue::from_str("color:#b45309;font-weight:bold"));
}

/// Posts the event with `keepalive`, so it arrives even as the page goes away.
fn report(event: &LogoutEvent) {
    let Ok(body) = serde_json::to_string(event) else { return };
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(&body));
    // `keepalive` is missing from web-sys's RequestInit bindings.
    let _ = js_sys::Reflect::set(&init, &JsValue::from_str("keepalive"), &JsValue::TRUE);
    if let Ok(headers) = web_sys::Headers::new() {
        let _ = headers.set("content-type", "application/json");
        init.set_headers(&headers);
    }
    if let Some(window) = web_sys::window() {
        let _ = window.fetch_with_str_and_init(LogoutEventFn::PATH, &init);
    }
}

/// Signs out the session of the bearer this tab holds (`/api/auth/logout` ends the bearer's session
/// and keeps a cookie that names another), recorded as SESSION_USER_MISMATCH, with `keepalive`,
/// as the page is about to leave.
fn end_on_server() {
    let Some(token) = client().access_token() else { return };
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(r#"{"reason":"SESSION_USER_MISMATCH"}"#));
    let _ = js_sys::Reflect::set(&init, &JsValue::from_str("keepalive"), &JsValue::TRUE);
    if let Ok(headers) = web_sys::Headers::new() {
        let _ = headers.set("content-type", "application/json");
        let _ = headers.set("authorization", &format!("Bearer {token}"));
        let _ = headers.set(HEADER_PAGE_PATH, &current_page());
        init.set_headers(&headers);
    }
    if let Some(window) = web_sys::window() {
        let _ = window.fetch_with_str_and_init(Logout::PATH, &init);
    }
}

/// Shows "Session ended" briefly, then goes to the sign-in page with this tab's page as `next`.
fn leave(message: &str) {
    if let Some(view) = client().view() {
        view.ended_notice.set(Some(message.to_owned()));
    }
    let target = signin_url(&current_page());
    leptos::task::spawn_local(async move {
        gloo_timers::future::TimeoutFuture::new(NOTICE_MS).await;
        if let Some(window) = web_sys::window() {
            let _ = window.location().assign(&target);
        }
    });
}
