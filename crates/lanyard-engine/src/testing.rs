//! What the HTTP tests reach beyond the engine's public face: the database beneath it, for
//! situations no call produces; the token keys, to forge tokens; and the hooks, to hold or fail a
//! call at a named step.

pub use super::hooks::{Gate, Hooks, Step};
use super::instance::Engine;
pub use super::store::TokenOrigin;
pub use super::tokens::{Claims, Forgery, Keys, hash_refresh_token, looks_like_refresh_token};
pub use super::totp::code_at;

impl Engine {
    /// The engine's own connection pool.
    pub fn database(&self) -> &sqlx::AnyPool {
        &self.store.pool
    }

    /// The steps where a test can hold or fail this engine's calls.
    pub fn hooks(&self) -> &Hooks {
        &self.hooks
    }

    /// How many changes the live view has applied: a test waits for it to move to know that this
    /// instance has learnt of a change made on another.
    pub fn changes_applied(&self) -> u64 {
        self.live.generation()
    }

    /// How many password hashes this engine has computed (a verification is one).
    pub fn hashes_computed(&self) -> u64 {
        self.passwords.computed()
    }

    /// Forgets the cached view, as after a hand edit of the database (which nothing announces).
    pub fn forget_cache(&self) {
        self.live.clear();
    }
}
