//! The load generator: closed-loop workers, one request in flight each, over HTTP/1.1 keep-alive.

use lanyard::contract::REFRESH_COOKIE;
use std::time::{Duration, Instant};

pub const PASSWORD: &str = "bench password 1";
pub const EMAIL: &str = "bench@example.com";

#[derive(Clone, Copy)]
pub enum Endpoint {
    Me,
    Refresh,
    Login,
}

impl Endpoint {
    /// One request; a refresh moves the worker's session on to the rotated cookie.
    async fn call(self, client: &reqwest::Client, base: &str, session: &mut Option<Session>) -> bool {
        match (self, session) {
            (Self::Me, Some(session)) => {
                let request = client.get(format!("{base}/api/auth/me")).bearer_auth(&session.access);
                request.send().await.is_ok_and(|r| r.status() == 200)
            }
            (Self::Refresh, Some(session)) => {
                let request = client
                    .post(format!("{base}/api/auth/refresh"))
                    .header("cookie", format!("{REFRESH_COOKIE}={}", session.refresh))
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

/// What one worker holds: the server it talks to and, for `me` and `refresh`, a session there.
#[derive(Clone)]
pub struct Worker {
    pub base: String,
    pub session: Option<Session>,
}

#[derive(Clone)]
pub struct Session {
    pub access: String,
    pub refresh: String,
}

pub async fn login(client: &reqwest::Client, base: &str) -> Option<Session> {
    let response = client
        .post(format!("{base}/api/auth/login"))
        .json(&serde_json::json!({ "email": EMAIL, "password": PASSWORD }))
        .send()
        .await
        .ok()?;
    let refresh = cookie(&response)?;
    let body: serde_json::Value = response.json().await.ok()?;
    Some(Session { access: body["access_token"].as_str()?.to_owned(), refresh })
}

/// `count` workers on `base`, each with a session of its own.
pub async fn signed_in(base: &str, count: usize) -> Vec<Worker> {
    let client = reqwest::Client::new();
    let mut workers = Vec::with_capacity(count);
    for _ in 0..count {
        let session = login(&client, base).await.expect("sign-in works");
        workers.push(Worker { base: base.to_owned(), session: Some(session) });
    }
    workers
}

/// `count` workers on `base` without a session (for `login`).
pub fn anonymous(base: &str, count: usize) -> Vec<Worker> {
    vec![Worker { base: base.to_owned(), session: None }; count]
}

fn cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(REFRESH_COOKIE)?.strip_prefix('='))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

pub struct Figures {
    /// The workers as they ended: a refresh run leaves each with its latest cookie.
    pub workers: Vec<Worker>,
    pub ok: usize,
    pub failed: usize,
    pub elapsed: Duration,
    pub latencies: Vec<Duration>,
    /// Cores busy on average during the run: the server's and the load generator's.
    pub cores: Option<(f64, f64)>,
}

impl Figures {
    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    /// The `p` quantile of the latencies, in milliseconds.
    pub fn percentile(&self, p: f64) -> f64 {
        let index = ((self.latencies.len() as f64 * p) as usize).min(self.latencies.len().saturating_sub(1));
        self.latencies.get(index).map_or(0.0, |d| d.as_secs_f64() * 1_000.0)
    }
}

/// Runs every worker for `duration`, each sending one request at a time.
pub async fn run(duration: Duration, endpoint: Endpoint, workers: Vec<Worker>) -> Figures {
    let client = reqwest::Client::builder().pool_max_idle_per_host(workers.len()).build().expect("a client");
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for Worker { base, mut session } in workers {
        let client = client.clone();
        tasks.spawn(async move {
            let (mut ok, mut failed, mut latencies) = (0, 0, Vec::new());
            while Instant::now() < deadline {
                let sent = Instant::now();
                let succeeded = endpoint.call(&client, &base, &mut session).await;
                latencies.push(sent.elapsed());
                if succeeded { ok += 1 } else { failed += 1 }
            }
            (Worker { base, session }, ok, failed, latencies)
        });
    }
    let mut figures =
        Figures { workers: Vec::new(), ok: 0, failed: 0, elapsed: Duration::ZERO, latencies: Vec::new(), cores: None };
    for (worker, ok, failed, latencies) in tasks.join_all().await {
        figures.workers.push(worker);
        figures.ok += ok;
        figures.failed += failed;
        figures.latencies.extend(latencies);
    }
    figures.elapsed = started.elapsed();
    figures.latencies.sort();
    figures
}

pub fn header() {
    println!(
        "{:<10} {:<22} {:>9} {:>10} {:>9} {:>9} {:>6} {:>6}",
        "database", "figure", "requests", "req/s", "p50 ms", "p99 ms", "server", "load"
    );
    println!("{:<79} {:>13}", "", "(cores busy)");
}

pub fn report(database: &str, figure: &str, figures: &Figures) {
    let failed = if figures.failed > 0 { format!("  ({} refused or failed)", figures.failed) } else { String::new() };
    let cores = figures.cores.map_or(String::new(), |(server, load)| format!(" {server:>6.2} {load:>6.2}"));
    println!(
        "{database:<10} {figure:<22} {:>9} {:>10.0} {:>9.2} {:>9.2}{cores}{failed}",
        figures.ok,
        figures.rate(),
        figures.percentile(0.50),
        figures.percentile(0.99)
    );
}
