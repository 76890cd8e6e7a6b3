//! Group commit for SQLite's single writer: write transactions that queue behind each other share
//! one database transaction and one fsync, and each is answered only after that commit.
//!
//! SQLite lets one connection write at a time, and with `synchronous = FULL` every commit waits for
//! the disk. Writers of this process take turns on [`GroupCommit`]'s lock, in arrival order. The
//! first turn opens a batch (`BEGIN IMMEDIATE`); each turn runs inside a savepoint of the batch,
//! so its own rollback undoes only its own statements, and sees every earlier turn's writes, so the
//! turns stay in one serial order. A turn that ends queues the batch's commit behind the turns
//! already waiting, then waits for that commit: a batch is as large as the queue it found. A commit
//! that fails fails every turn of the batch (the caller answers 503; nothing was written), so no
//! caller is ever told of a write that is not on disk.
//!
//! A turn dropped without an ending (an error returned with `?`, a cancelled request) is undone by
//! whoever next holds the lock, before anything else runs in the batch.

use super::super::error::{AuthError, AuthResult};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard, watch};

/// The outcome of a batch's commit, shared by its turns; `None` until it is known.
type Outcome = Option<Result<(), String>>;

/// How long a write waits for this process's writer before it is answered as unavailable (503 with
/// Retry-After, which the client retries): a turn that never ends must not queue every later write
/// behind it for good.
const WRITER_WAIT: Duration = Duration::from_secs(10);

/// The writer lock and the batch open under it.
#[derive(Clone)]
pub struct GroupCommit {
    writer: Arc<Mutex<Writer>>,
    /// How long a turn waits for the writer ([`WRITER_WAIT`]).
    wait: Duration,
}

impl Default for GroupCommit {
    fn default() -> Self {
        Self { writer: Arc::default(), wait: WRITER_WAIT }
    }
}

#[derive(Default)]
struct Writer {
    open: Option<Batch>,
    batches: u64,
}

struct Batch {
    conn: PoolConnection<Any>,
    /// Which batch this is, so a queued commit finds the batch it was queued for.
    number: u64,
    /// The last turn's savepoint is still open: its turn ended without saying how.
    abandoned: bool,
    outcome: watch::Sender<Outcome>,
}

/// One write transaction's turn in a batch.
pub struct Turn {
    held: Option<OwnedMutexGuard<Writer>>,
    group: GroupCommit,
}

impl GroupCommit {
    /// Waits for the writer's turn, opening a batch if none is open.
    pub async fn turn(&self, pool: &AnyPool) -> AuthResult<Turn> {
        let waited = tokio::time::timeout(self.wait, self.writer.clone().lock_owned()).await;
        let mut writer = waited.map_err(|_| AuthError::Unavailable("the database's writer is busy".into()))?;
        if writer.open.as_ref().is_some_and(|batch| batch.abandoned) {
            let batch = writer.open.as_mut().expect("checked above");
            if let Err(error) = undo_savepoint(&mut batch.conn).await {
                writer.fail(&error);
            }
        }
        if writer.open.is_none() {
            let conn = begin_immediate(pool).await?;
            writer.batches += 1;
            let number = writer.batches;
            writer.open = Some(Batch { conn, number, abandoned: false, outcome: watch::Sender::new(None) });
        }
        let batch = writer.open.as_mut().expect("a batch is open");
        if let Err(error) = sqlx::query("SAVEPOINT turn").execute(&mut *batch.conn).await {
            let number = batch.number;
            drop(writer);
            queue_commit(self, number);
            return Err(error.into());
        }
        batch.abandoned = true;
        Ok(Turn { held: Some(writer), group: self.clone() })
    }

    /// Commits the open batch, if any: at shutdown, so that nothing waits on a commit.
    pub async fn settle(&self) {
        let number = self.writer.lock().await.open.as_ref().map(|batch| batch.number);
        if let Some(number) = number {
            self.commit(number).await;
        }
    }

    /// Commits batch `number` unless it is no longer open (another turn's commit got there first).
    async fn commit(&self, number: u64) {
        let mut writer = self.writer.lock().await;
        let Some(mut batch) = writer.open.take_if(|batch| batch.number == number) else { return };
        let committed = async {
            if batch.abandoned {
                undo_savepoint(&mut batch.conn).await?;
            }
            sqlx::query("COMMIT").execute(&mut *batch.conn).await.map(drop)
        };
        let outcome = committed.await.map_err(|error| {
            batch.conn.close_on_drop();
            error.to_string()
        });
        batch.outcome.send_replace(Some(outcome));
    }
}

impl Writer {
    /// Abandons the open batch after an error that leaves its transaction unusable.
    fn fail(&mut self, error: &sqlx::Error) {
        if let Some(mut batch) = self.open.take() {
            batch.conn.close_on_drop();
            batch.outcome.send_replace(Some(Err(error.to_string())));
        }
    }
}

impl Turn {
    pub fn conn(&mut self) -> &mut AnyConnection {
        let writer = self.held.as_mut().expect("a turn holds the writer until it ends");
        &mut writer.open.as_mut().expect("a turn's batch is open").conn
    }

    /// Keeps this turn's writes, answering once the batch that holds them is committed.
    pub async fn commit(self) -> AuthResult<()> {
        self.end(true).await
    }

    /// Undoes this turn's writes. It still waits for the batch's commit: what this turn read of
    /// earlier turns (a token another request consumed a moment ago) is then on disk.
    pub async fn rollback(self) -> AuthResult<()> {
        self.end(false).await
    }

    async fn end(mut self, keep: bool) -> AuthResult<()> {
        let mut writer = self.held.take().expect("a turn ends once");
        let batch = writer.open.as_mut().expect("a turn's batch is open");
        let ended = match keep {
            true => sqlx::query("RELEASE turn").execute(&mut *batch.conn).await.map(drop),
            false => undo_savepoint(&mut batch.conn).await,
        };
        if ended.is_ok() {
            batch.abandoned = false;
        }
        let mut outcome = batch.outcome.subscribe();
        let number = batch.number;
        drop(writer);
        queue_commit(&self.group, number);
        ended?;
        let outcome = outcome.wait_for(Option::is_some).await.map(|outcome| outcome.clone());
        match outcome {
            Ok(Some(Ok(()))) => Ok(()),
            Ok(Some(Err(error))) => Err(AuthError::Unavailable(format!("committing a batch of writes: {error}"))),
            Ok(None) | Err(_) => Err(AuthError::Unavailable("a batch of writes ended without a commit".into())),
        }
    }
}

impl Drop for Turn {
    /// A turn that did not end is undone by the next holder of the lock; its batch's commit is
    /// queued so the turns before it are answered.
    fn drop(&mut self) {
        if let Some(writer) = self.held.take() {
            let number = writer.open.as_ref().map(|batch| batch.number);
            drop(writer);
            if let Some(number) = number {
                queue_commit(&self.group, number);
            }
        }
    }
}

/// Queues batch `number`'s commit behind the turns already waiting. It runs on its own task, so a
/// cancelled request cannot leave the batch (and SQLite's write lock) open.
fn queue_commit(group: &GroupCommit, number: u64) {
    let group = group.clone();
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(async move { group.commit(number).await });
    }
}

/// A pooled connection inside `BEGIN IMMEDIATE`. The statement may wait for another process's
/// write lock (the operator CLI on the same file) for the busy timeout; a caller that leaves
/// meanwhile must not hand the connection back to the pool, where the transaction would open once
/// the lock frees and then hold SQLite's write lock with no one to end it. It is closed instead.
pub(super) async fn begin_immediate(pool: &AnyPool) -> Result<PoolConnection<Any>, sqlx::Error> {
    struct Beginning(Option<PoolConnection<Any>>);
    impl Drop for Beginning {
        fn drop(&mut self) {
            if let Some(conn) = self.0.as_mut() {
                conn.close_on_drop();
            }
        }
    }
    let mut beginning = Beginning(Some(pool.acquire().await?));
    let conn = beginning.0.as_mut().expect("acquired above");
    sqlx::query("BEGIN IMMEDIATE").execute(&mut **conn).await?;
    Ok(beginning.0.take().expect("acquired above"))
}

/// Undoes the open savepoint and closes it.
async fn undo_savepoint(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    sqlx::query("ROLLBACK TO turn").execute(&mut *conn).await?;
    sqlx::query("RELEASE turn").execute(&mut *conn).await.map(drop)
}

#[cfg(test)]
mod tests {
    use super::super::{Store, Tx};
    use std::time::Duration;

    async fn store(name: &str) -> (Store, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("lanyard-batch-{name}-{}", std::process::id()));
        std::fs::remove_dir_all(&dir).ok();
        (Store::connect(&format!("sqlite://{}/batch.db", dir.display())).await.unwrap(), dir)
    }

    async fn put(tx: &mut Tx, key: &str) {
        sqlx::query("INSERT INTO lanyard_settings (key, value) VALUES ($1, 'x')")
            .bind(key)
            .execute(tx.conn())
            .await
            .unwrap();
    }

    /// A turn that writes `key` and is committing, on its own task, once the writer is free.
    async fn committing(store: &Store, key: &str) -> tokio::task::JoinHandle<crate::AuthResult<()>> {
        let mut turn = store.write_tx().await.unwrap();
        put(&mut turn, key).await;
        tokio::spawn(turn.commit())
    }

    /// The keys among `keys` that a new connection sees: what is committed.
    async fn committed(store: &Store, keys: &[&str]) -> Vec<String> {
        let mut seen = Vec::new();
        for key in keys {
            let row: Option<(String,)> = sqlx::query_as("SELECT key FROM lanyard_settings WHERE key = $1")
                .bind(key)
                .fetch_optional(&store.pool)
                .await
                .unwrap();
            seen.extend(row.map(|(key,)| key));
        }
        seen
    }

    /// Two turns, the second queued while the first runs, run in one batch: one transaction, one
    /// commit; each is answered only once both are on disk.
    #[tokio::test]
    async fn queued_turns_share_one_commit_and_are_answered_after_it() {
        let (store, dir) = store("share").await;
        let mut first = store.write_tx().await.unwrap();
        put(&mut first, "first").await;
        let second = tokio::spawn({
            let store = store.clone();
            async move {
                let mut second = store.write_tx().await.unwrap();
                put(&mut second, "second").await;
                second.commit().await.unwrap();
                committed(&store, &["first", "second"]).await
            }
        });
        // The test runs on one thread: this lets the second turn queue behind the first.
        tokio::task::yield_now().await;
        let first = tokio::spawn(first.commit());
        let seen_by_second = second.await.unwrap();
        first.await.unwrap().unwrap();
        assert_eq!(seen_by_second, ["first", "second"]);
        assert_eq!(store.group_commit.writer.lock().await.batches, 1, "one transaction for both");
        drop(store);
        std::fs::remove_dir_all(dir).ok();
    }

    /// A turn dropped without an ending (an error, a cancelled call) is undone; the turns around
    /// it keep their writes and are answered.
    #[tokio::test]
    async fn a_dropped_turn_is_undone_and_the_others_commit() {
        let (store, dir) = store("dropped").await;
        let first = committing(&store, "first").await;
        let mut dropped = store.write_tx().await.unwrap();
        put(&mut dropped, "dropped").await;
        drop(dropped);
        let mut third = store.write_tx().await.unwrap();
        put(&mut third, "third").await;
        third.commit().await.unwrap();
        first.await.unwrap().unwrap();
        assert_eq!(committed(&store, &["first", "dropped", "third"]).await, ["first", "third"]);
        drop(store);
        std::fs::remove_dir_all(dir).ok();
    }

    /// A rollback undoes only its own turn, and it too answers after the batch's commit, so what it
    /// read of earlier turns is durable by then.
    #[tokio::test]
    async fn a_rollback_undoes_only_its_turn_and_waits_for_the_commit() {
        let (store, dir) = store("rollback").await;
        let first = committing(&store, "first").await;
        let mut second = store.write_tx().await.unwrap();
        put(&mut second, "second").await;
        second.rollback().await.unwrap();
        assert_eq!(committed(&store, &["first", "second"]).await, ["first"], "the first is on disk already");
        first.await.unwrap().unwrap();
        drop(store);
        std::fs::remove_dir_all(dir).ok();
    }

    /// A write that leaves while `BEGIN IMMEDIATE` waits for another process's write lock leaves
    /// no connection inside a transaction: once that process is done, it (and this one) can write.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_turn_cancelled_while_another_process_writes_leaves_no_open_transaction() {
        use sqlx::Connection as _;
        let (store, dir) = store("cancelled").await;
        let mut other =
            sqlx::AnyConnection::connect(&format!("sqlite://{}", dir.join("batch.db").display())).await.unwrap();
        sqlx::query("BEGIN IMMEDIATE").execute(&mut other).await.unwrap();
        let waiting = tokio::spawn({
            let store = store.clone();
            async move { store.write_tx().await.map(drop) }
        });
        // The turn has taken a connection: it is inside BEGIN IMMEDIATE, on the busy timeout.
        while store.pool.num_idle() as u32 == store.pool.size() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        waiting.abort();
        assert!(waiting.await.is_err(), "cancelled while waiting");
        sqlx::query("COMMIT").execute(&mut other).await.unwrap();
        // The cancelled turn's statement ends once the lock is free; its connection then leaves it.
        while (store.pool.num_idle() as u32) < store.pool.size() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }

        sqlx::query("PRAGMA busy_timeout = 3000").execute(&mut other).await.unwrap();
        let again = sqlx::query("BEGIN IMMEDIATE").execute(&mut other).await;
        assert!(again.is_ok(), "the other process could not write again: {again:?}");
        sqlx::query("COMMIT").execute(&mut other).await.unwrap();
        let mut turn = store.write_tx().await.unwrap();
        put(&mut turn, "after").await;
        turn.commit().await.unwrap();
        assert_eq!(committed(&store, &["after"]).await, ["after"]);
        drop(store);
        std::fs::remove_dir_all(dir).ok();
    }

    /// A write waits for this process's writer at most its deadline, then is unavailable.
    #[tokio::test]
    async fn a_turn_waits_for_the_writer_at_most_its_deadline() {
        let (mut store, dir) = store("deadline").await;
        store.group_commit.wait = Duration::from_millis(200);
        let held = store.write_tx().await.unwrap();
        let waited = store.write_tx().await;
        assert!(matches!(waited, Err(crate::AuthError::Unavailable(_))), "{:?}", waited.is_ok());
        held.commit().await.unwrap();
        drop(store);
        std::fs::remove_dir_all(dir).ok();
    }

    /// A commit that fails fails every turn of its batch, and nothing of it is written; the next
    /// turn starts a new batch.
    #[tokio::test]
    async fn a_failed_commit_fails_every_turn_and_writes_nothing() {
        let (store, dir) = store("failed").await;
        let first = committing(&store, "first").await;
        let mut second = store.write_tx().await.unwrap();
        // A foreign key checked only at COMMIT: the commit itself fails.
        sqlx::query("PRAGMA defer_foreign_keys = ON").execute(second.conn()).await.unwrap();
        sqlx::query(
            "INSERT INTO lanyard_refresh_tokens (hash, session_id, issued_at) VALUES ('h', 'no such session', 0)",
        )
        .execute(second.conn())
        .await
        .unwrap();
        let second = second.commit().await;
        let first = first.await.unwrap();
        assert!(matches!(second, Err(crate::AuthError::Unavailable(_))), "{second:?}");
        assert!(matches!(first, Err(crate::AuthError::Unavailable(_))), "{first:?}");
        assert!(committed(&store, &["first"]).await.is_empty());
        let mut next = store.write_tx().await.unwrap();
        put(&mut next, "next").await;
        next.commit().await.unwrap();
        assert_eq!(committed(&store, &["first", "next"]).await, ["next"]);
        drop(store);
        std::fs::remove_dir_all(dir).ok();
    }
}
