//! The admin answers: the account's users, and the reports on its sessions (the overview,
//! endings by reason, session health).

use super::codes::{LogoutCode, Role};
use serde::{Deserialize, Serialize};

/// A user of the caller's account on `/admin/users`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountUser {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub live_sessions: i64,
}

/// The answer of `/api/admin/users`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountUsers {
    pub users: Vec<AccountUser>,
}

/// The answer of `/api/admin/users/end_sessions`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EndedSessions {
    pub ended: u64,
}

/// The answer of `/api/admin/overview`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdminOverview {
    pub account_id: String,
    pub account_name: Option<String>,
    pub users: i64,
    pub active_sessions: i64,
}

/// Session endings of one reason on one UTC day (`day` is the day's first second).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogoutCount {
    pub day: i64,
    pub reason: LogoutCode,
    pub count: i64,
}

/// The answer of `/api/admin/logouts`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogoutReport {
    pub days: i64,
    pub since: i64,
    pub counts: Vec<LogoutCount>,
}

/// Refreshes of the account's sessions on one UTC day: rotations, used tokens answered again
/// inside the rule of SPEC §1 (traces, at most ten a minute per session), and refreshes refused
/// because they ended a live session (REFRESH_TOKEN_REUSED). A refresh of a session that had
/// already ended is answered with that ending, which "Logouts by reason" counts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RefreshDay {
    pub day: i64,
    pub rotated: i64,
    pub replayed: i64,
    pub refused: i64,
}

/// How many of the sessions that ended in the period lasted up to `up_to_secs` (and longer than
/// the band before); `None` is the last, open band.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LengthBand {
    pub up_to_secs: Option<i64>,
    pub label: String,
    pub sessions: i64,
}

/// Sign-ins on one UTC day, with and without "Keep me logged in for 20 days".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignInDay {
    pub day: i64,
    pub remembered: i64,
    pub not_remembered: i64,
}

/// The answer of `/api/admin/session_health`: what the account's sessions did over `days` days
/// from `since`, from the recorded events and sessions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionHealth {
    pub days: i64,
    pub since: i64,
    pub refreshes: Vec<RefreshDay>,
    pub lengths: Vec<LengthBand>,
    pub sign_ins: Vec<SignInDay>,
}

/// The bands [`LengthBand`] counts in: upper bounds in seconds and how the page names them.
pub const SESSION_LENGTH_BANDS: [(Option<i64>, &str); 6] = [
    (Some(300), "under 5 min"),
    (Some(3_600), "5 min to 1 h"),
    (Some(28_800), "1 to 8 h"),
    (Some(86_400), "8 to 24 h"),
    (Some(604_800), "1 to 7 d"),
    (None, "over 7 d"),
];
