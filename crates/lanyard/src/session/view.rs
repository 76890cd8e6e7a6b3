//! What the UI shows of the session: one set of signals, provided once by the app and handed to
//! the browser client at start. The server render (all empty) equals the first client render.

use crate::contract::{ErrorBody, ErrorCode, LogoutCode, NO_PERMISSION, TokenStatus, UserView};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Where the session stands in this tab.
#[derive(Clone, Debug, PartialEq)]
pub enum AuthStatus {
    /// Not yet known: the server render and the first client render of a protected page.
    Restoring,
    /// Restored or signed in, as this user: the protected frame shows its page.
    SignedIn(UserView),
    /// No session in this tab: it ended, or there was none to restore, and the tab is on its way
    /// to the sign-in page.
    SignedOut,
}

/// A call that failed, and what the client decided (for the debug panel).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiFailure {
    /// When, in Unix seconds on the server's clock, so it lines up with the server's records.
    pub at: i64,
    /// The server function's path, without its query.
    pub path: String,
    /// The HTTP status, or 0 when no answer arrived.
    pub status: u16,
    /// E.g. "kept session: 403".
    pub decision: String,
}

/// The step-up dialog's state: what went wrong with the last try, if anything, and which second
/// factors the user may confirm with instead of the password (SPEC §11).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReauthPrompt {
    /// Why the last try was not confirmed, in words for the user; `None` before the first try.
    pub problem: Option<String>,
    /// Whether the user has an authenticator app: the dialog offers "Use an authentication code".
    pub totp: bool,
    /// Whether the user has a passkey: the dialog offers "Use a passkey".
    pub passkey: bool,
}

/// What the user gave the step-up dialog.
#[derive(Clone, Debug, PartialEq)]
pub enum StepUpAnswer {
    /// The password typed.
    Password(String),
    /// A code of the authenticator app.
    Code(String),
    /// "Use a passkey": the browser asks for it.
    Passkey,
}

/// The factor a sign-in's second step sends.
#[derive(Clone, Debug, PartialEq)]
pub enum SecondFactor {
    /// A code of the authenticator app.
    Code(String),
    /// One of the recovery codes.
    RecoveryCode(String),
    /// A passkey, answering these request options (the first step's `passkey_options`).
    Passkey(serde_json::Value),
}

/// Where a first step (a password, a reset link) left the sign-in.
#[derive(Clone, Debug, PartialEq)]
pub enum FirstStep {
    /// Signed in as this user.
    SignedIn(UserView),
    /// The user has a second factor: the page asks for it in place.
    SecondFactor(crate::contract::MfaRequired),
}

/// A sign-in on a device this user had not used, shown on their other sessions until it is ended
/// or dismissed.
#[derive(Clone, Debug, PartialEq)]
pub struct NewSignIn {
    /// The new sign-in's session, which "Not you? End it" ends and dismissing marks as seen.
    pub session_id: String,
    /// "Chrome, 203.0.113.7".
    pub device: String,
    /// Set once the user ended it from the notice.
    pub ended: bool,
}

/// What the user reads when the API cannot be reached and a retry is up to them.
pub const UNREACHABLE: &str = "Can't reach lanyard right now; try again shortly.";
/// The notice while the client retries by itself.
pub const RETRY_NOTICE: &str = "Can't reach lanyard right now; your session is kept. Retrying…";

/// How many failures the debug panel keeps.
pub const FAILURES_KEPT: usize = 20;

/// The session's signals. `Copy`: every component and the client hold the same handles.
#[derive(Clone, Copy)]
pub struct ClientView {
    /// Where the session stands; the protected frame renders from it.
    pub auth: RwSignal<AuthStatus>,
    /// "Session ended" + this message, shown briefly before going to the sign-in page.
    pub ended_notice: RwSignal<Option<String>>,
    /// Shown while the API cannot be reached (5xx, network): the session is kept.
    pub retry_notice: RwSignal<Option<String>>,
    /// Shown after a 402: the plan needs attention.
    pub billing_notice: RwSignal<Option<String>>,
    /// The tokens' expiries and level as the token monitor last computed them (SPEC §4), for the
    /// session-expiry notice and the debug panel.
    pub status: RwSignal<TokenStatus>,
    /// Seconds since the user's last activity in this browser, as the debug panel shows them.
    pub idle_secs: RwSignal<i64>,
    /// The seconds left before the idle timeout signs the user out, shown in its last minute
    /// with "Stay signed in"; `None` otherwise.
    pub idle_countdown: RwSignal<Option<i64>>,
    /// The latest calls that did not simply answer, newest first, at most [`FAILURES_KEPT`], for
    /// the debug panel.
    pub failures: RwSignal<Vec<ApiFailure>>,
    /// The password dialog of step-up, while a sensitive action waits for it (SPEC §2).
    pub reauth: RwSignal<Option<ReauthPrompt>>,
    /// Sign-ins on new devices since this session's own, not yet ended or dismissed (SPEC §4).
    pub new_sign_ins: RwSignal<Vec<NewSignIn>>,
    /// Whether the debug panel exists at all (`LANYARD_DEBUG_PANEL`).
    pub debug_panel: bool,
}

impl ClientView {
    /// The signals of a page before anything is known: restoring, no notices, no failures. The
    /// server and the first client render start from this alike, so hydration matches.
    pub fn new(debug_panel: bool) -> Self {
        Self {
            auth: RwSignal::new(AuthStatus::Restoring),
            ended_notice: RwSignal::new(None),
            retry_notice: RwSignal::new(None),
            billing_notice: RwSignal::new(None),
            status: RwSignal::new(TokenStatus::signed_out()),
            idle_secs: RwSignal::new(0),
            idle_countdown: RwSignal::new(None),
            failures: RwSignal::new(Vec::new()),
            reauth: RwSignal::new(None),
            new_sign_ins: RwSignal::new(Vec::new()),
            debug_panel,
        }
    }

    /// The signed-in user, if any (tracked).
    pub fn user(&self) -> Option<UserView> {
        match self.auth.get() {
            AuthStatus::SignedIn(user) => Some(user),
            _ => None,
        }
    }

    /// The signed-in user, if any, read without tracking (for event handlers).
    pub fn user_untracked(&self) -> Option<UserView> {
        match self.auth.get_untracked() {
            AuthStatus::SignedIn(user) => Some(user),
            _ => None,
        }
    }

    /// Adds a failed call to the front of the debug panel's list, dropping the oldest beyond
    /// [`FAILURES_KEPT`].
    pub fn record_failure(&self, failure: ApiFailure) {
        self.failures.update(|failures| {
            failures.insert(0, failure);
            failures.truncate(FAILURES_KEPT);
        });
    }
}

/// What a failed call tells the user in place, keyed on the answer's codes; `None` when the
/// session ended (the tracker is already taking the tab to the sign-in page).
pub fn problem(error: &ErrorBody) -> Option<String> {
    (!error.ends_session()).then(|| describe(error))
}

/// A failed call in words for the user: the permission message for a 403, the retry message when
/// the API could not be reached, else the answer's own words.
pub fn describe(error: &ErrorBody) -> String {
    match error.error {
        Some(ErrorCode::Forbidden) => NO_PERMISSION.into(),
        Some(code) if code.is_transient() => UNREACHABLE.into(),
        _ => error
            .logout_message
            .clone()
            .filter(|m| !m.is_empty())
            .or_else(|| error.message.clone())
            .or_else(|| error.logout_reason.map(|code| code.message().into()))
            .unwrap_or_else(|| "The request was refused.".into()),
    }
}

/// The words of the billing notice after a 402.
pub fn billing_message(error: Option<&ErrorBody>) -> String {
    error
        .and_then(|b| b.logout_message.clone())
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| LogoutCode::PlanInactive.message().into())
}

/// A browser's name from its user agent, for people rather than parsers.
pub fn browser_name(agent: &str) -> &'static str {
    [("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"), ("curl/", "curl")]
        .into_iter()
        .find(|(needle, _)| agent.contains(needle))
        .map_or("Browser", |(_, name)| name)
}

/// "Chrome, 203.0.113.7": the device of a session, as the notices and pages name it.
pub fn device_label(agent: Option<&str>, ip: Option<&str>) -> String {
    let browser = agent.map_or("Unknown device", browser_name);
    match ip {
        Some(ip) if !ip.is_empty() => format!("{browser}, {ip}"),
        _ => browser.to_owned(),
    }
}

/// A span of seconds as people read it, in its two largest units: "42 s", "59 min 56 s",
/// "5 h 3 min", "6 d 23 h". Nothing left (or a past instant) is "0 s".
pub fn human_duration(secs: i64) -> String {
    let secs = secs.max(0);
    let (days, hours, minutes, seconds) = (secs / 86_400, secs / 3_600 % 24, secs / 60 % 60, secs % 60);
    match secs {
        0..60 => format!("{seconds} s"),
        60..3_600 => format!("{minutes} min {seconds} s"),
        3_600..86_400 => format!("{hours} h {minutes} min"),
        _ => format!("{days} d {hours} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_named_by_browser_and_address() {
        let chrome =
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0 Safari/537.36";
        assert_eq!(device_label(Some(chrome), Some("203.0.113.7")), "Chrome, 203.0.113.7");
        let edge = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0";
        assert_eq!(device_label(Some(edge), None), "Edge");
        assert_eq!(device_label(Some("Mozilla/5.0 (X11; rv:128.0) Gecko/20100101 Firefox/128.0"), Some("")), "Firefox");
        assert_eq!(device_label(None, Some("::1")), "Unknown device, ::1");
        assert_eq!(device_label(Some("lanyard-api-tests"), Some("127.0.0.1")), "Browser, 127.0.0.1");
    }

    #[test]
    fn durations_read_in_their_two_largest_units() {
        for (secs, shown) in [
            (-5, "0 s"),
            (0, "0 s"),
            (42, "42 s"),
            (3_596, "59 min 56 s"),
            (3_600, "1 h 0 min"),
            (18_180, "5 h 3 min"),
            (604_799, "6 d 23 h"),
            (1_728_000, "20 d 0 h"),
        ] {
            assert_eq!(human_duration(secs), shown, "{secs}");
        }
    }

    fn body(json: &str) -> ErrorBody {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn problems_are_keyed_on_the_codes() {
        assert_eq!(problem(&body(r#"{"error":"FORBIDDEN","logout_reason":null}"#)).unwrap(), NO_PERMISSION);
        assert_eq!(problem(&body(r#"{"error":"UNREACHABLE","logout_reason":null}"#)).unwrap(), UNREACHABLE);
        assert_eq!(problem(&body(r#"{"error":"INTERNAL","logout_reason":null}"#)).unwrap(), UNREACHABLE);
        assert_eq!(
            problem(&body(r#"{"logout_reason":"PLAN_MISSING","logout_message":""}"#)).unwrap(),
            LogoutCode::PlanMissing.message()
        );
        assert_eq!(
            problem(&body(r#"{"error":"NOT_FOUND","message":"Nothing here.","logout_reason":null}"#)).unwrap(),
            "Nothing here."
        );
        assert_eq!(problem(&body(r#"{"logout_reason":"LOGOUT_ALL"}"#)), None);
    }
}
