//! lanyard's settings (SPEC §7): every `LANYARD_*` variable, the database and the site's address,
//! read from the environment ([`Settings::from_env`]) or set by hand ([`Settings::defaults`] and its
//! public fields), and checked when the server starts.

use crate::contract::Secret;
use crate::engine::{Delivery, MAX_PREVIOUS_SECRETS, MailSettings, Policy, SigningSecrets, Signup, SmtpUrl};
use crate::ui::UiSettings;
use clap::{Args, CommandFactory, FromArgMatches, Parser, ValueEnum};
use std::net::SocketAddr;

/// The shortest signing secret accepted (SPEC §9): HS256 wants a key of at least 256 bits.
pub const MIN_SECRET_BYTES: usize = 32;

/// On or off, as the `LANYARD_*` switches are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    /// `on`: the feature is enabled.
    On,
    /// `off`: the feature is disabled outright: the debug panel is not rendered at all, `/metrics`
    /// answers 404, no access log is written.
    Off,
}

/// When the demo account is seeded on an empty database (SPEC §7, `LANYARD_DEMO`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DemoSeed {
    /// Only when the site address is loopback: a developer's machine, never a public server, gets
    /// users whose password is printed.
    Auto,
    /// Always.
    #[value(name = "1", alias = "true", alias = "on")]
    Always,
    /// Never.
    #[value(name = "0", alias = "false", alias = "off")]
    Never,
}

/// `LANYARD_SIGNUP`: who may create an account (SPEC §10).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SignupMode {
    /// Nobody: accounts come from the operator's CLI and invitations.
    Off,
    /// Anyone, at `/signup`.
    Open,
    /// Only through an invitation.
    Invite,
}

/// `LANYARD_VERIFY_EMAIL`: whether a new sign-up confirms its address before it signs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Verification {
    /// A link is mailed; sign-in waits for it.
    Required,
    /// The new user is signed in at once.
    Off,
}

/// What is wrong with the settings; the server does not start with it.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// Both `LANYARD_SECRET` and `LANYARD_SECRET_FILE` are set: which one signs would be a guess.
    #[error("set LANYARD_SECRET or LANYARD_SECRET_FILE, not both")]
    TwoSecrets,
    /// `LANYARD_SECRET_FILE` could not be read.
    #[error("LANYARD_SECRET_FILE: reading {path}")]
    SecretFile {
        /// The file as configured.
        path: String,
        /// Why reading it failed.
        source: std::io::Error,
    },
    /// More earlier secrets (the count given) than the engine keeps, `MAX_PREVIOUS_SECRETS`.
    #[error("LANYARD_SECRET_PREVIOUS: at most {MAX_PREVIOUS_SECRETS} earlier secrets are kept, {0} were given")]
    TooManyPrevious(usize),
    /// Earlier secrets without a current one: they are what `LANYARD_SECRET` replaced, so they
    /// make sense only beside it.
    #[error("LANYARD_SECRET_PREVIOUS needs LANYARD_SECRET: the earlier secrets are what it replaced")]
    PreviousWithoutCurrent,
    /// Names the variable and the length, never the secret.
    #[error("{name}: a signing secret needs at least {MIN_SECRET_BYTES} bytes, this one has {bytes}")]
    ShortSecret {
        /// `LANYARD_SECRET` or `LANYARD_SECRET_PREVIOUS`.
        name: &'static str,
        /// The secret's length in bytes.
        bytes: usize,
    },
    /// An entry of `LANYARD_TRUSTED_PROXIES` (quoted as given) that does not parse. lanyard does
    /// not start rather than skip it: the list decides whose `X-Forwarded-For` gives the client's
    /// address.
    #[error("LANYARD_TRUSTED_PROXIES: {0:?} is neither an address nor a CIDR range")]
    TrustedProxy(String),
    /// A variable that does not parse (clap's own message).
    #[error("{0}")]
    Environment(String),
    /// `LANYARD_PUBLIC_URL`, `LANYARD_SMTP_URL` or `LANYARD_MAIL_FROM` cannot be used; the message
    /// says which and why, never quoting a password.
    #[error("{0}")]
    Mail(String),
}

/// lanyard's settings. Each field is the variable of SPEC §7 it is read from.
///
/// ```
/// use lanyard::server::Settings;
///
/// let mut settings = Settings::defaults("sqlite://data/app.db");
/// settings.idle_timeout = 900;
/// assert_eq!(settings.policy().unwrap().idle_timeout, 900);
/// ```
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Where sessions live: a SQLite file (created and migrated at start) or a PostgreSQL URL.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/lanyard.db")]
    pub database_url: String,

    /// The address the site listens on; a loopback address also makes the refresh cookie
    /// non-Secure, and is where `LANYARD_DEMO=auto` seeds the demo account.
    #[arg(long, env = "LEPTOS_SITE_ADDR", default_value = "127.0.0.1:3000")]
    pub site_addr: SocketAddr,

    /// Signing secret, at least 32 bytes. Unset (and no secret file), one is generated on first start
    /// and kept in the database, so restarts and instances sharing the database share it.
    #[arg(long, env = "LANYARD_SECRET", hide_env_values = true)]
    pub secret: Option<Secret>,

    /// A file holding the signing secret (a trailing newline is ignored), instead of LANYARD_SECRET.
    #[arg(long, env = "LANYARD_SECRET_FILE")]
    pub secret_file: Option<std::path::PathBuf>,

    /// Up to two earlier signing secrets, comma-separated: they still verify access tokens and
    /// re-derive refresh successors, so a rotation of `LANYARD_SECRET` signs no one out.
    #[arg(long, env = "LANYARD_SECRET_PREVIOUS", hide_env_values = true, value_delimiter = ',')]
    pub secret_previous: Vec<Secret>,

    /// Access-token lifetime in seconds.
    #[arg(long, env = "LANYARD_ACCESS_TTL", default_value_t = Policy::DEFAULT.access_ttl, value_parser = clap::value_parser!(i64).range(1..))]
    pub access_ttl: i64,

    /// Session lifetime in seconds, absolute from sign-in.
    #[arg(long, env = "LANYARD_SESSION_TTL", default_value_t = Policy::DEFAULT.session_ttl, value_parser = clap::value_parser!(i64).range(1..))]
    pub session_ttl: i64,

    /// Session lifetime with "Keep me logged in for 20 days".
    #[arg(long, env = "LANYARD_REMEMBER_TTL", default_value_t = Policy::DEFAULT.remember_ttl, value_parser = clap::value_parser!(i64).range(1..))]
    pub remember_ttl: i64,

    /// Seconds during which a used refresh token's successor may be handed out again.
    #[arg(long, env = "LANYARD_REFRESH_GRACE", default_value_t = Policy::DEFAULT.refresh_grace, value_parser = clap::value_parser!(i64).range(0..))]
    pub refresh_grace: i64,

    /// Idle timeout in seconds; 0 turns it off.
    #[arg(long, env = "LANYARD_IDLE_TIMEOUT", default_value_t = Policy::DEFAULT.idle_timeout, value_parser = clap::value_parser!(i64).range(0..))]
    pub idle_timeout: i64,

    /// Seconds after a password check (sign-in, reauth, password change) during which a sensitive
    /// action needs no new one (step-up).
    #[arg(long, env = "LANYARD_REAUTH_WINDOW", default_value_t = Policy::DEFAULT.reauth_window, value_parser = clap::value_parser!(i64).range(1..))]
    pub reauth_window: i64,

    /// Failed sign-ins allowed per email and IP within the window (a success resets the count).
    #[arg(long, env = "LANYARD_LOGIN_MAX_FAILURES", default_value_t = Policy::DEFAULT.login_max_failures as u32, value_parser = clap::value_parser!(u32).range(1..))]
    pub login_max_failures: u32,

    /// Failed sign-ins allowed per IP within the window, whatever the email.
    #[arg(long, env = "LANYARD_LOGIN_MAX_FAILURES_PER_IP", default_value_t = Policy::DEFAULT.login_max_failures_per_ip as u32, value_parser = clap::value_parser!(u32).range(1..))]
    pub login_max_failures_per_ip: u32,

    /// Live sessions per user; a sign-in beyond it ends the least recently active one with
    /// SESSION_LIMIT. 0: no limit.
    #[arg(long, env = "LANYARD_MAX_SESSIONS", default_value_t = Policy::DEFAULT.max_sessions as u32)]
    pub max_sessions: u32,

    /// The sign-in throttling window in seconds.
    #[arg(long, env = "LANYARD_LOGIN_WINDOW", default_value_t = Policy::DEFAULT.login_window, value_parser = clap::value_parser!(i64).range(1..))]
    pub login_window: i64,

    /// Comma-separated proxy addresses or CIDR ranges (e.g. 10.0.0.0/8) whose X-Forwarded-For and
    /// X-Forwarded-Proto are believed; empty: none.
    #[arg(long, env = "LANYARD_TRUSTED_PROXIES", value_delimiter = ',', default_value = "")]
    pub trusted_proxies: Vec<String>,

    /// `on` shows the auth debug panel (Ctrl+Shift+D); `off` removes it.
    #[arg(long, env = "LANYARD_DEBUG_PANEL", value_enum, default_value_t = Switch::On)]
    pub debug_panel: Switch,

    /// `on` logs every answer (method, path, status, latency, request id) at info.
    #[arg(long, env = "LANYARD_ACCESS_LOG", value_enum, default_value_t = Switch::Off)]
    pub access_log: Switch,

    /// `on` serves `GET /metrics` (Prometheus text); `off` answers it 404.
    #[arg(long, env = "LANYARD_METRICS", value_enum, default_value_t = Switch::Off)]
    pub metrics: Switch,

    /// An address of its own for `GET /metrics` (a scraper's private network): set, the metrics are
    /// served there, whatever `LANYARD_METRICS` says, and never on the site's address.
    #[arg(long, env = "LANYARD_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,

    /// Whether the refresh cookie is Secure; defaults to true unless the site address is loopback.
    #[arg(long, env = "LANYARD_COOKIE_SECURE")]
    pub cookie_secure: Option<bool>,

    /// Seed the demo account on an empty database: `auto` (only on a loopback address), 1 or 0.
    #[arg(long, env = "LANYARD_DEMO", value_enum, default_value_t = DemoSeed::Auto)]
    pub demo: DemoSeed,

    /// Who may create an account: `off`, `open` (anyone, at `/signup`) or `invite` (only through an
    /// invitation).
    #[arg(long, env = "LANYARD_SIGNUP", value_enum, default_value_t = SignupMode::Off)]
    pub signup: SignupMode,

    /// `required`: a new sign-up signs in only after confirming its address; `off`: at once.
    #[arg(long, env = "LANYARD_VERIFY_EMAIL", value_enum, default_value_t = Verification::Required)]
    pub verify_email: Verification,

    /// The site's address in the links of lanyard's mail; by default `http://` and the site
    /// address, with `localhost` for a loopback IP (WebAuthn refuses IP addresses).
    #[arg(long, env = "LANYARD_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Send mail by SMTP: `smtp://user:pass@host:587` (STARTTLS), `smtps://user:pass@host:465`
    /// (TLS), `smtp://host:25?tls=none` (loopback only). Unset, mail goes to the outbox.
    #[arg(long, env = "LANYARD_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<Secret>,

    /// The sender of lanyard's mail.
    #[arg(long, env = "LANYARD_MAIL_FROM", default_value = "lanyard <no-reply@localhost>")]
    pub mail_from: String,

    /// Without `LANYARD_SMTP_URL`, every message is written here as an `.eml` file.
    #[arg(long, env = "LANYARD_MAIL_OUTBOX", default_value = "data/outbox")]
    pub mail_outbox: std::path::PathBuf,
}

/// The settings alone as a command line, for reading them from the environment.
#[derive(Parser)]
struct FromEnvironment {
    #[command(flatten)]
    settings: Settings,
}

impl Settings {
    /// Every setting from its environment variable, or its default.
    pub fn from_env() -> Result<Self, SettingsError> {
        FromEnvironment::try_parse_from(["lanyard"])
            .map(|parsed| parsed.settings)
            .map_err(|error| SettingsError::Environment(error.to_string()))
    }

    /// The defaults, whatever the environment says, on `database_url` and without the demo account.
    pub fn defaults(database_url: &str) -> Self {
        let defaults_only = FromEnvironment::command().mut_args(|arg| arg.env(None::<&str>));
        let matches = defaults_only.get_matches_from(["lanyard"]);
        let mut settings = FromEnvironment::from_arg_matches(&matches).expect("the defaults are valid").settings;
        settings.database_url = database_url.to_owned();
        settings.demo = DemoSeed::Never;
        settings
    }

    /// The engine's policy: lifetimes, throttles, the cookie and the trusted proxies.
    pub fn policy(&self) -> Result<Policy, SettingsError> {
        let trusted_proxies = self
            .trusted_proxies
            .iter()
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
            .map(|p| {
                // A plain address is a range of one.
                let range =
                    p.parse::<ipnet::IpNet>().or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from));
                range.map_err(|_| SettingsError::TrustedProxy(p.to_owned()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Policy {
            access_ttl: self.access_ttl,
            session_ttl: self.session_ttl,
            remember_ttl: self.remember_ttl,
            refresh_grace: self.refresh_grace,
            idle_timeout: self.idle_timeout,
            reauth_window: self.reauth_window,
            cookie_secure: self.cookie_secure.unwrap_or(!self.site_addr.ip().is_loopback()),
            login_max_failures: self.login_max_failures as usize,
            login_max_failures_per_ip: self.login_max_failures_per_ip as usize,
            max_sessions: self.max_sessions as usize,
            login_window: self.login_window,
            signup: match self.signup {
                SignupMode::Off => Signup::Off,
                SignupMode::Open => Signup::Open,
                SignupMode::Invite => Signup::Invite,
            },
            verify_email: self.verify_email == Verification::Required,
            trusted_proxies,
            leeway: Policy::default().leeway,
        })
    }

    /// The signing secrets (SPEC §1, §9): each at least [`MIN_SECRET_BYTES`], at most
    /// `MAX_PREVIOUS_SECRETS` earlier ones, and those only beside a current one.
    pub fn signing_secrets(&self) -> Result<SigningSecrets, SettingsError> {
        let current = match (&self.secret, &self.secret_file) {
            (Some(_), Some(_)) => return Err(SettingsError::TwoSecrets),
            (Some(secret), None) => Some(secret.clone()),
            (None, Some(path)) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|source| SettingsError::SecretFile { path: path.display().to_string(), source })?;
                Some(Secret::from(text.trim_end_matches(['\r', '\n'])))
            }
            (None, None) => None,
        };
        let previous: Vec<Secret> = self.secret_previous.iter().filter(|s| !s.expose().is_empty()).cloned().collect();
        if previous.len() > MAX_PREVIOUS_SECRETS {
            return Err(SettingsError::TooManyPrevious(previous.len()));
        }
        if !previous.is_empty() && current.is_none() {
            return Err(SettingsError::PreviousWithoutCurrent);
        }
        let named = current
            .iter()
            .map(|s| ("LANYARD_SECRET", s))
            .chain(previous.iter().map(|s| ("LANYARD_SECRET_PREVIOUS", s)));
        for (name, secret) in named {
            let bytes = secret.expose().len();
            if bytes < MIN_SECRET_BYTES {
                return Err(SettingsError::ShortSecret { name, bytes });
            }
        }
        Ok(SigningSecrets { current, previous })
    }

    /// How lanyard's mail leaves, and where its links point (SPEC §10).
    pub fn mail(&self) -> Result<MailSettings, SettingsError> {
        let public_url = self.public_url.clone().unwrap_or_else(|| {
            let port = self.site_addr.port();
            match self.site_addr.ip() {
                ip if ip.is_loopback() => format!("http://localhost:{port}"),
                std::net::IpAddr::V6(ip) => format!("http://[{ip}]:{port}"),
                ip => format!("http://{ip}:{port}"),
            }
        });
        let delivery = match &self.smtp_url {
            Some(url) => Delivery::Smtp(SmtpUrl::parse(url.expose()).map_err(SettingsError::Mail)?),
            None => Delivery::Outbox(self.mail_outbox.clone()),
        };
        MailSettings { public_url, from: self.mail_from.clone(), delivery }.checked().map_err(SettingsError::Mail)
    }

    /// What the pages need to know of the settings.
    pub fn ui(&self) -> UiSettings {
        UiSettings { debug_panel: self.debug_panel == Switch::On, signup_open: self.signup == SignupMode::Open }
    }

    /// The database URL without its password, for messages.
    pub fn redacted_database_url(&self) -> String {
        match self.database_url.split_once("://") {
            Some((scheme, rest)) => match rest.split_once('@') {
                Some((credentials, host)) => {
                    let user = credentials.split(':').next().unwrap_or_default();
                    format!("{scheme}://{user}:***@{host}")
                }
                None => self.database_url.clone(),
            },
            None => self.database_url.clone(),
        }
    }

    /// Whether the site's own address serves `/metrics`.
    pub fn metrics_on_site(&self) -> bool {
        self.metrics == Switch::On && self.metrics_addr.is_none()
    }

    /// Whether this instance seeds the demo account on an empty database.
    pub fn seeds_demo(&self) -> bool {
        match self.demo {
            DemoSeed::Auto => self.site_addr.ip().is_loopback(),
            DemoSeed::Always => true,
            DemoSeed::Never => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONG: &str = "a signing secret of thirty-two bytes or more";

    #[test]
    fn earlier_secrets_need_a_current_one_and_are_at_most_two() {
        let mut settings = Settings::defaults("sqlite://x.db");
        settings.secret_previous = vec![LONG.into()];
        assert!(settings.signing_secrets().is_err(), "an earlier secret without a current one");
        settings.secret = Some(LONG.into());
        assert_eq!(settings.signing_secrets().unwrap().previous.len(), 1);
        settings.secret_previous = vec![LONG.into(), LONG.into(), LONG.into()];
        assert!(settings.signing_secrets().is_err());
    }

    #[test]
    fn trusted_proxies_are_addresses_or_ranges() {
        let mut settings = Settings::defaults("sqlite://x.db");
        settings.trusted_proxies = vec!["10.0.0.0/8".into(), " 192.168.1.5".into(), "::1".into()];
        let policy = settings.policy().unwrap();
        assert!(policy.trusts("10.20.30.40".parse().unwrap()));
        assert!(policy.trusts("192.168.1.5".parse().unwrap()) && !policy.trusts("192.168.1.6".parse().unwrap()));
        settings.trusted_proxies = vec!["10.0.0.0/33".into()];
        assert!(settings.policy().is_err());
    }

    #[test]
    fn a_secret_under_32_bytes_stops_the_server_with_a_message() {
        let mut settings = Settings::defaults("sqlite://x.db");
        settings.secret = Some("secret".into());
        let error = settings.signing_secrets().unwrap_err().to_string();
        assert!(error.contains("at least 32 bytes") && error.contains("has 6"), "{error}");
        assert!(!error.contains("secret\""), "the message never shows the secret: {error}");
        settings.secret = Some(LONG.into());
        settings.secret_previous = vec!["short".into()];
        assert!(settings.signing_secrets().unwrap_err().to_string().contains("LANYARD_SECRET_PREVIOUS"));
    }

    #[test]
    fn the_secret_can_come_from_a_file() {
        let path = std::env::temp_dir().join(format!("lanyard-secret-{}", std::process::id()));
        std::fs::write(&path, format!("{LONG}\n")).unwrap();
        let mut settings = Settings::defaults("sqlite://x.db");
        settings.secret_file = Some(path.clone());
        assert_eq!(settings.signing_secrets().unwrap().current.unwrap().expose(), LONG);
        settings.secret = Some(LONG.into());
        assert!(settings.signing_secrets().is_err(), "not both");
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn the_database_password_stays_out_of_messages() {
        let settings = Settings::defaults("postgres://lanyard:hunter2@db:5432/lanyard");
        assert_eq!(settings.redacted_database_url(), "postgres://lanyard:***@db:5432/lanyard");
        assert_eq!(Settings::defaults("sqlite://data/x.db").redacted_database_url(), "sqlite://data/x.db");
    }

    #[test]
    fn the_secret_stays_out_of_debug_output() {
        let mut settings = Settings::defaults("sqlite://x.db");
        settings.secret = Some("hunter2, hunter2, hunter2, hunter2".into());
        assert!(!format!("{settings:?}").contains("hunter2"));
    }
}
