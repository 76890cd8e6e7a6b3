//! The benchmark: starts lanyard in this process on SQLite and on PostgreSQL and prints throughput
//! and latency of `me`, `refresh` and `login` at 32 connections, next to a bare axum handler on the
//! same machine; then `me` and `refresh` under a sign-in flood, the sign-in timing of a wrong password
//! against an unknown email, and the hourly prune. Run it on a release build: `scripts/bench` (or
//! `cargo run --release -p tools --bin bench`). It only talks to 127.0.0.1 and stops by itself.

use app::contract::Role;
use app::engine::SystemClock;
use server::config::Config;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

const CONNECTIONS: usize = 32;
const PASSWORD: &str = "bench password 1";

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::var("BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    let postgres =
        std::env::var("LANYARD_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let duration = Duration::from_secs(seconds);
    println!("lanyard benchmark: {CONNECTIONS} connections, {seconds} s per endpoint, server and load in one process");
    println!("{:<10} {:<10} {:>9} {:>10} {:>9} {:>9}", "database", "endpoint", "requests", "req/s", "p50 ms", "p99 ms");

    let bare = bare_axum().await;
    report("-", "bare", &run(duration, &bare, Endpoint::Bare, vec![None; CONNECTIONS]).await);

    let sqlite_dir = std::env::temp_dir().join(format!("lanyard-bench-{}", std::process::id()));
    std::fs::create_dir_all(&sqlite_dir).expect("a temporary folder");
    let sqlite = format!("sqlite://{}/bench.db", sqlite_dir.display());
    bench_database("sqlite", &sqlite, duration).await;
    let _ = std::fs::remove_dir_all(&sqlite_dir);

    let name = format!("lanyard_bench_{}", std::process::id());
    let admin = postgres.clone();
    match sqlx_admin(&admin, &format!("CREATE DATABASE {name}")).await {
        Ok(()) => {
            let url = format!("{}/{name}", postgres.rsplit_once('/').expect("a database URL").0);
            bench_database("postgres", &url, duration).await;
            let _ = sqlx_admin(&admin, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
        }
        Err(error) => println!("postgres   skipped: {error}"),
    }
}

async fn sqlx_admin(url: &str, statement: &str) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await?;
    sqlx::query(statement).execute(&mut conn).await?;
    Ok(())
}

/// A bare axum handler: the floor any authenticated call is compared with.
async fn bare_axum() -> String {
    let router = axum::Router::new().route("/bare", axum::routing::get(|| async { "ok" }));
    serve(router).await
}

async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await.expect("serving");
    });
    format!("http://{addr}")
}

async fn bench_database(label: &str, url: &str, duration: Duration) {
    let mut config = Config::for_tests(url);
    // The benchmark signs in many times, and fails on purpose, from one address.
    config.login_max_failures = u32::MAX;
    config.login_max_failures_per_ip = u32::MAX;
    let engine = server::engine(&config, Arc::new(SystemClock)).await.expect("the engine starts");
    let _background = server::Background::start(&engine);
    engine.create_user("bench@example.com", PASSWORD, Role::Owner, "bench").await.expect("a user");
    let base = serve(server::web::router(engine.clone(), &config)).await;
    let client = reqwest::Client::new();

    let mut sessions = Vec::new();
    for _ in 0..CONNECTIONS {
        sessions.push(Some(login(&client, &base).await.expect("sign-in works")));
    }
    for endpoint in [Endpoint::Me, Endpoint::Refresh, Endpoint::Login] {
        report(label, endpoint.name(), &run(duration, &base, endpoint, sessions.clone()).await);
    }
    under_a_sign_in_flood(label, &base, duration, &sessions).await;
    enumeration_timing(label, &client, &base).await;
    prune_figure(label, url, &engine).await;
}

/// S12: `me` and `refresh` while as many connections again flood `login` (most of them shed).
async fn under_a_sign_in_flood(label: &str, base: &str, duration: Duration, sessions: &[Option<Session>]) {
    let (me, refresh) = sessions.split_at(sessions.len() / 2);
    let (me, refresh, flood) = tokio::join!(
        run(duration, base, Endpoint::Me, me.to_vec()),
        run(duration, base, Endpoint::Refresh, refresh.to_vec()),
        run(duration, base, Endpoint::Login, vec![None; CONNECTIONS]),
    );
    report(label, "me+flood", &me);
    report(label, "refr+flood", &refresh);
    report(label, "the flood", &flood);
}

/// AUTH-02: the median time of a wrong password and of an unknown email, 200 sign-ins each, taken
/// in turns so that both see the same machine. An unknown email is checked against a dummy hash.
async fn enumeration_timing(label: &str, client: &reqwest::Client, base: &str) {
    const SAMPLES: usize = 200;
    let mut times = [Vec::with_capacity(SAMPLES), Vec::with_capacity(SAMPLES)];
    for _ in 0..SAMPLES {
        for (times, email) in times.iter_mut().zip(["bench@example.com", "nobody@example.com"]) {
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
        "{label:<10} timing     wrong password median {wrong:.1} ms, unknown email median {unknown:.1} ms ({:+.1} %)",
        (unknown - wrong) / wrong * 100.0
    );
}

/// The hourly prune with 100,000 audit events past the 90 days kept: how long it holds the database.
async fn prune_figure(label: &str, url: &str, engine: &app::engine::Engine) {
    const EVENTS: i64 = 100_000;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.expect("the benchmark database");
    let old = engine.now() - 100 * 86_400;
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
         INSERT INTO auth_events (at, kind) SELECT $2, 'login' FROM n",
    )
    .bind(EVENTS)
    .bind(old)
    .execute(&pool)
    .await
    .expect("old events inserted");
    let started = Instant::now();
    let removed = engine.prune_history().await.expect("the prune runs");
    println!(
        "{label:<10} prune      {removed:>9} rows removed in {:.0} ms (batches of 1,000)",
        started.elapsed().as_secs_f64() * 1_000.0
    );
}

#[derive(Clone, Copy)]
enum Endpoint {
    Bare,
    Me,
    Refresh,
    Login,
}

impl Endpoint {
    fn name(self) -> &'static str {
        match self {
            Self::Bare => "bare",
            Self::Me => "me",
            Self::Refresh => "refresh",
            Self::Login => "login",
        }
    }

    /// One request; a refresh moves the worker's session on to the rotated cookie.
    async fn call(self, client: &reqwest::Client, base: &str, session: &mut Option<Session>) -> bool {
        match (self, session) {
            (Self::Bare, _) => client.get(format!("{base}/bare")).send().await.is_ok_and(|r| r.status() == 200),
            (Self::Me, Some(session)) => {
                let request = client.get(format!("{base}/api/auth/me")).bearer_auth(&session.access);
                request.send().await.is_ok_and(|r| r.status() == 200)
            }
            (Self::Refresh, Some(session)) => {
                let request = client
                    .post(format!("{base}/api/auth/refresh"))
                    .header("cookie", format!("lanyard_refresh={}", session.refresh))
                    .json(&serde_json::json!({}));
                let rotated = match request.send().await {
                    Ok(response) if response.status() == 200 => cookie(&response),
                    _ => None,
                };
                rotated.map(|next| session.refresh = next).is_some()
            }
            (Self::Login, _) => login(client, base).await.is_some(),
            (_, None) => false,
        }
    }
}

#[derive(Clone)]
struct Session {
    access: String,
    refresh: String,
}

async fn login(client: &reqwest::Client, base: &str) -> Option<Session> {
    let response = client
        .post(format!("{base}/api/auth/login"))
        .json(&serde_json::json!({ "email": "bench@example.com", "password": PASSWORD }))
        .send()
        .await
        .ok()?;
    let refresh = cookie(&response)?;
    let body: serde_json::Value = response.json().await.ok()?;
    Some(Session { access: body["access_token"].as_str()?.to_owned(), refresh })
}

fn cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("lanyard_refresh="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

struct Figures {
    ok: usize,
    failed: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

/// Runs one worker per session for `duration`, each sending one request at a time.
async fn run(duration: Duration, base: &str, endpoint: Endpoint, sessions: Vec<Option<Session>>) -> Figures {
    let client = reqwest::Client::builder().pool_max_idle_per_host(CONNECTIONS).build().expect("a client");
    let started = Instant::now();
    let deadline = started + duration;
    let mut workers = tokio::task::JoinSet::new();
    for mut session in sessions {
        let (client, base) = (client.clone(), base.to_owned());
        workers.spawn(async move {
            let (mut ok, mut failed, mut latencies) = (0, 0, Vec::new());
            while Instant::now() < deadline {
                let sent = Instant::now();
                let succeeded = endpoint.call(&client, &base, &mut session).await;
                latencies.push(sent.elapsed());
                if succeeded { ok += 1 } else { failed += 1 }
            }
            (ok, failed, latencies)
        });
    }
    let mut figures = Figures { ok: 0, failed: 0, elapsed: Duration::ZERO, latencies: Vec::new() };
    for (ok, failed, latencies) in workers.join_all().await {
        figures.ok += ok;
        figures.failed += failed;
        figures.latencies.extend(latencies);
    }
    figures.elapsed = started.elapsed();
    figures.latencies.sort();
    figures
}

fn report(database: &str, endpoint: &str, figures: &Figures) {
    let percentile = |p: f64| {
        let index = ((figures.latencies.len() as f64 * p) as usize).min(figures.latencies.len().saturating_sub(1));
        figures.latencies.get(index).map_or(0.0, |d| d.as_secs_f64() * 1_000.0)
    };
    let rate = figures.ok as f64 / figures.elapsed.as_secs_f64();
    let failed = if figures.failed > 0 { format!("  ({} failed)", figures.failed) } else { String::new() };
    println!(
        "{database:<10} {endpoint:<10} {:>9} {rate:>10.0} {:>9.2} {:>9.2}{failed}",
        figures.ok,
        percentile(0.50),
        percentile(0.99)
    );
}
