//! A session's end as the browser records it: the reason, the words the user reads, the page it
//! happened on, and who noticed it.

use crate::contract::{ErrorBody, LogoutCode, LogoutContext, LogoutEvent, LogoutSource};
use crate::paths::logout_path;

/// A session's end before the tracker records it: what SPEC §4's reason object says of the
/// ending itself, without the time, tab and session the tracker adds ([`Ending::into_event`]). The
/// transport, the refresh and the flows make one, from the server's answer or their own judgement,
/// and hand it to the tracker, so every ending is told the same way.
#[derive(Clone, Debug, PartialEq)]
pub struct Ending {
    /// The reason; the banner and the audit trail name it.
    pub code: LogoutCode,
    /// The words the user reads: the server's, or else the code's own.
    pub message: String,
    /// The page the session ended on (path and query), never the sign-in page: the banner shows it
    /// as the original page.
    pub path: String,
    /// What the server said about the ending (session, user, account), for the banner's details
    /// and the debug panel; empty for an ending decided here.
    pub context: LogoutContext,
    /// Who noticed: the server's answer (backend) or this browser's own judgement (frontend).
    pub source: LogoutSource,
}

impl Ending {
    /// The end of the session for `code`, with the server's words, page and context where its
    /// answer (`body`) has them; `page` is this tab's page (path and query).
    pub fn new(code: LogoutCode, source: LogoutSource, body: Option<&ErrorBody>, page: &str) -> Self {
        let body = body.filter(|b| b.logout_reason == Some(code));
        Self {
            code,
            message: body
                .and_then(|b| b.logout_message.clone())
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| code.message().into()),
            path: body.and_then(|b| b.logout_path.clone()).unwrap_or_else(|| logout_path(page)),
            context: body.and_then(|b| b.logout_context.as_deref().cloned()).unwrap_or_default(),
            source,
        }
    }

    /// An ending this browser decided on, on `page`.
    pub fn local(code: LogoutCode, page: &str) -> Self {
        Self::new(code, LogoutSource::Frontend, None, page)
    }

    /// The 401 body a call that ended the session answers its caller with.
    pub fn to_body(&self) -> ErrorBody {
        ErrorBody {
            error: None,
            message: None,
            logout_reason: Some(self.code),
            logout_message: Some(self.message.clone()),
            logout_path: Some(self.path.clone()),
            logout_context: Some(Box::new(self.context.clone())),
            ..ErrorBody::default()
        }
    }

    /// The reason object of SPEC §4, naming the session that ended (if the tab held one).
    pub fn into_event(self, at: i64, idle_secs: i64, tab_id: String, session: Option<SessionIds>) -> LogoutEvent {
        let (session_id, user_id) = session.map_or((None, None), |ids| (Some(ids.session_id), Some(ids.user_id)));
        LogoutEvent {
            code: self.code,
            message: self.message,
            path: self.path,
            context: self.context,
            at,
            source: self.source,
            idle_secs,
            tab_id,
            session_id,
            user_id,
        }
    }
}

/// The session an ending belongs to (SPEC §4 "Endings belong to one session").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionIds {
    /// The session the tab held.
    pub session_id: String,
    /// Its user; empty while the tab does not know them yet (a restore whose answer lacked
    /// `X-Session-User`).
    pub user_id: String,
}

impl SessionIds {
    /// Whether `event` is the ending of this session. An event that names no session (its tab
    /// held none) belongs to no session.
    pub fn ended_by(&self, event: &LogoutEvent) -> bool {
        event.session_id.as_deref() == Some(self.session_id.as_str())
            && event.user_id.as_deref().is_none_or(|user| user == self.user_id || self.user_id.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_servers_words_and_page_win_over_the_local_ones() {
        let body: ErrorBody = serde_json::from_str(
            r#"{"logout_reason":"ADMIN_REVOKED","logout_message":"Ended by Olga","logout_path":"/jobs","logout_context":{"session_id":"s-olga"}}"#,
        )
        .unwrap();
        let ending = Ending::new(LogoutCode::AdminRevoked, LogoutSource::Backend, Some(&body), "/billing");
        assert_eq!((ending.message.as_str(), ending.path.as_str()), ("Ended by Olga", "/jobs"));
        assert_eq!(ending.context.session_id.as_deref(), Some("s-olga"));
        assert_eq!(ending.to_body().logout_reason, Some(LogoutCode::AdminRevoked));
    }

    #[test]
    fn an_ending_belongs_only_to_the_session_it_names() {
        let ids = |session: &str, user: &str| SessionIds { session_id: session.into(), user_id: user.into() };
        let event = Ending::local(LogoutCode::SessionUserMismatch, "/jobs").into_event(
            1_000,
            0,
            "tab-a".into(),
            Some(ids("s-ada", "u-ada")),
        );
        assert_eq!((event.session_id.as_deref(), event.user_id.as_deref()), (Some("s-ada"), Some("u-ada")));
        assert!(ids("s-ada", "u-ada").ended_by(&event));
        assert!(!ids("s-bob", "u-bob").ended_by(&event), "another user's tab carries on");
        assert!(!ids("s-ada-2", "u-ada").ended_by(&event), "another session of the same user carries on");
        assert!(ids("s-ada", "").ended_by(&event), "a tab that does not know its user yet");
        let unowned = Ending::local(LogoutCode::ManualLogout, "/").into_event(1_000, 0, "tab-b".into(), None);
        assert!(!ids("s-ada", "u-ada").ended_by(&unowned));
    }

    #[test]
    fn a_local_ending_names_this_tabs_page_and_never_the_sign_in_page() {
        let ending = Ending::local(LogoutCode::TokenRefreshFailed, "/signin?next=%2Fsessions");
        assert_eq!(
            (ending.message.as_str(), ending.path.as_str()),
            ("Your session could not be renewed.", "/sessions")
        );
        assert_eq!(ending.source, LogoutSource::Frontend);
    }
}
