//! What an engine is configured with, and what it knows of the request a call serves.

/// Lifetimes and limits (SPEC §1, §7); every value in seconds.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Access-token lifetime (`LANYARD_ACCESS_TTL`); a token never outlives its session.
    pub access_ttl: i64,
    /// Session lifetime, absolute from sign-in (`LANYARD_SESSION_TTL`); rotation never extends it.
    pub session_ttl: i64,
    /// The session lifetime with "Keep me logged in for 20 days" (`LANYARD_REMEMBER_TTL`).
    pub remember_ttl: i64,
    /// How long after its first use a successor may still be handed out again (SPEC §1).
    pub refresh_grace: i64,
    /// 0 turns the idle timeout off.
    pub idle_timeout: i64,
    /// How long a password check lets the session take sensitive actions (step-up, SPEC §1).
    pub reauth_window: i64,
    /// Tolerance for clock skew when checking `exp` and `iat`.
    pub leeway: i64,
    /// Whether the refresh cookie is `Secure` (every address but loopback).
    pub cookie_secure: bool,
    /// Failed sign-ins allowed per email and IP, and per IP, within `login_window`.
    pub login_max_failures: usize,
    /// Failed sign-ins allowed per address (IPv6: per /64) whatever the email, so one address
    /// cannot try many emails.
    pub login_max_failures_per_ip: usize,
    /// The window over which both failure counts are kept.
    pub login_window: i64,
    /// Live sessions a user may have; a sign-in beyond it ends the least recently active (0: no limit).
    pub max_sessions: usize,
    /// Who may create an account (`LANYARD_SIGNUP`).
    pub signup: Signup,
    /// Whether a new user signs in only after confirming the address (`LANYARD_VERIFY_EMAIL`).
    pub verify_email: bool,
    /// Proxies (address ranges) whose `X-Forwarded-For` names the client and whose
    /// `X-Forwarded-Proto` says whether the client used TLS; empty: the peer is the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// Who may create an account (SPEC §10, `LANYARD_SIGNUP`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signup {
    /// Nobody: accounts come from the operator's CLI (and invitations).
    Off,
    /// Anyone, at `/signup`.
    Open,
    /// Only through an invitation.
    Invite,
}

impl Default for Policy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl Policy {
    /// SPEC §1 and §7's defaults, in one place: the configuration's defaults and the tests read
    /// them from here.
    pub const DEFAULT: Policy = Policy {
        access_ttl: 3_600,
        session_ttl: 7 * 86_400,
        remember_ttl: 20 * 86_400,
        refresh_grace: 10,
        idle_timeout: 0,
        reauth_window: 600,
        leeway: 30,
        cookie_secure: true,
        login_max_failures: 5,
        login_max_failures_per_ip: 50,
        max_sessions: 0,
        login_window: 900,
        signup: Signup::Off,
        verify_email: true,
        trusted_proxies: Vec::new(),
    };
}

impl Policy {
    /// Whether `ip` is one of the trusted proxies.
    pub fn trusts(&self, ip: std::net::IpAddr) -> bool {
        self.trusted_proxies.iter().any(|range| range.contains(&ip))
    }

    /// Whether a request reached lanyard over TLS: lanyard does not terminate TLS itself, so only a
    /// trusted proxy saying `X-Forwarded-Proto: https` can tell.
    pub fn forwarded_over_tls(&self, peer: Option<std::net::IpAddr>, forwarded_proto: Option<&str>) -> bool {
        peer.is_some_and(|peer| self.trusts(peer))
            && forwarded_proto.is_some_and(|proto| proto.eq_ignore_ascii_case("https"))
    }
}

/// What the API knows about the request an engine call serves; used for the audit trail and the
/// `logout_path` of error bodies. Never holds a secret.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    /// The client's address: the peer's, or the one a trusted proxy's `X-Forwarded-For` names.
    /// Recorded in the audit trail and on a new session, and counted by the throttles.
    pub ip: Option<String>,
    /// The request's `User-Agent`, recorded so the user can tell their devices apart.
    pub user_agent: Option<String>,
    /// The page the call came from (`X-Page-Path`, else the Referer's path), never `/signin`.
    pub page_path: String,
    /// Seconds since the user's last activity in any tab (`X-User-Idle`).
    pub idle_secs: Option<i64>,
}

impl RequestMeta {
    /// Work that no request asked for: the operator CLI and the hourly sweep.
    pub fn background() -> Self {
        Self { page_path: "-".into(), ..Self::default() }
    }

    /// The key the caller's address is counted under by the throttles (IPv6 per /64).
    pub fn address(&self) -> String {
        super::throttle::address_key(self.ip.as_deref().unwrap_or("-"))
    }
}
