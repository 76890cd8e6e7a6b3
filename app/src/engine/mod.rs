//! The session engine (server only): tokens, sessions, the guard and the audit trail.
//!
//! [`Engine`] is the one object the API talks to; the API layer only reads requests and maps
//! [`AuthError`] to answers.

pub mod accounts;
pub mod audit;
pub mod clock;
pub mod ending;
pub mod error;
pub mod guard;
pub mod instance;
pub mod jobs;
pub mod live;
pub mod passwords;
pub mod policy;
pub mod sessions;
pub mod store;
pub mod throttle;
pub mod tokens;

pub use error::{AuthError, AuthResult};
pub use instance::Engine;
pub use policy::{Policy, RequestMeta};
