//! The access token, held in WASM memory only (never in storage), with the user it belongs to and
//! the offset between the server's clock and this browser's.

use crate::contract::TokenInfo;
use std::cell::RefCell;

thread_local! {
    static CURRENT: RefCell<Option<Held>> = const { RefCell::new(None) };
}

/// The token answer, the id of the user it was issued to, and when this tab got it.
#[derive(Clone, Debug)]
pub struct Held {
    pub token: TokenInfo,
    pub user_id: String,
    /// Server clock minus browser clock, in seconds: countdowns use the server's clock.
    pub clock_offset: f64,
    /// Server time of this token's refresh (or sign-in).
    pub received_at: i64,
}

/// The browser's clock in Unix seconds.
pub fn browser_now() -> f64 {
    js_sys::Date::now() / 1_000.0
}

pub fn set(token: TokenInfo, user_id: String) {
    let clock_offset = token.server_time as f64 - browser_now();
    let received_at = token.server_time;
    CURRENT.with(|current| *current.borrow_mut() = Some(Held { token, user_id, clock_offset, received_at }));
}

pub fn clear() {
    CURRENT.with(|current| *current.borrow_mut() = None);
}

pub fn get() -> Option<Held> {
    CURRENT.with(|current| current.borrow().clone())
}

pub fn access_token() -> Option<String> {
    CURRENT.with(|current| current.borrow().as_ref().map(|held| held.token.access_token.clone()))
}

/// Now on the server's clock (the browser's when signed out).
pub fn server_now() -> f64 {
    browser_now() + get().map_or(0.0, |held| held.clock_offset)
}
