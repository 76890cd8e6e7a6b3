//! The session engine (server only): tokens, sessions, the guard and the audit trail.
//!
//! `Engine` is the one object the API talks to. It owns the store, the clock, the policy and the keys;
//! the API layer only reads requests and maps `AuthError` to answers.

pub mod accounts;
pub mod clock;
pub mod error;
pub mod guard;
pub mod passwords;
pub mod sessions;
pub mod store;
pub mod tokens;

use clock::Clock;
pub use error::{AuthError, AuthResult};
use passwords::Passwords;
use std::sync::Arc;
use store::Store;
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

pub struct Engine {
    pub store: Store,
    pub policy: Policy,
    pub passwords: Passwords,
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
        Ok(Self { store, policy, passwords: Passwords::new(hashing_threads), clock, keys: Keys::derive(&secret) })
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }
}
