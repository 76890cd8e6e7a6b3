//! Browser storage keys (SPEC §4): the non-secret session hint, the device id, and the logout
//! reasons the sign-in banner shows.

use crate::contract::LogoutEvent;
use crate::session::context::{Held, new_uuid};
use crate::session::ending::SessionIds;
use gloo_storage::{LocalStorage, SessionStorage, Storage};
use serde::{Deserialize, Serialize};

/// localStorage key of the non-secret hint that a session exists.
pub const SESSION_HINT: &str = "lanyard_session";
/// localStorage key of this browser's device id, sent at sign-in so the sessions page can tell
/// devices apart.
pub const DEVICE_ID: &str = "lanyard_device_id";
/// localStorage (the tab where it happened) or sessionStorage (other tabs): the last logout's
/// reason, for the next visit to /signin.
pub const LOGOUT_REASON: &str = "logout_reason";
/// localStorage: every logout, newest first.
pub const LOGOUT_HISTORY: &str = "logout_history";
const HISTORY_KEPT: usize = 50;
/// localStorage: a sign-out the server has not confirmed yet, with the session it is for, so a
/// reload finishes it instead of restoring the session the user asked to end, and never ends
/// another (SPEC §4 "A pending sign-out is for its own session").
pub const SIGNING_OUT: &str = "lanyard_signing_out";

#[derive(Serialize, Deserialize)]
struct PendingSignOut {
    session_id: String,
}

/// localStorage: the new-device sign-ins this browser's user has dismissed or ended (session ids),
/// so the notice does not come back in another tab or after a reload.
pub const SEEN_SIGN_INS: &str = "lanyard_seen_sign_ins";
const SEEN_KEPT: usize = 100;

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

/// The session the hint names, and its user.
pub fn hinted_session() -> Option<SessionIds> {
    hint().map(|hint| SessionIds { session_id: hint.session_id, user_id: hint.user_id })
}

/// Clears the hint if it names `session_id`, or whatever it names for `None`: a hint another tab
/// saved for another session (a second user signed in in this browser) stays.
pub fn clear_hint_of(session_id: Option<&str>) {
    if session_id.is_none_or(|ended| hint().is_none_or(|hint| hint.session_id == ended)) {
        LocalStorage::delete(SESSION_HINT);
    }
}

/// Remembers a sign-out of `session_id` that the server has not confirmed yet.
pub fn remember_sign_out(session_id: &str) {
    let _ = LocalStorage::set(SIGNING_OUT, PendingSignOut { session_id: session_id.to_owned() });
}

/// The session of a sign-out the server has not confirmed yet, if any.
pub fn pending_sign_out() -> Option<String> {
    LocalStorage::get::<PendingSignOut>(SIGNING_OUT).ok().map(|pending| pending.session_id)
}

/// Forgets the pending sign-out: it was confirmed, or a new sign-in made it moot.
pub fn drop_sign_out() {
    LocalStorage::delete(SIGNING_OUT);
}

pub fn device_id() -> String {
    LocalStorage::get(DEVICE_ID).unwrap_or_else(|_| {
        let id = new_uuid();
        let _ = LocalStorage::set(DEVICE_ID, &id);
        id
    })
}

/// Keeps the reason of a logout that happened in this tab, and prepends it to the history.
pub fn record_logout(event: &LogoutEvent) {
    let _ = LocalStorage::set(LOGOUT_REASON, event);
    let mut history = history();
    history.insert(0, event.clone());
    history.truncate(HISTORY_KEPT);
    let _ = LocalStorage::set(LOGOUT_HISTORY, &history);
}

/// Keeps another tab's logout for this tab's own banner.
pub fn keep_reason_for_this_tab(event: &LogoutEvent) {
    let _ = SessionStorage::set(LOGOUT_REASON, event);
}

/// The logout history, newest first.
pub fn history() -> Vec<LogoutEvent> {
    LocalStorage::get(LOGOUT_HISTORY).unwrap_or_default()
}

/// Takes the reason this tab should show: its own (sessionStorage) first, else the browser's last
/// (localStorage), and clears the one it took.
pub fn take_reason() -> Option<LogoutEvent> {
    match SessionStorage::get(LOGOUT_REASON) {
        Ok(event) => {
            SessionStorage::delete(LOGOUT_REASON);
            Some(event)
        }
        Err(_) => {
            let event = LocalStorage::get(LOGOUT_REASON).ok()?;
            LocalStorage::delete(LOGOUT_REASON);
            Some(event)
        }
    }
}

pub fn seen_sign_ins() -> Vec<String> {
    LocalStorage::get(SEEN_SIGN_INS).unwrap_or_default()
}

pub fn see_sign_in(session_id: &str) {
    let mut seen = seen_sign_ins();
    if !seen.iter().any(|id| id == session_id) {
        seen.insert(0, session_id.to_owned());
        seen.truncate(SEEN_KEPT);
        let _ = LocalStorage::set(SEEN_SIGN_INS, &seen);
    }
}
