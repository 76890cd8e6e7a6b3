//! The admin reports: counts per UTC day, by reason and by outcome, and session lengths.

use super::Store;
use crate::error::AuthResult;
use lanyard_contract::{AuditKind, LogoutCode, LogoutCount, RefreshDay, SignInDay};

/// Seconds in a UTC day, by which reports count.
pub const DAY_SECS: i64 = 86_400;

/// The first second of the UTC day `at` falls on.
pub fn utc_day_of(at: i64) -> i64 {
    at.div_euclid(DAY_SECS) * DAY_SECS
}

/// [`utc_day_of`] in SQL, for an instant column: reports group by it.
fn utc_day(column: &str) -> String {
    format!("({column} / {DAY_SECS}) * {DAY_SECS}")
}

impl Store {
    /// Server-recorded session endings per UTC day and reason since `since`, for one account or all.
    pub async fn endings_by_day(&self, account_id: Option<&str>, since: i64) -> AuthResult<Vec<LogoutCount>> {
        let day = utc_day("at");
        let select = format!(
            "SELECT {day} AS day, reason, COUNT(*) AS endings FROM lanyard_auth_events
             WHERE kind = $1 AND reason IS NOT NULL AND at >= $2"
        );
        let group = format!("GROUP BY {day}, reason ORDER BY day, reason");
        let query = match account_id {
            Some(_) => format!("{select} AND account_id = $3 {group}"),
            None => format!("{select} {group}"),
        };
        let query = sqlx::query_as(&query).bind(AuditKind::SessionEnded.as_str()).bind(since);
        let query = match account_id {
            Some(account_id) => query.bind(account_id),
            None => query,
        };
        let rows: Vec<(i64, LogoutCode, i64)> = query.fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(|(day, reason, count)| LogoutCount { day, reason, count }).collect())
    }

    /// Per UTC day since `since`, the account's rotations, replays answered again, and refreshes that
    /// ended a live session as reuse.
    pub async fn refreshes_by_day(&self, account_id: &str, since: i64) -> AuthResult<Vec<RefreshDay>> {
        let day = utc_day("at");
        let rows: Vec<(i64, i64, i64, i64)> = sqlx::query_as(&format!(
            "SELECT {day} AS day,
                    SUM(CASE WHEN kind = $3 THEN 1 ELSE 0 END) AS rotated,
                    SUM(CASE WHEN kind = $4 THEN 1 ELSE 0 END) AS replayed,
                    SUM(CASE WHEN kind = $5 THEN 1 ELSE 0 END) AS refused
             FROM lanyard_auth_events
             WHERE account_id = $1 AND at >= $2
               AND (kind IN ($3, $4) OR (kind = $5 AND reason = $6))
             GROUP BY {day} ORDER BY day"
        ))
        .bind(account_id)
        .bind(since)
        .bind(AuditKind::Refreshed.as_str())
        .bind(AuditKind::RefreshReplayed.as_str())
        .bind(AuditKind::SessionEnded.as_str())
        .bind(LogoutCode::RefreshTokenReused.as_str())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(day, rotated, replayed, refused)| RefreshDay { day, rotated, replayed, refused })
            .collect())
    }

    /// How many of the account's sessions that ended since `since` lasted up to each of `bounds`
    /// (seconds, ascending), and longer than the last: one count per band, `bounds.len() + 1` in all.
    pub async fn session_lengths(&self, account_id: &str, since: i64, bounds: &[i64]) -> AuthResult<Vec<i64>> {
        let band: String = bounds
            .iter()
            .enumerate()
            .map(|(i, bound)| format!("WHEN ended_at - created_at < {bound} THEN {i} "))
            .collect();
        let rows: Vec<(i64, i64)> = sqlx::query_as(&format!(
            "SELECT CAST(CASE {band}ELSE {open} END AS BIGINT) AS band, COUNT(*) FROM lanyard_sessions
             WHERE account_id = $1 AND ended_at >= $2 GROUP BY 1",
            open = bounds.len()
        ))
        .bind(account_id)
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        let mut counts = vec![0; bounds.len() + 1];
        for (band, count) in rows {
            counts[band as usize] = count;
        }
        Ok(counts)
    }

    /// Per UTC day since `since`, the account's sign-ins with and without remember-me.
    pub async fn sign_ins_by_day(&self, account_id: &str, since: i64) -> AuthResult<Vec<SignInDay>> {
        let day = utc_day("created_at");
        let rows: Vec<(i64, i64, i64)> = sqlx::query_as(&format!(
            "SELECT {day} AS day,
                    SUM(CASE WHEN remember_me <> 0 THEN 1 ELSE 0 END) AS remembered,
                    SUM(CASE WHEN remember_me = 0 THEN 1 ELSE 0 END) AS not_remembered
             FROM lanyard_sessions WHERE account_id = $1 AND created_at >= $2
             GROUP BY {day} ORDER BY day"
        ))
        .bind(account_id)
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(day, remembered, not_remembered)| SignInDay { day, remembered, not_remembered })
            .collect())
    }
}
