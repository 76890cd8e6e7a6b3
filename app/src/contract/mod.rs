//! The wire contract that server and browser share: reason codes, token answers, users, error
//! bodies, reports. Only serde lives here, so both builds compile it unchanged and can never
//! disagree on a name.
//!
//! One file a part of the wire: `codes` (the closed sets), `session` (cookie, headers, token
//! answers, the error body), `audit` (diagnostics and security activity), `admin` (the account's
//! users and reports); `closed` declares closed sets. Everything is re-exported here, so a name is
//! `contract::X` wherever it is used.

mod admin;
mod audit;
pub(crate) mod closed;
mod codes;
mod session;

pub use admin::{
    AccountUser, AccountUsers, AdminOverview, EndedSessions, LengthBand, LogoutCount, LogoutReport, RefreshDay,
    SESSION_LENGTH_BANDS, SessionHealth, SignInDay,
};
pub use audit::{ActivityAnswer, ActivityEvent, Diagnostics, EventView};
pub use closed::UnknownName;
pub use codes::{
    AccountStatus, ActivityKind, AuditKind, ErrorCode, EventSource, LogoutCode, LogoutSource, PlanStatus, Role,
    TokenLevel,
};
pub use session::{
    ErrorBody, HEADER_PAGE_PATH, HEADER_SESSION_USER, HEADER_USER_IDLE, LoginAnswer, LogoutAllAnswer, LogoutContext,
    LogoutEvent, NO_PERMISSION, REAUTH_PATH, REFRESH_COOKIE, REFRESH_COOKIE_PATH, ReauthAnswer, Secret, SessionView,
    SessionsAnswer, TokenInfo, TokenStatus, UserView,
};
