//! What the audit trail shows a user: the server's view of their session (the debug panel), and
//! their security activity.

use super::codes::{AccountStatus, ActivityKind, AuditKind, EventSource, LogoutCode, PlanStatus};
use serde::{Deserialize, Serialize};

/// One audit event as diagnostics show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventView {
    /// When the event was recorded (Unix seconds, the server's clock).
    pub at: i64,
    /// What the event records.
    pub kind: AuditKind,
    /// The ending's code, for a session's ending and a browser's logout report.
    pub reason: Option<LogoutCode>,
    /// Who recorded it: the server, or a browser reporting an ending.
    pub source: Option<EventSource>,
    /// The page the request came from (`X-Page-Path`); `-` for work no request asked for.
    pub path: Option<String>,
    /// The user's idle time in seconds, as the request reported it (`X-User-Idle`).
    pub idle_secs: Option<i64>,
    /// The address of the request that caused the event.
    pub ip: Option<String>,
}

/// The server's view of the caller's session (never a token).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Diagnostics {
    /// The server's clock at the answer, so the panel can show how far the browser's is off.
    pub server_time: i64,
    /// The session that made the call.
    pub session_id: String,
    /// The session's user.
    pub user_id: String,
    /// The user's account; `None` for a user without one.
    pub account_id: Option<String>,
    /// When the session was created by its sign-in.
    pub created_at: i64,
    /// When the session's absolute lifetime ends; rotation never moves it.
    pub session_expires_at: i64,
    /// When the access token that made the call expires.
    pub access_expires_at: i64,
    /// The newest user activity the server knows of for the session.
    pub last_active_at: i64,
    /// How many times the session's refresh token has rotated, read from the database.
    pub rotation_count: i64,
    /// The account's status as the session's row reads it; `None` without an account.
    pub account_status: Option<AccountStatus>,
    /// The account's plan as the session's row reads it; `None` without an account.
    pub plan_status: Option<PlanStatus>,
    /// The idle timeout in force, in seconds; 0 when idle sessions never end.
    pub idle_timeout_secs: u64,
    /// The session's newest audit events, newest first (at most 20).
    pub events: Vec<EventView>,
}

/// One line of the user's security activity: the event, and the session (device) it concerns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActivityEvent {
    /// When it happened (Unix seconds, the server's clock).
    pub at: i64,
    /// What happened.
    pub kind: ActivityKind,
    /// The session the event concerns: the one that signed in, changed or confirmed the password,
    /// or ended.
    pub session_id: Option<String>,
    /// That session's device id, as its browser gave it at sign-in.
    pub device_id: Option<String>,
    /// That session's browser (`User-Agent`), else the one the event recorded, so the user can
    /// tell which device it was.
    pub user_agent: Option<String>,
    /// That session's address, else the one the event recorded.
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
    /// The lines, newest first: at most 500, over at most the last 30 days.
    pub events: Vec<ActivityEvent>,
}
