//! The soak (`scripts/soak`): lanyard under the faults real deployments see, for minutes, with the
//! one question that matters counted exactly: did any session end that policy did not end?
//!
//! Two lanyard instances on one PostgreSQL database (and, with `--sqlite`, then one on SQLite) run in
//! this process behind a fault-injecting proxy of its own, which answers a share of API calls with
//! 403, 402, 500 or 503, drops connections, delays answers, and cuts answers after the server
//! committed them. Simulated browsers (several tabs sharing one cookie, one refresh at a time under
//! a lock with a deadline, the token shared between tabs, the pure client rules of
//! `lanyard::session::rules`) use 10-second access tokens; an instance restarts every few minutes, the
//! signing secret is rotated once by a rolling restart, and an operator suspends, revokes and
//! changes plans at recorded times. Every ending a browser meets is checked against that ledger.
//! With `--browser-tabs N`, N real Chromium tabs (Playwright, `end2end/soak`) browse through the
//! same proxy and report the endings their banner and history showed; with `--firefox-tabs N`, N
//! Firefox ESR tabs do the same over WebDriver (`lanyard-engines`), driven from this process.
//!
//! It prints the figures and exits non-zero when a session ended without a cause the soak injected,
//! when a refresh outside an injected fault failed, or when an ending went unexplained.

mod instances;
mod ledger;
mod phase;
mod proxy;
mod real_tabs;
mod simulated;

use anyhow::Context as _;
use clap::Parser;
use instances::admin_sql;
use lanyard::session::rules;
use ledger::World;
use phase::Phase;
use proxy::Fault;
use real_tabs::BrowserReport;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

const PASSWORD: &str = "soak password, long enough";
const SECRETS: [&str; 2] =
    ["the soak's first signing secret, 32+ bytes", "the soak's second signing secret, 32+ bytes"];
const ACCESS_TTL: i64 = 10;
/// The client's call deadline and refresh-lock wait (SPEC §4 "Deadlines").
const DEADLINE: Duration = Duration::from_millis(rules::DEADLINE_MS as u64);
/// How long after a restart or a rotation a failed refresh counts as caused by it.
const DISTURBANCE: Duration = Duration::from_secs(5);

#[derive(Parser, Debug, Clone)]
#[command(about = "Runs lanyard under injected faults and counts the sessions that ended by accident")]
struct Args {
    /// Seconds each phase runs.
    #[arg(long, default_value_t = 600)]
    duration: u64,
    /// After the PostgreSQL phase, run one instance on SQLite as well.
    #[arg(long)]
    sqlite: bool,
    /// Simulated users (browsers), each of its own account.
    #[arg(long, default_value_t = 12)]
    users: usize,
    /// Tabs per simulated browser.
    #[arg(long, default_value_t = 3)]
    tabs: usize,
    /// Seconds between instance restarts.
    #[arg(long, default_value_t = 120)]
    restart_every: u64,
    /// Real Chromium tabs (Playwright, `end2end/soak`) browsing through the proxy during the
    /// PostgreSQL phase; 0 for none.
    #[arg(long, default_value_t = 2)]
    browser_tabs: usize,
    /// Real Firefox ESR tabs (geckodriver, driven from this process) browsing through the proxy
    /// during the PostgreSQL phase; 0 for none.
    #[arg(long, default_value_t = 1)]
    firefox_tabs: usize,
    /// Percent of API calls the proxy disturbs.
    #[arg(long, default_value_t = 10)]
    fault_percent: u32,
    /// PostgreSQL server to create the soak's database on.
    #[arg(long, env = "LANYARD_TEST_POSTGRES", default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    postgres: String,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let mut failed = false;
    match run_postgres(&args).await {
        Ok(report) => failed |= !report.print("PostgreSQL, two instances"),
        Err(error) => {
            eprintln!("soak: {error:#}");
            return std::process::ExitCode::FAILURE;
        }
    }
    if args.sqlite {
        match run_sqlite(&args).await {
            Ok(report) => failed |= !report.print("SQLite, one instance"),
            Err(error) => {
                eprintln!("soak: {error:#}");
                return std::process::ExitCode::FAILURE;
            }
        }
    }
    if failed { std::process::ExitCode::FAILURE } else { std::process::ExitCode::SUCCESS }
}

async fn run_postgres(args: &Args) -> anyhow::Result<Report> {
    let name = format!("lanyard_soak_{}", std::process::id());
    admin_sql(&args.postgres, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
    admin_sql(&args.postgres, &format!("CREATE DATABASE {name}")).await?;
    let url = format!("{}/{name}", args.postgres.rsplit_once('/').context("a PostgreSQL URL")?.0);
    let report = Phase::run(args, &url, 2, args.browser_tabs, args.firefox_tabs).await;
    admin_sql(&args.postgres, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
    report
}

async fn run_sqlite(args: &Args) -> anyhow::Result<Report> {
    let dir = std::env::temp_dir().join(format!("lanyard-soak-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let report = Phase::run(args, &format!("sqlite://{}/soak.db", dir.display()), 1, 0, 0).await;
    let _ = std::fs::remove_dir_all(dir);
    report
}

// ---- the report ----

struct Report {
    false_logouts: usize,
    endings: usize,
    endings_by_code: BTreeMap<String, usize>,
    refresh_ok: u64,
    refresh_ok_disturbed: u64,
    refresh_failed_undisturbed: u64,
    refresh_failed_disturbed: u64,
    refresh_p50: f64,
    refresh_p99: f64,
    calls: BTreeMap<String, u64>,
    faults: BTreeMap<Fault, u64>,
    sign_ins: u64,
    password_changes_lost: u64,
    restarts: usize,
    rotated: bool,
    browsers: Vec<BrowserReport>,
}

impl Report {
    fn new(world: &World, restarts: usize, rotated: bool, browsers: Vec<BrowserReport>) -> Self {
        let endings = world.ledger.endings.lock().unwrap().clone();
        let mut latencies = world.figures.refresh_ms.lock().unwrap().clone();
        latencies.sort_by(f64::total_cmp);
        let quantile = |q: f64| {
            latencies
                .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
                .copied()
                .unwrap_or(0.0)
        };
        let mut endings_by_code = BTreeMap::new();
        for ending in &endings {
            *endings_by_code.entry(ending.code.as_str().to_owned()).or_default() += 1;
        }
        Self {
            false_logouts: endings.iter().filter(|e| !e.explained).count(),
            endings: endings.len(),
            endings_by_code,
            refresh_ok: world.figures.refresh_ok.load(Ordering::Relaxed),
            refresh_ok_disturbed: world.figures.refresh_ok_disturbed.load(Ordering::Relaxed),
            refresh_failed_undisturbed: world.figures.refresh_failed_undisturbed.load(Ordering::Relaxed),
            refresh_failed_disturbed: world.figures.refresh_failed_disturbed.load(Ordering::Relaxed),
            refresh_p50: quantile(0.50),
            refresh_p99: quantile(0.99),
            calls: world.figures.calls.lock().unwrap().clone(),
            faults: world.proxy.injected.lock().unwrap().clone(),
            sign_ins: world.figures.sign_ins.load(Ordering::Relaxed),
            password_changes_lost: world.figures.password_changes_lost.load(Ordering::Relaxed),
            restarts,
            rotated,
            browsers,
        }
    }

    /// Prints the figures; true when every goal holds.
    fn print(&self, title: &str) -> bool {
        let outside = self.refresh_ok + self.refresh_failed_undisturbed;
        let success = if outside == 0 { 0.0 } else { self.refresh_ok as f64 * 100.0 / outside as f64 };
        let explained = if self.endings == 0 {
            100.0
        } else {
            (self.endings - self.false_logouts) as f64 * 100.0 / self.endings as f64
        };
        println!("\n== soak: {title}");
        println!("false logouts:                    {}", self.false_logouts);
        println!(
            "refresh success outside faults:   {success:.2} % ({} of {outside}; under injected faults {} more \
             answered, {} failed)",
            self.refresh_ok, self.refresh_ok_disturbed, self.refresh_failed_disturbed
        );
        println!(
            "explained endings:                {explained:.2} % ({} endings: {:?})",
            self.endings, self.endings_by_code
        );
        println!("refresh latency:                  p50 {:.1} ms, p99 {:.1} ms", self.refresh_p50, self.refresh_p99);
        println!("sign-ins:                         {}", self.sign_ins);
        println!("password changes, answer lost:    {}", self.password_changes_lost);
        println!("restarts: {}, secret rotated: {}", self.restarts, self.rotated);
        println!("calls by outcome:                 {:?}", self.calls);
        let faults: Vec<String> = self.faults.iter().map(|(fault, n)| format!("{}: {n}", fault.name())).collect();
        println!("faults injected:                  {}", faults.join(", "));
        let mut ok = self.false_logouts == 0 && self.refresh_failed_undisturbed == 0 && outside > 0;
        for browser in &self.browsers {
            let share =
                if browser.endings == 0 { 100.0 } else { browser.explained as f64 * 100.0 / browser.endings as f64 };
            println!(
                "{} tabs: {}, endings {}, explained in banner and history {share:.0} %, {} {}",
                browser.kind.name(),
                browser.tabs,
                browser.endings,
                browser.kind.driver(),
                if browser.driver_ok { "passed" } else { "FAILED" }
            );
            ok &= browser.driver_ok && browser.explained == browser.endings;
        }
        println!("result:                           {}", if ok { "PASS" } else { "FAIL" });
        ok
    }
}
