//! The Leptos side of lanyard and the demo product built on it.
//!
//! Compiled twice: with `ssr` inside the server (the server functions' bodies and SSR, over the
//! engine) and with `hydrate` as WASM (the session client + hydration). `demo` is the demo product
//! built on the rest; nothing else names it.
//!
//! The wire contract (`contract`, `credentials`, `paths`) and the engine are crates of their own,
//! `lanyard-contract` and `lanyard-engine`; they are re-exported here under their module names.

pub mod api;
pub mod demo;
pub mod session;
pub mod ui;

pub use lanyard_contract as contract;
pub use lanyard_contract::{credentials, paths};
#[cfg(feature = "ssr")]
pub use lanyard_engine as engine;
