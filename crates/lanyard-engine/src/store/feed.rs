//! The change feed: how one process tells the others that a guard verdict may have changed.
//!
//! A change is a row of `lanyard_changes`, written in the transaction that makes it, and every process reads
//! the rows the others wrote: on SQLite every 250 ms; on PostgreSQL when a NOTIFY (sent on commit)
//! wakes it, and at least every second without one, since notifications can stop unnoticed (a
//! pooler in transaction mode, a listener stuck reconnecting). PostgreSQL hands out ids at insert,
//! so they can commit out of order: an id missing below one already read is waited for (see
//! [`Cursor`]).

use super::{Dialect, Store, Tx};
use crate::error::AuthResult;
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

/// The NOTIFY channel of changes on PostgreSQL.
const CHANNEL: &str = "lanyard_changes";

/// How often a process reads the others' changes without being woken: on SQLite (SPEC §6: ~250 ms)
/// this is the only way; on PostgreSQL it is the backstop of NOTIFY.
const SQLITE_POLL_INTERVAL: Duration = Duration::from_millis(250);
const POSTGRES_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// How long to wait before reading the feed again after it failed.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// How long a missing id is waited for before it counts as a rolled-back transaction.
const HOLE_PATIENCE: Duration = Duration::from_secs(30);

/// Missing ids tracked at most; a wider gap is given up on as a whole (and reported as a gap).
const MAX_HOLES: i64 = 10_000;

/// What the feed delivers: a change by its kind and subject, word that some may have been missed,
/// or that it has read everything committed up to now (which is how readiness knows it follows).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FeedEvent {
    Change { kind: String, subject: String },
    Gap,
    CaughtUp,
}

/// Which change ids have been read: every id up to `through`, and those in `beyond`. An id missing
/// between them belongs to a transaction that has not committed yet, or never will.
struct Cursor {
    through: i64,
    beyond: BTreeSet<i64>,
    holes: HashMap<i64, Instant>,
}

impl Cursor {
    fn starting_after(id: i64) -> Self {
        Self { through: id, beyond: BTreeSet::new(), holes: HashMap::new() }
    }

    /// Records `id` as read; false if it was read before.
    fn read(&mut self, id: i64) -> bool {
        if id <= self.through || !self.beyond.insert(id) {
            return false;
        }
        self.holes.remove(&id);
        true
    }

    /// Moves `through` past every id read or waited for long enough; false when the ids missing
    /// were too many to wait for, and were given up on.
    fn advance(&mut self, now: Instant) -> bool {
        let Some(&newest) = self.beyond.last() else { return true };
        if newest - self.through > MAX_HOLES {
            *self = Self::starting_after(newest);
            return false;
        }
        for id in self.through + 1..newest {
            if !self.beyond.contains(&id) {
                self.holes.entry(id).or_insert(now);
            }
        }
        loop {
            let next = self.through + 1;
            if self.beyond.remove(&next) {
                self.through = next;
            } else if self.holes.get(&next).is_some_and(|since| now - *since >= HOLE_PATIENCE) {
                self.holes.remove(&next);
                self.through = next;
            } else {
                return true;
            }
        }
    }
}

impl Store {
    /// Records a change in `tx`; other processes learn of it once `tx` commits.
    pub async fn publish_change(&self, tx: &mut Tx, kind: &str, subject: &str, now: i64) -> AuthResult<()> {
        sqlx::query("INSERT INTO lanyard_changes (at, kind, subject) VALUES ($1, $2, $3)")
            .bind(now)
            .bind(kind)
            .bind(subject)
            .execute(tx.conn())
            .await?;
        if self.dialect == Dialect::Postgres {
            sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(kind).execute(tx.conn()).await?;
        }
        Ok(())
    }

    /// Hands every change other processes make to `deliver`, from now until the future is dropped.
    pub async fn follow_changes(&self, deliver: impl FnMut(FeedEvent)) {
        let woken = Notify::new();
        match self.dialect {
            Dialect::Sqlite => self.read_changes(deliver, &woken, SQLITE_POLL_INTERVAL).await,
            Dialect::Postgres => {
                tokio::join!(self.read_changes(deliver, &woken, POSTGRES_POLL_INTERVAL), self.listen(&woken));
            }
        }
    }

    async fn read_changes(&self, mut deliver: impl FnMut(FeedEvent), woken: &Notify, interval: Duration) {
        let mut cursor = loop {
            match self.latest_change_id().await {
                Ok(id) => break Cursor::starting_after(id),
                Err(error) => {
                    tracing::warn!("reading the change sequence: {error}");
                    tokio::time::sleep(RETRY_AFTER).await;
                }
            }
        };
        // What was read before the cursor was placed may predate a change below it.
        deliver(FeedEvent::Gap);
        loop {
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                () = woken.notified() => {}
            }
            match self.changes_after(cursor.through).await {
                Ok(changes) => {
                    for (id, kind, subject) in changes {
                        if cursor.read(id) {
                            deliver(FeedEvent::Change { kind, subject });
                        }
                    }
                    if !cursor.advance(Instant::now()) {
                        deliver(FeedEvent::Gap);
                    }
                    deliver(FeedEvent::CaughtUp);
                }
                Err(error) => tracing::warn!("reading changes: {error}"),
            }
        }
    }

    /// Wakes the reader whenever PostgreSQL notifies of a change, or may have failed to.
    async fn listen(&self, woken: &Notify) {
        loop {
            let listener = async {
                let mut listener = sqlx::postgres::PgListener::connect(&self.url).await?;
                listener.listen(CHANNEL).await?;
                Ok::<_, sqlx::Error>(listener)
            };
            let mut listener = match listener.await {
                Ok(listener) => listener,
                Err(error) => {
                    tracing::warn!("listening for changes: {error}");
                    tokio::time::sleep(RETRY_AFTER).await;
                    continue;
                }
            };
            loop {
                match listener.try_recv().await {
                    // A notification, or a dropped connection that may have lost some (the next
                    // `try_recv` reconnects): either way, read the table.
                    Ok(_) => woken.notify_one(),
                    Err(error) => {
                        tracing::warn!("change listener failed: {error}");
                        woken.notify_one();
                        break;
                    }
                }
            }
        }
    }

    async fn latest_change_id(&self) -> AuthResult<i64> {
        let (id,): (Option<i64>,) = sqlx::query_as("SELECT MAX(id) FROM lanyard_changes").fetch_one(&self.pool).await?;
        Ok(id.unwrap_or(0))
    }

    async fn changes_after(&self, id: i64) -> AuthResult<Vec<(i64, String, String)>> {
        Ok(sqlx::query_as("SELECT id, kind, subject FROM lanyard_changes WHERE id > $1 ORDER BY id")
            .bind(id)
            .fetch_all(&self.pool)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_committed_out_of_order_are_each_read_once() {
        let start = Instant::now();
        let mut cursor = Cursor::starting_after(10);
        assert!(cursor.read(12), "12 committed before 11");
        assert!(cursor.advance(start));
        assert_eq!(cursor.through, 10, "11 is waited for");
        assert!(!cursor.read(12), "read again by the next query, delivered once");
        assert!(cursor.read(11));
        assert!(cursor.advance(start));
        assert_eq!(cursor.through, 12);
        assert!(!cursor.read(11));
    }

    #[test]
    fn a_rolled_back_id_is_waited_for_only_so_long() {
        let start = Instant::now();
        let mut cursor = Cursor::starting_after(0);
        cursor.read(2);
        cursor.advance(start);
        assert_eq!(cursor.through, 0);
        cursor.advance(start + HOLE_PATIENCE);
        assert_eq!(cursor.through, 2);
    }

    #[test]
    fn too_wide_a_gap_is_given_up_on_and_reported() {
        let mut cursor = Cursor::starting_after(0);
        cursor.read(MAX_HOLES + 5);
        assert!(!cursor.advance(Instant::now()));
        assert_eq!(cursor.through, MAX_HOLES + 5);
    }
}
