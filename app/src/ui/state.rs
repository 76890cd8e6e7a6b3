//! What the browser side shows beyond the session itself: the token status, notices, recent API
//! failures. Plain signals, so the server render (all empty) equals the first client render.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// `window.__tokenMonitor.getTokenStatus()` (SPEC §4); instants in Unix seconds on the server's clock.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenStatus {
    pub signed_in: bool,
    pub access_expires_at: Option<i64>,
    pub access_expires_in_secs: Option<i64>,
    pub session_expires_at: Option<i64>,
    pub session_expires_in_secs: Option<i64>,
    /// "signed_out" | "expired" | "critical" | "warning" | "ok".
    pub level: String,
    pub last_refresh_at: Option<i64>,
    pub session_id: Option<String>,
}

/// A call that failed, and what the client decided (for the debug panel).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiFailure {
    pub at: i64,
    pub path: String,
    pub status: u16,
    /// E.g. "kept session: 403".
    pub decision: String,
}

/// What the user reads when the API cannot be reached and a retry is up to them.
pub const UNREACHABLE: &str = "Can't reach lanyard right now; try again shortly.";
/// The notice while the client retries by itself.
pub const RETRY_NOTICE: &str = "Can't reach lanyard right now; your session is kept. Retrying…";

/// How many failures the debug panel keeps.
pub const FAILURES_KEPT: usize = 20;

#[derive(Clone, Copy)]
pub struct ClientView {
    /// "Session ended" + this message, shown briefly before going to the sign-in page.
    pub ended_notice: RwSignal<Option<String>>,
    /// Shown while the API cannot be reached (5xx, network): the session is kept.
    pub retry_notice: RwSignal<Option<String>>,
    /// Shown after a 402: the plan needs attention.
    pub billing_notice: RwSignal<Option<String>>,
    pub status: RwSignal<TokenStatus>,
    /// Idle seconds, and when an idle timeout is near, the seconds left.
    pub idle_secs: RwSignal<i64>,
    pub idle_countdown: RwSignal<Option<i64>>,
    pub failures: RwSignal<Vec<ApiFailure>>,
    /// Whether the debug panel exists at all (`LANYARD_DEBUG_PANEL`).
    pub debug_panel: bool,
}

impl ClientView {
    pub fn new(debug_panel: bool) -> Self {
        Self {
            ended_notice: RwSignal::new(None),
            retry_notice: RwSignal::new(None),
            billing_notice: RwSignal::new(None),
            status: RwSignal::new(TokenStatus { level: "signed_out".into(), ..TokenStatus::default() }),
            idle_secs: RwSignal::new(0),
            idle_countdown: RwSignal::new(None),
            failures: RwSignal::new(Vec::new()),
            debug_panel,
        }
    }

    pub fn record_failure(&self, failure: ApiFailure) {
        self.failures.update(|failures| {
            failures.insert(0, failure);
            failures.truncate(FAILURES_KEPT);
        });
    }
}
