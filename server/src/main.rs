use anyhow::Context as _;
use clap::Parser;
use lanyard::contract::LogoutCode;
use lanyard::engine::{AccountChange, DEFAULT_ACCOUNT, SystemClock};
use server::config::{
    AccountCommand, AdminCommand, Cli, Command, Config, LogFormat, MfaCommand, ReportCommand, SessionsCommand,
    UserCommand,
};
use std::net::SocketAddr;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // A `.env` in the working directory fills in what the environment does not set.
    let _ = dotenvy::dotenv();
    return_large_blocks_to_the_system();
    let cli = Cli::parse();
    init_logging(cli.config.log_format);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.config).await,
        Command::Admin { command } => admin(&cli.config, command).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Each sign-in's argon2id hash works in 19 MiB. glibc raises its mmap threshold after the first
/// such block is freed and from then on serves them from the thread's arena, which keeps the memory
/// resident after the hash (measured: 340 MB after a burst of sign-ins, when hashes ran on tokio's
/// blocking threads). A fixed threshold keeps blocks of 1 MiB and more mapped on their own, so each
/// hash's memory goes back to the system as it finishes.
fn return_large_blocks_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a tuning value of glibc's allocator, under the allocator's own lock.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        // Each event's fields at the top level, beside its message and the request's span fields.
        LogFormat::Json => builder.json().flatten_event(true).fmt_fields(server::logs::SpanFieldsAsJson).init(),
        LogFormat::Text => builder.init(),
    }
}

/// The operator CLI (SPEC §8): the same database, no server needed; running servers see each
/// change within a second.
async fn admin(config: &Config, command: AdminCommand) -> anyhow::Result<()> {
    let engine = server::engine(config, std::sync::Arc::new(SystemClock)).await?;
    match command {
        AdminCommand::User { command: UserCommand::Create { email, password, password_stdin, role, account } } => {
            let password = match password {
                Some(password) if !password_stdin => password,
                _ => password_from_stdin()?,
            };
            let account = account.as_deref().unwrap_or(DEFAULT_ACCOUNT);
            engine.create_user(&email, &password, role, account).await.context("creating the user")?;
            println!("created {email} ({role}) in the account {account:?}");
        }
        AdminCommand::Account { command } => {
            let (email, change) = match command {
                AccountCommand::Status { email, status } => (email, AccountChange::Status(status)),
                AccountCommand::Plan { email, plan } => (email, AccountChange::Plan(plan)),
            };
            engine.change_account(&email, change).await.context("changing the account")?;
            let (what, value) = match change {
                AccountChange::Status(status) => ("status", status.as_str()),
                AccountChange::Plan(plan) => ("plan", plan.as_str()),
            };
            println!("the account of {email} now has {what} {value}");
        }
        AdminCommand::Sessions { command: SessionsCommand::Revoke { email } } => {
            let revoked = engine.revoke_user_sessions(&email).await.context("revoking the sessions")?;
            println!("ended {} session(s) of {email} with {}", revoked.len(), LogoutCode::AdminRevoked);
        }
        AdminCommand::Mfa { command: MfaCommand::Reset { email } } => {
            let removed = engine.reset_second_factor(&email).await.context("removing the second factors")?;
            println!("removed the second factors of {email} ({removed} row(s)); they sign in with a password alone");
        }
        AdminCommand::Report { command: ReportCommand::Logouts { days } } => {
            let report = engine.logout_report(None, days).await.context("reading the report")?;
            println!("{:<12} {:<26} {:>6}", "day", "reason", "count");
            for row in &report.counts {
                println!("{:<12} {:<26} {:>6}", utc_date(row.day), row.reason, row.count);
            }
            let total: i64 = report.counts.iter().map(|row| row.count).sum();
            println!("{total} session ending(s) in the last {days} day(s)");
        }
    }
    Ok(())
}

/// The first line of standard input, without its line ending: a password piped in or typed, so
/// that it is not in the shell's history or the process list.
fn password_from_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']);
    anyhow::ensure!(!password.is_empty(), "standard input holds no password");
    Ok(password.to_owned())
}

/// YYYY-MM-DD of a Unix instant, in UTC.
fn utc_date(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix).map_or_else(|_| unix.to_string(), |t| t.date().to_string())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let lanyard = lanyard::server::Server::start(config.lanyard.clone()).await?;
    let app = server::web::router(lanyard.engine().clone(), &config);
    let listener = tokio::net::TcpListener::bind(config.site_addr)
        .await
        .with_context(|| format!("listening on {}", config.site_addr))?;
    println!("{}", server::demo_banner(&config));
    let (stop, stopping) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    });
    let signalled = |mut stopping: tokio::sync::watch::Receiver<bool>| async move {
        let _ = stopping.wait_for(|stop| *stop).await;
    };
    let drain = std::time::Duration::from_secs(config.drain_secs);
    let serving = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(signalled(stopping.clone()));
    // After the signal, requests in flight get `drain` to finish; a client that never finishes its
    // request does not keep the process from stopping.
    let deadline = async {
        signalled(stopping).await;
        tokio::time::sleep(drain).await;
    };
    tokio::select! {
        served = serving => served.context("serving")?,
        () = deadline => tracing::warn!("requests still in flight after {} s; stopping anyway", drain.as_secs()),
    }
    lanyard.shutdown().await;
    Ok(())
}

/// Ctrl-C or SIGTERM: finish the requests in flight, then stop.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
