//! The never-logout rules of SPEC §4 as one pure decision: what an answer to a call means for the
//! session. Only a named reason, a failed refresh, an answer for another user, or a refresh that did
//! not cure a lost sign-in ends a session; 402, 403, 5xx, unreadable answers, timeouts and network
//! loss never do. Only lanyard ends a session: a 401 or 403 without lanyard's error body came from
//! something in front of it (an SSO gateway, an identity-aware proxy, a captive portal) and means
//! lanyard could not be reached. The browser transport asks [`classify`] after every answer and does
//! what it says.

use crate::contract::{ErrorBody, ErrorCode, LogoutCode, LogoutSource, TokenLevel, UserView};
use crate::session::ending::Ending;

/// A call's answer, as far as the rules look at it.
#[derive(Clone, Copy, Debug)]
pub enum Reply<'a> {
    /// No answer: the network failed or the deadline passed.
    Lost,
    /// An answer arrived, whoever wrote it.
    Answered {
        /// The HTTP status.
        status: u16,
        /// lanyard's error body: present only when the answer was a JSON object with the key
        /// `logout_reason`, which every error answer of lanyard carries and nothing in front of it
        /// writes.
        body: Option<&'a ErrorBody>,
        /// `X-Session-User`, if the answer carried it.
        session_user: Option<&'a str>,
    },
}

/// Which kind of call the answer belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallKind {
    /// A call with the bearer: it may be renewed and retried.
    Authenticated,
    /// The refresh itself: a 401 is the end of the session, with the server's reason or
    /// TOKEN_REFRESH_FAILED.
    Refresh,
}

/// What the transport does with an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Hand the answer to the caller.
    Answer,
    /// Renew the access token (one refresh across tabs), then send the call again.
    RefreshThenRetry,
    /// A sensitive action wants a fresh password check (403 REAUTH_REQUIRED); the session is kept.
    Reauth,
    /// The session is over, for this reason, named by the server or decided here.
    Ended(LogoutCode, LogoutSource),
    /// A refusal that keeps the session.
    Kept(Refusal),
    /// Nothing usable came back; the session is kept and the call may be tried again later.
    Unavailable,
}

/// Why a call was refused while the session lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// 402: the plan needs attention (the billing notice).
    Plan,
    /// 403: not allowed (a permission message in place).
    Forbidden,
    /// Any other 4xx: the request itself was refused.
    Request(u16),
}

/// Every call gives up after this long, and the cross-tab refresh lock is held and waited for at
/// most this long (SPEC §4 "Deadlines"); the session is kept. The soak's simulated browsers use it
/// too.
pub const DEADLINE_MS: u32 = 15_000;

/// lanyard's error body, if `text` is one: a JSON object with the key `logout_reason` (SPEC §4
/// "Only lanyard ends a session"). A gateway's page, or its own JSON, is not, even when it would
/// decode, since every field of [`ErrorBody`] may be missing.
pub fn lanyard_error(text: &str) -> Option<ErrorBody> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    if !value.as_object()?.contains_key("logout_reason") {
        return None;
    }
    serde_json::from_value(value).ok()
}

/// How many times a call is renewed and sent again before a 401 without a reason counts as
/// unavailable (SPEC §4 "Deadlines": at most twice, and never an ending).
pub const MAX_RENEWALS: u32 = 2;

/// The decision for `reply` to a call of `kind`, `renewals` refreshes into the call, while
/// `signed_in` is the user this tab holds a token for.
pub fn classify(kind: CallKind, reply: Reply<'_>, signed_in: Option<&str>, renewals: u32) -> Verdict {
    let Reply::Answered { status, body, session_user } = reply else {
        return Verdict::Unavailable;
    };
    let named = body.and_then(|b| b.logout_reason).filter(|code| code.ends_session());
    let error = body.and_then(|b| b.error);
    // An answer for another user than this tab's is discarded; a missing header is no mismatch.
    let other_user = matches!((session_user, signed_in), (Some(answered), Some(held)) if answered != held);
    if other_user && (status < 300 || status == 402 || status == 403) {
        return Verdict::Ended(LogoutCode::SessionUserMismatch, LogoutSource::Frontend);
    }
    if status == 401
        && let Some(code) = named
    {
        return Verdict::Ended(code, LogoutSource::Backend);
    }
    // A 401 or 403 lanyard did not write is a gateway's: it says nothing about the session, and
    // sending the call again (or refreshing) would only meet the gateway again.
    if matches!(status, 401 | 403) && body.is_none() {
        return Verdict::Unavailable;
    }
    match (kind, status) {
        (_, 200..=299) => Verdict::Answer,
        (CallKind::Refresh, 401) => Verdict::Ended(LogoutCode::TokenRefreshFailed, LogoutSource::Frontend),
        (CallKind::Authenticated, 401) if renewals < MAX_RENEWALS => Verdict::RefreshThenRetry,
        (CallKind::Authenticated, 401) => Verdict::Unavailable,
        (CallKind::Authenticated, 403) if error == Some(ErrorCode::AuthCredentialsMissing) => {
            if renewals == 0 {
                Verdict::RefreshThenRetry
            } else {
                Verdict::Ended(LogoutCode::AuthCredentialsMissing, LogoutSource::Frontend)
            }
        }
        (_, 403) if error == Some(ErrorCode::ReauthRequired) => Verdict::Reauth,
        (_, 402) => Verdict::Kept(Refusal::Plan),
        (_, 403) => Verdict::Kept(Refusal::Forbidden),
        (_, status @ 400..=499) => Verdict::Kept(Refusal::Request(status)),
        _ => Verdict::Unavailable,
    }
}

/// Below this, the access token's countdown is a warning (SPEC §4: "< 5 min").
pub const WARNING_SECS: i64 = 5 * 60;
/// Below this, the session's countdown is critical (SPEC §4: "< 1 day").
pub const CRITICAL_SECS: i64 = 86_400;

/// The level of `getTokenStatus()` for a signed-in tab (SPEC §4; the first that matches wins):
/// expired, critical (the session's last day), warning (the access token's last 5 minutes), ok.
pub fn token_level(access_in_secs: i64, session_in_secs: i64) -> TokenLevel {
    if access_in_secs <= 0 || session_in_secs <= 0 {
        TokenLevel::Expired
    } else if session_in_secs < CRITICAL_SECS {
        TokenLevel::Critical
    } else if access_in_secs < WARNING_SECS {
        TokenLevel::Warning
    } else {
        TokenLevel::Ok
    }
}

/// Whether a call that failed with `error` is worth sending again later, on its own: lanyard
/// could not answer (unavailable, unreachable, unreadable) or asked the caller to slow down. A
/// sign-out that could not be recorded is sent again for this reason, and for no other.
pub fn worth_retrying(error: &ErrorBody) -> bool {
    error.is_transient() || error.error == Some(ErrorCode::RateLimited)
}

/// The first wait before a restore or a sign-out is tried again; each wait after it doubles.
pub const FIRST_BACKOFF_MS: u32 = 1_000;
/// The longest wait between tries: a server back after an outage is found within half a minute,
/// and a waiting tab tries at most twice a minute.
pub const MAX_BACKOFF_MS: u32 = 30_000;

/// The wait after one of `delay_ms`.
pub fn next_backoff(delay_ms: u32) -> u32 {
    delay_ms.saturating_mul(2).min(MAX_BACKOFF_MS)
}

/// What one attempt to restore the session after a page load found: a refresh from the cookie,
/// then the user (SPEC §4). Without a hint that this browser holds a session, a refusal means there
/// is no session to keep; with one, only an ending does.
#[derive(Clone, Debug, PartialEq)]
pub enum Restore {
    /// The session lives; the page shows it.
    User(UserView),
    /// Try again after a pause: lanyard refused to renew (the status), or could not be reached or
    /// was busy (`None`). The page keeps waiting with a notice.
    Retry(Option<u16>),
    /// The session is over: the ending the server named is logged out with its banner; without
    /// one there was no session, and the page goes to sign-in silently.
    Ended(Option<Box<Ending>>),
    /// The transport already ended the session (a call after the refresh was answered with a
    /// reason).
    Left,
}

/// The restore after a refresh that failed without naming an ending (`reply`).
pub fn restore_after_refresh(reply: Reply<'_>, had_session: bool) -> Restore {
    let status = match reply {
        Reply::Answered { status, .. } => Some(status),
        Reply::Lost => None,
    };
    match classify(CallKind::Refresh, reply, None, 0) {
        Verdict::Unavailable | Verdict::Kept(Refusal::Request(429)) => Restore::Retry(None),
        _ if had_session => Restore::Retry(status),
        _ => Restore::Ended(None),
    }
}

/// The restore after a refresh that worked, from `me`'s answer. A lapsed plan (402) keeps the
/// session: its body names the user (`logout_context.user`).
pub fn restore_with_user(me: Result<UserView, ErrorBody>, had_session: bool) -> Restore {
    let me = match me {
        Err(error) if error.logout_reason.is_some_and(|code| !code.ends_session()) => {
            // A refusal that keeps the session without naming its user: try again, never leave.
            let Some(user) = error.logout_context.as_ref().and_then(|context| context.user.clone()) else {
                return Restore::Retry(None);
            };
            Ok(user)
        }
        other => other,
    };
    match me {
        Ok(user) => Restore::User(user),
        Err(error) if error.ends_session() => Restore::Left,
        Err(error) if had_session || error.is_transient() => Restore::Retry(None),
        Err(_) => Restore::Ended(None),
    }
}

#[cfg(test)]
mod tests {
    //! One test per row of SPEC §4's rules for what may and may not end a session.

    use super::*;

    #[test]
    fn the_token_level_takes_the_first_that_matches() {
        assert_eq!(token_level(0, 7 * 86_400), TokenLevel::Expired);
        assert_eq!(token_level(3_600, 0), TokenLevel::Expired);
        assert_eq!(token_level(60, 3_600), TokenLevel::Critical, "critical wins over warning");
        assert_eq!(token_level(299, 7 * 86_400), TokenLevel::Warning);
        assert_eq!(token_level(300, 86_400), TokenLevel::Ok);
    }

    #[test]
    fn only_an_unavailable_or_throttled_answer_is_worth_retrying() {
        let retried = |code: &str| worth_retrying(&body(&format!(r#"{{"error": "{code}", "logout_reason": null}}"#)));
        for code in ["SERVICE_UNAVAILABLE", "INTERNAL", "UNREACHABLE", "UNREADABLE_ANSWER", "RATE_LIMITED"] {
            assert!(retried(code), "{code}");
        }
        for code in ["BAD_REQUEST", "FORBIDDEN", "NOT_FOUND", "ORIGIN_MISMATCH"] {
            assert!(!retried(code), "{code}");
        }
        assert!(!worth_retrying(&body(r#"{"logout_reason": "LOGOUT_ALL"}"#)));
    }
    use CallKind::{Authenticated, Refresh};

    const ADA: Option<&str> = Some("u-ada");

    fn body(json: &str) -> ErrorBody {
        serde_json::from_str(json).expect("an error body")
    }

    fn answered(status: u16, body: Option<&ErrorBody>) -> Reply<'_> {
        Reply::Answered { status, body, session_user: None }
    }

    fn call(status: u16, body: Option<&ErrorBody>) -> Verdict {
        classify(Authenticated, answered(status, body), ADA, 0)
    }

    fn token_invalid() -> ErrorBody {
        body(r#"{"logout_reason": null, "error": "ACCESS_TOKEN_INVALID", "message": "expired"}"#)
    }

    #[test]
    fn a_success_is_the_answer() {
        assert_eq!(call(200, None), Verdict::Answer);
        assert_eq!(call(204, None), Verdict::Answer);
    }

    #[test]
    fn a_401_with_a_named_reason_ends_the_session_with_that_reason() {
        let ended = body(r#"{"logout_reason": "LOGOUT_ALL", "logout_message": "You signed out everywhere."}"#);
        assert_eq!(call(401, Some(&ended)), Verdict::Ended(LogoutCode::LogoutAll, LogoutSource::Backend));
    }

    #[test]
    fn a_401_without_a_reason_renews_and_retries() {
        assert_eq!(call(401, Some(&token_invalid())), Verdict::RefreshThenRetry);
        let bare = body(r#"{"logout_reason": null}"#);
        assert_eq!(call(401, Some(&bare)), Verdict::RefreshThenRetry, "lanyard's body with nothing else");
    }

    #[test]
    fn a_gateways_401_or_403_is_unavailable_and_never_sent_again() {
        // An HTML page or another JSON shape arrives as no body at all (see `wire`).
        for status in [401, 403] {
            assert_eq!(call(status, None), Verdict::Unavailable, "{status}");
            assert_eq!(classify(Authenticated, answered(status, None), ADA, 1), Verdict::Unavailable, "{status}");
        }
    }

    #[test]
    fn only_a_json_object_with_logout_reason_is_lanyards_body() {
        let ours = lanyard_error(r#"{"error": "ACCESS_TOKEN_INVALID", "message": "expired", "logout_reason": null}"#);
        assert_eq!(ours.and_then(|b| b.error), Some(ErrorCode::AccessTokenInvalid));
        let ended = lanyard_error(r#"{"logout_reason": "LOGOUT_ALL", "logout_message": "You signed out everywhere."}"#);
        assert_eq!(ended.and_then(|b| b.logout_reason), Some(LogoutCode::LogoutAll));
        for theirs in [
            "<!doctype html><title>Sign in to Example SSO</title>",
            r#"{"error": "unauthorized", "message": "token expired"}"#,
            r#"{}"#,
            r#"[{"logout_reason": null}]"#,
            r#""logout_reason""#,
            "",
        ] {
            assert_eq!(lanyard_error(theirs), None, "{theirs}");
        }
    }

    #[test]
    fn a_gateways_401_at_refresh_is_unavailable_never_token_refresh_failed() {
        assert_eq!(classify(Refresh, answered(401, None), ADA, 0), Verdict::Unavailable);
        assert_eq!(classify(Refresh, answered(401, None), None, 0), Verdict::Unavailable, "on a restore too");
        assert_eq!(classify(Refresh, answered(403, None), ADA, 0), Verdict::Unavailable);
    }

    #[test]
    fn a_401_without_a_reason_after_renewals_is_unavailable_never_an_ending() {
        let invalid = token_invalid();
        let reply = answered(401, Some(&invalid));
        assert_eq!(classify(Authenticated, reply, ADA, 1), Verdict::RefreshThenRetry);
        assert_eq!(classify(Authenticated, reply, ADA, MAX_RENEWALS), Verdict::Unavailable);
    }

    #[test]
    fn credentials_missing_renews_once_then_ends_if_not_cured() {
        let missing = body(r#"{"error": "AUTH_CREDENTIALS_MISSING", "logout_reason": null}"#);
        let reply = answered(403, Some(&missing));
        assert_eq!(classify(Authenticated, reply, ADA, 0), Verdict::RefreshThenRetry);
        assert_eq!(
            classify(Authenticated, reply, ADA, 1),
            Verdict::Ended(LogoutCode::AuthCredentialsMissing, LogoutSource::Frontend)
        );
    }

    #[test]
    fn a_403_keeps_the_session() {
        let forbidden = body(r#"{"error": "FORBIDDEN", "message": "no", "logout_reason": null}"#);
        assert_eq!(call(403, Some(&forbidden)), Verdict::Kept(Refusal::Forbidden));
    }

    #[test]
    fn a_403_reauth_required_asks_for_the_password_and_keeps_the_session() {
        let reauth = body(r#"{"error": "REAUTH_REQUIRED", "logout_reason": null}"#);
        assert_eq!(call(403, Some(&reauth)), Verdict::Reauth);
    }

    #[test]
    fn a_402_keeps_the_session_and_shows_the_billing_notice() {
        let lapsed = body(r#"{"logout_reason": "PLAN_INACTIVE", "logout_message": "Your plan is inactive"}"#);
        assert_eq!(call(402, Some(&lapsed)), Verdict::Kept(Refusal::Plan));
    }

    #[test]
    fn a_plan_code_in_a_401_is_no_ending() {
        let odd = body(r#"{"logout_reason": "PLAN_MISSING"}"#);
        assert_eq!(call(401, Some(&odd)), Verdict::RefreshThenRetry);
    }

    #[test]
    fn other_4xx_refuse_the_call_and_keep_the_session() {
        for status in [400, 404, 405, 409, 413, 415, 429] {
            assert_eq!(call(status, None), Verdict::Kept(Refusal::Request(status)), "{status}");
        }
    }

    #[test]
    fn any_5xx_keeps_the_session() {
        for status in [500, 502, 503, 504] {
            assert_eq!(call(status, None), Verdict::Unavailable, "{status}");
        }
    }

    #[test]
    fn a_non_json_body_decides_nothing_by_itself() {
        // The transport passes `None` for a body it could not read.
        assert_eq!(call(502, None), Verdict::Unavailable);
        assert_eq!(call(200, None), Verdict::Answer);
    }

    #[test]
    fn a_timeout_or_network_loss_keeps_the_session() {
        assert_eq!(classify(Authenticated, Reply::Lost, ADA, 0), Verdict::Unavailable);
        assert_eq!(classify(Refresh, Reply::Lost, ADA, 0), Verdict::Unavailable);
    }

    #[test]
    fn an_answer_for_another_user_ends_the_session() {
        for status in [200, 402, 403] {
            let reply = Reply::Answered { status, body: None, session_user: Some("u-eve") };
            assert_eq!(
                classify(Authenticated, reply, ADA, 0),
                Verdict::Ended(LogoutCode::SessionUserMismatch, LogoutSource::Frontend),
                "{status}"
            );
        }
    }

    #[test]
    fn an_answer_without_the_user_header_is_no_mismatch() {
        let reply = Reply::Answered { status: 200, body: None, session_user: None };
        assert_eq!(classify(Authenticated, reply, ADA, 0), Verdict::Answer);
        let restoring = Reply::Answered { status: 200, body: None, session_user: Some("u-ada") };
        assert_eq!(classify(Refresh, restoring, None, 0), Verdict::Answer, "no user held yet");
    }

    #[test]
    fn a_refresh_401_ends_with_the_servers_reason_or_token_refresh_failed() {
        let reused = body(r#"{"logout_reason": "REFRESH_TOKEN_REUSED"}"#);
        assert_eq!(
            classify(Refresh, answered(401, Some(&reused)), ADA, 0),
            Verdict::Ended(LogoutCode::RefreshTokenReused, LogoutSource::Backend)
        );
        let reasonless = body(r#"{"logout_reason": null, "message": "no reason given"}"#);
        assert_eq!(
            classify(Refresh, answered(401, Some(&reasonless)), ADA, 0),
            Verdict::Ended(LogoutCode::TokenRefreshFailed, LogoutSource::Frontend)
        );
    }

    #[test]
    fn a_refresh_that_fails_for_any_other_reason_keeps_the_session() {
        assert_eq!(classify(Refresh, answered(503, None), ADA, 0), Verdict::Unavailable);
        assert_eq!(classify(Refresh, answered(429, None), ADA, 0), Verdict::Kept(Refusal::Request(429)));
        let forbidden = body(r#"{"error": "FORBIDDEN", "logout_reason": null}"#);
        assert_eq!(classify(Refresh, answered(403, Some(&forbidden)), ADA, 0), Verdict::Kept(Refusal::Forbidden));
    }

    fn ada() -> UserView {
        UserView {
            id: "u-ada".into(),
            email: "ada@example.com".into(),
            account_id: Some("a-1".into()),
            account_name: None,
            role: crate::contract::Role::Viewer,
        }
    }

    #[test]
    fn a_restore_whose_refresh_cannot_reach_lanyard_tries_again_with_or_without_a_hint() {
        for had_session in [true, false] {
            assert_eq!(restore_after_refresh(Reply::Lost, had_session), Restore::Retry(None));
            assert_eq!(restore_after_refresh(answered(503, None), had_session), Restore::Retry(None));
            assert_eq!(restore_after_refresh(answered(429, None), had_session), Restore::Retry(None));
            assert_eq!(restore_after_refresh(answered(401, None), had_session), Restore::Retry(None), "a gateway");
        }
    }

    #[test]
    fn a_refused_restore_keeps_a_hinted_session_and_leaves_no_session_silently() {
        let forbidden = body(r#"{"error": "FORBIDDEN", "logout_reason": null}"#);
        assert_eq!(restore_after_refresh(answered(403, Some(&forbidden)), true), Restore::Retry(Some(403)));
        assert_eq!(restore_after_refresh(answered(403, Some(&forbidden)), false), Restore::Ended(None));
        let invalid = body(r#"{"error": "BAD_REQUEST", "logout_reason": null}"#);
        assert_eq!(restore_after_refresh(answered(400, Some(&invalid)), true), Restore::Retry(Some(400)));
    }

    #[test]
    fn a_restore_on_a_lapsed_plan_keeps_the_session_with_the_user_its_402_names() {
        let mut lapsed = body(r#"{"logout_reason": "PLAN_INACTIVE", "logout_message": "Your plan is inactive"}"#);
        lapsed.logout_context =
            Some(Box::new(crate::contract::LogoutContext { user: Some(ada()), ..Default::default() }));
        for had_session in [true, false] {
            assert_eq!(restore_with_user(Err(lapsed.clone()), had_session), Restore::User(ada()));
        }
        let unnamed = body(r#"{"logout_reason": "PLAN_MISSING"}"#);
        for had_session in [true, false] {
            assert_eq!(restore_with_user(Err(unnamed.clone()), had_session), Restore::Retry(None), "kept, unnamed");
        }
    }

    #[test]
    fn a_restore_reads_the_user_or_follows_the_ending_the_transport_already_made() {
        assert_eq!(restore_with_user(Ok(ada()), false), Restore::User(ada()));
        let ended = body(r#"{"logout_reason": "ADMIN_REVOKED"}"#);
        assert_eq!(restore_with_user(Err(ended), true), Restore::Left);
        let down = body(r#"{"error": "SERVICE_UNAVAILABLE", "logout_reason": null}"#);
        assert_eq!(restore_with_user(Err(down.clone()), false), Restore::Retry(None));
        assert_eq!(restore_with_user(Err(down), true), Restore::Retry(None));
        let forbidden = body(r#"{"error": "FORBIDDEN", "logout_reason": null}"#);
        assert_eq!(restore_with_user(Err(forbidden.clone()), true), Restore::Retry(None));
        assert_eq!(restore_with_user(Err(forbidden), false), Restore::Ended(None));
    }

    #[test]
    fn waits_double_up_to_thirty_seconds() {
        let waits: Vec<u32> =
            std::iter::successors(Some(FIRST_BACKOFF_MS), |&d| Some(next_backoff(d))).take(7).collect();
        assert_eq!(waits, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    }
}
