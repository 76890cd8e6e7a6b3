//! The session engine (server only): tokens, sessions, the guard and the audit trail.
//!
//! [`Engine`] is the one object the API talks to; the API layer only reads requests and maps
//! [`AuthError`] to answers. Everything else here is private: what the API and the server need is
//! re-exported below, and the HTTP tests' extra reach lives in `testing` behind `test-hooks`.

#![deny(missing_docs)]

mod accounts;
mod admin;
mod audit;
mod clock;
mod ending;
mod error;
mod guard;
mod hooks;
mod input;
mod instance;
mod live;
mod metrics;
mod passwords;
mod policy;
mod sessions;
mod step_up;
mod store;
#[cfg(feature = "test-hooks")]
pub mod testing;
mod throttle;
mod tokens;

pub use accounts::{DEFAULT_ACCOUNT, DemoAccount};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{AuthError, AuthResult, OperatorError, StartError};
pub use guard::{Admin, PlanCheck, Principal};
pub use instance::{Engine, Readiness};
pub use policy::{Policy, RequestMeta};
pub use sessions::{Issued, SignedOutCookie};
pub use store::accounts::AccountChange;
pub use tokens::{Keys, MAX_PREVIOUS_SECRETS, SigningSecrets};
