//! The access token, held in WASM memory only (never in storage), with the user it belongs to.

use crate::contract::TokenInfo;
use std::cell::RefCell;

thread_local! {
    static CURRENT: RefCell<Option<Held>> = const { RefCell::new(None) };
}

/// The token answer and the id of the user it was issued to.
#[derive(Clone, Debug)]
pub struct Held {
    pub token: TokenInfo,
    pub user_id: String,
}

pub fn set(token: TokenInfo, user_id: String) {
    CURRENT.with(|current| *current.borrow_mut() = Some(Held { token, user_id }));
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
