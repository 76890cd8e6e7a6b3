//! The session engine (server only): tokens, sessions, the guard and the audit trail.
//!
//! `Engine` is the one object the API talks to. It owns the store, the clock, the policy and the keys;
//! the API layer only reads requests and maps `AuthError` to answers.

pub mod accounts;
pub mod audit;
pub mod clock;
pub mod error;
pub mod guard;
pub mod jobs;
pub mod live;
pub mod passwords;
pub mod sessions;
pub mod store;
pub mod throttle;
pub mod tokens;

use clock::Clock;
pub use error::{AuthError, AuthResult};
use jobs::Jobs;
use live::LiveView;
use passwords::Passwords;
use std::sync::Arc;
use store::Store;
use throttle::Throttle;
use tokens::Keys;

/// Lifetimes and limits (SPEC §1, §7); every value in seconds.
#[derive(Debug, Clone)]
pub struct Policy {
    pub access_ttl: i64,
    pub session_ttl: i64,
    pub remember_ttl: i64,
    /// How long after its first use a successor may still be handed out again (SPEC §1).
    pub refresh_grace: i64,
    /// 0 turns the idle timeout off.
    pub idle_timeout: i64,
    /// Tolerance for clock skew when checking `exp` and `iat`.
    pub leeway: i64,
    /// Whether the refresh cookie is `Secure` (every address but loopback).
    pub cookie_secure: bool,
    /// Failed sign-ins allowed per email and IP, and per IP, within `login_window`.
    pub login_max_failures: usize,
    pub login_max_failures_per_ip: usize,
    pub login_window: i64,
    /// Proxies whose `X-Forwarded-For` names the client; empty: the peer address is the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            access_ttl: 3_600,
            session_ttl: 7 * 86_400,
            remember_ttl: 20 * 86_400,
            refresh_grace: 10,
            idle_timeout: 0,
            leeway: 30,
            cookie_secure: true,
            login_max_failures: 5,
            login_max_failures_per_ip: 50,
            login_window: 900,
            trusted_proxies: Vec::new(),
        }
    }
}

/// What the API knows about the request an engine call serves; used for the audit trail and the
/// `logout_path` of error bodies. Never holds a secret.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The page the call came from (`X-Page-Path`, else the Referer's path), never `/signin`.
    pub page_path: String,
    /// Seconds since the user's last activity in any tab (`X-User-Idle`).
    pub idle_secs: Option<i64>,
}

/// Client logout events accepted per IP and minute.
const CLIENT_EVENTS_PER_MINUTE: usize = 60;

impl RequestMeta {
    /// Work that no request asked for: the operator CLI and the hourly sweep.
    pub fn background() -> Self {
        Self { page_path: "-".into(), ..Self::default() }
    }
}

pub struct Engine {
    pub store: Store,
    /// Session, user and account state kept in memory (see `live`).
    pub live: LiveView,
    pub policy: Policy,
    pub passwords: Passwords,
    pub jobs: Jobs,
    /// Failed sign-ins per email+IP and per IP; client logout events per IP.
    login_failures: Throttle,
    login_failures_per_ip: Throttle,
    client_events: Throttle,
    clock: Arc<dyn Clock>,
    keys: Keys,
}

impl Engine {
    /// Builds the engine on a migrated store. Without an explicit secret, the instance secret is read
    /// from `settings` (created on first start), so instances and restarts share it.
    pub async fn new(store: Store, clock: Arc<dyn Clock>, policy: Policy, secret: Option<String>) -> AuthResult<Self> {
        let secret = match secret {
            Some(secret) => secret,
            None => store.setting_or_insert("secret", &tokens::new_secret()).await?,
        };
        let hashing_threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(Self {
            store,
            live: LiveView::default(),
            passwords: Passwords::new(hashing_threads),
            jobs: Jobs::default(),
            login_failures: Throttle::new(policy.login_max_failures, policy.login_window),
            login_failures_per_ip: Throttle::new(policy.login_max_failures_per_ip, policy.login_window),
            client_events: Throttle::new(CLIENT_EVENTS_PER_MINUTE, 60),
            clock,
            keys: Keys::derive(&secret),
            policy,
        })
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }
}

impl Engine {
    /// Every hour: record the endings of sessions whose lifetime ran out, and prune history older
    /// than 90 days (and the change sequence older than a day).
    pub async fn keep_house(self: Arc<Self>) {
        const HOUR: std::time::Duration = std::time::Duration::from_secs(3_600);
        const KEPT_DAYS: i64 = 90;
        loop {
            match self.sweep_expired().await {
                Ok(0) => {}
                Ok(n) => tracing::info!("recorded {n} expired sessions"),
                Err(error) => tracing::warn!("sweeping expired sessions: {error}"),
            }
            let now = self.now();
            if let Err(error) = self.store.prune(now - KEPT_DAYS * 86_400, now - 86_400).await {
                tracing::warn!("pruning history: {error}");
            }
            tokio::time::sleep(HOUR).await;
        }
    }
}
