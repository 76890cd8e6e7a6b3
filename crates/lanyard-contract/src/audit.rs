//! What the audit trail shows a user: the server's view of their session (the debug panel), and
//! their security activity.

use super::codes::{AccountStatus, ActivityKind, AuditKind, EventSource, LogoutCode, PlanStatus};
use serde::{Deserialize, Serialize};

/// One audit event as diagnostics show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventView {
    pub at: i64,
    pub kind: AuditKind,
    pub reason: Option<LogoutCode>,
    pub source: Option<EventSource>,
    pub path: Option<String>,
    pub idle_secs: Option<i64>,
    pub ip: Option<String>,
}

/// The server's view of the caller's session (never a token).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Diagnostics {
    pub server_time: i64,
    pub session_id: String,
    pub user_id: String,
    pub account_id: Option<String>,
    pub created_at: i64,
    pub session_expires_at: i64,
    pub access_expires_at: i64,
    pub last_active_at: i64,
    pub rotation_count: i64,
    pub account_status: Option<AccountStatus>,
    pub plan_status: Option<PlanStatus>,
    pub idle_timeout_secs: u64,
    pub events: Vec<EventView>,
}

/// One line of the user's security activity: the event, and the session (device) it concerns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActivityEvent {
    pub at: i64,
    pub kind: ActivityKind,
    pub session_id: Option<String>,
    pub device_id: Option<String>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    /// The ending's code, for `session_ended` and `reuse_blocked`.
    pub reason: Option<LogoutCode>,
    /// Whether the event concerns the session asking.
    pub current: bool,
    /// Whether that session is still live (so "This wasn't me" can end it).
    pub live: bool,
}

/// The answer of `/api/auth/activity`, newest first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ActivityAnswer {
    pub events: Vec<ActivityEvent>,
}
