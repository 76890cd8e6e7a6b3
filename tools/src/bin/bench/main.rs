//! The benchmark: lanyard's release binary in a process of its own, on SQLite and on PostgreSQL,
//! driven by this process's load generator (and by `wrk` for the GETs), beside a bare axum handler
//! that answers the same JSON. It prints throughput and latency of `me`, `refresh` and `login` at
//! 32 connections; `me` and `refresh` under a sign-in flood; the sign-in timing of a wrong password
//! against an unknown email; cost as `lanyard_refresh_tokens` and `lanyard_auth_events` grow to a million rows;
//! memory with 100,000 sessions in the live view; two instances on one PostgreSQL; and the hourly
//! prune. The figures of throughput and latency are each the median of three runs. `scripts/bench`
//! builds and runs it; it talks only to 127.0.0.1 and stops by itself.

mod external;
mod growth;
mod load;
mod processes;

use load::{Endpoint, Worker, report};
use processes::Process;
use std::time::{Duration, Instant};

const CONNECTIONS: usize = 32;

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::var("BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    let postgres =
        std::env::var("LANYARD_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let duration = Duration::from_secs(seconds);
    println!(
        "lanyard benchmark: {CONNECTIONS} connections, {seconds} s per figure; each server in its own process, \
         load from this one (and from wrk where it says so)"
    );
    load::header();

    let bare = Process::bare().await;
    let (_, bare_me) = measure("-", "bare: me", Endpoint::Me, duration, bare_workers(&bare.base), &bare).await;
    let bare_wrk = external::wrk(&format!("{}/api/auth/me", bare.base), None, CONNECTIONS, duration);
    if let Some(figures) = &bare_wrk {
        external::report("-", "bare: me", figures);
    }
    drop(bare);

    let sqlite_dir = std::env::temp_dir().join(format!("lanyard-bench-{}", std::process::id()));
    std::fs::create_dir_all(&sqlite_dir).expect("a temporary folder");
    let sqlite = format!("sqlite://{}/bench.db", sqlite_dir.display());
    let bare = Bare { load: bare_me.rate(), wrk: bare_wrk.as_ref().map(|f| f.rate) };
    bench_database("sqlite", &sqlite, duration, bare).await;
    let _ = std::fs::remove_dir_all(&sqlite_dir);

    let name = format!("lanyard_bench_{}", std::process::id());
    match admin(&postgres, &format!("CREATE DATABASE {name}")).await {
        Ok(()) => {
            let url = format!("{}/{name}", postgres.rsplit_once('/').expect("a database URL").0);
            bench_database("postgres", &url, duration, bare).await;
            let _ = admin(&postgres, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
        }
        Err(error) => println!("postgres   skipped: {error}"),
    }
}

/// The bare handler takes no token; its workers carry an empty one so they send the same request.
fn bare_workers(base: &str) -> Vec<Worker> {
    let session = load::Session { access: String::new(), refresh: String::new() };
    vec![Worker { base: base.to_owned(), session: Some(session) }; CONNECTIONS]
}

async fn admin(url: &str, statement: &str) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await?;
    sqlx::query(statement).execute(&mut conn).await?;
    Ok(())
}

/// The bare handler's `me` throughput, by this process's load and by wrk's.
#[derive(Clone, Copy)]
struct Bare {
    load: f64,
    wrk: Option<f64>,
}

async fn bench_database(label: &str, url: &str, duration: Duration, bare: Bare) {
    processes::create_user(url, load::EMAIL, load::PASSWORD);
    let lanyard = Process::lanyard(url).await;
    let workers = load::signed_in(&lanyard.base, CONNECTIONS).await;
    let (mut workers, quiet_me) = measure(label, "me", Endpoint::Me, duration, workers, &lanyard).await;
    println!("{label:<10} me / bare               {:>9.2} ×", quiet_me.rate() / bare.load);
    let token = workers[0].session.as_ref().map(|s| s.access.clone());
    if let Some(figures) =
        external::wrk(&format!("{}/api/auth/me", lanyard.base), token.as_deref(), CONNECTIONS, duration)
    {
        external::report(label, "me", &figures);
        if let Some(bare) = bare.wrk {
            println!("{label:<10} me / bare (wrk)        {:>9.2} ×", figures.rate / bare);
        }
    }
    (workers, _) = measure(label, "refresh", Endpoint::Refresh, duration, workers, &lanyard).await;
    let login = watched(&[&lanyard], load::run(duration, Endpoint::Login, load::anonymous(&lanyard.base, 8))).await;
    report(label, "login", &login);
    workers = under_a_sign_in_flood(label, &lanyard, duration, workers, quiet_me.percentile(0.99)).await;
    enumeration_timing(label, &lanyard.base).await;

    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.expect("the benchmark database");
    for rows in [1_000, 100_000, 1_000_000] {
        growth::grow(&pool, label == "sqlite", rows).await;
        let rows = thousands(rows);
        let figure = format!("refresh @ {rows} rows");
        (workers, _) = measure(label, &figure, Endpoint::Refresh, duration, workers, &lanyard).await;
        (workers, _) = measure(label, &format!("me @ {rows} rows"), Endpoint::Me, duration, workers, &lanyard).await;
    }
    if label == "postgres" {
        two_instances(label, url, duration, &lanyard, workers).await;
    }
    memory(label, &pool, &lanyard).await;
    drop(lanyard);
    prune_figure(label, url, &pool).await;
}

/// One figure, the median of [`RUNS`] runs by throughput (runs on this shared machine differ by
/// 10–30 %); the workers come back as the last run left them (a refresh moves their cookies on).
async fn measure(
    label: &str,
    figure: &str,
    endpoint: Endpoint,
    duration: Duration,
    workers: Vec<Worker>,
    server: &Process,
) -> (Vec<Worker>, load::Figures) {
    let mut runs = Vec::with_capacity(RUNS);
    let mut workers = workers;
    for _ in 0..RUNS {
        let mut figures = watched(&[server], load::run(duration, endpoint, workers)).await;
        workers = std::mem::take(&mut figures.workers);
        runs.push(figures);
    }
    let median = median_run(runs);
    report(label, figure, &median);
    (workers, median)
}

/// Runs of one figure, each measured on the same machine in turn.
const RUNS: usize = 3;

/// The run of median throughput.
fn median_run(mut runs: Vec<load::Figures>) -> load::Figures {
    runs.sort_by(|a, b| a.rate().total_cmp(&b.rate()));
    runs.swap_remove(runs.len() / 2)
}

/// `run`'s figures with the cores that `servers` and this process kept busy meanwhile.
async fn watched(servers: &[&Process], run: impl std::future::Future<Output = load::Figures>) -> load::Figures {
    let watch = Watch::start(servers);
    let mut figures = run.await;
    figures.cores = Some(watch.cores(servers, figures.elapsed));
    figures
}

/// The CPU time used so far by the servers and by this process (the load generator).
struct Watch {
    servers: Duration,
    load: Duration,
}

impl Watch {
    fn start(servers: &[&Process]) -> Self {
        Self { servers: servers.iter().map(|s| s.cpu_time()).sum(), load: processes::cpu_time(std::process::id()) }
    }

    /// Cores busy on average since the start: the servers', the load generator's.
    fn cores(&self, servers: &[&Process], elapsed: Duration) -> (f64, f64) {
        let now = Self::start(servers);
        let busy =
            |after: Duration, before: Duration| after.saturating_sub(before).as_secs_f64() / elapsed.as_secs_f64();
        (busy(now.servers, self.servers), busy(now.load, self.load))
    }
}

/// Server memory before and after 100,000 sessions have entered the live view.
async fn memory(label: &str, pool: &sqlx::AnyPool, lanyard: &Process) {
    const SESSIONS: i64 = 100_000;
    let before = lanyard.rss_bytes().unwrap_or(0);
    let workers = growth::live_sessions(pool, &lanyard.base, processes::SECRET, SESSIONS).await;
    let touched = growth::touch_all(workers).await;
    let after = lanyard.rss_bytes().unwrap_or(0);
    println!(
        "{label:<10} memory                 {} sessions in the live view ({} refused): RSS {:.1} MB before, {:.1} MB after",
        touched.ok,
        touched.failed,
        before as f64 / 1e6,
        after as f64 / 1e6
    );
}

/// A second instance on the same PostgreSQL: refresh on both at once, half of the sessions each.
async fn two_instances(label: &str, url: &str, duration: Duration, first: &Process, workers: Vec<Worker>) {
    let second = Process::lanyard(url).await;
    let split: Vec<Worker> = workers
        .into_iter()
        .enumerate()
        .map(|(i, worker)| Worker { base: if i % 2 == 0 { first.base.clone() } else { second.base.clone() }, ..worker })
        .collect();
    let figures = watched(&[first, &second], load::run(duration, Endpoint::Refresh, split)).await;
    report(label, "refresh, 2 instances", &figures);
}

/// S12: `me` and `refresh` while as many connections again flood `login` (most of them shed).
/// The cores are of the three together.
async fn under_a_sign_in_flood(
    label: &str,
    lanyard: &Process,
    duration: Duration,
    mut workers: Vec<Worker>,
    quiet_me_p99: f64,
) -> Vec<Worker> {
    let mut refresh_workers = workers.split_off(workers.len() / 2);
    let mut me_workers = workers;
    let mut runs = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let watch = Watch::start(&[lanyard]);
        let (mut me, mut refresh, mut flood) = tokio::join!(
            load::run(duration, Endpoint::Me, me_workers),
            load::run(duration, Endpoint::Refresh, refresh_workers),
            load::run(duration, Endpoint::Login, load::anonymous(&lanyard.base, CONNECTIONS)),
        );
        flood.cores = Some(watch.cores(&[lanyard], flood.elapsed));
        me_workers = std::mem::take(&mut me.workers);
        refresh_workers = std::mem::take(&mut refresh.workers);
        runs.push((me, refresh, flood));
    }
    // The run whose `me` had the median p99: the figure the flood's goal is about.
    runs.sort_by(|a, b| a.0.percentile(0.99).total_cmp(&b.0.percentile(0.99)));
    let (me, refresh, flood) = runs.swap_remove(RUNS / 2);
    report(label, "me, login flood", &me);
    report(label, "refresh, login flood", &refresh);
    report(label, "the flood (login)", &flood);
    if quiet_me_p99 > 0.0 {
        println!("{label:<10} me p99 flood / quiet    {:>9.2} ×", me.percentile(0.99) / quiet_me_p99);
    }
    me_workers.into_iter().chain(refresh_workers).collect()
}

/// AUTH-02: the median time of a wrong password and of an unknown email, 200 sign-ins each, taken
/// in turns so that both see the same machine. An unknown email is checked against a dummy hash.
async fn enumeration_timing(label: &str, base: &str) {
    const SAMPLES: usize = 200;
    let client = reqwest::Client::new();
    let mut times = [Vec::with_capacity(SAMPLES), Vec::with_capacity(SAMPLES)];
    for _ in 0..SAMPLES {
        for (times, email) in times.iter_mut().zip([load::EMAIL, "nobody@example.com"]) {
            let body = serde_json::json!({ "email": email, "password": "not the password" });
            let sent = Instant::now();
            let answer = client.post(format!("{base}/api/auth/login")).json(&body).send().await;
            assert!(answer.is_ok_and(|a| a.status() == 401), "a wrong sign-in is refused");
            times.push(sent.elapsed());
        }
    }
    let [wrong, unknown] = times.map(|mut times| {
        times.sort();
        times[SAMPLES / 2].as_secs_f64() * 1_000.0
    });
    println!(
        "{label:<10} timing                 wrong password median {wrong:.1} ms, unknown email median {unknown:.1} ms ({:+.1} %)",
        (unknown - wrong) / wrong * 100.0
    );
}

/// The hourly prune with 100,000 audit events past the 90 days kept: how long it holds the
/// database (run in this process, on the database the server used).
async fn prune_figure(label: &str, url: &str, pool: &sqlx::AnyPool) {
    const EVENTS: i64 = 100_000;
    let config = server::config::Config::for_tests(url);
    let engine = server::engine(&config, std::sync::Arc::new(lanyard::engine::SystemClock)).await.expect("the engine");
    let old = engine.now() - 100 * 86_400;
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
         INSERT INTO lanyard_auth_events (at, kind) SELECT $2, 'login' FROM n",
    )
    .bind(EVENTS)
    .bind(old)
    .execute(pool)
    .await
    .expect("old events inserted");
    let started = Instant::now();
    let removed = engine.prune_history().await.expect("the prune runs");
    println!(
        "{label:<10} prune                  {removed:>9} rows removed in {:.0} ms (batches of 1,000)",
        started.elapsed().as_secs_f64() * 1_000.0
    );
}

fn thousands(n: i64) -> String {
    match n {
        n if n >= 1_000_000 => format!("{}M", n / 1_000_000),
        n if n >= 1_000 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}
