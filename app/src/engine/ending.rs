//! The end of a session, in one place for every path that ends one (sign-out, revocation, the
//! guard, reuse detection, the sweep): the row, the audit event and the change in one transaction,
//! then the live view, then the `[AUTO-LOGOUT]` line.

use super::error::AuthResult;
use super::instance::Engine;
use super::live::Change;
use super::policy::RequestMeta;
use super::store::{AuthEvent, SessionState, Store};
use crate::contract::{AuditKind, EventSource, LogoutCode};

/// Who ended a session: the user, in the very request that ended it, or anything else. Every
/// automatic ending gets an `[AUTO-LOGOUT]` log line (SPEC §2 "Logs").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Initiator {
    User,
    Automatic,
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
        let now = self.now();
        let mut tx = self.store.write_tx().await?;
        if !Store::end_session(&mut tx, &state.session_id, code, now).await? {
            tx.rollback().await?;
            let earlier = self.store.session_state(&state.session_id).await?;
            return Ok(earlier.and_then(|s| s.end_reason).and_then(|r| LogoutCode::parse(&r)).unwrap_or(code));
        }
        let event = AuthEvent { reason: Some(code), ..self.session_event(AuditKind::SessionEnded, now, state, meta) };
        Store::record_event(&mut tx, &event).await?;
        let change = Change::Session(state.session_id.clone());
        change.publish(&mut tx, &self.store, now).await?;
        tx.commit().await?;
        self.live.apply(&change);
        self.metrics.ending(code);
        if initiator == Initiator::Automatic {
            tracing::warn!(
                code = code.as_str(),
                user_id = state.session_user_id,
                session_id = state.session_id,
                path = meta.page_path,
                ip = meta.ip.as_deref().unwrap_or("-"),
                "[AUTO-LOGOUT] {code} user={} session={} path={} ip={} at={now}",
                state.session_user_id,
                state.session_id,
                meta.page_path,
                meta.ip.as_deref().unwrap_or("-"),
            );
        }
        Ok(code)
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
