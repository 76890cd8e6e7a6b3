//! Configuration: every setting from the environment (SPEC §7) or the command line, checked at start.

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use lanyard::contract::{AccountStatus, PlanStatus, Role};
use lanyard::server::Settings;

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

pub use lanyard::server::{DemoSeed, Switch};

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
    /// The second factors of a user.
    Mfa {
        #[command(subcommand)]
        command: MfaCommand,
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
pub enum MfaCommand {
    /// Remove the user's authenticator app, passkeys and recovery codes, for a user who lost them
    /// all; recorded in the user's security activity, and no session ends.
    Reset {
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

/// The server's configuration: lanyard's settings (SPEC §7), and the demo's own (logs, shutdown,
/// the built site). A `Config` reads as its lanyard settings too (`config.idle_timeout`).
#[derive(Debug, Clone, Args)]
pub struct Config {
    #[command(flatten)]
    pub lanyard: Settings,

    /// Seconds the requests in flight get to finish after SIGTERM or Ctrl-C.
    #[arg(long, env = "LANYARD_DRAIN_SECS", default_value_t = 10)]
    pub drain_secs: u64,

    /// `text` or `json` log lines.
    #[arg(long, env = "LANYARD_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

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

impl std::ops::Deref for Config {
    type Target = Settings;

    fn deref(&self) -> &Settings {
        &self.lanyard
    }
}

impl std::ops::DerefMut for Config {
    fn deref_mut(&mut self) -> &mut Settings {
        &mut self.lanyard
    }
}

impl Config {
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

    /// The defaults, whatever the environment of the process running the tests says, on
    /// `database_url` and without the demo account.
    pub fn for_tests(database_url: &str) -> Self {
        let defaults_only = Cli::command().mut_args(|arg| arg.env(None::<&str>));
        let matches = defaults_only.get_matches_from(["server"]);
        let mut config = Cli::from_arg_matches(&matches).expect("the defaults are valid").config;
        config.lanyard = Settings::defaults(database_url);
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
