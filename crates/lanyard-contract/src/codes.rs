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
        /// The user signed out of this session: the sign-out button, or ending the current session
        /// on the sessions page.
        ManualLogout = "MANUAL_LOGOUT",
        /// The user ended this session from another of their sessions: the sessions page, or
        /// signing out the other devices.
        LogoutOtherDevice = "LOGOUT_OTHER_DEVICE",
        /// The user signed out everywhere: every session of theirs ended at once, the asking one
        /// included.
        LogoutAll = "LOGOUT_ALL",
        /// The user's password was changed in another session, which ends every other session of
        /// the user.
        PasswordChanged = "PASSWORD_CHANGED",
        /// The user's password was reset by email (SPEC §10), which ends every other session of
        /// the user.
        PasswordReset = "PASSWORD_RESET",
        /// An owner or admin of the account (`/admin/users`) or the operator
        /// (`admin sessions revoke`) ended the session.
        AdminRevoked = "ADMIN_REVOKED",
        /// The session's absolute lifetime ran out; rotation never extends it.
        SessionExpired = "SESSION_EXPIRED",
        /// No user activity in any tab for `LANYARD_IDLE_TIMEOUT` seconds (off by default).
        IdleTimeout = "IDLE_TIMEOUT",
        /// A used refresh token came back outside the grace rule of SPEC §1: taken for theft, so
        /// the session ends for whoever holds it.
        RefreshTokenReused = "REFRESH_TOKEN_REUSED",
        /// A sign-in beyond `LANYARD_MAX_SESSIONS` ended this, the least recently active, session.
        SessionLimit = "SESSION_LIMIT",
        /// The user now belongs to another account than the one the session was started in.
        SessionAccountMismatch = "SESSION_ACCOUNT_MISMATCH",
        /// The access token names another user than the session's, or (in the browser) an answer
        /// names another user than the tab holds (`X-Session-User`).
        SessionUserMismatch = "SESSION_USER_MISMATCH",
        /// The user has no account, or the user itself no longer exists (`user_missing` in the
        /// context).
        AccountMissing = "ACCOUNT_MISSING",
        /// The account's status is `suspended`.
        AccountSuspended = "ACCOUNT_SUSPENDED",
        /// The account's status is `cancelled`.
        AccountCancelled = "ACCOUNT_CANCELLED",
        /// The account has no plan: the call is refused with 402 and the session is kept.
        PlanMissing = "PLAN_MISSING",
        /// The account's plan is inactive: the call is refused with 402 and the session is kept.
        PlanInactive = "PLAN_INACTIVE",
        /// A refresh was refused without an ending of its own: the cookie's token is malformed or
        /// unknown, or (in the browser) a 401 to a refresh named no reason.
        TokenRefreshFailed = "TOKEN_REFRESH_FAILED",
        /// A refresh arrived without the refresh cookie.
        NoRefreshToken = "NO_REFRESH_TOKEN",
        /// A 403 `AUTH_CREDENTIALS_MISSING` that a refresh did not cure: the browser ends the
        /// session (SPEC §2).
        AuthCredentialsMissing = "AUTH_CREDENTIALS_MISSING",
        /// Another tab ended the session for a reason this tab cannot know; a tab that knows the
        /// reason reports the original code instead.
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
            Self::PasswordReset => "Your password was reset.",
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
        /// A sign-in with a wrong password or an unknown email: one answer (401) for both, so
        /// accounts cannot be enumerated.
        InvalidCredentials = "INVALID_CREDENTIALS",
        /// The request is malformed or breaks an input rule (400); the message says which.
        BadRequest = "BAD_REQUEST",
        /// A new password that the policy of [`crate::credentials`] refuses (400); the message says
        /// why.
        WeakPassword = "WEAK_PASSWORD",
        /// A wrong password where a signed-in session checks it (a password change, a reauth): 403,
        /// never 401, so the session is kept.
        WrongPassword = "WRONG_PASSWORD",
        /// The caller's role does not allow the call (403); the session is kept.
        Forbidden = "FORBIDDEN",
        /// A sensitive action needs a fresh password check; the session is kept.
        ReauthRequired = "REAUTH_REQUIRED",
        /// A POST whose `Origin` names another host (403), refused before any work, so no other
        /// site can use the cookie.
        OriginMismatch = "ORIGIN_MISMATCH",
        /// Nothing at this path, or nothing the caller may see (404): another account's user or
        /// another user's session is "not found", as if it did not exist.
        NotFound = "NOT_FOUND",
        /// The path does not take this method (405).
        MethodNotAllowed = "METHOD_NOT_ALLOWED",
        /// A body over the size limit (413), refused before it is read.
        PayloadTooLarge = "PAYLOAD_TOO_LARGE",
        /// A link's token (SPEC §10) that is used, expired, replaced by a newer one or unknown (400);
        /// `token_state` says which.
        TokenInvalid = "TOKEN_INVALID",
        /// A sign-up or an invitation for an address another user has (409), or an email change to
        /// one.
        EmailTaken = "EMAIL_TAKEN",
        /// Sign-up is off, or by invitation only (403, `LANYARD_SIGNUP`).
        SignupClosed = "SIGNUP_CLOSED",
        /// A right password of a user who has not yet confirmed the address (401, `logout_reason`
        /// null): not an ending; the sign-in page offers to send the link again.
        EmailNotVerified = "EMAIL_NOT_VERIFIED",
        /// A wrong or used code, or a refused passkey, in a second factor (SPEC §11): 401 at a
        /// sign-in's second step, where the same `mfa_token` may try again; 403 on a call with a
        /// bearer, whose session is kept.
        InvalidMfaCode = "INVALID_MFA_CODE",
        /// A sign-in's second step with an `mfa_token` that is used, unknown or older than five
        /// minutes (401): the page starts over at the password.
        MfaTokenExpired = "MFA_TOKEN_EXPIRED",
        /// Setting up an authenticator app while one is turned on (409): it is turned off first.
        MfaAlreadyEnabled = "MFA_ALREADY_ENABLED",
        /// Too many attempts from this caller (429, with `Retry-After`): wrong passwords, or
        /// browser logout reports.
        RateLimited = "RATE_LIMITED",
        /// lanyard cannot answer now (503, with `Retry-After`): the database is out of reach, or
        /// more passwords wait to be checked than the queue holds. The session is kept.
        ServiceUnavailable = "SERVICE_UNAVAILABLE",
        /// A fault on the server's side (500); the detail goes to the log, never to the body.
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
        /// The account's owner; administers it as an admin does.
        Owner = "owner",
        /// Administers the account: the admin pages and calls, and ending other users' sessions.
        Admin = "admin",
        /// Uses the product, without the admin pages and calls.
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
        /// The account may be used.
        Active = "active",
        /// Paused by the operator: its sessions end with ACCOUNT_SUSPENDED.
        Suspended = "suspended",
        /// Closed: its sessions end with ACCOUNT_CANCELLED.
        Cancelled = "cancelled",
    }
}

closed_set! {
    /// The state of an account's plan; only `active` passes the plan check.
    pub enum PlanStatus {
        /// The plan is in force: calls that check the plan pass.
        Active = "active",
        /// The plan has lapsed: calls that check it are refused with 402 PLAN_INACTIVE, the session
        /// kept.
        Inactive = "inactive",
        /// No plan is assigned: calls that check it are refused with 402 PLAN_MISSING, the session
        /// kept.
        None = "none",
    }
}

closed_set! {
    /// How close the session is to its end, as `getTokenStatus()` reports it (SPEC §4); the first
    /// that applies wins, in this order.
    pub enum TokenLevel {
        /// The tab holds no session.
        SignedOut = "signed_out",
        /// The access token or the session has run out.
        Expired = "expired",
        /// The session's last day (SPEC §4: "< 1 day").
        Critical = "critical",
        /// The access token's last 5 minutes (SPEC §4: "< 5 min"); a refresh renews it.
        Warning = "warning",
        /// Neither the access token nor the session is near its end.
        Ok = "ok",
    }
}

closed_set! {
    /// Where a logout was noticed: the server's answer, or the browser's own judgement.
    pub enum LogoutSource {
        /// The server's answer named the ending (a 401 with a `logout_reason`).
        Backend = "backend",
        /// The browser decided it itself: a sign-out, a refused refresh, an answer for another
        /// user.
        Frontend = "frontend",
    }
}

closed_set! {
    /// Who recorded an audit-trail line: the server itself, or a browser reporting an ending it
    /// learnt from the server's answer (backend) or judged itself (frontend).
    pub enum EventSource {
        /// The server itself, as it made the change or took the decision the line records.
        Server = "server",
        /// A browser reporting an ending that the server's answer named
        /// ([`LogoutSource::Backend`]).
        Backend = "backend",
        /// A browser reporting an ending it decided itself ([`LogoutSource::Frontend`]).
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
        /// A sign-in that made a session.
        SignedIn = "login",
        /// A sign-in refused as wrong credentials; the typed email is kept only when it names a
        /// user, since what is typed there may be a password.
        SignInFailed = "login_failed",
        /// A refresh that rotated the session's refresh token.
        Refreshed = "refresh",
        /// A used refresh token answered again inside the rule of SPEC §1 (a trace, rate-limited).
        RefreshReplayed = "refresh_replayed",
        /// A refresh with a token no session has (a trace, rate-limited).
        RefreshUnknown = "refresh_unknown",
        /// The user changed their password.
        PasswordChanged = "password_changed",
        /// A wrong password where a signed-in session checks it (a password change's current
        /// password, a reauth): a guess with a valid access token.
        PasswordCheckFailed = "password_check_failed",
        /// A password confirmed for step-up (`/api/auth/reauth`).
        Reauthed = "reauth",
        /// A session ended, with its reason, as the server recorded it: what "Logouts by reason"
        /// counts.
        SessionEnded = "session_ended",
        /// A browser's report of a logout (`/api/auth/logout_event`, SPEC §4), with the reason it
        /// recorded.
        ClientLogout = "client_logout",
        /// A password set through a reset link; every other session of the user ended with it.
        PasswordReset = "password_reset",
        /// An address confirmed with its verification link.
        EmailVerified = "email_verified",
        /// The user's address changed, or a confirmed change was undone from the old address.
        EmailChanged = "email_changed",
        /// An authenticator app was turned on.
        MfaEnabled = "mfa_enabled",
        /// The authenticator app was turned off.
        MfaDisabled = "mfa_disabled",
        /// A passkey was added.
        PasskeyAdded = "passkey_added",
        /// A passkey was removed.
        PasskeyRemoved = "passkey_removed",
        /// A recovery code was used in place of a second factor.
        RecoveryCodeUsed = "recovery_code_used",
        /// An operator removed every second factor of the user (`admin mfa reset`).
        MfaReset = "mfa_reset",
        /// A wrong code or a refused passkey in a second factor.
        SecondFactorFailed = "mfa_failed",
    }
}

closed_set! {
    /// Why a link's token was refused (`token_state` of a 400 `TOKEN_INVALID`, SPEC §10).
    pub enum TokenState {
        /// The link was used already: each works once.
        Used = "used",
        /// The link's lifetime ran out.
        Expired = "expired",
        /// A newer link of the same kind was sent since, which voids this one.
        Replaced = "replaced",
        /// No such link: mistyped, cut off, or never sent.
        Unknown = "unknown",
    }
}

impl TokenState {
    /// What the user reads on the page the link opened.
    pub fn message(self) -> &'static str {
        match self {
            Self::Used => "This link was already used.",
            Self::Expired => "This link has expired.",
            Self::Replaced => "This link was replaced by a newer one.",
            Self::Unknown => "This link is not valid.",
        }
    }
}

closed_set! {
    /// What a line of the user's security activity (`/api/auth/activity`) reports.
    pub enum ActivityKind {
        /// A sign-in on a device this user had signed in with before.
        SignedIn = "signed_in",
        /// A sign-in on a device this user had never signed in with before.
        NewDevice = "new_device",
        /// The user changed their password.
        PasswordChanged = "password_changed",
        /// The user set a new password through a reset link (SPEC §10).
        PasswordReset = "password_reset",
        /// The user confirmed their address with its link (SPEC §10).
        EmailVerified = "email_verified",
        /// The user's address changed (or a change was undone) through its links (SPEC §10).
        EmailChanged = "email_changed",
        /// An authenticator app was turned on (SPEC §11).
        MfaEnabled = "mfa_enabled",
        /// The authenticator app was turned off.
        MfaDisabled = "mfa_disabled",
        /// A passkey was added.
        PasskeyAdded = "passkey_added",
        /// A passkey was removed.
        PasskeyRemoved = "passkey_removed",
        /// A recovery code was used in place of a second factor.
        RecoveryCodeUsed = "recovery_code_used",
        /// An administrator removed every second factor of the user.
        MfaReset = "mfa_reset",
        /// The user confirmed their password for a sensitive action (step-up).
        Reauth = "reauth",
        /// One of the user's sessions ended, for any reason but a blocked reuse.
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
