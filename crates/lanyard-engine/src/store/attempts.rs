//! Attempts counted by the throttles of SPEC §9 (a password checked, a sign-up, a reset …), shared
//! by every instance on the database. Subjects and addresses are stored as keyed hashes: what is
//! typed into an email field may be a password.

use super::{Dialect, Store, new_id};
use crate::error::AuthResult;

/// One attempt about to be counted.
#[derive(Clone, Copy, Debug)]
pub struct NewAttempt<'a> {
    pub flow: &'a str,
    pub subject: &'a str,
    pub address: &'a str,
    pub at: i64,
}

/// A limit on a flow's attempts made after `since`: at most `max` for `subject` and from
/// `address`, each only when given.
#[derive(Clone, Copy, Debug)]
pub struct Limit<'a> {
    pub max: usize,
    pub subject: Option<&'a str>,
    pub address: Option<&'a str>,
    pub since: i64,
}

/// Why an attempt was not recorded: the limit (its index) that left no room, and when the oldest
/// attempt it counts was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused {
    pub limit: usize,
    pub oldest: Option<i64>,
}

impl Store {
    /// Records `attempt` if every limit leaves room for it, and returns its id; when one does not,
    /// records nothing and says which ([`Refused`]). Counting and
    /// recording are one transaction, taken in turn per address and per subject (SQLite has one
    /// writer; PostgreSQL takes an advisory lock on each, in the order of their keys), so attempts made at once
    /// on any number of instances are judged one after the other: never more than a limit allows,
    /// and never fewer.
    pub async fn reserve_attempt(
        &self,
        attempt: &NewAttempt<'_>,
        limits: &[Limit<'_>],
    ) -> AuthResult<Result<String, Refused>> {
        let mut tx = self.write_tx().await?;
        if self.dialect == Dialect::Postgres {
            let mut keys = [lock_key(attempt.flow, attempt.address), lock_key(attempt.flow, attempt.subject)];
            keys.sort_unstable();
            for key in keys {
                sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(key).execute(tx.conn()).await?;
            }
        }
        for (index, limit) in limits.iter().enumerate() {
            let mut sql = String::from("SELECT COUNT(*), MIN(at) FROM lanyard_attempts WHERE flow = $1 AND at > $2");
            let values: Vec<&str> = [("subject", limit.subject), ("address", limit.address)]
                .into_iter()
                .filter_map(|(column, value)| value.map(|value| (column, value)))
                .enumerate()
                .map(|(n, (column, value))| {
                    sql.push_str(&format!(" AND {column} = ${}", n + 3));
                    value
                })
                .collect();
            let mut query = sqlx::query_as::<_, (i64, Option<i64>)>(&sql).bind(attempt.flow).bind(limit.since);
            for value in values {
                query = query.bind(value);
            }
            let (count, oldest) = query.fetch_one(tx.conn()).await?;
            if count >= limit.max as i64 {
                tx.rollback().await?;
                return Ok(Err(Refused { limit: index, oldest }));
            }
        }
        let id = new_id();
        sqlx::query("INSERT INTO lanyard_attempts (id, flow, subject, address, at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&id)
            .bind(attempt.flow)
            .bind(attempt.subject)
            .bind(attempt.address)
            .bind(attempt.at)
            .execute(tx.conn())
            .await?;
        tx.commit().await?;
        Ok(Ok(id))
    }

    /// Takes back the attempt `id` (nothing was learned from it).
    pub async fn remove_attempt(&self, id: &str) -> AuthResult<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM lanyard_attempts WHERE id = $1").bind(id).execute(tx.conn()).await?;
        tx.commit().await
    }

    /// Forgets the flow's attempts for `subject`, from `address` only or from anywhere.
    pub async fn clear_attempts(&self, flow: &str, subject: &str, address: Option<&str>) -> AuthResult<()> {
        let mut tx = self.write_tx().await?;
        let query = match address {
            Some(address) => {
                sqlx::query("DELETE FROM lanyard_attempts WHERE flow = $1 AND subject = $2 AND address = $3")
                    .bind(flow)
                    .bind(subject)
                    .bind(address)
            }
            None => {
                sqlx::query("DELETE FROM lanyard_attempts WHERE flow = $1 AND subject = $2").bind(flow).bind(subject)
            }
        };
        query.execute(tx.conn()).await?;
        tx.commit().await
    }
}

/// The advisory lock of a flow's subject or address: 64 bits of the keyed hash (hex) it is stored
/// under, told apart by flow.
fn lock_key(flow: &str, key: &str) -> i64 {
    let bits = u64::from_str_radix(key.get(..16).unwrap_or(key), 16).unwrap_or(0);
    (bits ^ flow.bytes().fold(0u64, |hash, byte| hash.rotate_left(5) ^ u64::from(byte))) as i64
}
