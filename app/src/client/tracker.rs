//! The logout tracker: every logout of this tab (or of another tab) becomes one reason object that
//! is logged, stored, reported and shown, and the tab then goes to the sign-in page (SPEC §4).

use crate::api::LogoutEvent as LogoutEventFn;
use crate::client::http::Ending;
use crate::client::tabs::{self, TabMessage};
use crate::client::{activity, session, tokens};
use crate::contract::LogoutEvent;
use crate::paths::{logout_path, signin_url};
use gloo_storage::{LocalStorage, SessionStorage, Storage};
use leptos::prelude::Set;
use leptos::server_fn::ServerFn;
use std::cell::Cell;
use wasm_bindgen::JsValue;

/// localStorage: the last logout's reason (for the next visit to /signin) and the history.
pub const LOGOUT_REASON: &str = "logout_reason";
pub const LOGOUT_HISTORY: &str = "logout_history";
const HISTORY_KEPT: usize = 50;
/// How long the "Session ended" notice shows before the tab goes to the sign-in page.
const NOTICE_MS: u32 = 1_200;

thread_local! {
    /// A tab logs out once; later endings (other calls failing, broadcasts) are the same logout.
    static LEAVING: Cell<bool> = const { Cell::new(false) };
}

/// Ends the session in this tab for `ending`'s reason: logs, stores, reports, tells the other tabs,
/// shows the notice and goes to the sign-in page.
pub fn logout(ending: Ending) {
    if LEAVING.with(|leaving| leaving.replace(true)) {
        return;
    }
    let event = LogoutEvent {
        code: ending.code,
        message: ending.message,
        path: ending.path,
        context: ending.context,
        at: tokens::server_now() as i64,
        source: ending.source,
        idle_secs: activity::idle_secs(),
        tab_id: tabs::tab_id(),
    };
    log_to_console(&event);
    let _ = LocalStorage::set(LOGOUT_REASON, &event);
    let mut history = history();
    history.insert(0, event.clone());
    history.truncate(HISTORY_KEPT);
    let _ = LocalStorage::set(LOGOUT_HISTORY, &history);
    report(&event);
    tabs::broadcast(&TabMessage::LoggedOut { event: event.clone() });
    session::forget();
    leave(&event.message);
}

/// What other tabs say: a new access token, or the end of the session.
pub fn on_tab_message(message: TabMessage) {
    match message {
        TabMessage::Tokens { token, user_id } => {
            // Only a tab signed in as the same user takes the token; a tab of another user notices
            // the difference on its next call (SESSION_USER_MISMATCH).
            if tokens::get().is_some_and(|held| held.user_id == user_id) {
                tokens::set(token, user_id);
            }
        }
        TabMessage::LoggedOut { event } => {
            if tokens::get().is_none() || LEAVING.with(|leaving| leaving.replace(true)) {
                return;
            }
            // This tab's banner names this tab's page; the history and the report stay with the
            // tab where it happened.
            let own = LogoutEvent { path: logout_path(&crate::client::http::current_page()), ..event };
            let _ = SessionStorage::set(LOGOUT_REASON, &own);
            session::forget();
            leave(&own.message);
        }
    }
}

/// The logout history, newest first.
pub fn history() -> Vec<LogoutEvent> {
    LocalStorage::get(LOGOUT_HISTORY).unwrap_or_default()
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
    let headers = web_sys::Headers::new().ok();
    if let Some(headers) = &headers {
        let _ = headers.set("content-type", "application/json");
        init.set_headers(headers);
    }
    if let Some(window) = web_sys::window() {
        let _ = window.fetch_with_str_and_init(LogoutEventFn::PATH, &init);
    }
}

/// Shows "Session ended" briefly, then goes to the sign-in page with this tab's page as `next`.
fn leave(message: &str) {
    if let Some(view) = crate::client::view() {
        view.ended_notice.set(Some(message.to_owned()));
    }
    let target = signin_url(&crate::client::http::current_page());
    leptos::task::spawn_local(async move {
        gloo_timers::future::TimeoutFuture::new(NOTICE_MS).await;
        if let Some(window) = web_sys::window() {
            let _ = window.location().assign(&target);
        }
    });
}
