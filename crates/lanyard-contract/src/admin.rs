//! The admin answers: the account's users, and the reports on its sessions (the overview,
//! endings by reason, session health).

use super::codes::{LogoutCode, Role};
use serde::{Deserialize, Serialize};

/// A user of the caller's account on `/admin/users`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountUser {
    /// The user's id: what `/api/admin/users/end_sessions` names to end this user's sessions.
    pub id: String,
    /// The user's email address, as entered when the user was created.
    pub email: String,
    /// The user's role in the account.
    pub role: Role,
    /// The user's sessions that have neither ended nor run out, counted at the call.
    pub live_sessions: i64,
}

/// The answer of `/api/admin/users`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountUsers {
    /// Every user of the account, ordered by email.
    pub users: Vec<AccountUser>,
}

/// The answer of `/api/admin/users/end_sessions`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EndedSessions {
    /// How many live sessions this call ended with ADMIN_REVOKED; sessions that ended meanwhile
    /// for another reason are not counted.
    pub ended: u64,
}

/// The answer of `/api/admin/overview`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdminOverview {
    /// The caller's account: an admin sees only their own.
    pub account_id: String,
    /// The account's name, when it has one.
    pub account_name: Option<String>,
    /// How many users belong to the account.
    pub users: i64,
    /// The account's sessions that have neither ended nor run out, counted at the call.
    pub active_sessions: i64,
}

/// Session endings of one reason on one UTC day (`day` is the day's first second).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogoutCount {
    /// The UTC day, as its first second (Unix seconds).
    pub day: i64,
    /// Why these sessions ended.
    pub reason: LogoutCode,
    /// How many sessions ended that day for that reason, as the server recorded them.
    pub count: i64,
}

/// The answer of `/api/admin/logouts`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogoutReport {
    /// How many UTC days the report covers, today included (1 to 90).
    pub days: i64,
    /// The first second of the first day covered (Unix seconds).
    pub since: i64,
    /// One entry per day and reason that had endings, by day and then by reason; a day or a
    /// reason without endings has no entry.
    pub counts: Vec<LogoutCount>,
}

/// Refreshes of the account's sessions on one UTC day: rotations, used tokens answered again
/// inside the rule of SPEC §1 (traces, at most ten a minute per session), and refreshes refused
/// because they ended a live session (REFRESH_TOKEN_REUSED). A refresh of a session that had
/// already ended is answered with that ending, which "Logouts by reason" counts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RefreshDay {
    /// The UTC day, as its first second (Unix seconds).
    pub day: i64,
    /// Refreshes that rotated the session's refresh token.
    pub rotated: i64,
    /// Used tokens answered again with the same successor, counted from the rate-limited traces.
    pub replayed: i64,
    /// Refreshes that ended a live session with REFRESH_TOKEN_REUSED.
    pub refused: i64,
}

/// How many of the sessions that ended in the period lasted up to `up_to_secs` (and longer than
/// the band before); `None` is the last, open band.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LengthBand {
    /// The band's upper bound in seconds, from sign-in to ending; a session of exactly this length
    /// counts in the next band. `None` for the last, open band.
    pub up_to_secs: Option<i64>,
    /// How the page names the band, from [`SESSION_LENGTH_BANDS`].
    pub label: String,
    /// How many of the account's sessions that ended in the period fall in this band.
    pub sessions: i64,
}

/// Sign-ins on one UTC day, with and without "Keep me logged in for 20 days".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignInDay {
    /// The UTC day, as its first second (Unix seconds).
    pub day: i64,
    /// Sign-ins that asked to be kept signed in, and so got the longer lifetime.
    pub remembered: i64,
    /// Sign-ins with the ordinary session lifetime.
    pub not_remembered: i64,
}

/// The answer of `/api/admin/session_health`: what the account's sessions did over `days` days
/// from `since`, from the recorded events and sessions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionHealth {
    /// How many UTC days the report covers, today included (1 to 90).
    pub days: i64,
    /// The first second of the first day covered (Unix seconds).
    pub since: i64,
    /// Refreshes by outcome, one entry per day that had any, by day.
    pub refreshes: Vec<RefreshDay>,
    /// The sessions that ended in the period by length: one entry per band of
    /// [`SESSION_LENGTH_BANDS`], in that order, empty bands included.
    pub lengths: Vec<LengthBand>,
    /// Sign-ins with and without remember-me, one entry per day that had any, by day.
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

/// An invitation sent (201 of `/api/admin/invitations`, SPEC §10).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationSent {
    /// The invitation's id: its link's hash, which names it without revealing it.
    pub id: String,
    /// The invitee's address.
    pub email: String,
    /// When the link stops working (Unix seconds).
    pub expires_at: i64,
}

/// What an invitation link offers (`/api/auth/invitation`): the address, the account and the role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    /// The invited address, which the new user signs in with.
    pub email: String,
    /// The account the invitee joins.
    pub account_name: String,
    /// The role the invitee joins with.
    pub role: Role,
}
