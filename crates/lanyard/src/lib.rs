//! lanyard for Leptos and axum: sessions that never end by accident, and that say why when they
//! end.
//!
//! Compiled twice: with `ssr` inside the server (the server functions' bodies and SSR, over the
//! engine) and with `hydrate` as WASM (the session client, its transport, the pages' hydration).
//! `api` holds the server functions of SPEC §3, `session` the browser client and the face the
//! pages use, `ui` the pages and components an app places in its routes.
//!
//! The wire contract and the engine are crates of their own (`lanyard-contract`,
//! `lanyard-engine`), re-exported here as `contract` (with `credentials` and `paths`) and
//! `engine`.

#![deny(missing_docs)]

pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
pub mod session;
pub mod ui;

pub use lanyard_contract as contract;
pub use lanyard_contract::{credentials, paths};
#[cfg(feature = "ssr")]
pub use lanyard_engine as engine;
