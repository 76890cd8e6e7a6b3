//! The engine itself: the one object the API talks to. It owns the store, the clock, the policy and
//! the keys; its methods live beside the rules they serve (`sessions`, `guard`, `ending`, `accounts`,
//! `audit`), and this file holds what they all share.

use super::clock::Clock;
use super::directory::{Accounts, TableAccounts};
use super::error::{AuthResult, StartError};
use super::hooks::Hooks;
use super::live::LiveView;
use super::mailer::{MailSettings, Mailer};
use super::metrics::Metrics;
use super::passwords::Passwords;
use super::policy::Policy;
use super::store::Store;
use super::store::prune::PruneBefore;
use super::throttle::{RefusedAddresses, Throttle};
use super::tokens::{self, Keys, SigningSecrets};
use lanyard_contract::Secret;
use std::sync::Arc;

/// Where links point until the app says otherwise (`Engine::with_mail`).
const DEFAULT_PUBLIC_URL: &str = "http://localhost:3000";

/// Client logout events accepted per address and minute, and per address and day: the intake needs
/// no authentication, so what one address can make lanyard store is bounded (a browser sends one
/// per logout).
const CLIENT_EVENTS_PER_MINUTE: usize = 60;
const CLIENT_EVENTS_PER_DAY: usize = 500;

/// Traces of refreshes that rotated nothing, per session (or address) and minute.
const REFRESH_TRACES_PER_MINUTE: usize = 10;

/// The session engine: the one object the API talks to, shared behind an `Arc` by every request and
/// by the background work ([`Engine::follow_changes`], [`Engine::keep_house`]).
pub struct Engine {
    pub(super) store: Store,
    /// Where accounts live and how they stand: lanyard's table unless the app gave its own.
    pub(super) accounts: Arc<dyn Accounts>,
    /// Session, user and account state kept in memory (see `live`).
    pub(super) live: LiveView,
    pub(super) policy: Policy,
    pub(super) passwords: Passwords,
    /// Addresses the shared throttles refused lately (see `attempts`).
    pub(super) refused_addresses: RefusedAddresses,
    /// Client logout events per IP.
    pub(super) client_events: Throttle,
    pub(super) client_events_per_day: Throttle,
    /// Traces of refreshes that rotated nothing, per session or address.
    pub(super) refresh_traces: Throttle,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) keys: Keys,
    /// Steps a test can hold or fail (no-ops without `test-hooks`).
    pub(super) hooks: Hooks,
    pub(super) metrics: Metrics,
    /// How mail leaves, and the signal that wakes its delivery.
    pub(super) mail: Mailer,
}

/// What `GET /readyz` reports: whether this instance can serve sign-ins and refreshes, and whether
/// it follows the endings other instances record (without that, a revoked session could pass here).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Readiness {
    /// Whether the database answered just now.
    pub database: bool,
    /// Whether the change feed was read lately: without it, an ending recorded by another instance
    /// could go unseen here.
    pub following_changes: bool,
}

impl Readiness {
    /// Whether `GET /readyz` answers 200: only when both hold.
    pub fn ready(self) -> bool {
        self.database && self.following_changes
    }
}

impl Engine {
    /// Connects to the database at `url` (creating a SQLite file, migrating either) and builds the
    /// engine on it. Second-factor secrets sealed under an earlier signing secret are re-sealed
    /// under the current one; one that no secret given opens stops the start.
    pub async fn connect(
        url: &str,
        clock: Arc<dyn Clock>,
        policy: Policy,
        secrets: SigningSecrets,
    ) -> Result<Self, StartError> {
        let engine =
            Self::new(Store::connect(url).await?, clock, policy, secrets).await.map_err(StartError::Settings)?;
        let resealed = engine.reseal_factor_secrets().await?;
        if resealed > 0 {
            tracing::info!("re-sealed {resealed} authenticator app secrets under the current key");
        }
        Ok(engine)
    }

    /// Builds the engine on a migrated store. Without a configured secret, the instance secret is
    /// read from `lanyard_settings` (created on first start), so instances and restarts share it.
    async fn new(store: Store, clock: Arc<dyn Clock>, policy: Policy, secrets: SigningSecrets) -> AuthResult<Self> {
        let secret: Secret = match secrets.current {
            Some(secret) => secret,
            None => store.setting_or_insert("secret", &tokens::new_secret()).await?.into(),
        };
        let previous: Vec<&str> = secrets.previous.iter().map(Secret::expose).collect();
        let hashing_threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(Self {
            accounts: Arc::new(TableAccounts { store: store.clone(), clock: clock.clone() }),
            store,
            live: LiveView::default(),
            passwords: Passwords::new(hashing_threads),
            refused_addresses: RefusedAddresses::default(),
            client_events: Throttle::new(CLIENT_EVENTS_PER_MINUTE, 60),
            client_events_per_day: Throttle::new(CLIENT_EVENTS_PER_DAY, 86_400),
            refresh_traces: Throttle::new(REFRESH_TRACES_PER_MINUTE, 60),
            clock,
            keys: Keys::with_previous(secret.expose(), &previous),
            hooks: Hooks::default(),
            metrics: Metrics::default(),
            mail: Mailer::new(MailSettings::outbox(DEFAULT_PUBLIC_URL)).expect("the default mail settings are valid"),
            policy,
        })
    }

    /// The lifetimes and limits this engine was built with; the API reads the cookie and proxy
    /// settings from it.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Now on the engine's clock (Unix seconds), from which every instant the engine writes is
    /// taken, so tests can move time.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Closes the database at shutdown, after the last request (see `Store::close`).
    pub async fn close(&self) -> AuthResult<()> {
        self.store.close().await
    }

    /// Whether the database answers now and the change feed was read lately.
    pub async fn readiness(&self) -> Readiness {
        Readiness { database: self.store.ping().await.is_ok(), following_changes: self.live.is_following() }
    }

    /// The operator's metrics in the Prometheus text format, with the live sessions counted now.
    pub async fn metrics_text(&self) -> AuthResult<String> {
        let live = self.store.count_live_sessions(self.now()).await?;
        Ok(self.metrics.render(live))
    }

    /// Follows other processes' changes until the process ends (see `live`).
    pub async fn follow_changes(self: Arc<Self>) {
        self.live.follow(&self.store).await;
    }
}

/// How long history (ended sessions, used tokens, audit events) is kept.
const KEPT_DAYS: i64 = 90;

impl Engine {
    /// Every hour: record the endings of sessions whose lifetime ran out, and prune old history.
    pub async fn keep_house(self: Arc<Self>) {
        const HOUR: std::time::Duration = std::time::Duration::from_secs(3_600);
        loop {
            match self.sweep_expired().await {
                Ok(0) => {}
                Ok(n) => tracing::info!("recorded {n} expired sessions"),
                Err(error) => tracing::warn!("sweeping expired sessions: {error}"),
            }
            match self.prune_history().await {
                Ok(0) => {}
                Ok(n) => tracing::info!("pruned {n} rows of old history"),
                Err(error) => tracing::warn!("pruning history: {error}"),
            }
            tokio::time::sleep(HOUR).await;
        }
    }

    /// Removes history older than 90 days, the change sequence older than a day and the throttles'
    /// attempts older than their window; returns the rows removed.
    pub async fn prune_history(&self) -> AuthResult<u64> {
        let now = self.now();
        let before = PruneBefore {
            history: now - KEPT_DAYS * 86_400,
            changes: now - 86_400,
            attempts: now - self.policy.login_window,
        };
        self.store.prune(before).await
    }
}
