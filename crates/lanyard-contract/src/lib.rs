//! lanyard's wire contract, which its server and its browser client share: reason codes, token
//! answers, users, error bodies, reports; and the rules both sides apply to what a user types or
//! is sent back to (`credentials`, `paths`). Only serde lives here, so both builds compile it
//! unchanged and can never disagree on a name.
//!
//! One file a part of the wire: `codes` (the closed sets), `session` (cookie, headers, token
//! answers, the error body), `audit` (diagnostics and security activity), `admin` (the account's
//! users and reports); `closed` declares closed sets ([`closed_set!`]). Every wire name is
//! re-exported here.
//!
//! What a client makes of an error answer is decided here, once for both sides: a 402 keeps the
//! session, a 401 with a reason ends it, and a 503 is worth a retry.
//!
//! ```
//! use lanyard_contract::{ErrorBody, LogoutCode};
//!
//! let lapsed: ErrorBody = serde_json::from_str(r#"{"logout_reason": "PLAN_INACTIVE"}"#).unwrap();
//! assert_eq!(lapsed.logout_reason.map(LogoutCode::http_status), Some(402));
//! assert!(!lapsed.ends_session(), "a plan refuses a call; it never signs anybody out");
//!
//! let revoked: ErrorBody = serde_json::from_str(r#"{"logout_reason": "ADMIN_REVOKED"}"#).unwrap();
//! assert!(revoked.ends_session());
//! assert_eq!(LogoutCode::AdminRevoked.message(), "An administrator ended this session.");
//!
//! let outage: ErrorBody = serde_json::from_str(r#"{"error": "SERVICE_UNAVAILABLE", "logout_reason": null}"#).unwrap();
//! assert!(outage.is_transient() && !outage.ends_session());
//! ```

#![deny(missing_docs)]

mod admin;
mod audit;
mod closed;
mod codes;
pub mod credentials;
mod factors;
pub mod paths;
#[cfg(feature = "server-fn")]
mod server_fn;
mod session;

pub use admin::{
    AccountUser, AccountUsers, AdminOverview, EndedSessions, InvitationSent, InvitationView, LengthBand, LogoutCount,
    LogoutReport, RefreshDay, SESSION_LENGTH_BANDS, SessionHealth, SignInDay,
};
pub use audit::{ActivityAnswer, ActivityEvent, Diagnostics, EventView};
pub use closed::UnknownName;
pub use codes::{
    AccountStatus, ActivityKind, AuditKind, ErrorCode, EventSource, LogoutCode, LogoutSource, PlanStatus, Role,
    TokenLevel, TokenState,
};
pub use factors::{
    MfaMethod, MfaProof, MfaRequired, MfaStatus, PasskeyAdded, PasskeyList, PasskeyView, RecoveryCodes, SignInAnswer,
    TotpSetup,
};
#[cfg(all(feature = "server-fn", feature = "ssr"))]
pub use server_fn::{FrameworkErrorHook, on_framework_error};
pub use session::{
    CheckYourEmail, ErrorBody, HEADER_PAGE_PATH, HEADER_SESSION_USER, HEADER_USER_IDLE, LoginAnswer, LogoutAllAnswer,
    LogoutContext, LogoutEvent, NO_PERMISSION, REAUTH_PATH, REFRESH_COOKIE, REFRESH_COOKIE_PATH, ReauthAnswer, Secret,
    SessionView, SessionsAnswer, SignUpAnswer, TokenInfo, TokenStatus, UserView, VerifiedEmail,
};
