//! lanyard: sessions that never end by accident, and that say why when they end.
//!
//! Compiled twice: with `ssr` inside the server (engine + API bodies + SSR) and with `hydrate` as
//! WASM (the session client + hydration). `contract`, `credentials` and `paths` are shared
//! unchanged by both. `demo` is the demo product built on the rest; nothing else names it.

pub mod api;
pub mod contract;
pub mod credentials;
pub mod demo;
pub mod paths;
pub mod session;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod engine;
