//! The in-process view of session, user and account state, so an authenticated call needs no
//! database round trip, kept current on every write here and on every change another process makes.
//!
//! Every write that can change a guard verdict publishes a [`Change`] in the same transaction. On
//! SQLite the other processes poll the `changes` table (its ids commit in order, since SQLite has one
//! writer); on PostgreSQL a NOTIFY carries the change and is delivered on commit. A listener that
//! reconnects may have missed notifications, so it forgets the whole view.

use super::error::AuthResult;
use super::store::{Dialect, SessionState, Store, Tx};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// The NOTIFY channel of changes on PostgreSQL.
pub const CHANNEL: &str = "lanyard_changes";

/// Entries kept at most; past that the view starts over (it is a cache: misses reload).
const MAX_ENTRIES: usize = 200_000;

/// How often a SQLite instance looks for other processes' changes (SPEC §6: ~250 ms).
const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// What changed, named by the id it concerns; the view forgets every entry it touches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Session(String),
    User(String),
    Account(String),
}

impl Change {
    fn parts(&self) -> (&'static str, &str) {
        match self {
            Self::Session(id) => ("session", id),
            Self::User(id) => ("user", id),
            Self::Account(id) => ("account", id),
        }
    }

    fn parse(kind: &str, subject: &str) -> Option<Self> {
        let subject = subject.to_owned();
        match kind {
            "session" => Some(Self::Session(subject)),
            "user" => Some(Self::User(subject)),
            "account" => Some(Self::Account(subject)),
            _ => None,
        }
    }

    /// Records the change in `tx`; other processes learn of it once `tx` commits.
    pub async fn publish(&self, tx: &mut Tx, store: &Store, now: i64) -> AuthResult<()> {
        let (kind, subject) = self.parts();
        sqlx::query("INSERT INTO changes (at, kind, subject) VALUES ($1, $2, $3)")
            .bind(now)
            .bind(kind)
            .bind(subject)
            .execute(tx.conn())
            .await?;
        if store.dialect == Dialect::Postgres {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(format!("{kind}:{subject}"))
                .execute(tx.conn())
                .await?;
        }
        Ok(())
    }
}

/// A cached session with the activity facts that are written to the database at most once a minute.
pub struct Entry {
    pub state: SessionState,
    /// The newest known moment of user activity (Unix seconds).
    pub last_active: AtomicI64,
    /// The `last_active_at` value the database holds.
    pub last_active_stored: AtomicI64,
}

#[derive(Default)]
pub struct LiveView {
    sessions: RwLock<HashMap<String, Arc<Entry>>>,
}

impl LiveView {
    pub fn get(&self, session_id: &str) -> Option<Arc<Entry>> {
        self.sessions.read().expect("live view lock").get(session_id).cloned()
    }

    pub fn insert(&self, state: SessionState) -> Arc<Entry> {
        let entry = Arc::new(Entry {
            last_active: AtomicI64::new(state.last_active_at),
            last_active_stored: AtomicI64::new(state.last_active_at),
            state,
        });
        let mut sessions = self.sessions.write().expect("live view lock");
        if sessions.len() >= MAX_ENTRIES {
            sessions.clear();
        }
        sessions.insert(entry.state.session_id.clone(), entry.clone());
        entry
    }

    /// Forgets every entry the change concerns; the next call reloads them.
    pub fn apply(&self, change: &Change) {
        let mut sessions = self.sessions.write().expect("live view lock");
        match change {
            Change::Session(id) => {
                sessions.remove(id);
            }
            Change::User(id) => sessions.retain(|_, e| e.state.session_user_id != *id),
            Change::Account(id) => sessions.retain(|_, e| {
                e.state.account_id.as_deref() != Some(id) && e.state.session_account_id.as_deref() != Some(id)
            }),
        }
    }

    pub fn clear(&self) {
        self.sessions.write().expect("live view lock").clear();
    }

    pub fn len(&self) -> usize {
        self.sessions.read().expect("live view lock").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Entry {
    /// Records activity at `at`; returns true when the database should be told (once a minute).
    pub fn touch(&self, at: i64) -> bool {
        self.last_active.fetch_max(at, Ordering::Relaxed);
        let stored = self.last_active_stored.load(Ordering::Relaxed);
        at - stored >= 60
            && self.last_active_stored.compare_exchange(stored, at, Ordering::Relaxed, Ordering::Relaxed).is_ok()
    }

    pub fn last_active(&self) -> i64 {
        self.last_active.load(Ordering::Relaxed)
    }
}

impl LiveView {
    /// Follows other processes' changes until the process ends.
    pub async fn follow(&self, store: &Store) {
        match store.dialect {
            Dialect::Sqlite => self.poll_changes(store).await,
            Dialect::Postgres => self.listen_for_changes(store).await,
        }
    }

    async fn poll_changes(&self, store: &Store) {
        let mut last_seen = loop {
            match store.latest_change_id().await {
                Ok(id) => break id,
                Err(error) => {
                    tracing::warn!("reading the change sequence: {error}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        };
        loop {
            tokio::time::sleep(POLL_INTERVAL).await;
            match store.changes_after(last_seen).await {
                Ok(changes) => {
                    for (id, kind, subject) in changes {
                        last_seen = last_seen.max(id);
                        if let Some(change) = Change::parse(&kind, &subject) {
                            self.apply(&change);
                        }
                    }
                }
                Err(error) => tracing::warn!("polling changes: {error}"),
            }
        }
    }

    async fn listen_for_changes(&self, store: &Store) {
        loop {
            let listener = async {
                let mut listener = sqlx::postgres::PgListener::connect(&store.url).await?;
                listener.listen(CHANNEL).await?;
                Ok::<_, sqlx::Error>(listener)
            };
            let mut listener = match listener.await {
                Ok(listener) => listener,
                Err(error) => {
                    tracing::warn!("listening for changes: {error}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            // Anything may have changed while no one was listening.
            self.clear();
            loop {
                match listener.try_recv().await {
                    Ok(Some(notification)) => {
                        let change = notification.payload().split_once(':').and_then(|(k, s)| Change::parse(k, s));
                        match change {
                            Some(change) => self.apply(&change),
                            None => self.clear(),
                        }
                    }
                    // The connection dropped: notifications may be lost, so forget everything; the
                    // next `try_recv` reconnects.
                    Ok(None) => self.clear(),
                    Err(error) => {
                        tracing::warn!("change listener failed: {error}");
                        self.clear();
                        break;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(session: &str, user: &str, account: &str) -> SessionState {
        SessionState {
            session_id: session.into(),
            session_user_id: user.into(),
            session_account_id: Some(account.into()),
            created_at: 0,
            expires_at: 100,
            last_active_at: 0,
            refresh_count: 0,
            ended_at: None,
            end_reason: None,
            user_id: Some(user.into()),
            email: Some("e".into()),
            role: Some("owner".into()),
            user_account_id: Some(account.into()),
            account_id: Some(account.into()),
            account_name: Some("n".into()),
            account_status: Some("active".into()),
            account_plan: Some("active".into()),
        }
    }

    #[test]
    fn changes_forget_exactly_the_entries_they_concern() {
        let view = LiveView::default();
        view.insert(state("s1", "u1", "a1"));
        view.insert(state("s2", "u1", "a1"));
        view.insert(state("s3", "u2", "a2"));

        view.apply(&Change::Session("s1".into()));
        assert!(view.get("s1").is_none() && view.get("s2").is_some());
        view.apply(&Change::User("u1".into()));
        assert!(view.get("s2").is_none() && view.get("s3").is_some());
        view.apply(&Change::Account("a2".into()));
        assert!(view.is_empty());
    }

    #[test]
    fn activity_is_written_at_most_once_a_minute() {
        let entry = LiveView::default().insert(state("s1", "u1", "a1"));
        assert!(!entry.touch(30));
        assert!(entry.touch(61));
        assert!(!entry.touch(100));
        assert!(entry.touch(121));
        assert_eq!(entry.last_active(), 121);
    }
}
