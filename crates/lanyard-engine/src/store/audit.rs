//! The audit trail: every event recorded, and what the debug panel and the security page read.

use super::{Store, Tx};
use crate::error::AuthResult;
use lanyard_contract::{AuditKind, EventSource, EventView, LogoutCode};
use sqlx::FromRow;

/// One line of a user's security activity as stored: the event and its session's facts.
#[derive(Debug, Clone, FromRow)]
pub struct ActivityRow {
    pub at: i64,
    pub kind: AuditKind,
    pub reason: Option<LogoutCode>,
    pub session_id: Option<String>,
    pub device_id: Option<String>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub new_device: i64,
    pub ended_at: Option<i64>,
    pub expires_at: i64,
}

/// One line of the audit trail.
#[derive(Debug, Clone)]
pub struct AuthEvent<'a> {
    pub at: i64,
    pub kind: AuditKind,
    pub user_id: Option<&'a str>,
    pub account_id: Option<&'a str>,
    pub session_id: Option<&'a str>,
    pub reason: Option<LogoutCode>,
    pub source: Option<EventSource>,
    pub path: Option<&'a str>,
    pub idle_secs: Option<i64>,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub detail: Option<String>,
}

/// What the user's security activity lists (SPEC §3 `activity`, §10, §11).
const ACTIVITY_KINDS: [AuditKind; 13] = [
    AuditKind::SignedIn,
    AuditKind::PasswordChanged,
    AuditKind::Reauthed,
    AuditKind::SessionEnded,
    AuditKind::PasswordReset,
    AuditKind::EmailVerified,
    AuditKind::EmailChanged,
    AuditKind::MfaEnabled,
    AuditKind::MfaDisabled,
    AuditKind::PasskeyAdded,
    AuditKind::PasskeyRemoved,
    AuditKind::RecoveryCodeUsed,
    AuditKind::MfaReset,
];

impl Store {
    pub async fn record_event(tx: &mut Tx, event: &AuthEvent<'_>) -> AuthResult<()> {
        sqlx::query(
            "INSERT INTO lanyard_auth_events (at, kind, user_id, account_id, session_id, reason, source, path,
                                      idle_secs, ip, user_agent, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(event.at)
        .bind(event.kind.as_str())
        .bind(event.user_id)
        .bind(event.account_id)
        .bind(event.session_id)
        .bind(event.reason.map(LogoutCode::as_str))
        .bind(event.source.map(EventSource::as_str))
        .bind(event.path)
        .bind(event.idle_secs)
        .bind(event.ip)
        .bind(event.user_agent)
        .bind(event.detail.as_deref())
        .execute(tx.conn())
        .await?;
        Ok(())
    }

    /// The session's newest audit events (no secret is ever recorded in them).
    pub async fn recent_events(&self, session_id: &str, limit: i64) -> AuthResult<Vec<EventView>> {
        type Row =
            (i64, AuditKind, Option<LogoutCode>, Option<EventSource>, Option<String>, Option<i64>, Option<String>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT at, kind, reason, source, path, idle_secs, ip FROM lanyard_auth_events
             WHERE session_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(session_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(at, kind, reason, source, path, idle_secs, ip)| EventView {
                at,
                kind,
                reason,
                source,
                path,
                idle_secs,
                ip,
            })
            .collect())
    }

    /// The user's security activity since `since`, newest first, at most `limit` lines: sign-ins,
    /// password changes and resets, reauths and endings, each with the session it concerns.
    pub async fn activity(&self, user_id: &str, since: i64, limit: i64) -> AuthResult<Vec<ActivityRow>> {
        let kinds = (0..ACTIVITY_KINDS.len()).map(|i| format!("${}", i + 4)).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT e.at, e.kind, e.reason, e.session_id, s.device_id,
                    COALESCE(s.user_agent, e.user_agent) AS user_agent, COALESCE(s.ip, e.ip) AS ip,
                    COALESCE(s.new_device, 0) AS new_device, s.ended_at, COALESCE(s.expires_at, 0) AS expires_at
             FROM lanyard_auth_events e LEFT JOIN lanyard_sessions s ON s.id = e.session_id
             WHERE e.user_id = $1 AND e.at >= $2 AND e.kind IN ({kinds})
             ORDER BY e.at DESC, e.id DESC LIMIT $3"
        );
        let mut query = sqlx::query_as(&sql).bind(user_id).bind(since).bind(limit);
        for kind in ACTIVITY_KINDS {
            query = query.bind(kind.as_str());
        }
        Ok(query.fetch_all(&self.pool).await?)
    }
}
