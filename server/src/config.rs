//! Configuration: every setting from the environment (SPEC §7) or the command line, checked at start.

use anyhow::Context as _;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use lanyard::contract::{AccountStatus, PlanStatus, Role, Secret};
use lanyard::engine::Policy;
use std::net::SocketAddr;

/// The shortest signing secret accepted (SPEC §9): HS256 wants a key of at least 256 bits.
pub const MIN_SECRET_BYTES: usize = 32;

/// A command-line value that must be a member of one of the contract's closed sets, parsed by its
/// names so `--help` lists them.
fn member_of<T: Copy + Send + Sync + 'static>(
    all: &'static [T],
    name: fn(T) -> &'static str,
) -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(all.iter().map(|member| name(*member)))
        .map(move |given| *all.iter().find(|member| name(**member) == given).expect("one of the possible values"))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

#[derive(Debug, Parser)]
#[command(name = "server", about = "lanyard: sessions that never end by accident")]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web app (the default).
    Serve,
    /// Operator commands; changes reach running servers within a second.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The account of a user.
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// Sessions of a user.
    Sessions {
        #[command(subcommand)]
        command: SessionsCommand,
    },
    /// Reports.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; a new account is created active with an active plan.
    Create {
        #[arg(long)]
        email: String,
        /// The password; `--password-stdin` keeps it out of the shell's history instead.
        #[arg(long, required_unless_present = "password_stdin", conflicts_with = "password_stdin")]
        password: Option<String>,
        /// Read the password from standard input (its first line).
        #[arg(long)]
        password_stdin: bool,
        #[arg(long, default_value = "viewer", value_parser = member_of(Role::ALL, Role::as_str))]
        role: Role,
        /// The account to join; the shared "default" account when omitted.
        #[arg(long)]
        account: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Set the account's status.
    Status {
        #[arg(long)]
        email: String,
        #[arg(value_parser = member_of(AccountStatus::ALL, AccountStatus::as_str))]
        status: AccountStatus,
    },
    /// Set the account's plan.
    Plan {
        #[arg(long)]
        email: String,
        #[arg(value_parser = member_of(PlanStatus::ALL, PlanStatus::as_str))]
        plan: PlanStatus,
    },
}

#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// End every live session of the user with ADMIN_REVOKED.
    Revoke {
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Session endings by reason per day.
    Logouts {
        #[arg(long, default_value_t = 7)]
        days: i64,
    },
}

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Where sessions live: a SQLite file (created and migrated at start) or a PostgreSQL URL.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/lanyard.db")]
    pub database_url: String,

    /// The address to listen on; a loopback address also makes the refresh cookie non-Secure.
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

    /// Seconds the requests in flight get to finish after SIGTERM or Ctrl-C.
    #[arg(long, env = "LANYARD_DRAIN_SECS", default_value_t = 10)]
    pub drain_secs: u64,

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

    /// `text` or `json` log lines.
    #[arg(long, env = "LANYARD_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Seed the demo account on an empty database: `auto` (only on a loopback address), 1 or 0.
    #[arg(long, env = "LANYARD_DEMO", value_enum, default_value_t = DemoSeed::Auto)]
    pub demo: DemoSeed,

    /// The cargo-leptos output name: the site serves /pkg/<name>.js, .wasm and .css.
    #[arg(long, env = "LEPTOS_OUTPUT_NAME", default_value = "lanyard")]
    pub output_name: String,

    /// Where the built site (pkg/) lives.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,

    #[arg(long, env = "LEPTOS_SITE_PKG_DIR", default_value = "pkg")]
    pub site_pkg_dir: String,

    /// The port `cargo leptos watch` reloads the page through.
    #[arg(long, env = "LEPTOS_RELOAD_PORT", default_value_t = 3001)]
    pub reload_port: u32,

    /// The reload port as the browser reaches it, when a proxy in front maps it to another.
    #[arg(long, env = "LEPTOS_RELOAD_EXTERNAL_PORT")]
    pub reload_external_port: Option<u32>,

    /// `wss` when the page is served over TLS, so that the reload socket is too.
    #[arg(long, env = "LEPTOS_RELOAD_WS_PROTOCOL", value_enum, default_value_t = ReloadProtocol::Ws)]
    pub reload_ws_protocol: ReloadProtocol,
}

/// The scheme of the dev server's reload socket (`LEPTOS_RELOAD_WS_PROTOCOL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReloadProtocol {
    Ws,
    Wss,
}

impl Config {
    pub fn policy(&self) -> anyhow::Result<lanyard::engine::Policy> {
        let trusted_proxies = self
            .trusted_proxies
            .iter()
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
            .map(|p| {
                // A plain address is a range of one.
                let range =
                    p.parse::<ipnet::IpNet>().or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from));
                range.with_context(|| format!("LANYARD_TRUSTED_PROXIES: {p:?} is neither an address nor a CIDR range"))
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
            trusted_proxies,
            leeway: lanyard::engine::Policy::default().leeway,
        })
    }

    /// The signing secrets (SPEC §1, §9): each at least [`MIN_SECRET_BYTES`], at most
    /// `MAX_PREVIOUS_SECRETS` earlier ones, and those only beside a current one.
    pub fn signing_secrets(&self) -> anyhow::Result<lanyard::engine::SigningSecrets> {
        let current = match (&self.secret, &self.secret_file) {
            (Some(_), Some(_)) => anyhow::bail!("set LANYARD_SECRET or LANYARD_SECRET_FILE, not both"),
            (Some(secret), None) => Some(secret.clone()),
            (None, Some(path)) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("LANYARD_SECRET_FILE: reading {}", path.display()))?;
                Some(Secret::from(text.trim_end_matches(['\r', '\n'])))
            }
            (None, None) => None,
        };
        let previous: Vec<Secret> = self.secret_previous.iter().filter(|s| !s.expose().is_empty()).cloned().collect();
        anyhow::ensure!(
            previous.len() <= lanyard::engine::MAX_PREVIOUS_SECRETS,
            "LANYARD_SECRET_PREVIOUS: at most {} earlier secrets are kept, {} were given",
            lanyard::engine::MAX_PREVIOUS_SECRETS,
            previous.len()
        );
        anyhow::ensure!(
            previous.is_empty() || current.is_some(),
            "LANYARD_SECRET_PREVIOUS needs LANYARD_SECRET: the earlier secrets are what it replaced"
        );
        let named = current
            .iter()
            .map(|s| ("LANYARD_SECRET", s))
            .chain(previous.iter().map(|s| ("LANYARD_SECRET_PREVIOUS", s)));
        for (name, secret) in named {
            let bytes = secret.expose().len();
            anyhow::ensure!(
                bytes >= MIN_SECRET_BYTES,
                "{name}: a signing secret needs at least {MIN_SECRET_BYTES} bytes, this one has {bytes}"
            );
        }
        Ok(lanyard::engine::SigningSecrets { current, previous })
    }

    pub fn ui(&self) -> lanyard::ui::UiSettings {
        lanyard::ui::UiSettings { debug_panel: self.debug_panel == Switch::On }
    }

    pub fn leptos_options(&self) -> leptos::config::LeptosOptions {
        leptos::config::LeptosOptions::builder()
            .output_name(self.output_name.as_str())
            .site_root(self.site_root.as_str())
            .site_pkg_dir(self.site_pkg_dir.as_str())
            .site_addr(self.site_addr)
            .reload_port(self.reload_port)
            .reload_external_port(self.reload_external_port)
            .reload_ws_protocol(match self.reload_ws_protocol {
                ReloadProtocol::Ws => leptos::config::ReloadWSProtocol::WS,
                ReloadProtocol::Wss => leptos::config::ReloadWSProtocol::WSS,
            })
            .build()
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

    /// The defaults, whatever the environment of the process running the tests says, on
    /// `database_url` and without the demo account.
    pub fn for_tests(database_url: &str) -> Self {
        let defaults_only = Cli::command().mut_args(|arg| arg.env(None::<&str>));
        let matches = defaults_only.get_matches_from(["server"]);
        let mut config = Cli::from_arg_matches(&matches).expect("the defaults are valid").config;
        config.database_url = database_url.to_owned();
        config.demo = DemoSeed::Never;
        config
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
        let mut config = Config::for_tests("sqlite://x.db");
        config.secret_previous = vec![LONG.into()];
        assert!(config.signing_secrets().is_err(), "an earlier secret without a current one");
        config.secret = Some(LONG.into());
        assert_eq!(config.signing_secrets().unwrap().previous.len(), 1);
        config.secret_previous = vec![LONG.into(), LONG.into(), LONG.into()];
        assert!(config.signing_secrets().is_err());
    }

    #[test]
    fn trusted_proxies_are_addresses_or_ranges() {
        let mut config = Config::for_tests("sqlite://x.db");
        config.trusted_proxies = vec!["10.0.0.0/8".into(), " 192.168.1.5".into(), "::1".into()];
        let policy = config.policy().unwrap();
        assert!(policy.trusts("10.20.30.40".parse().unwrap()));
        assert!(policy.trusts("192.168.1.5".parse().unwrap()) && !policy.trusts("192.168.1.6".parse().unwrap()));
        config.trusted_proxies = vec!["10.0.0.0/33".into()];
        assert!(config.policy().is_err());
    }

    #[test]
    fn a_secret_under_32_bytes_stops_the_server_with_a_message() {
        let mut config = Config::for_tests("sqlite://x.db");
        config.secret = Some("secret".into());
        let error = config.signing_secrets().unwrap_err().to_string();
        assert!(error.contains("at least 32 bytes") && error.contains("has 6"), "{error}");
        assert!(!error.contains("secret\""), "the message never shows the secret: {error}");
        config.secret = Some(LONG.into());
        config.secret_previous = vec!["short".into()];
        assert!(config.signing_secrets().unwrap_err().to_string().contains("LANYARD_SECRET_PREVIOUS"));
    }

    /// One `key = value` of Cargo.toml's `[[workspace.metadata.leptos]]`, the table both
    /// `scripts/site` and cargo-leptos (`scripts/dev`) build the site from.
    fn leptos_metadata(key: &str) -> String {
        let manifest = include_str!("../../Cargo.toml");
        let table = manifest.split("[[workspace.metadata.leptos]]").nth(1).expect("the leptos table");
        let table = table.split("\n[").next().unwrap();
        let line = table.lines().find_map(|line| line.strip_prefix(&format!("{key} = "))).expect(key);
        line.trim_matches('"').to_owned()
    }

    #[test]
    fn the_site_is_served_from_where_it_is_built() {
        let config = Config::for_tests("sqlite://x.db");
        assert_eq!(leptos_metadata("name"), config.output_name);
        assert_eq!(leptos_metadata("site-root"), config.site_root);
        assert_eq!(leptos_metadata("site-pkg-dir"), config.site_pkg_dir);
        assert_eq!(leptos_metadata("site-addr"), config.site_addr.to_string());
        assert_eq!(leptos_metadata("reload-port"), config.reload_port.to_string());
        let cargo_env = include_str!("../../.cargo/config.toml");
        assert!(cargo_env.contains(&format!("LEPTOS_OUTPUT_NAME = \"{}\"", config.output_name)), "{cargo_env}");
    }

    #[test]
    fn the_secret_can_come_from_a_file() {
        let path = std::env::temp_dir().join(format!("lanyard-secret-{}", std::process::id()));
        std::fs::write(&path, format!("{LONG}\n")).unwrap();
        let mut config = Config::for_tests("sqlite://x.db");
        config.secret_file = Some(path.clone());
        assert_eq!(config.signing_secrets().unwrap().current.unwrap().expose(), LONG);
        config.secret = Some(LONG.into());
        assert!(config.signing_secrets().is_err(), "not both");
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn test_configuration_ignores_the_environment() {
        // SAFETY: no other test of this binary reads or writes the environment.
        unsafe { std::env::set_var("LANYARD_ACCESS_TTL", "7") };
        let config = Config::for_tests("sqlite://x.db");
        unsafe { std::env::remove_var("LANYARD_ACCESS_TTL") };
        assert_eq!(config.access_ttl, 3_600);
        assert!(!config.seeds_demo());
    }

    /// SPEC §7: `auto`, the default, seeds only on a loopback address; 1 and 0 decide alone.
    #[test]
    fn the_demo_account_is_seeded_by_default_only_on_loopback() {
        let parse = |args: &[&str]| {
            let defaults_only = Cli::command().mut_args(|arg| arg.env(None::<&str>));
            let matches = defaults_only.get_matches_from(std::iter::once("server").chain(args.iter().copied()));
            Cli::from_arg_matches(&matches).expect("valid arguments").config
        };
        assert_eq!(parse(&[]).demo, DemoSeed::Auto);
        assert!(parse(&[]).seeds_demo(), "127.0.0.1:3000 by default");
        assert!(!parse(&["--site-addr", "0.0.0.0:3000"]).seeds_demo());
        assert!(!parse(&["--site-addr", "203.0.113.7:80"]).seeds_demo());
        assert!(parse(&["--site-addr", "203.0.113.7:80", "--demo", "1"]).seeds_demo());
        assert!(!parse(&["--demo", "0"]).seeds_demo());
        assert!(!parse(&["--demo", "false"]).seeds_demo());
    }

    #[test]
    fn the_database_password_stays_out_of_messages() {
        let config = Config::for_tests("postgres://lanyard:hunter2@db:5432/lanyard");
        assert_eq!(config.redacted_database_url(), "postgres://lanyard:***@db:5432/lanyard");
        assert_eq!(Config::for_tests("sqlite://data/x.db").redacted_database_url(), "sqlite://data/x.db");
    }

    #[test]
    fn the_secret_stays_out_of_debug_output() {
        let mut config = Config::for_tests("sqlite://x.db");
        config.secret = Some("hunter2, hunter2, hunter2, hunter2".into());
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}
