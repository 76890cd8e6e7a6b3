//! The closed sets of the wire: why a session ended or a call was refused (SPEC §2's table), the
//! error codes, roles, account and plan states, token levels, and what the audit trail and the
//! security activity record.

use crate::closed_set;

closed_set! {
    /// Why a session ended (or, for the plan codes, why a call was refused without ending it).
    ///
    /// This enum is the one table of SPEC §2: its status, whether it ends the session and the message
    /// a user reads all come from the methods below and nowhere else.
    pub enum LogoutCode {
        ManualLogout = "MANUAL_LOGOUT",
        LogoutOtherDevice = "LOGOUT_OTHER_DEVICE",
        LogoutAll = "LOGOUT_ALL",
        PasswordChanged = "PASSWORD_CHANGED",
        AdminRevoked = "ADMIN_REVOKED",
        SessionExpired = "SESSION_EXPIRED",
        IdleTimeout = "IDLE_TIMEOUT",
        RefreshTokenReused = "REFRESH_TOKEN_REUSED",
        /// A sign-in beyond `LANYARD_MAX_SESSIONS` ended this, the least recently active, session.
        SessionLimit = "SESSION_LIMIT",
        SessionAccountMismatch = "SESSION_ACCOUNT_MISMATCH",
        SessionUserMismatch = "SESSION_USER_MISMATCH",
        AccountMissing = "ACCOUNT_MISSING",
        AccountSuspended = "ACCOUNT_SUSPENDED",
        AccountCancelled = "ACCOUNT_CANCELLED",
        PlanMissing = "PLAN_MISSING",
        PlanInactive = "PLAN_INACTIVE",
        TokenRefreshFailed = "TOKEN_REFRESH_FAILED",
        NoRefreshToken = "NO_REFRESH_TOKEN",
        AuthCredentialsMissing = "AUTH_CREDENTIALS_MISSING",
        OtherTabLogout = "OTHER_TAB_LOGOUT",
    }
}

impl LogoutCode {
    /// What the user reads on the sign-in banner.
    pub fn message(self) -> &'static str {
        match self {
            Self::ManualLogout => "You signed out.",
            Self::LogoutOtherDevice => "You were signed out from another device.",
            Self::LogoutAll => "You signed out everywhere.",
            Self::PasswordChanged => "Your password was changed.",
            Self::AdminRevoked => "An administrator ended this session.",
            Self::SessionExpired => "Your session reached its time limit.",
            Self::IdleTimeout => "Signed out after inactivity.",
            Self::RefreshTokenReused => "Your session was ended to protect your account.",
            Self::SessionLimit => "You were signed out because your account signed in on too many devices.",
            Self::SessionAccountMismatch => "Session contamination: account ID mismatch",
            Self::SessionUserMismatch => "Session contamination: user ID mismatch",
            Self::AccountMissing => "No account is configured for this user.",
            Self::AccountSuspended => "Your account is suspended.",
            Self::AccountCancelled => "Your account was cancelled.",
            Self::PlanMissing => "No plan is assigned — see Billing.",
            Self::PlanInactive => "Your plan is inactive — see Billing.",
            Self::TokenRefreshFailed => "Your session could not be renewed.",
            Self::NoRefreshToken => "Please sign in.",
            Self::AuthCredentialsMissing => "Your sign-in was lost.",
            Self::OtherTabLogout => "You were signed out in another tab.",
        }
    }

    /// The plan codes refuse a call with 402 and keep the session; every other code ends it.
    pub fn ends_session(self) -> bool {
        !matches!(self, Self::PlanMissing | Self::PlanInactive)
    }

    /// The HTTP status an API answer with this code carries.
    pub fn http_status(self) -> u16 {
        if self.ends_session() { 401 } else { 402 }
    }
}

closed_set! {
    /// The `error` of an answer that is not about the session's end (SPEC §2), and the client's own
    /// names for answers it never got.
    pub enum ErrorCode {
        /// The access token is missing, malformed or expired while its session lives: refresh, retry.
        AccessTokenInvalid = "ACCESS_TOKEN_INVALID",
        /// A 403 that a refresh may cure; if it does not, the session ended (SPEC §2).
        AuthCredentialsMissing = "AUTH_CREDENTIALS_MISSING",
        InvalidCredentials = "INVALID_CREDENTIALS",
        BadRequest = "BAD_REQUEST",
        WeakPassword = "WEAK_PASSWORD",
        WrongPassword = "WRONG_PASSWORD",
        Forbidden = "FORBIDDEN",
        /// A sensitive action needs a fresh password check; the session is kept.
        ReauthRequired = "REAUTH_REQUIRED",
        OriginMismatch = "ORIGIN_MISMATCH",
        NotFound = "NOT_FOUND",
        MethodNotAllowed = "METHOD_NOT_ALLOWED",
        PayloadTooLarge = "PAYLOAD_TOO_LARGE",
        RateLimited = "RATE_LIMITED",
        ServiceUnavailable = "SERVICE_UNAVAILABLE",
        Internal = "INTERNAL",
        /// Client only: no answer arrived (network loss, a deadline passed).
        Unreachable = "UNREACHABLE",
        /// Client only: an answer arrived that is not the API's (a proxy's page, a cut-off body).
        UnreadableAnswer = "UNREADABLE_ANSWER",
    }
}

impl ErrorCode {
    /// Whether the call may simply be tried again later: the session is kept and nothing was refused.
    pub fn is_transient(self) -> bool {
        matches!(self, Self::ServiceUnavailable | Self::Internal | Self::Unreachable | Self::UnreadableAnswer)
    }
}

closed_set! {
    /// The user's role within their account.
    pub enum Role {
        Owner = "owner",
        Admin = "admin",
        Viewer = "viewer",
    }
}

impl Role {
    /// Owners and admins administer their account (the admin pages and calls); viewers do not.
    pub fn is_admin(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

closed_set! {
    /// Whether an account may be used; anything but `active` refuses its sessions (SPEC §2).
    pub enum AccountStatus {
        Active = "active",
        Suspended = "suspended",
        Cancelled = "cancelled",
    }
}

closed_set! {
    /// The state of an account's plan; only `active` passes the plan check.
    pub enum PlanStatus {
        Active = "active",
        Inactive = "inactive",
        None = "none",
    }
}

closed_set! {
    /// How close the session is to its end, as `getTokenStatus()` reports it (SPEC §4); the first
    /// that applies wins, in this order.
    pub enum TokenLevel {
        SignedOut = "signed_out",
        Expired = "expired",
        Critical = "critical",
        Warning = "warning",
        Ok = "ok",
    }
}

closed_set! {
    /// Where a logout was noticed: the server's answer, or the browser's own judgement.
    pub enum LogoutSource {
        Backend = "backend",
        Frontend = "frontend",
    }
}

closed_set! {
    /// Who recorded an audit-trail line: the server itself, or a browser reporting an ending it
    /// learnt from the server's answer (backend) or judged itself (frontend).
    pub enum EventSource {
        Server = "server",
        Backend = "backend",
        Frontend = "frontend",
    }
}

impl From<LogoutSource> for EventSource {
    fn from(source: LogoutSource) -> Self {
        match source {
            LogoutSource::Backend => Self::Backend,
            LogoutSource::Frontend => Self::Frontend,
        }
    }
}

closed_set! {
    /// What an audit-trail line records.
    pub enum AuditKind {
        SignedIn = "login",
        SignInFailed = "login_failed",
        Refreshed = "refresh",
        /// A used refresh token answered again inside the rule of SPEC §1 (a trace, rate-limited).
        RefreshReplayed = "refresh_replayed",
        /// A refresh with a token no session has (a trace, rate-limited).
        RefreshUnknown = "refresh_unknown",
        PasswordChanged = "password_changed",
        /// A wrong password where a signed-in session checks it (a password change's current
        /// password, a reauth): a guess with a valid access token.
        PasswordCheckFailed = "password_check_failed",
        /// A password confirmed for step-up (`/api/auth/reauth`).
        Reauthed = "reauth",
        SessionEnded = "session_ended",
        ClientLogout = "client_logout",
    }
}

closed_set! {
    /// What a line of the user's security activity (`/api/auth/activity`) reports.
    pub enum ActivityKind {
        SignedIn = "signed_in",
        /// A sign-in on a device this user had never signed in with before.
        NewDevice = "new_device",
        PasswordChanged = "password_changed",
        Reauth = "reauth",
        SessionEnded = "session_ended",
        /// A replayed refresh token refused: the session it belonged to ended.
        ReuseBlocked = "reuse_blocked",
    }
}

#[cfg(feature = "sqlx")]
crate::stored_by_name!(Role, AccountStatus, PlanStatus, AuditKind, LogoutCode, EventSource);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_serde_and_names() {
        for &code in LogoutCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<LogoutCode>(&json).unwrap(), code);
            assert_eq!(LogoutCode::parse(code.as_str()), Some(code));
        }
    }

    #[test]
    fn plan_codes_keep_the_session_with_402() {
        assert_eq!(LogoutCode::PlanInactive.http_status(), 402);
        assert!(!LogoutCode::PlanMissing.ends_session());
        assert_eq!(LogoutCode::AccountSuspended.http_status(), 401);
        assert!(LogoutCode::AccountSuspended.ends_session());
    }
}
