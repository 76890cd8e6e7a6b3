use app::contract::{LogoutCode, Role};
use app::engine::store::AccountField;
use clap::Parser;
use server::config::{AccountCommand, AdminCommand, Cli, Command, Config, ReportCommand, SessionsCommand, UserCommand};
use std::net::SocketAddr;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.config.log_format);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.config).await,
        Command::Admin { command } => admin(&cli.config, command).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_logging(format: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// The operator CLI (SPEC §8): the same database, no server needed; running servers see each
/// change within a second.
async fn admin(config: &Config, command: AdminCommand) -> Result<(), String> {
    let engine = server::engine(config, std::sync::Arc::new(app::engine::clock::SystemClock))
        .await
        .map_err(|e| e.to_string())?;
    match command {
        AdminCommand::User { command: UserCommand::Create { email, password, role, account } } => {
            let role = Role::parse(&role).ok_or("unknown role")?;
            let account = account.as_deref().unwrap_or(app::engine::accounts::DEFAULT_ACCOUNT);
            engine.create_user(&email, &password, role, account).await.map_err(|e| e.to_string())?;
            println!("created {email} ({}) in the account {account:?}", role.as_str());
        }
        AdminCommand::Account { command } => {
            let (email, field, value) = match command {
                AccountCommand::Status { email, status } => (email, AccountField::Status, status),
                AccountCommand::Plan { email, plan } => (email, AccountField::Plan, plan),
            };
            engine.set_account(&email, field, &value).await.map_err(|e| e.to_string())?;
            let what = match field {
                AccountField::Status => "status",
                AccountField::Plan => "plan",
            };
            println!("the account of {email} now has {what} {value}");
        }
        AdminCommand::Sessions { command: SessionsCommand::Revoke { email } } => {
            let revoked = engine.revoke_user_sessions(&email).await.map_err(|e| e.to_string())?;
            println!("ended {} session(s) of {email} with {}", revoked.len(), LogoutCode::AdminRevoked);
        }
        AdminCommand::Report { command: ReportCommand::Logouts { days } } => {
            let report = engine.logout_report(None, days).await.map_err(|e| e.to_string())?;
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

/// YYYY-MM-DD of a Unix instant, in UTC.
fn utc_date(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix).map_or_else(|_| unix.to_string(), |t| t.date().to_string())
}

async fn serve(config: Config) -> Result<(), String> {
    let engine = server::start(&config).await.map_err(|e| e.to_string())?;
    let app = server::web::router(engine, config.leptos_options(), config.ui());
    let listener = tokio::net::TcpListener::bind(config.site_addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.site_addr))?;
    println!("{}", server::demo_banner(&config));
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| e.to_string())
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
