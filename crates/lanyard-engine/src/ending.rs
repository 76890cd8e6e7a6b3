//! The end of a session, in one place for every path that ends one (sign-out, revocation, the
//! guard, reuse detection, the sweep, a password change, the session limit): the row, the audit
//! event and the change in one transaction (its own, or the caller's, whose other writes then
//! commit with it or not at all), then the live view, then the `[AUTO-LOGOUT]` line.

use super::error::AuthResult;
use super::instance::Engine;
use super::live::Change;
use super::policy::RequestMeta;
use super::store::audit::AuthEvent;
use super::store::sessions::SessionState;
use super::store::{Store, Tx};
use lanyard_contract::{AuditKind, EventSource, LogoutCode};

/// Who ended a session: the user, in the very request that ended it, or anything else. Every
/// automatic ending gets an `[AUTO-LOGOUT]` log line (SPEC §2 "Logs").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Initiator {
    User,
    Automatic,
}

/// An ending written into a transaction, announced once that transaction has committed.
#[must_use = "an ending is announced once its transaction commits"]
pub(super) struct Ending {
    code: LogoutCode,
    initiator: Initiator,
    user_id: String,
    session_id: String,
    at: i64,
}

impl Engine {
    /// Ends a session with `code`, records it in the audit trail in the same transaction and, for an
    /// automatic ending, writes the `[AUTO-LOGOUT]` line. Returns the code the session ended with,
    /// which is an earlier one if another request ended it first.
    pub(crate) async fn end_session(
        &self,
        state: &SessionState,
        code: LogoutCode,
        initiator: Initiator,
        meta: &RequestMeta,
    ) -> AuthResult<LogoutCode> {
        let mut tx = self.store.write_tx().await?;
        let Some(ending) = self.write_ending(&mut tx, state, code, initiator, meta).await? else {
            tx.rollback().await?;
            let earlier = self.store.session_state(&state.session_id).await?;
            return Ok(earlier.and_then(|s| s.end_reason).unwrap_or(code));
        };
        tx.commit().await?;
        self.announce(ending, meta);
        Ok(code)
    }

    /// Writes the ending of `state`'s session into `tx`: the row, the audit event and the change
    /// other instances follow. `None` when the session had already ended (the first ending stands).
    /// Whatever else commits with `tx` commits with the ending, or nothing does; once it has
    /// committed, [`Engine::announce`] it.
    pub(super) async fn write_ending(
        &self,
        tx: &mut Tx,
        state: &SessionState,
        code: LogoutCode,
        initiator: Initiator,
        meta: &RequestMeta,
    ) -> AuthResult<Option<Ending>> {
        let now = self.now();
        if !Store::end_session(tx, &state.session_id, code, now).await? {
            return Ok(None);
        }
        let event = AuthEvent { reason: Some(code), ..self.session_event(AuditKind::SessionEnded, now, state, meta) };
        Store::record_event(tx, &event).await?;
        Change::Session(state.session_id.clone()).publish(tx, &self.store, now).await?;
        Ok(Some(Ending {
            code,
            initiator,
            user_id: state.session_user_id.clone(),
            session_id: state.session_id.clone(),
            at: now,
        }))
    }

    /// What follows a committed ending: the live view, the metric and, for an automatic ending, the
    /// `[AUTO-LOGOUT]` line.
    pub(super) fn announce(&self, ending: Ending, meta: &RequestMeta) {
        let Ending { code, initiator, user_id, session_id, at } = ending;
        self.live.apply(&Change::Session(session_id.clone()));
        self.metrics.ending(code);
        if initiator == Initiator::Automatic {
            tracing::warn!(
                code = code.as_str(),
                user_id,
                session_id,
                path = %LoggedPath(&meta.page_path),
                ip = meta.ip.as_deref().unwrap_or("-"),
                "[AUTO-LOGOUT] {code} user={user_id} session={session_id} path={} ip={} at={at}",
                LoggedPath(&meta.page_path),
                meta.ip.as_deref().unwrap_or("-"),
            );
        }
    }

    /// A server-recorded audit event of `kind` with the request's facts filled in.
    pub(super) fn event<'a>(&self, kind: AuditKind, now: i64, meta: &'a RequestMeta) -> AuthEvent<'a> {
        AuthEvent {
            at: now,
            kind,
            user_id: None,
            account_id: None,
            session_id: None,
            reason: None,
            source: Some(EventSource::Server),
            path: Some(&meta.page_path),
            idle_secs: meta.idle_secs,
            ip: meta.ip.as_deref(),
            user_agent: meta.user_agent.as_deref(),
            detail: None,
        }
    }

    /// An audit event of `kind` about `state`'s session.
    pub(super) fn session_event<'a>(
        &self,
        kind: AuditKind,
        now: i64,
        state: &'a SessionState,
        meta: &'a RequestMeta,
    ) -> AuthEvent<'a> {
        AuthEvent {
            user_id: Some(&state.session_user_id),
            account_id: state.session_account_id.as_deref(),
            session_id: Some(&state.session_id),
            ..self.event(kind, now, meta)
        }
    }
}

/// A page path as log lines write it: percent-encoded outside the characters a path needs, so a
/// path the browser sent (`X-Page-Path`) cannot carry a space or an `=` that forges another
/// `key=value` field for whoever searches the log.
struct LoggedPath<'a>(&'a str);

impl std::fmt::Display for LoggedPath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for byte in self.0.bytes() {
            if byte.is_ascii_alphanumeric() || b"/-._~?&%+,;:@!$'()*".contains(&byte) {
                write!(f, "{}", byte as char)?;
            } else {
                write!(f, "%{byte:02X}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::LoggedPath;

    #[test]
    fn a_logged_path_cannot_hold_a_space_or_an_equals_sign() {
        assert_eq!(LoggedPath("/jobs?tab=2").to_string(), "/jobs?tab%3D2");
        assert_eq!(LoggedPath("/a user=x\"\n").to_string(), "/a%20user%3Dx%22%0A");
        assert_eq!(LoggedPath("/caf\u{e9}").to_string(), "/caf%C3%A9");
    }
}
