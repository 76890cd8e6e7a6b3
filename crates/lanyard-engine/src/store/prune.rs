//! Pruning: history past its keeping time goes, in batches, so no statement holds the writer long.

use super::Store;
use crate::error::AuthResult;

/// The instants before which each kind of row goes.
#[derive(Clone, Copy, Debug)]
pub struct PruneBefore {
    /// Ended sessions (with their tokens), used refresh tokens and audit events.
    pub history: i64,
    /// The change feed, and second-factor sign-ins and WebAuthn ceremonies that ran out.
    pub changes: i64,
    /// The throttles' attempts, once their window has passed.
    pub attempts: i64,
}

/// Rows one prune transaction deletes at most.
const PRUNE_BATCH: i64 = 1_000;

impl Store {
    /// Removes what has been kept long enough (see [`PruneBefore`]). It deletes in batches of
    /// [`PRUNE_BATCH`] rows, each in a transaction of its own, so the one SQLite writer is never
    /// held for long; returns the rows removed.
    pub async fn prune(&self, before: PruneBefore) -> AuthResult<u64> {
        let batches = [
            (
                "DELETE FROM lanyard_refresh_tokens WHERE hash IN (SELECT hash FROM lanyard_refresh_tokens WHERE used_at < $1 LIMIT $2)",
                before.history,
            ),
            (
                "DELETE FROM lanyard_sessions WHERE id IN (SELECT id FROM lanyard_sessions WHERE ended_at < $1 LIMIT $2)",
                before.history,
            ),
            (
                "DELETE FROM lanyard_auth_events WHERE id IN (SELECT id FROM lanyard_auth_events WHERE at < $1 LIMIT $2)",
                before.history,
            ),
            (
                "DELETE FROM lanyard_changes WHERE id IN (SELECT id FROM lanyard_changes WHERE at < $1 LIMIT $2)",
                before.changes,
            ),
            (
                "DELETE FROM lanyard_mfa_tokens WHERE hash IN (SELECT hash FROM lanyard_mfa_tokens WHERE expires_at < $1 LIMIT $2)",
                before.changes,
            ),
            (
                "DELETE FROM lanyard_webauthn_challenges WHERE challenge IN (SELECT challenge FROM lanyard_webauthn_challenges WHERE expires_at < $1 LIMIT $2)",
                before.changes,
            ),
            (
                "DELETE FROM lanyard_attempts WHERE id IN (SELECT id FROM lanyard_attempts WHERE at < $1 LIMIT $2)",
                before.attempts,
            ),
        ];
        let mut removed = 0;
        for (sql, before) in batches {
            loop {
                let mut tx = self.write_tx().await?;
                let batch = sqlx::query(sql).bind(before).bind(PRUNE_BATCH).execute(tx.conn()).await?.rows_affected();
                tx.commit().await?;
                removed += batch;
                if batch < PRUNE_BATCH as u64 {
                    break;
                }
            }
        }
        Ok(removed)
    }
}
