//! The token-expiry monitor: refreshes the access token ahead of its expiry and when a tab wakes,
//! confirms the session with the server on focus and every 5 minutes while visible, keeps the
//! status the UI and `window.__tokenMonitor.getTokenStatus()` show, and logs it every 30 s.

use crate::api::Me;
use crate::client::http::{self, CallError, Method};
use crate::client::{activity, session, tokens, tracker};
use crate::contract::UserView;
use crate::ui::state::{RETRY_NOTICE, TokenStatus};
use gloo_events::EventListener;
use leptos::prelude::Set;
use leptos::server_fn::ServerFn;
use std::cell::Cell;
use wasm_bindgen::prelude::*;

const TICK_MS: u32 = 1_000;
const LOG_EVERY_TICKS: u64 = 30;
/// The session is confirmed with the server at most this often while the tab is visible.
const CONFIRM_EVERY_SECS: f64 = 300.0;
const WARNING_SECS: i64 = 5 * 60;
const CRITICAL_SECS: i64 = 86_400;

thread_local! {
    static REFRESHING: Cell<bool> = const { Cell::new(false) };
    /// Browser time before which no refresh is retried (after a 5xx or network failure).
    static RETRY_AT: Cell<f64> = const { Cell::new(0.0) };
    static LAST_CONFIRM: Cell<f64> = const { Cell::new(0.0) };
}

pub fn start() {
    install_global();
    let Some(window) = web_sys::window() else { return };
    if let Some(document) = window.document() {
        let visible_document = document.clone();
        EventListener::new(&document, "visibilitychange", move |_| {
            if visible_document.visibility_state() == web_sys::VisibilityState::Visible {
                refresh_if_due(true);
                confirm();
            }
        })
        .forget();
    }
    EventListener::new(&window, "focus", |_| confirm()).forget();
    leptos::task::spawn_local(tick_forever());
}

/// The status of SPEC §4, on the server's clock.
pub fn status() -> TokenStatus {
    let Some(held) = tokens::get() else {
        return TokenStatus { level: "signed_out".into(), ..TokenStatus::default() };
    };
    let now = tokens::server_now() as i64;
    let access_in = (held.token.access_expires_at - now).max(0);
    let session_in = (held.token.refresh_expires_at - now).max(0);
    let level = if access_in == 0 || session_in == 0 {
        "expired"
    } else if session_in < CRITICAL_SECS {
        "critical"
    } else if access_in < WARNING_SECS {
        "warning"
    } else {
        "ok"
    };
    TokenStatus {
        signed_in: true,
        access_expires_at: Some(held.token.access_expires_at),
        access_expires_in_secs: Some(access_in),
        session_expires_at: Some(held.token.refresh_expires_at),
        session_expires_in_secs: Some(session_in),
        level: level.into(),
        last_refresh_at: Some(held.received_at),
        session_id: Some(held.token.session_id.clone()),
    }
}

async fn tick_forever() {
    let mut ticks: u64 = 0;
    loop {
        gloo_timers::future::TimeoutFuture::new(TICK_MS).await;
        ticks += 1;
        let status = status();
        if let Some(view) = crate::client::view() {
            view.status.set(status.clone());
            view.idle_secs.set(activity::idle_secs());
        }
        if ticks.is_multiple_of(LOG_EVERY_TICKS) {
            log_status(&status);
        }
        if !status.signed_in {
            continue;
        }
        refresh_if_due(false);
        watch_idle();
        let visible = web_sys::window()
            .and_then(|w| w.document())
            .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Visible);
        if visible && tokens::browser_now() - LAST_CONFIRM.with(Cell::get) >= CONFIRM_EVERY_SECS {
            confirm();
        }
    }
}

/// Refreshes at `exp − min(60 s, ttl/5)`; a tab that wakes (timers may have slept with it)
/// refreshes a token that is past half its life.
fn refresh_if_due(waking: bool) {
    let Some(held) = tokens::get() else { return };
    let expires_at = held.token.access_expires_at as f64;
    let ttl = (expires_at - held.received_at as f64).max(1.0);
    let due = if waking { expires_at - ttl / 2.0 } else { expires_at - 60.0_f64.min(ttl / 5.0) };
    let retry_ok = tokens::browser_now() >= RETRY_AT.with(Cell::get);
    if tokens::server_now() < due || !retry_ok || REFRESHING.with(|r| r.replace(true)) {
        return;
    }
    leptos::task::spawn_local(async {
        match session::refresh().await {
            Ok(_) => {
                RETRY_AT.with(|at| at.set(0.0));
                if let Some(view) = crate::client::view() {
                    view.retry_notice.set(None);
                }
            }
            Err(CallError::SessionEnded(ending)) => tracker::logout(ending),
            Err(_) => {
                RETRY_AT.with(|at| at.set(tokens::browser_now() + 5.0));
                if let Some(view) = crate::client::view() {
                    view.retry_notice.set(Some(RETRY_NOTICE.into()));
                }
            }
        }
        REFRESHING.with(|r| r.set(false));
    });
}

/// Asks the server whether the session still lives, so a device revoked elsewhere learns it.
fn confirm() {
    if tokens::get().is_none() {
        return;
    }
    LAST_CONFIRM.with(|at| at.set(tokens::browser_now()));
    leptos::task::spawn_local(async {
        let _: Result<UserView, CallError> = http::call(Method::Get, Me::PATH, &()).await;
    });
}

/// With an idle timeout: the countdown in the last minute, then a confirmation that carries the idle
/// time, which the server answers with IDLE_TIMEOUT.
fn watch_idle() {
    let Some(held) = tokens::get() else { return };
    let timeout = held.token.idle_timeout_secs as i64;
    if timeout == 0 {
        return;
    }
    let idle = activity::idle_secs();
    if let Some(view) = crate::client::view() {
        view.idle_countdown.set((idle >= timeout - 60).then(|| (timeout - idle).max(0)));
    }
    if idle >= timeout && tokens::browser_now() - LAST_CONFIRM.with(Cell::get) >= 2.0 {
        confirm();
    }
}

fn log_status(status: &TokenStatus) {
    let colour = match status.level.as_str() {
        "ok" => "color:#15803d",
        "warning" => "color:#b45309;font-weight:bold",
        "critical" | "expired" => "color:#b91c1c;font-weight:bold",
        _ => "color:#6b7280",
    };
    let text = format!(
        "%c[lanyard] {}: access token {} s, session {} s, idle {} s",
        status.level,
        status.access_expires_in_secs.map_or("-".into(), |s| s.to_string()),
        status.session_expires_in_secs.map_or("-".into(), |s| s.to_string()),
        activity::idle_secs(),
    );
    web_sys::console::log_2(&JsValue::from_str(&text), &JsValue::from_str(colour));
}

/// `window.__tokenMonitor.getTokenStatus()`.
fn install_global() {
    let Some(window) = web_sys::window() else { return };
    let get_status = Closure::<dyn Fn() -> JsValue>::new(|| {
        let json = serde_json::to_string(&status()).unwrap_or_default();
        js_sys::JSON::parse(&json).unwrap_or(JsValue::NULL)
    });
    let monitor = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&monitor, &"getTokenStatus".into(), get_status.as_ref());
    let _ = js_sys::Reflect::set(&window, &"__tokenMonitor".into(), &monitor);
    get_status.forget();
}
