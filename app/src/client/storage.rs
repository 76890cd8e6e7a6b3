//! Browser storage keys (SPEC §4) and the non-secret session hint.

use crate::client::tokens::Held;
use gloo_storage::{LocalStorage, Storage};
use serde::{Deserialize, Serialize};

/// localStorage key of the non-secret hint that a session exists.
pub const SESSION_HINT: &str = "lanyard_session";

/// Tells a reload that a session was live, without any secret: only ids and expiries.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SessionHint {
    pub session_id: String,
    pub user_id: String,
    pub access_expires_at: i64,
    pub session_expires_at: i64,
}

pub fn save_hint(held: &Held) {
    let hint = SessionHint {
        session_id: held.token.session_id.clone(),
        user_id: held.user_id.clone(),
        access_expires_at: held.token.access_expires_at,
        session_expires_at: held.token.refresh_expires_at,
    };
    // Storage can be full or disabled; the hint is a convenience, so failing to save it is harmless.
    let _ = LocalStorage::set(SESSION_HINT, hint);
}

pub fn hint() -> Option<SessionHint> {
    LocalStorage::get(SESSION_HINT).ok()
}

pub fn clear_hint() {
    LocalStorage::delete(SESSION_HINT);
}

/// localStorage key of this browser's device id, sent at sign-in so the sessions page can tell
/// devices apart.
pub const DEVICE_ID: &str = "lanyard_device_id";

pub fn device_id() -> String {
    LocalStorage::get(DEVICE_ID).unwrap_or_else(|_| {
        let id = crate::client::tabs::new_uuid();
        let _ = LocalStorage::set(DEVICE_ID, &id);
        id
    })
}
