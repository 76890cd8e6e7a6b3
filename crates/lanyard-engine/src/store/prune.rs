//! Pruning: history past its keeping time goes, in batches, so no statement holds the writer long.

use super::Store;
use crate::error::AuthResult;

/// Rows one prune transaction deletes at most.
const PRUNE_BATCH: i64 = 1_000;

impl Store {
    /// Removes what has been kept long enough: ended sessions (with their tokens), used refresh
    /// tokens and events older than `history_before`, and changes older than `changes_before`. It
    /// deletes in batches of [`PRUNE_BATCH`] rows, each in a transaction of its own, so the one
    /// SQLite writer is never held for long; returns the rows removed.
    pub async fn prune(&self, history_before: i64, changes_before: i64) -> AuthResult<u64> {
        const BATCHES: [(&str, bool); 4] = [
            (
                "DELETE FROM lanyard_refresh_tokens WHERE hash IN (SELECT hash FROM lanyard_refresh_tokens WHERE used_at < $1 LIMIT $2)",
                true,
            ),
            (
                "DELETE FROM lanyard_sessions WHERE id IN (SELECT id FROM lanyard_sessions WHERE ended_at < $1 LIMIT $2)",
                true,
            ),
            (
                "DELETE FROM lanyard_auth_events WHERE id IN (SELECT id FROM lanyard_auth_events WHERE at < $1 LIMIT $2)",
                true,
            ),
            ("DELETE FROM lanyard_changes WHERE id IN (SELECT id FROM lanyard_changes WHERE at < $1 LIMIT $2)", false),
        ];
        let mut removed = 0;
        for (sql, is_history) in BATCHES {
            let before = if is_history { history_before } else { changes_before };
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
