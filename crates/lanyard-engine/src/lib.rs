//! The session engine (server only): tokens, sessions, the guard and the audit trail.
//!
//! [`Engine`] is the one object the API talks to; the API layer only reads requests and maps
//! [`AuthError`] to answers. Everything else here is private: what the API and the server need is
//! re-exported below, and the HTTP tests' extra reach lives in `testing` behind `test-hooks`.
//!
//! A session from sign-in to a call, on a SQLite file (created and migrated by `connect`):
//!
//! ```
//! use lanyard_contract::Role;
//! use lanyard_engine::{Engine, PlanCheck, Policy, RequestMeta, SigningSecrets, SystemClock};
//! use std::sync::Arc;
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let dir = std::env::temp_dir().join(format!("lanyard-doc-{}", std::process::id()));
//! let url = format!("sqlite://{}/lanyard.db", dir.display());
//! let engine = Engine::connect(&url, Arc::new(SystemClock), Policy::DEFAULT, SigningSecrets::default()).await?;
//! engine.create_user("ada@example.com", "a long password", Role::Owner, "acme").await?;
//!
//! let meta = RequestMeta::background();
//! let signed_in = engine.login("ada@example.com", "a long password", false, None, &meta).await?;
//! let (issued, user) = signed_in.session().expect("no second factor: signed in");
//! let principal = engine.authenticate(Some(issued.token.access_token.expose()), PlanCheck::Required, &meta).await?;
//! assert_eq!((principal.user.id, user.email.as_str()), (user.id.clone(), "ada@example.com"));
//! # engine.close().await?;
//! # std::fs::remove_dir_all(dir).ok();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

#![deny(missing_docs)]

mod accounts;
mod admin;
mod attempts;
mod audit;
mod clock;
mod directory;
mod emails;
mod ending;
mod error;
mod guard;
mod hooks;
mod input;
mod instance;
mod invitations;
mod links;
mod live;
mod mail;
mod mailer;
mod metrics;
mod new_password;
#[cfg(feature = "passkeys")]
mod passkeys;
mod passwords;
mod policy;
mod recovery;
mod recovery_codes;
mod second_factor;
mod sessions;
mod signup;
mod step_up;
mod store;
#[cfg(feature = "test-hooks")]
pub mod testing;
mod throttle;
mod tokens;
mod totp;

pub use accounts::{DEFAULT_ACCOUNT, DemoAccount};
/// The attribute an app's [`Accounts`] implementation is written under (the trait's methods are
/// async and the engine holds it as a trait object).
pub use async_trait::async_trait;
pub use attempts::Flow;
pub use clock::{Clock, ManualClock, SystemClock};
pub use directory::{AccountStanding, Accounts};
pub use error::{AuthError, AuthResult, OperatorError, StartError};
pub use guard::{Admin, PlanCheck, Principal};
pub use instance::{Engine, Readiness};
pub use mailer::{Delivery, MailKind, MailOutcome, MailSettings, SmtpSecurity, SmtpUrl};
pub use policy::{Policy, RequestMeta, Signup};
pub use second_factor::SecondStep;
pub use sessions::{Issued, SignIn, SignedOutCookie};
pub use signup::SignedUp;
pub use step_up::StepUp;
pub use store::accounts::AccountChange;
pub use tokens::{Keys, MAX_PREVIOUS_SECRETS, SigningSecrets};
