//! User activity, shared across tabs: each tab notes input (throttled, passive listeners) on its own
//! monotonic clock (`performance.now()`) and tells the other tabs, which note it on theirs. Only
//! elapsed durations cross between tabs, never instants, so a step of the wall clock (NTP, a VM
//! resumed) never looks like inactivity (SPEC §4 "Idle time").

use crate::session::context::{client, monotonic_ms};
use crate::session::tabs::{self, TabMessage};
use gloo_events::{EventListener, EventListenerOptions};

/// At most one note (and one message to the other tabs) per second.
const THROTTLE_MS: f64 = 1_000.0;
const EVENTS: [&str; 7] = ["mousemove", "mousedown", "keydown", "click", "scroll", "touchstart", "wheel"];

pub fn start() {
    let Some(window) = web_sys::window() else { return };
    note_activity();
    let options = EventListenerOptions { passive: true, ..EventListenerOptions::default() };
    for event in EVENTS {
        EventListener::new_with_options(&window, event, options, |_| {
            if monotonic_ms() - client().last_activity_ms.get() >= THROTTLE_MS {
                note_activity();
            }
        })
        .forget();
    }
}

/// Records activity now (also used by "Stay signed in"), here and in the other tabs.
pub fn note_activity() {
    client().last_activity_ms.set(monotonic_ms());
    tabs::broadcast(&TabMessage::Active { idle_ms: 0.0 });
}

/// Another tab saw activity `idle_ms` ago.
pub fn heard(idle_ms: f64) {
    let at = monotonic_ms() - idle_ms.max(0.0);
    let last = &client().last_activity_ms;
    last.set(last.get().max(at));
}

/// Seconds since the last activity in any tab.
pub fn idle_secs() -> i64 {
    ((monotonic_ms() - client().last_activity_ms.get()) / 1_000.0).max(0.0) as i64
}
