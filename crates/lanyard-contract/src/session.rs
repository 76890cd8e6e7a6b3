//! The session on the wire: the refresh cookie and headers, what sign-in and refresh answer, the
//! error body of SPEC §2 with its typed context, the sessions page's answers, and the reason object
//! the browser records for every logout.

use super::codes::{AccountStatus, ErrorCode, LogoutCode, LogoutSource, PlanStatus, Role, TokenLevel, TokenState};
use serde::{Deserialize, Serialize};

/// Name of the HttpOnly cookie that carries the refresh token. Scoped to [`REFRESH_COOKIE_PATH`] so
/// no other request ever carries it.
pub const REFRESH_COOKIE: &str = "lanyard_refresh";
/// The `Path` of the refresh cookie: the browser sends the refresh token with lanyard's auth calls
/// alone, never with a page or another API call.
pub const REFRESH_COOKIE_PATH: &str = "/api/auth";

/// Response: the user whose session the answer is about (SPEC §3), on every answer that passed
/// authentication; a tab holding another user's token ends its session as SESSION_USER_MISMATCH.
pub const HEADER_SESSION_USER: &str = "x-session-user";
/// Request: the page (path and query) the call came from, which an ending names as its
/// `logout_path` so that signing in again returns there.
pub const HEADER_PAGE_PATH: &str = "x-page-path";
/// Request: seconds since the user's last activity in any tab. The idle timeout is judged from it,
/// never from the absence of requests alone; without it a call counts as activity now.
pub const HEADER_USER_IDLE: &str = "x-user-idle";

/// Where a client confirms the password after 403 `REAUTH_REQUIRED` (SPEC §2): the path of the
/// reauth server function, which `api`'s tests hold to this.
pub const REAUTH_PATH: &str = "/api/auth/reauth";

/// What a refusal by role says (403 `FORBIDDEN`): the server's words, and the page's for any 403 a
/// host's own call sends (SPEC §4: lanyard's 403 shows a permission message in place).
pub const NO_PERMISSION: &str = "You don't have permission to view this page.";

/// A credential or key: on the wire and in the database it is its text, but its `Debug` names only
/// that it is there, so no log line, panic or `dbg!` can carry it. Read it with [`Secret::expose`].
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The text itself. The one way to read it, so every use of a secret is visible where it is
    /// written.
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

/// `window.__tokenMonitor.getTokenStatus()` (SPEC §4); instants in Unix seconds on the server's clock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenStatus {
    /// Whether this tab holds a session.
    pub signed_in: bool,
    /// When the access token expires; `None` when signed out.
    pub access_expires_at: Option<i64>,
    /// Seconds until then, on the server's clock; 0 once past.
    pub access_expires_in_secs: Option<i64>,
    /// When the session's absolute lifetime ends.
    pub session_expires_at: Option<i64>,
    /// Seconds until then, on the server's clock; 0 once past.
    pub session_expires_in_secs: Option<i64>,
    /// How close the session is to its end, from the two countdowns.
    pub level: TokenLevel,
    /// When this tab received its token (a sign-in or its last refresh), on the server's clock.
    pub last_refresh_at: Option<i64>,
    /// The session this tab holds.
    pub session_id: Option<String>,
}

impl TokenStatus {
    /// The status of a tab that holds no session: no instants, level `signed_out`.
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
    /// The user's id, which `X-Session-User` names on answers to the user's calls.
    pub id: String,
    /// The user's email address as entered when the user was created; emails are compared
    /// case-insensitively (SPEC §3).
    pub email: String,
    /// The user's account; a user without one cannot sign in (ACCOUNT_MISSING).
    pub account_id: Option<String>,
    /// The account's name, when it has one.
    pub account_name: Option<String>,
    /// The user's role in the account, which decides the admin pages and calls.
    pub role: Role,
}

/// What every successful login or refresh answers: the access token and the instants (Unix seconds)
/// the client schedules its work by. `server_time` lets the client count down on the server's clock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// The access token (a JWT) for the `Authorization` bearer; the client holds it in memory only,
    /// never in storage.
    pub access_token: Secret,
    /// When the access token expires; never after the session's end.
    pub access_expires_at: i64,
    /// When the session, and with it its refresh token, ends: the absolute lifetime counted from
    /// sign-in, which rotation never extends.
    pub refresh_expires_at: i64,
    /// The session the answer belongs to.
    pub session_id: String,
    /// The server's clock when it answered.
    pub server_time: i64,
    /// The idle timeout in force, in seconds, so the client can warn before it; 0 when idle
    /// sessions never end.
    pub idle_timeout_secs: u64,
}

/// The answer to `login`: the token answer plus the user it belongs to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoginAnswer {
    /// The token answer, in the same object as a refresh's.
    #[serde(flatten)]
    pub token: TokenInfo,
    /// The user who signed in, so the page needs no second call to show them.
    pub user: UserView,
    /// After a sign-in with a recovery code: how many are left unused (SPEC §11).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_codes_left: Option<u32>,
}

/// The answer (202) to a request that may send a mail: the same whether or not the address has an
/// account, so nobody learns which addresses do (SPEC §10).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckYourEmail {
    /// Always `check_your_email`.
    pub status: String,
}

impl Default for CheckYourEmail {
    fn default() -> Self {
        Self { status: "check_your_email".into() }
    }
}

/// The answer to a sign-up: "check your email" (202) when the address must be confirmed first,
/// else the sign-in's answer (200).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SignUpAnswer {
    /// Signed in at once (`LANYARD_VERIFY_EMAIL=off`).
    SignedIn(LoginAnswer),
    /// A link is on its way.
    CheckYourEmail(CheckYourEmail),
}

/// The answer to a verification link: the address it confirmed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedEmail {
    /// The address now confirmed.
    pub email: String,
}

/// The body of every error answer of the API (SPEC §2).
///
/// A 401 or 402 carries the `logout_*` fields; `logout_reason` is non-null only when the session has
/// ended (or, with 402, when the plan refuses the call). Other errors carry `error` and `message`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The code of an answer that is not about the session's end; absent on a 401 or 402 that names
    /// an ending or a plan refusal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorCode>,
    /// What `error` means, in words a page may show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Why the session ended (401), or why the plan refused the call (402); `null` when neither,
    /// and written even then.
    pub logout_reason: Option<LogoutCode>,
    /// The words the user reads about `logout_reason` ([`LogoutCode::message`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logout_message: Option<String>,
    /// The page the call came from (never `/signin`), where signing in again returns the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logout_path: Option<String>,
    /// The ids and facts behind the refusal (SPEC §2): which session, user and account, and what
    /// decided it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logout_context: Option<Box<LogoutContext>>,
    /// The request's id (`X-Request-Id`), as every log line of the request carries it: what a user
    /// quotes to support. Filled in by the server's edge, for every error answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// With 403 `REAUTH_REQUIRED`: where to confirm the password before retrying (SPEC §2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reauth_path: Option<String>,
    /// With 400 `TOKEN_INVALID`: why the link's token was refused (SPEC §10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_state: Option<TokenState>,
}

impl ErrorBody {
    /// The body of an error that has nothing to do with the session (400, 403, 404, 429, 503 …).
    pub fn plain(error: ErrorCode, message: &str) -> Self {
        Self { error: Some(error), message: Some(message.to_owned()), ..Self::default() }
    }

    /// Whether the call failed because lanyard could not answer it (unavailable, unreachable,
    /// unreadable): worth trying again, and never a reason to end anything.
    pub fn is_transient(&self) -> bool {
        self.error.is_some_and(ErrorCode::is_transient)
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
    /// The session the answer is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// The session's user.
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
    /// IDLE_TIMEOUT: the idle timeout in force, in seconds.
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
    /// The session's id, which the page names to end it.
    pub id: String,
    /// The device id its browser gave at sign-in (kept in that browser's storage), by which a
    /// device seen before is recognised.
    pub device_id: Option<String>,
    /// The browser's `User-Agent` at sign-in, so the user can tell their devices apart.
    pub user_agent: Option<String>,
    /// The address the session signed in from.
    pub ip: Option<String>,
    /// When the session was created by its sign-in.
    pub created_at: i64,
    /// The newest user activity the server knows of for the session.
    pub last_active_at: i64,
    /// When the session's absolute lifetime ends.
    pub expires_at: i64,
    /// Whether this is the session that asks, so the page can tell it from the others.
    pub current: bool,
    /// When an ended session ended; for a lifetime that ran out without a call to record it, its
    /// expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<i64>,
    /// Why an ended session ended (SESSION_EXPIRED for a lifetime that ran out unrecorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_reason: Option<LogoutCode>,
}

/// The answer of `/api/auth/sessions`: live sessions, and those ended in the last 30 days.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionsAnswer {
    /// The live sessions: neither ended nor run out.
    pub active: Vec<SessionView>,
    /// The sessions ended in the last 30 days, most recently ended first.
    pub ended: Vec<SessionView>,
}

/// The answer of `/api/auth/logout_all`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogoutAllAnswer {
    /// How many sessions this call ended.
    pub ended: u64,
}

/// The reason object the browser builds for every logout (SPEC §4), kept in storage, broadcast to
/// other tabs and posted to `/api/auth/logout_event`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogoutEvent {
    /// Why the session ended.
    pub code: LogoutCode,
    /// The words the user read: the server's, when its answer had them, else the code's own.
    pub message: String,
    /// The page the ending names, where signing in again returns the user
    /// ([`crate::paths::logout_path`]).
    pub path: String,
    /// The server's facts behind the ending, when its answer had them; empty otherwise.
    #[serde(default)]
    pub context: LogoutContext,
    /// When the tab recorded the ending, on the server's clock as the tab reckons it.
    pub at: i64,
    /// Whether the server's answer named the ending or the browser decided it.
    pub source: LogoutSource,
    /// Seconds since the user's last activity in any tab, when the session ended.
    #[serde(default)]
    pub idle_secs: i64,
    /// The id of the tab that recorded the ending (random, one per tab), kept in the audit trail so
    /// the reports of several tabs can be told apart.
    pub tab_id: String,
    /// The session that ended and its user, as the tab held them (SPEC §4 "Endings belong to one
    /// session"): another tab acts on the ending only if it holds that session. `None` when the tab
    /// held no session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// The user of that session, as the tab held it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

/// The answer of `/api/auth/reauth`: sensitive actions need no new password check until then.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReauthAnswer {
    /// Until when (Unix seconds, the server's clock) sensitive actions need no new password check:
    /// this check plus the reauth window (`LANYARD_REAUTH_WINDOW`).
    pub reauth_until: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_body_without_a_reason_does_not_end_the_session() {
        let body: ErrorBody = serde_json::from_str(r#"{"logout_reason":null,"error":"ACCESS_TOKEN_INVALID"}"#).unwrap();
        assert!(!body.ends_session());
    }
}
