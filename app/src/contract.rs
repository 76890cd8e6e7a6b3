//! The wire contract that server and browser share: reason codes, token answers, users, error bodies.
//!
//! Only serde lives here, so both builds compile it unchanged and can never disagree on a name.

use serde::{Deserialize, Serialize};

/// Name of the HttpOnly cookie that carries the refresh token. Scoped to [`REFRESH_COOKIE_PATH`] so
/// no other request ever carries it.
pub const REFRESH_COOKIE: &str = "lanyard_refresh";
pub const REFRESH_COOKIE_PATH: &str = "/api/auth";

/// Request and response headers of SPEC §3.
pub const HEADER_SESSION_USER: &str = "x-session-user";
pub const HEADER_PAGE_PATH: &str = "x-page-path";
pub const HEADER_USER_IDLE: &str = "x-user-idle";

/// What a refusal by role says (403 `FORBIDDEN`): the server's words, and the page's for any 403 a
/// host's own call sends (SPEC §4: lanyard's 403 shows a permission message in place).
pub const NO_PERMISSION: &str = "You don't have permission to view this page.";

/// Declares a closed set: the enum, its wire names (serde, `Display`, `FromStr`) and `ALL`, a list
/// the compiler keeps complete because it is written by this macro from the same variants.
macro_rules! closed_set {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal,)+ }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $wire)] $variant,)+
        }

        impl $name {
            /// Every member, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The name on the wire, in the database and on the command line.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)+
                }
            }

            pub fn parse(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|member| member.as_str() == name)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::contract::UnknownName;

            fn from_str(name: &str) -> Result<Self, $crate::contract::UnknownName> {
                Self::parse(name).ok_or_else(|| $crate::contract::UnknownName { set: stringify!($name), name: name.to_owned() })
            }
        }
    };
}
/// The engine declares its own stored closed sets with it.
#[cfg(feature = "ssr")]
pub(crate) use closed_set;

/// A credential or key: on the wire and in the database it is its text, but its `Debug` names only
/// that it is there, so no log line, panic or `dbg!` can carry it. Read it with [`Secret::expose`].
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(text: String) -> Self {
        Self(text)
    }
}

impl From<&str> for Secret {
    fn from(text: &str) -> Self {
        Self(text.to_owned())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

/// A name that is not a member of a closed set.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{name:?} is not a {set}")]
pub struct UnknownName {
    pub set: &'static str,
    pub name: String,
}

closed_set! {
    /// Why a session ended (or, for the plan codes, why a call was refused without ending it).
    ///
    /// This enum is the one table of SPEC §2: its status, whether it ends the session and the message
    /// a user reads all come from the methods below and nowhere else.
    pub enum LogoutCode {
        ManualLogout = "MANUAL_LOGOUT",
        LogoutOtherDevice = "LOGOUT_OTHER_DEVICE",
        LogoutAll = "LOGOUT_ALL",
        PasswordChanged = "PASSWORD_CHANGED",
        AdminRevoked = "ADMIN_REVOKED",
        SessionExpired = "SESSION_EXPIRED",
        IdleTimeout = "IDLE_TIMEOUT",
        RefreshTokenReused = "REFRESH_TOKEN_REUSED",
        /// A sign-in beyond `LANYARD_MAX_SESSIONS` ended this, the least recently active, session.
        SessionLimit = "SESSION_LIMIT",
        SessionAccountMismatch = "SESSION_ACCOUNT_MISMATCH",
        SessionUserMismatch = "SESSION_USER_MISMATCH",
        AccountMissing = "ACCOUNT_MISSING",
        AccountSuspended = "ACCOUNT_SUSPENDED",
        AccountCancelled = "ACCOUNT_CANCELLED",
        PlanMissing = "PLAN_MISSING",
        PlanInactive = "PLAN_INACTIVE",
        TokenRefreshFailed = "TOKEN_REFRESH_FAILED",
        NoRefreshToken = "NO_REFRESH_TOKEN",
        AuthCredentialsMissing = "AUTH_CREDENTIALS_MISSING",
        OtherTabLogout = "OTHER_TAB_LOGOUT",
    }
}

impl LogoutCode {
    /// What the user reads on the sign-in banner.
    pub fn message(self) -> &'static str {
        match self {
            Self::ManualLogout => "You signed out.",
            Self::LogoutOtherDevice => "You were signed out from another device.",
            Self::LogoutAll => "You signed out everywhere.",
            Self::PasswordChanged => "Your password was changed.",
            Self::AdminRevoked => "An administrator ended this session.",
            Self::SessionExpired => "Your session reached its time limit.",
            Self::IdleTimeout => "Signed out after inactivity.",
            Self::RefreshTokenReused => "Your session was ended to protect your account.",
            Self::SessionLimit => "You were signed out because your account signed in on too many devices.",
            Self::SessionAccountMismatch => "Session contamination: account ID mismatch",
            Self::SessionUserMismatch => "Session contamination: user ID mismatch",
            Self::AccountMissing => "No account is configured for this user.",
            Self::AccountSuspended => "Your account is suspended.",
            Self::AccountCancelled => "Your account was cancelled.",
            Self::PlanMissing => "No plan is assigned — see Billing.",
            Self::PlanInactive => "Your plan is inactive — see Billing.",
            Self::TokenRefreshFailed => "Your session could not be renewed.",
            Self::NoRefreshToken => "Please sign in.",
            Self::AuthCredentialsMissing => "Your sign-in was lost.",
            Self::OtherTabLogout => "You were signed out in another tab.",
        }
    }

    /// The plan codes refuse a call with 402 and keep the session; every other code ends it.
    pub fn ends_session(self) -> bool {
        !matches!(self, Self::PlanMissing | Self::PlanInactive)
    }

    /// The HTTP status an API answer with this code carries.
    pub fn http_status(self) -> u16 {
        if self.ends_session() { 401 } else { 402 }
    }
}

closed_set! {
    /// The `error` of an answer that is not about the session's end (SPEC §2), and the client's own
    /// names for answers it never got.
    pub enum ErrorCode {
        /// The access token is missing, malformed or expired while its session lives: refresh, retry.
        AccessTokenInvalid = "ACCESS_TOKEN_INVALID",
        /// A 403 that a refresh may cure; if it does not, the session ended (SPEC §2).
        AuthCredentialsMissing = "AUTH_CREDENTIALS_MISSING",
        InvalidCredentials = "INVALID_CREDENTIALS",
        BadRequest = "BAD_REQUEST",
        WeakPassword = "WEAK_PASSWORD",
        WrongPassword = "WRONG_PASSWORD",
        Forbidden = "FORBIDDEN",
        /// A sensitive action needs a fresh password check; the session is kept.
        ReauthRequired = "REAUTH_REQUIRED",
        OriginMismatch = "ORIGIN_MISMATCH",
        NotFound = "NOT_FOUND",
        MethodNotAllowed = "METHOD_NOT_ALLOWED",
        PayloadTooLarge = "PAYLOAD_TOO_LARGE",
        RateLimited = "RATE_LIMITED",
        ServiceUnavailable = "SERVICE_UNAVAILABLE",
        Internal = "INTERNAL",
        /// Client only: no answer arrived (network loss, a deadline passed).
        Unreachable = "UNREACHABLE",
        /// Client only: an answer arrived that is not the API's (a proxy's page, a cut-off body).
        UnreadableAnswer = "UNREADABLE_ANSWER",
    }
}

impl ErrorCode {
    /// Whether the call may simply be tried again later: the session is kept and nothing was refused.
    pub fn is_transient(self) -> bool {
        matches!(self, Self::ServiceUnavailable | Self::Internal | Self::Unreachable | Self::UnreadableAnswer)
    }
}

closed_set! {
    /// The user's role within their account.
    pub enum Role {
        Owner = "owner",
        Admin = "admin",
        Viewer = "viewer",
    }
}

impl Role {
    /// Owners and admins administer their account (the admin pages and calls); viewers do not.
    pub fn is_admin(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

closed_set! {
    /// Whether an account may be used; anything but `active` refuses its sessions (SPEC §2).
    pub enum AccountStatus {
        Active = "active",
        Suspended = "suspended",
        Cancelled = "cancelled",
    }
}

closed_set! {
    /// The state of an account's plan; only `active` passes the plan check.
    pub enum PlanStatus {
        Active = "active",
        Inactive = "inactive",
        None = "none",
    }
}

closed_set! {
    /// How close the session is to its end, as `getTokenStatus()` reports it (SPEC §4); the first
    /// that applies wins, in this order.
    pub enum TokenLevel {
        SignedOut = "signed_out",
        Expired = "expired",
        Critical = "critical",
        Warning = "warning",
        Ok = "ok",
    }
}

/// `window.__tokenMonitor.getTokenStatus()` (SPEC §4); instants in Unix seconds on the server's clock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenStatus {
    pub signed_in: bool,
    pub access_expires_at: Option<i64>,
    pub access_expires_in_secs: Option<i64>,
    pub session_expires_at: Option<i64>,
    pub session_expires_in_secs: Option<i64>,
    pub level: TokenLevel,
    pub last_refresh_at: Option<i64>,
    pub session_id: Option<String>,
}

impl TokenStatus {
    pub fn signed_out() -> Self {
        Self {
            signed_in: false,
            access_expires_at: None,
            access_expires_in_secs: None,
            session_expires_at: None,
            session_expires_in_secs: None,
            level: TokenLevel::SignedOut,
            last_refresh_at: None,
            session_id: None,
        }
    }
}

/// The signed-in user, as `login` and `me` return it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub account_id: Option<String>,
    pub account_name: Option<String>,
    pub role: Role,
}

/// What every successful login or refresh answers: the access token and the instants (Unix seconds)
/// the client schedules its work by. `server_time` lets the client count down on the server's clock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub access_token: Secret,
    pub access_expires_at: i64,
    pub refresh_expires_at: i64,
    pub session_id: String,
    pub server_time: i64,
    pub idle_timeout_secs: u64,
}

/// The answer to `login`: the token answer plus the user it belongs to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoginAnswer {
    #[serde(flatten)]
    pub token: TokenInfo,
    pub user: UserView,
}

/// The body of every error answer of the API (SPEC §2).
///
/// A 401 or 402 carries the `logout_*` fields; `logout_reason` is non-null only when the session has
/// ended (or, with 402, when the plan refuses the call). Other errors carry `error` and `message`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub logout_reason: Option<LogoutCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logout_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logout_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logout_context: Option<LogoutContext>,
    /// The request's id (`X-Request-Id`), as every log line of the request carries it: what a user
    /// quotes to support. Filled in by the server's edge, for every error answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// With 403 `REAUTH_REQUIRED`: where to confirm the password before retrying (SPEC §2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reauth_path: Option<String>,
}

impl ErrorBody {
    /// The body of an error that has nothing to do with the session (400, 403, 404, 429, 503 …).
    pub fn plain(error: ErrorCode, message: &str) -> Self {
        Self { error: Some(error), message: Some(message.to_owned()), ..Self::default() }
    }

    /// Whether this answer ends the session: only a non-null reason that is not a plan code does.
    pub fn ends_session(&self) -> bool {
        self.logout_reason.is_some_and(LogoutCode::ends_session)
    }
}

/// The ids and facts behind a 401 or 402 (`logout_context`, SPEC §2): which session, user and
/// account the answer is about, and the fact that decided it. Never a secret. Every field is
/// optional, and unknown fields are ignored, so a body from another version still reads.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogoutContext {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The account the session was started in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// When an ended session ended (Unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<i64>,
    /// When an expired session's lifetime ran out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expired_at: Option<i64>,
    /// IDLE_TIMEOUT: how long the user had been idle, and the limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_secs: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_timeout_secs: Option<i64>,
    /// SESSION_USER_MISMATCH: the user the access token named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_user_id: Option<String>,
    /// ACCOUNT_MISSING because the user itself is gone.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub user_missing: bool,
    /// SESSION_ACCOUNT_MISMATCH: the account the user belongs to now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_account_id: Option<String>,
    /// ACCOUNT_SUSPENDED / ACCOUNT_CANCELLED: the account's status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_status: Option<AccountStatus>,
    /// PLAN_*: the account's plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanStatus>,
    /// PLAN_*: the signed-in user, whose session the refusal keeps: a page can show who is
    /// signed in without a call that skips the plan check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<UserView>,
}

/// One session on the sessions page; `ended_at`/`end_reason` only for ended ones.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionView {
    pub id: String,
    pub device_id: Option<String>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub created_at: i64,
    pub last_active_at: i64,
    pub expires_at: i64,
    pub current: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_reason: Option<LogoutCode>,
}

/// The answer of `/api/auth/sessions`: live sessions, and those ended in the last 30 days.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionsAnswer {
    pub active: Vec<SessionView>,
    pub ended: Vec<SessionView>,
}

/// The answer of `/api/auth/logout_all`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogoutAllAnswer {
    /// How many sessions this call ended.
    pub ended: u64,
}

closed_set! {
    /// Where a logout was noticed: the server's answer, or the browser's own judgement.
    pub enum LogoutSource {
        Backend = "backend",
        Frontend = "frontend",
    }
}

closed_set! {
    /// Who recorded an audit-trail line: the server itself, or a browser reporting an ending it
    /// learnt from the server's answer (backend) or judged itself (frontend).
    pub enum EventSource {
        Server = "server",
        Backend = "backend",
        Frontend = "frontend",
    }
}

impl From<LogoutSource> for EventSource {
    fn from(source: LogoutSource) -> Self {
        match source {
            LogoutSource::Backend => Self::Backend,
            LogoutSource::Frontend => Self::Frontend,
        }
    }
}

closed_set! {
    /// What an audit-trail line records.
    pub enum AuditKind {
        SignedIn = "login",
        SignInFailed = "login_failed",
        Refreshed = "refresh",
        /// A used refresh token answered again inside the rule of SPEC §1 (a trace, rate-limited).
        RefreshReplayed = "refresh_replayed",
        /// A refresh with a token no session has (a trace, rate-limited).
        RefreshUnknown = "refresh_unknown",
        PasswordChanged = "password_changed",
        /// A wrong password where a signed-in session checks it (a password change's current
        /// password, a reauth): a guess with a valid access token.
        PasswordCheckFailed = "password_check_failed",
        /// A password confirmed for step-up (`/api/auth/reauth`).
        Reauthed = "reauth",
        SessionEnded = "session_ended",
        ClientLogout = "client_logout",
    }
}

/// The reason object the browser builds for every logout (SPEC §4), kept in storage, broadcast to
/// other tabs and posted to `/api/auth/logout_event`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogoutEvent {
    pub code: LogoutCode,
    pub message: String,
    pub path: String,
    #[serde(default)]
    pub context: LogoutContext,
    pub at: i64,
    pub source: LogoutSource,
    #[serde(default)]
    pub idle_secs: i64,
    pub tab_id: String,
    /// The session that ended and its user, as the tab held them (SPEC §4 "Endings belong to one
    /// session"): another tab acts on the ending only if it holds that session. `None` when the tab
    /// held no session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

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

/// The answer of `/api/auth/reauth`: sensitive actions need no new password check until then.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReauthAnswer {
    pub reauth_until: i64,
}

closed_set! {
    /// What a line of the user's security activity (`/api/auth/activity`) reports.
    pub enum ActivityKind {
        SignedIn = "signed_in",
        /// A sign-in on a device this user had never signed in with before.
        NewDevice = "new_device",
        PasswordChanged = "password_changed",
        Reauth = "reauth",
        SessionEnded = "session_ended",
        /// A replayed refresh token refused: the session it belonged to ended.
        ReuseBlocked = "reuse_blocked",
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_serde_and_names() {
        for &code in LogoutCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<LogoutCode>(&json).unwrap(), code);
            assert_eq!(LogoutCode::parse(code.as_str()), Some(code));
        }
    }

    #[test]
    fn plan_codes_keep_the_session_with_402() {
        assert_eq!(LogoutCode::PlanInactive.http_status(), 402);
        assert!(!LogoutCode::PlanMissing.ends_session());
        assert_eq!(LogoutCode::AccountSuspended.http_status(), 401);
        assert!(LogoutCode::AccountSuspended.ends_session());
    }

    #[test]
    fn an_error_body_without_a_reason_does_not_end_the_session() {
        let body: ErrorBody = serde_json::from_str(r#"{"logout_reason":null,"error":"ACCESS_TOKEN_INVALID"}"#).unwrap();
        assert!(!body.ends_session());
    }
}
