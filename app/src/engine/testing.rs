//! What the HTTP tests reach beyond the engine's public face: the database beneath it, for
//! situations no call produces, and the token keys, to forge tokens.

use super::instance::Engine;
pub use super::tokens::{Claims, Keys};

impl Engine {
    /// The engine's own connection pool.
    pub fn database(&self) -> &sqlx::AnyPool {
        &self.store.pool
    }

    /// Forgets the cached view, as after a hand edit of the database (which nothing announces).
    pub fn forget_cache(&self) {
        self.live.clear();
    }
}
