//! User activity, shared across tabs: each tab notes input (throttled, passive listeners) in
//! localStorage, and idle time is measured from the newest note of any tab.

use crate::session::context::client;
use gloo_events::{EventListener, EventListenerOptions};
use gloo_storage::{LocalStorage, Storage};

/// localStorage key of the last activity in any tab (Unix milliseconds).
pub const ACTIVITY_KEY: &str = "lanyard_activity";
/// At most one write per second.
const THROTTLE_MS: f64 = 1_000.0;
const EVENTS: [&str; 7] = ["mousemove", "mousedown", "keydown", "click", "scroll", "touchstart", "wheel"];

pub fn start() {
    let Some(window) = web_sys::window() else { return };
    note_activity();
    let options = EventListenerOptions { passive: true, ..EventListenerOptions::default() };
    for event in EVENTS {
        EventListener::new_with_options(&window, event, options, |_| {
            if js_sys::Date::now() - client().last_activity_ms.get() >= THROTTLE_MS {
                note_activity();
            }
        })
        .forget();
    }
}

/// Records activity now (also used by "Stay signed in").
pub fn note_activity() {
    let now = js_sys::Date::now();
    client().last_activity_ms.set(now);
    let _ = LocalStorage::set(ACTIVITY_KEY, now);
}

/// Seconds since the last activity in any tab.
pub fn idle_secs() -> i64 {
    let shared: f64 = LocalStorage::get(ACTIVITY_KEY).unwrap_or(0.0);
    let last = client().last_activity_ms.get().max(shared);
    ((js_sys::Date::now() - last) / 1_000.0).max(0.0) as i64
}
