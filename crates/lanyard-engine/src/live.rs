//! The in-process view of session, user and account state, so an authenticated call needs no
//! database round trip, kept current on every write here and on every change another process makes.
//!
//! Every write that can change a guard verdict publishes a [`Change`] in the same transaction, on the
//! store's change feed; a gap in the feed (its start, or more missing ids than it waits for)
//! forgets the whole view. Two more rules keep a stale entry from outliving what it mirrors: a row
//! read while a change was applied is not kept (the generation check of [`LiveView::keep`]), and
//! every entry is read again after [`ENTRY_TTL`] seconds, whatever the feed says.

use super::directory::AccountStanding;
use super::error::AuthResult;
use super::store::feed::FeedEvent;
use super::store::sessions::SessionState;
use super::store::{Store, Tx};
use std::collections::HashSet;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// Entries kept at most; past that the view starts over (it is a cache: misses reload).
const MAX_ENTRIES: usize = 200_000;

/// Seconds an entry is trusted without the database: the bound on staleness should the change feed
/// ever miss a change.
pub const ENTRY_TTL: i64 = 10;

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
        store.publish_change(tx, kind, subject, now).await
    }
}

/// A cached session with the activity facts that are written to the database at most once a minute.
pub struct Entry {
    pub state: SessionState,
    /// The standing of the user's account when the row was read; `None` when it has none.
    pub account: Option<AccountStanding>,
    /// When the row was read (Unix seconds).
    loaded_at: i64,
    /// The newest known moment of user activity (Unix seconds).
    pub last_active: AtomicI64,
    /// The `last_active_at` value the database holds.
    pub last_active_stored: AtomicI64,
}

/// An entry in the view's set, found by its session id: the id is not kept a second time as a key
/// (at 100,000 sessions that copy was 7 MB).
struct ById(Arc<Entry>);

impl std::borrow::Borrow<str> for ById {
    fn borrow(&self) -> &str {
        &self.0.state.session_id
    }
}

impl PartialEq for ById {
    fn eq(&self, other: &Self) -> bool {
        self.0.state.session_id == other.0.state.session_id
    }
}

impl Eq for ById {}

impl std::hash::Hash for ById {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.state.session_id.as_str().hash(state);
    }
}

#[derive(Default)]
pub struct LiveView {
    sessions: RwLock<HashSet<ById>>,
    /// Counts the changes applied, so a row read before one of them is not kept after it.
    generation: AtomicU64,
    /// When the feed last read everything committed (monotonic time, not the engine's clock).
    caught_up_at: Mutex<Option<Instant>>,
}

/// How long the feed may go without catching up before this instance counts as not following: many
/// poll intervals (250 ms on SQLite, 1 s on PostgreSQL), so one slow read is no alarm.
const FOLLOWING_WITHIN: Duration = Duration::from_secs(10);

impl LiveView {
    /// The entry of a session, if it was read less than [`ENTRY_TTL`] seconds before `now`.
    pub fn get(&self, session_id: &str, now: i64) -> Option<Arc<Entry>> {
        let sessions = self.sessions.read().expect("live view lock");
        sessions.get(session_id).map(|e| &e.0).filter(|e| now - e.loaded_at < ENTRY_TTL).cloned()
    }

    /// The newest activity known of a session, however old its entry.
    pub fn last_active_of(&self, session_id: &str) -> Option<i64> {
        self.sessions.read().expect("live view lock").get(session_id).map(|e| e.0.last_active())
    }

    /// The generation to pass to [`LiveView::keep`]: read it before reading the row.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Makes an entry of a row read at `now`, keeping the activity an earlier entry of it knew, and
    /// keeps it in the view unless a change was applied since `generation` (then the row may predate
    /// that change, and the entry serves only the call that read it). Returns the entry and whether
    /// it was kept.
    pub fn keep(
        &self,
        state: SessionState,
        account: Option<AccountStanding>,
        generation: u64,
        now: i64,
    ) -> (Arc<Entry>, bool) {
        let mut sessions = self.sessions.write().expect("live view lock");
        let known = sessions.get(state.session_id.as_str()).map_or(state.last_active_at, |e| e.0.last_active());
        let entry = Arc::new(Entry {
            loaded_at: now,
            last_active: AtomicI64::new(known.max(state.last_active_at)),
            last_active_stored: AtomicI64::new(state.last_active_at),
            state,
            account,
        });
        let current = self.generation.load(Ordering::Acquire) == generation;
        if current {
            if sessions.len() >= MAX_ENTRIES {
                sessions.clear();
            }
            sessions.replace(ById(entry.clone()));
        }
        (entry, current)
    }

    /// Forgets every entry the change concerns; the next call reloads them.
    pub fn apply(&self, change: &Change) {
        let mut sessions = self.sessions.write().expect("live view lock");
        self.generation.fetch_add(1, Ordering::AcqRel);
        match change {
            Change::Session(id) => {
                sessions.remove(id.as_str());
            }
            Change::User(id) => sessions.retain(|e| e.0.state.session_user_id != *id),
            Change::Account(id) => sessions.retain(|ById(e)| {
                e.state.account_id.as_deref() != Some(id) && e.state.session_account_id.as_deref() != Some(id)
            }),
        }
    }

    pub fn clear(&self) {
        let mut sessions = self.sessions.write().expect("live view lock");
        self.generation.fetch_add(1, Ordering::AcqRel);
        sessions.clear();
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
    /// Follows other processes' changes until the future is dropped.
    pub async fn follow(&self, store: &Store) {
        store
            .follow_changes(|event| match event {
                FeedEvent::Change { kind, subject } => match Change::parse(&kind, &subject) {
                    Some(change) => self.apply(&change),
                    None => self.clear(),
                },
                FeedEvent::Gap => self.clear(),
                FeedEvent::CaughtUp => *self.caught_up_at.lock().unwrap() = Some(Instant::now()),
            })
            .await;
    }

    /// Whether the feed caught up lately: endings other instances record reach this one.
    pub fn is_following(&self) -> bool {
        self.caught_up_at.lock().unwrap().is_some_and(|at| at.elapsed() < FOLLOWING_WITHIN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lanyard_contract::Role;

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
            email: Some("e".into()),
            role: Some(Role::Owner),
            account_id: Some(account.into()),
        }
    }

    fn insert(view: &LiveView, state: SessionState) -> Arc<Entry> {
        view.keep(state, None, view.generation(), 0).0
    }

    #[test]
    fn changes_forget_exactly_the_entries_they_concern() {
        let view = LiveView::default();
        insert(&view, state("s1", "u1", "a1"));
        insert(&view, state("s2", "u1", "a1"));
        insert(&view, state("s3", "u2", "a2"));

        view.apply(&Change::Session("s1".into()));
        assert!(view.get("s1", 0).is_none() && view.get("s2", 0).is_some());
        view.apply(&Change::User("u1".into()));
        assert!(view.get("s2", 0).is_none() && view.get("s3", 0).is_some());
        view.apply(&Change::Account("a2".into()));
        assert!(view.sessions.read().unwrap().is_empty());
    }

    #[test]
    fn a_row_read_before_a_change_is_not_kept_after_it() {
        let view = LiveView::default();
        let before = view.generation();
        view.apply(&Change::Session("s1".into()));
        let (entry, kept) = view.keep(state("s1", "u1", "a1"), None, before, 0);
        assert!(!kept, "the row may predate the change");
        assert_eq!(entry.state.session_id, "s1", "it still serves the call that read it");
        assert!(view.get("s1", 0).is_none());
        assert!(view.keep(state("s1", "u1", "a1"), None, view.generation(), 0).1);
    }

    #[test]
    fn entries_are_read_again_after_their_ttl_keeping_activity() {
        let view = LiveView::default();
        let entry = insert(&view, state("s1", "u1", "a1"));
        entry.touch(5);
        assert!(view.get("s1", ENTRY_TTL - 1).is_some());
        assert!(view.get("s1", ENTRY_TTL).is_none(), "stale: the caller reads the row again");
        let (reloaded, _) = view.keep(state("s1", "u1", "a1"), None, view.generation(), ENTRY_TTL);
        assert_eq!(reloaded.last_active(), 5, "activity not yet written survives the reload");
    }

    #[test]
    fn activity_is_written_at_most_once_a_minute() {
        let entry = insert(&LiveView::default(), state("s1", "u1", "a1"));
        assert!(!entry.touch(30));
        assert!(entry.touch(61));
        assert!(!entry.touch(100));
        assert!(entry.touch(121));
        assert_eq!(entry.last_active(), 121);
    }
}
