//! What the audit trail tells: client logout events coming in, diagnostics and reports going out.

use super::error::{AuthError, AuthResult};
use super::guard::Principal;
use super::input::plain_text;
use super::instance::Engine;
use super::policy::RequestMeta;
use super::store::{AuthEvent, Store};
use crate::contract::{AuditKind, Diagnostics, LogoutCount, LogoutEvent, LogoutReport};
use crate::paths::is_local_path;

/// Limits on a client logout event's fields: the event is unauthenticated, so it is kept small.
const MAX_MESSAGE_CHARS: usize = 500;
const MAX_PATH_CHARS: usize = 2_048;
const MAX_CONTEXT_BYTES: usize = 4_096;
const MAX_TAB_ID_CHARS: usize = 100;

/// How many events diagnostics show.
const DIAGNOSTIC_EVENTS: i64 = 20;

impl Engine {
    /// Stores a browser's logout event (SPEC §4) in the audit trail, after checking every field.
    pub async fn record_client_event(&self, event: &LogoutEvent, meta: &RequestMeta) -> AuthResult<()> {
        let now = self.now();
        let address = meta.address();
        let limited = |retry_after| AuthError::RateLimited { retry_after };
        self.client_events.try_hit(&address, now).map_err(limited)?;
        self.client_events_per_day.try_hit(&address, now).map_err(limited)?;

        let context = serde_json::to_string(&event.context).unwrap_or_default();
        let bad = |what: &str| Err(AuthError::BadRequest(format!("the event's {what} is not acceptable")));
        for (field, text) in [("path", &event.path), ("tab_id", &event.tab_id)] {
            plain_text(field, text)?;
        }
        if event.message.chars().count() > MAX_MESSAGE_CHARS {
            return bad("message");
        }
        if event.path.chars().count() > MAX_PATH_CHARS || !(is_local_path(&event.path) || event.path == "/") {
            return bad("path");
        }
        if context.len() > MAX_CONTEXT_BYTES || !(event.context.is_object() || event.context.is_null()) {
            return bad("context");
        }
        if event.tab_id.chars().count() > MAX_TAB_ID_CHARS || event.idle_secs < 0 {
            return bad("tab_id or idle_secs");
        }
        let detail = serde_json::json!({
            "message": event.message,
            "context": event.context,
            "tab_id": event.tab_id,
            "client_at": event.at,
        });
        let record = AuthEvent {
            reason: Some(event.code),
            source: Some(event.source.into()),
            path: Some(&event.path),
            idle_secs: Some(event.idle_secs),
            detail: Some(detail.to_string()),
            ..self.event(AuditKind::ClientLogout, now, meta)
        };
        let mut tx = self.store.write_tx().await?;
        Store::record_event(&mut tx, &record).await?;
        tx.commit().await?;
        self.metrics.client_logout(event.code);
        Ok(())
    }

    /// The server's view of the caller's session.
    pub async fn diagnostics(&self, principal: &Principal) -> AuthResult<Diagnostics> {
        let entry = self.session_entry(&principal.session_id).await?.ok_or(AuthError::NotFound)?;
        // The rotation count changes on every refresh, which the live view does not follow: read it.
        let stored = self.store.session_state(&principal.session_id).await?.ok_or(AuthError::NotFound)?;
        let events = self.store.recent_events(&principal.session_id, DIAGNOSTIC_EVENTS).await?;
        Ok(Diagnostics {
            server_time: self.now(),
            session_id: principal.session_id.clone(),
            user_id: principal.user.id.clone(),
            account_id: principal.user.account_id.clone(),
            created_at: stored.created_at,
            session_expires_at: stored.expires_at,
            access_expires_at: principal.access_expires_at,
            last_active_at: entry.last_active(),
            rotation_count: stored.refresh_count,
            account_status: stored.account_status,
            plan_status: stored.account_plan,
            idle_timeout_secs: self.policy.idle_timeout.max(0) as u64,
            events,
        })
    }

    /// Server-recorded session endings per day and reason over the last `days` days, for one
    /// account (the admin page) or all (the operator CLI).
    pub async fn logout_report(&self, account_id: Option<&str>, days: i64) -> AuthResult<LogoutReport> {
        if !(1..=90).contains(&days) {
            return Err(AuthError::BadRequest("days must be between 1 and 90".into()));
        }
        let now = self.now();
        let since = (now / 86_400 - (days - 1)) * 86_400;
        let counts = self
            .store
            .endings_by_day(account_id, since)
            .await?
            .into_iter()
            .map(|(day, reason, count)| LogoutCount { day, reason, count })
            .collect();
        Ok(LogoutReport { days, since, counts })
    }
}
