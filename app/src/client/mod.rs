//! The browser side of sessions (hydrate build only): the in-memory token, the call wrapper with its
//! never-logout rules, and restore / sign-in / sign-out.

pub mod http;
pub mod session;
pub mod storage;
pub mod tokens;
