//! The token-expiry monitor: refreshes the access token ahead of its expiry and when a tab wakes,
//! confirms the session with the server on focus and every 5 minutes while visible, keeps the
//! status the UI and `window.__tokenMonitor.getTokenStatus()` show, and logs it every 30 s.

use crate::contract::{ActivityKind, TokenLevel, TokenStatus};
use crate::session::context::{browser_now, client};
use crate::session::renew::{self, RenewError};
use crate::session::view::{NewSignIn, RETRY_NOTICE, device_label};
use crate::session::{activity, rules, storage, tracker};
use gloo_events::EventListener;
use leptos::prelude::{Set, Update};
use wasm_bindgen::prelude::*;

const TICK_MS: u32 = 1_000;
const LOG_EVERY_TICKS: u64 = 30;
/// The session is confirmed with the server at most this often while the tab is visible.
const CONFIRM_EVERY_SECS: f64 = 300.0;
/// A refresh that failed without ending the session is tried again after 5 s, then twice as long
/// after every further failure, up to a minute.
const FIRST_RETRY_SECS: f64 = 5.0;
const LAST_RETRY_SECS: f64 = 60.0;

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
    let Some(held) = client().held() else {
        return TokenStatus::signed_out();
    };
    let now = client().server_now() as i64;
    let access_in = (held.token.access_expires_at - now).max(0);
    let session_in = (held.token.refresh_expires_at - now).max(0);
    let level = rules::token_level(access_in, session_in);
    TokenStatus {
        signed_in: true,
        access_expires_at: Some(held.token.access_expires_at),
        access_expires_in_secs: Some(access_in),
        session_expires_at: Some(held.token.refresh_expires_at),
        session_expires_in_secs: Some(session_in),
        level,
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
        if let Some(view) = client().view() {
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
        if visible && browser_now() - client().monitor.last_confirm.get() >= CONFIRM_EVERY_SECS {
            confirm();
        }
    }
}

/// Refreshes at `exp − min(60 s, ttl/5)`; a tab that wakes (timers may have slept with it)
/// refreshes a token that is past half its life.
fn refresh_if_due(waking: bool) {
    let client = client();
    let Some(held) = client.held() else { return };
    let expires_at = held.token.access_expires_at as f64;
    let ttl = (expires_at - held.received_at as f64).max(1.0);
    let due = if waking { expires_at - ttl / 2.0 } else { expires_at - 60.0_f64.min(ttl / 5.0) };
    let monitor = &client.monitor;
    let retry_ok = browser_now() >= monitor.retry_at.get();
    // A password change in this tab holds the refresh lock and brings its own new token.
    let changing = client.replacing_cookie.get();
    if client.server_now() < due || !retry_ok || changing || monitor.refreshing.replace(true) {
        return;
    }
    leptos::task::spawn_local(async move {
        let view = client.view();
        match renew::refresh().await {
            Ok(_) => {
                monitor.retry_at.set(0.0);
                monitor.retry_delay.set(0.0);
                if let Some(view) = view {
                    view.retry_notice.set(None);
                }
            }
            Err(RenewError::Ended(ending)) => tracker::logout(ending),
            Err(RenewError::Failed(_)) => {
                let delay = (monitor.retry_delay.get() * 2.0).clamp(FIRST_RETRY_SECS, LAST_RETRY_SECS);
                monitor.retry_delay.set(delay);
                monitor.retry_at.set(browser_now() + delay);
                if let Some(view) = view {
                    view.retry_notice.set(Some(RETRY_NOTICE.into()));
                }
            }
        }
        monitor.refreshing.set(false);
    });
}

/// Asks the server whether the session still lives, so a device revoked elsewhere learns it.
fn confirm() {
    if client().held().is_none() {
        return;
    }
    client().monitor.last_confirm.set(browser_now());
    leptos::task::spawn_local(async {
        // An ending is the transport's to act on; a live session looks for new sign-ins.
        if crate::api::me().await.is_ok() {
            look_for_new_sign_ins().await;
        }
    });
}

/// Sign-ins on devices this user had not used, since this session's own, whose sessions live and
/// that this browser has not dismissed (SPEC §4 "New device"): the notice lists them.
async fn look_for_new_sign_ins() {
    let (Some(view), Some(held)) = (client().view(), client().held()) else { return };
    let Ok(activity) = crate::api::activity(None).await else { return };
    let own = &held.token.session_id;
    let since = activity
        .events
        .iter()
        .find(|e| {
            e.session_id.as_ref() == Some(own) && matches!(e.kind, ActivityKind::SignedIn | ActivityKind::NewDevice)
        })
        .map_or(0, |e| e.at);
    let seen = storage::seen_sign_ins();
    let fresh: Vec<NewSignIn> = activity
        .events
        .into_iter()
        .filter(|e| e.kind == ActivityKind::NewDevice && !e.current && e.live && e.at >= since)
        .filter_map(|e| {
            let session_id = e.session_id.filter(|id| !seen.contains(id))?;
            Some(NewSignIn { session_id, device: device_label(e.user_agent.as_deref(), e.ip.as_deref()), ended: false })
        })
        .collect();
    view.new_sign_ins.update(|shown| {
        shown.retain(|notice| notice.ended);
        shown.extend(fresh);
    });
}

/// With an idle timeout: the countdown in the last minute, then a confirmation that carries the idle
/// time, which the server answers with IDLE_TIMEOUT.
fn watch_idle() {
    let Some(held) = client().held() else { return };
    let timeout = held.token.idle_timeout_secs as i64;
    if timeout == 0 {
        return;
    }
    let idle = activity::idle_secs();
    if let Some(view) = client().view() {
        view.idle_countdown.set((idle >= timeout - 60).then(|| (timeout - idle).max(0)));
    }
    if idle >= timeout && browser_now() - client().monitor.last_confirm.get() >= 2.0 {
        confirm();
    }
}

fn log_status(status: &TokenStatus) {
    let colour = match status.level {
        TokenLevel::Ok => "color:#15803d",
        TokenLevel::Warning => "color:#b45309;font-weight:bold",
        TokenLevel::Critical | TokenLevel::Expired => "color:#b91c1c;font-weight:bold",
        TokenLevel::SignedOut => "color:#6b7280",
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
