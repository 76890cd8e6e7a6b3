//! What the audit trail tells: client logout events coming in, diagnostics and reports going out.

use super::error::{AuthError, AuthResult};
use super::guard::Principal;
use super::input::plain_text;
use super::instance::Engine;
use super::policy::RequestMeta;
use super::store::Store;
use super::store::audit::AuthEvent;
use super::store::reports::{DAY_SECS, utc_day_of};
use lanyard_contract::paths::is_local_path;
use lanyard_contract::{
    ActivityAnswer, ActivityEvent, ActivityKind, AuditKind, Diagnostics, LengthBand, LogoutCode, LogoutEvent,
    LogoutReport, SESSION_LENGTH_BANDS, SessionHealth,
};

/// Limits on a client logout event's fields: the event is unauthenticated, so it is kept small.
const MAX_MESSAGE_CHARS: usize = 500;
const MAX_PATH_CHARS: usize = 2_048;
const MAX_CONTEXT_BYTES: usize = 4_096;
const MAX_TAB_ID_CHARS: usize = 100;

/// How many events diagnostics show.
const DIAGNOSTIC_EVENTS: i64 = 20;
/// How far back the security activity reaches (SPEC §3), and how many lines it shows at most.
const ACTIVITY_MAX_DAYS: i64 = 30;
const ACTIVITY_LINES: i64 = 500;

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
        if context.len() > MAX_CONTEXT_BYTES {
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
            account_status: entry.account.as_ref().map(|account| account.status),
            plan_status: entry.account.as_ref().map(|account| account.plan),
            idle_timeout_secs: self.policy.idle_timeout.max(0) as u64,
            events,
        })
    }

    /// Server-recorded session endings per day and reason over the last `days` days, for one
    /// account (the admin page) or all (the operator CLI).
    pub async fn logout_report(&self, account_id: Option<&str>, days: i64) -> AuthResult<LogoutReport> {
        let since = self.report_start(days)?;
        let counts = self.store.endings_by_day(account_id, since).await?;
        Ok(LogoutReport { days, since, counts })
    }

    /// The account's refreshes by outcome, the lengths of its ended sessions and its use of
    /// remember-me over the last `days` days (the admin page "Session health").
    pub async fn session_health(&self, account_id: Option<&str>, days: i64) -> AuthResult<SessionHealth> {
        let account_id = account_id.ok_or(AuthError::NotFound)?;
        let since = self.report_start(days)?;
        let refreshes = self.store.refreshes_by_day(account_id, since).await?;
        let bounds: Vec<i64> = SESSION_LENGTH_BANDS.iter().filter_map(|(bound, _)| *bound).collect();
        let lengths = SESSION_LENGTH_BANDS
            .iter()
            .zip(self.store.session_lengths(account_id, since, &bounds).await?)
            .map(|((up_to_secs, label), sessions)| LengthBand {
                up_to_secs: *up_to_secs,
                label: (*label).into(),
                sessions,
            })
            .collect();
        let sign_ins = self.store.sign_ins_by_day(account_id, since).await?;
        Ok(SessionHealth { days, since, refreshes, lengths, sign_ins })
    }

    /// The first second (UTC) of the first of the last `days` days, today included; 1 to 90 days.
    fn report_start(&self, days: i64) -> AuthResult<i64> {
        if !(1..=90).contains(&days) {
            return Err(AuthError::BadRequest("days must be between 1 and 90".into()));
        }
        Ok(utc_day_of(self.now()) - (days - 1) * DAY_SECS)
    }

    /// The user's own security activity over the last `days` days, newest first (`/security`).
    pub async fn activity(&self, principal: &Principal, days: i64) -> AuthResult<ActivityAnswer> {
        if !(1..=ACTIVITY_MAX_DAYS).contains(&days) {
            return Err(AuthError::BadRequest(format!("days must be between 1 and {ACTIVITY_MAX_DAYS}")));
        }
        let now = self.now();
        let rows = self.store.activity(&principal.user.id, now - days * 86_400, ACTIVITY_LINES).await?;
        let events = rows
            .into_iter()
            .filter_map(|row| {
                let kind = match (row.kind, row.reason) {
                    (AuditKind::SignedIn, _) if row.new_device != 0 => ActivityKind::NewDevice,
                    (AuditKind::SignedIn, _) => ActivityKind::SignedIn,
                    (AuditKind::PasswordChanged, _) => ActivityKind::PasswordChanged,
                    (AuditKind::PasswordReset, _) => ActivityKind::PasswordReset,
                    (AuditKind::EmailVerified, _) => ActivityKind::EmailVerified,
                    (AuditKind::EmailChanged, _) => ActivityKind::EmailChanged,
                    (AuditKind::MfaEnabled, _) => ActivityKind::MfaEnabled,
                    (AuditKind::MfaDisabled, _) => ActivityKind::MfaDisabled,
                    (AuditKind::PasskeyAdded, _) => ActivityKind::PasskeyAdded,
                    (AuditKind::PasskeyRemoved, _) => ActivityKind::PasskeyRemoved,
                    (AuditKind::RecoveryCodeUsed, _) => ActivityKind::RecoveryCodeUsed,
                    (AuditKind::MfaReset, _) => ActivityKind::MfaReset,
                    (AuditKind::Reauthed, _) => ActivityKind::Reauth,
                    (AuditKind::SessionEnded, Some(LogoutCode::RefreshTokenReused)) => ActivityKind::ReuseBlocked,
                    (AuditKind::SessionEnded, _) => ActivityKind::SessionEnded,
                    _ => return None,
                };
                let ending = matches!(kind, ActivityKind::SessionEnded | ActivityKind::ReuseBlocked);
                Some(ActivityEvent {
                    at: row.at,
                    kind,
                    current: row.session_id.as_deref() == Some(principal.session_id.as_str()),
                    live: row.ended_at.is_none() && row.expires_at > now,
                    session_id: row.session_id,
                    device_id: row.device_id,
                    user_agent: row.user_agent,
                    ip: row.ip,
                    reason: row.reason.filter(|_| ending),
                })
            })
            .collect();
        Ok(ActivityAnswer { events })
    }
}
