//! The soak (`scripts/soak`): lanyard under the faults real deployments see, for minutes, with the
//! one question that matters counted exactly: did any session end that policy did not end?
//!
//! Two lanyard instances on one PostgreSQL database (and, with `--sqlite`, then one on SQLite) run in
//! this process behind a fault-injecting proxy of its own, which answers a share of API calls with
//! 403, 402, 500 or 503, drops connections, delays answers, and cuts answers after the server
//! committed them. Simulated browsers (several tabs sharing one cookie, one refresh at a time under
//! a lock with a deadline, the token shared between tabs, the pure client rules of
//! `app::session::rules`) use 10-second access tokens; an instance restarts every few minutes, the
//! signing secret is rotated once by a rolling restart, and an operator suspends, revokes and
//! changes plans at recorded times. Every ending a browser meets is checked against that ledger.
//! With `--browser-tabs N`, N real Chromium tabs (Playwright, `end2end/soak`) browse through the
//! same proxy and report the endings their banner and history showed; with `--firefox-tabs N`, N
//! Firefox ESR tabs do the same over WebDriver (`lanyard-engines`), driven from this process.
//!
//! It prints the figures and exits non-zero when a session ended without a cause the soak injected,
//! when a refresh outside an injected fault failed, or when an ending went unexplained.

use anyhow::Context as _;
use app::contract::{
    AccountStatus, ErrorBody, HEADER_SESSION_USER, LogoutCode, PlanStatus, REFRESH_COOKIE, Role, TokenInfo,
};
use app::engine::{AccountChange, Engine, SystemClock};
use app::session::rules::{self, CallKind, Reply, Verdict};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::response::Response;
use clap::Parser;
use rand::Rng;
use server::Background;
use server::config::Config;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex as AsyncMutex, oneshot};
use tokio::task::JoinSet;

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

async fn admin_sql(url: &str, statement: &str) -> anyhow::Result<()> {
    use sqlx::Connection as _;
    let mut conn = sqlx::PgConnection::connect(url).await.with_context(|| format!("connecting to {url}"))?;
    sqlx::query(statement).execute(&mut conn).await?;
    Ok(())
}

// ---- instances ----

/// One lanyard instance serving on a fixed port, so a restart comes back at the same address.
struct Instance {
    stop: Option<oneshot::Sender<()>>,
    serving: Option<tokio::task::JoinHandle<()>>,
    background: Option<Background>,
}

fn config(url: &str, port: u16, secret: usize, previous: Option<usize>) -> Config {
    let mut config = Config::for_tests(url);
    config.site_addr = SocketAddr::from(([127, 0, 0, 1], port));
    config.access_ttl = ACCESS_TTL;
    config.secret = Some(SECRETS[secret].into());
    config.secret_previous = previous.map(|p| SECRETS[p].into()).into_iter().collect();
    config.site_root = "target/site".into();
    config
}

impl Instance {
    async fn start(config: &Config) -> anyhow::Result<Self> {
        let engine = server::engine(config, Arc::new(SystemClock)).await?;
        let background = Background::start(&engine);
        let listener = tokio::net::TcpListener::bind(config.site_addr).await?;
        let router = server::web::router(engine, config);
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = tokio::spawn(async move {
            let service = router.into_make_service_with_connect_info::<SocketAddr>();
            let _ = axum::serve(listener, service).with_graceful_shutdown(async { drop(stopped.await) }).await;
        });
        Ok(Self { stop: Some(stop), serving: Some(serving), background: Some(background) })
    }

    /// Stops gracefully: calls in flight are answered, then the background tasks end.
    async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(serving) = self.serving.take() {
            let _ = tokio::time::timeout(DEADLINE, serving).await;
        }
        if let Some(background) = self.background.take() {
            background.shutdown().await;
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

// ---- the fault-injecting proxy ----

/// What the proxy does to one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Fault {
    Forbidden,
    PaymentRequired,
    ServerError,
    Unavailable,
    Dropped,
    Delayed,
    CutAfterCommit,
    /// A gateway in front of lanyard (an SSO proxy, a captive portal) answers 401 with its own page.
    Gateway,
}

impl Fault {
    const ALL: [Fault; 8] = [
        Fault::Forbidden,
        Fault::PaymentRequired,
        Fault::ServerError,
        Fault::Unavailable,
        Fault::Dropped,
        Fault::Delayed,
        Fault::CutAfterCommit,
        Fault::Gateway,
    ];

    fn name(self) -> &'static str {
        match self {
            Fault::Forbidden => "403",
            Fault::PaymentRequired => "402",
            Fault::ServerError => "500",
            Fault::Unavailable => "503",
            Fault::Dropped => "dropped connection",
            Fault::Delayed => "delayed answer",
            Fault::CutAfterCommit => "answer cut after commit",
            Fault::Gateway => "a gateway's 401 page",
        }
    }
}

/// The header a simulated client numbers its calls with, so a failure can be matched to a fault.
const SOAK_CALL: &str = "x-soak-call";

struct Proxy {
    upstreams: Vec<u16>,
    next: AtomicUsize,
    http: reqwest::Client,
    fault_percent: u32,
    injected: Mutex<BTreeMap<Fault, u64>>,
    /// Calls (by `x-soak-call`) the proxy disturbed.
    disturbed: Mutex<std::collections::HashSet<u64>>,
}

impl Proxy {
    fn pick_fault(&self, path: &str) -> Option<Fault> {
        if !path.starts_with("/api/") || path == "/api/auth/logout_event" {
            return None;
        }
        let mut rng = rand::rng();
        (rng.random_range(0..100) < self.fault_percent).then(|| Fault::ALL[rng.random_range(0..Fault::ALL.len())])
    }

    fn note(&self, fault: Fault, call: Option<u64>) {
        *self.injected.lock().unwrap().entry(fault).or_default() += 1;
        if let Some(call) = call {
            self.disturbed.lock().unwrap().insert(call);
        }
    }

    fn was_disturbed(&self, call: u64) -> bool {
        self.disturbed.lock().unwrap().contains(&call)
    }

    /// Sends the call to an upstream, the next one if an instance is down (as a load balancer would).
    async fn forward(&self, request: Request) -> Result<reqwest::Response, reqwest::Error> {
        let (parts, body) = request.into_parts();
        let body = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let mut last_error = None;
        for _ in 0..self.upstreams.len() * 2 {
            let upstream = self.upstreams[self.next.fetch_add(1, Ordering::Relaxed) % self.upstreams.len()];
            let mut outgoing = self.http.request(parts.method.clone(), format!("http://127.0.0.1:{upstream}{path}"));
            for (name, value) in &parts.headers {
                if name != "content-length" && name != "connection" {
                    outgoing = outgoing.header(name, value);
                }
            }
            match outgoing.body(body.clone()).send().await {
                Ok(response) => return Ok(response),
                Err(error) if error.is_connect() => {
                    last_error = Some(error);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => return Err(error),
            }
        }
        Err(last_error.expect("at least one attempt"))
    }
}

fn refusal(status: u16, body: serde_json::Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("a response")
}

/// What an SSO gateway in front of lanyard answers: its own sign-in page, with 401.
fn gateway_sign_in_page() -> Response {
    Response::builder()
        .status(401)
        .header("content-type", "text/html")
        .header("www-authenticate", "Bearer realm=\"gateway\"")
        .body(Body::from("<html><body><h1>Sign in to continue</h1></body></html>"))
        .expect("a response")
}

/// An answer whose body breaks off: the client sees the connection fail.
fn broken() -> Response {
    let failing = futures::stream::once(async { Err::<Bytes, std::io::Error>(std::io::Error::other("soak: cut")) });
    Response::builder().status(200).body(Body::from_stream(failing)).expect("a response")
}

async fn serve_proxied(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
    let call = request.headers().get(SOAK_CALL).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    let fault = proxy.pick_fault(request.uri().path());
    if let Some(fault) = fault {
        proxy.note(fault, call);
    }
    let plain =
        |code: &str, message: &str| serde_json::json!({ "error": code, "message": message, "logout_reason": null });
    match fault {
        Some(Fault::Forbidden) => return refusal(403, plain("FORBIDDEN", "the proxy refused")),
        Some(Fault::PaymentRequired) => {
            return refusal(402, serde_json::json!({ "logout_reason": "PLAN_INACTIVE", "logout_message": "proxy" }));
        }
        Some(Fault::ServerError) => return refusal(500, plain("INTERNAL", "the proxy failed")),
        Some(Fault::Unavailable) => return refusal(503, plain("SERVICE_UNAVAILABLE", "the proxy is busy")),
        Some(Fault::Dropped) => return broken(),
        Some(Fault::Gateway) => return gateway_sign_in_page(),
        Some(Fault::Delayed) => {
            let delay = Duration::from_millis(rand::rng().random_range(500..4_000));
            tokio::time::sleep(delay).await;
        }
        Some(Fault::CutAfterCommit) | None => {}
    }
    let Ok(upstream) = proxy.forward(request).await else {
        return refusal(502, plain("SERVICE_UNAVAILABLE", "no instance answers"));
    };
    let status = upstream.status();
    let headers = upstream.headers().clone();
    let Ok(body) = upstream.bytes().await else { return broken() };
    if fault == Some(Fault::CutAfterCommit) {
        return broken();
    }
    let mut response = Response::builder().status(status);
    for (name, value) in &headers {
        if name != "content-length" && name != "transfer-encoding" && name != "connection" {
            response = response.header(name, value);
        }
    }
    response.body(Body::from(body)).expect("a response")
}

// ---- the ledger: what the soak itself did, which explains an ending ----

/// An ending the soak caused: from when, and until when (open while the cause lasts), it explains
/// an ending with `code`.
#[derive(Clone, Copy, Debug)]
struct Cause {
    code: LogoutCode,
    from: Instant,
    until: Option<Instant>,
}

#[derive(Default)]
struct Ledger {
    /// Per user, what the soak did to them.
    causes: Mutex<BTreeMap<String, Vec<Cause>>>,
    endings: Mutex<Vec<EndingSeen>>,
}

#[derive(Clone, Debug)]
struct EndingSeen {
    code: LogoutCode,
    explained: bool,
}

impl Ledger {
    fn cause(&self, user: &str, code: LogoutCode, until: Option<Instant>) {
        let cause = Cause { code, from: Instant::now(), until };
        self.causes.lock().unwrap().entry(user.to_owned()).or_default().push(cause);
    }

    fn close(&self, user: &str, code: LogoutCode) {
        let now = Instant::now();
        if let Some(causes) = self.causes.lock().unwrap().get_mut(user) {
            for cause in causes.iter_mut().filter(|c| c.code == code && c.until.is_none()) {
                // The client notices at its next call, a few seconds later at most.
                cause.until = Some(now + Duration::from_secs(5));
            }
        }
    }

    fn explains(&self, user: &str, code: LogoutCode, at: Instant) -> bool {
        self.causes.lock().unwrap().get(user).is_some_and(|causes| {
            causes.iter().any(|c| c.code == code && c.from <= at && c.until.is_none_or(|until| at <= until))
        })
    }

    fn ended(&self, user: &str, code: LogoutCode) -> bool {
        let explained = self.explains(user, code, Instant::now());
        if !explained {
            eprintln!("soak: FALSE LOGOUT of {user}: {code}");
        }
        self.endings.lock().unwrap().push(EndingSeen { code, explained });
        explained
    }
}

// ---- simulated browsers ----

/// What a browser holds: the cookie its tabs share, and the access token they share by broadcast.
#[derive(Default)]
struct Held {
    cookie: Option<String>,
    access: Option<String>,
    access_expires_at: i64,
    user_id: Option<String>,
}

#[derive(Default)]
struct Figures {
    calls: Mutex<BTreeMap<String, u64>>,
    refresh_ok: AtomicU64,
    refresh_ok_disturbed: AtomicU64,
    refresh_failed_undisturbed: AtomicU64,
    refresh_failed_disturbed: AtomicU64,
    refresh_ms: Mutex<Vec<f64>>,
    sign_ins: AtomicU64,
    /// Password changes whose answer the browser never read.
    password_changes_lost: AtomicU64,
}

impl Figures {
    fn count(&self, outcome: &str) {
        *self.calls.lock().unwrap().entry(outcome.to_owned()).or_default() += 1;
    }
}

struct World {
    base: String,
    http: reqwest::Client,
    proxy: Arc<Proxy>,
    ledger: Ledger,
    figures: Figures,
    next_call: AtomicU64,
    /// Until when a failure may be a restart's or a rotation's doing.
    disturbed_until: Mutex<Instant>,
    running: AtomicBool,
}

impl World {
    fn disturb(&self) {
        *self.disturbed_until.lock().unwrap() = Instant::now() + DISTURBANCE;
    }

    fn disturbed(&self) -> bool {
        Instant::now() <= *self.disturbed_until.lock().unwrap()
    }
}

struct Browser {
    email: String,
    held: Mutex<Held>,
    lock: AsyncMutex<()>,
}

/// The refresh cookie an answer sets, as the browser's cookie jar would keep it.
fn refresh_cookie(response: &reqwest::Response) -> Option<String> {
    let set = response.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok());
    set.filter_map(|v| v.split(';').next()?.strip_prefix(REFRESH_COOKIE)?.strip_prefix('=')).next().map(str::to_owned)
}

/// One answer as the client rules see it.
struct Answered {
    status: u16,
    session_user: Option<String>,
    set_cookie: Option<String>,
    text: String,
}

impl Answered {
    /// lanyard's error body, as the browser reads it: a gateway's page or JSON is none.
    fn error(&self) -> Option<ErrorBody> {
        (self.status >= 300).then(|| rules::lanyard_error(&self.text)).flatten()
    }
}

enum Renewed {
    Ok,
    Ended(LogoutCode),
    Failed,
}

impl Browser {
    async fn send(&self, world: &World, method: reqwest::Method, path: &str) -> (u64, Option<Answered>) {
        let call = world.next_call.fetch_add(1, Ordering::Relaxed);
        let (access, cookie) = {
            let held = self.held.lock().unwrap();
            (held.access.clone(), held.cookie.clone())
        };
        let mut request = world.http.request(method, format!("{}{path}", world.base)).header(SOAK_CALL, call);
        request = request.header("origin", &world.base).header("x-page-path", "/").header("x-user-idle", "0");
        if let Some(access) = access.filter(|_| path != "/api/auth/refresh") {
            request = request.bearer_auth(access);
        }
        if let Some(cookie) = cookie.filter(|_| path.starts_with("/api/auth/")) {
            request = request.header("cookie", format!("{REFRESH_COOKIE}={cookie}"));
        }
        let request = if path.starts_with("/api/auth/") && path != "/api/auth/sessions" {
            request.json(&serde_json::json!({}))
        } else {
            request
        };
        let Ok(response) = request.send().await else { return (call, None) };
        let status = response.status().as_u16();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let session_user = header(HEADER_SESSION_USER);
        let set_cookie = refresh_cookie(&response);
        let Ok(text) = response.text().await else { return (call, None) };
        (call, Some(Answered { status, session_user, set_cookie, text }))
    }

    fn reply<'a>(answer: &'a Option<Answered>, error: &'a Option<ErrorBody>) -> Reply<'a> {
        match answer {
            None => Reply::Lost,
            Some(a) => {
                Reply::Answered { status: a.status, body: error.as_ref(), session_user: a.session_user.as_deref() }
            }
        }
    }

    fn signed_in_user(&self) -> Option<String> {
        self.held.lock().unwrap().user_id.clone()
    }

    /// One refresh at a time across this browser's tabs; a tab that waited finds the token another
    /// tab got. The lock is waited for at most the call deadline.
    async fn refresh(&self, world: &World, before: Option<String>) -> Renewed {
        let _guard = tokio::time::timeout(DEADLINE, self.lock.lock()).await.ok();
        if self.held.lock().unwrap().access != before {
            return Renewed::Ok;
        }
        let started = Instant::now();
        let (call, answer) = self.send(world, reqwest::Method::POST, "/api/auth/refresh").await;
        let error = answer.as_ref().and_then(Answered::error);
        let signed_in = self.signed_in_user();
        match rules::classify(CallKind::Refresh, Self::reply(&answer, &error), signed_in.as_deref(), 0) {
            Verdict::Answer => {
                let answer = answer.expect("an answer");
                let Ok(token) = serde_json::from_str::<TokenInfo>(&answer.text) else { return Renewed::Failed };
                let mut held = self.held.lock().unwrap();
                held.access = Some(token.access_token.expose().to_owned());
                held.access_expires_at = token.access_expires_at;
                if let Some(cookie) = answer.set_cookie {
                    held.cookie = Some(cookie);
                }
                if held.user_id.is_none() {
                    held.user_id = answer.session_user;
                }
                // A refresh the proxy delayed says nothing about lanyard: it counts only undisturbed.
                if world.proxy.was_disturbed(call) {
                    world.figures.refresh_ok_disturbed.fetch_add(1, Ordering::Relaxed);
                } else {
                    world.figures.refresh_ok.fetch_add(1, Ordering::Relaxed);
                    world.figures.refresh_ms.lock().unwrap().push(started.elapsed().as_secs_f64() * 1_000.0);
                }
                Renewed::Ok
            }
            Verdict::Ended(code, _) => Renewed::Ended(code),
            _ => {
                let disturbed = world.proxy.was_disturbed(call) || world.disturbed();
                let counter = if disturbed {
                    &world.figures.refresh_failed_disturbed
                } else {
                    eprintln!(
                        "soak: a refresh of {} failed outside any injected fault: {:?}",
                        self.email,
                        answer.as_ref().map(|a| (a.status, a.text.chars().take(200).collect::<String>()))
                    );
                    &world.figures.refresh_failed_undisturbed
                };
                counter.fetch_add(1, Ordering::Relaxed);
                Renewed::Failed
            }
        }
    }

    /// One authenticated call with the client's rules: renew and retry at most twice; an ending is
    /// the browser's logout.
    async fn call(&self, world: &World, path: &str) -> Option<LogoutCode> {
        let mut renewals = 0;
        loop {
            let access = self.held.lock().unwrap().access.clone();
            let (_, answer) = self.send(world, reqwest::Method::GET, path).await;
            let error = answer.as_ref().and_then(Answered::error);
            let signed_in = self.signed_in_user();
            let verdict =
                rules::classify(CallKind::Authenticated, Self::reply(&answer, &error), signed_in.as_deref(), renewals);
            world.figures.count(&format!("{verdict:?}"));
            match verdict {
                Verdict::RefreshThenRetry => match self.refresh(world, access).await {
                    Renewed::Ok => renewals += 1,
                    Renewed::Ended(code) => return Some(code),
                    Renewed::Failed => return None,
                },
                Verdict::Ended(code, _) => return Some(code),
                _ => return None,
            }
        }
    }

    /// Signs in (again), retrying what the proxy or a restart disturbs, and waiting out a suspension.
    async fn sign_in(&self, world: &World) {
        while world.running.load(Ordering::Relaxed) {
            let body = serde_json::json!({ "email": self.email, "password": PASSWORD, "remember_me": false });
            let request = world.http.post(format!("{}/api/auth/login", world.base)).header("origin", &world.base);
            if let Ok(response) = request.json(&body).send().await {
                let cookie = refresh_cookie(&response);
                if response.status() == 200
                    && let (Some(cookie), Ok(answer)) = (cookie, response.json::<app::contract::LoginAnswer>().await)
                {
                    *self.held.lock().unwrap() = Held {
                        cookie: Some(cookie),
                        access: Some(answer.token.access_token.expose().to_owned()),
                        access_expires_at: answer.token.access_expires_at,
                        user_id: Some(answer.user.id),
                    };
                    world.figures.sign_ins.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Changes the password (to the same one, so a later sign-in still works) and loses the
    /// answer: the browser keeps the cookie and access token it had, as when the connection breaks
    /// after the change committed, and its next refresh comes only after the grace window, as
    /// after a laptop's sleep. The session is the user's own and must go on (SPEC §3, §4).
    async fn change_password_losing_the_answer(&self, world: &World) {
        let _guard = tokio::time::timeout(DEADLINE, self.lock.lock()).await.ok();
        let body = serde_json::json!({ "current_password": PASSWORD, "new_password": PASSWORD });
        let Some(access) = self.held.lock().unwrap().access.clone() else { return };
        let request = world.http.post(format!("{}/api/auth/password", world.base)).header("origin", &world.base);
        let request = request.header(SOAK_CALL, world.next_call.fetch_add(1, Ordering::Relaxed));
        drop(request.bearer_auth(access).json(&body).send().await);
        world.figures.password_changes_lost.fetch_add(1, Ordering::Relaxed);
        // The refresh lock is held past the server's grace window (10 s): no tab refreshes before.
        tokio::time::sleep(Duration::from_secs(11)).await;
    }

    /// Another user signs in in this browser: the cookie its tabs share is now theirs, while the
    /// tabs still hold this user's access token. The next refresh is answered for the other user,
    /// and this user's session ends as SESSION_USER_MISMATCH (SPEC §4), which the ledger expects.
    async fn another_user_signs_in_here(&self, world: &World, other: &str) {
        if self.held.lock().unwrap().access.is_none() {
            return;
        }
        let body = serde_json::json!({ "email": other, "password": PASSWORD, "remember_me": false });
        let request = world.http.post(format!("{}/api/auth/login", world.base)).header("origin", &world.base);
        let Ok(response) = request.json(&body).send().await else { return };
        let Some(cookie) = refresh_cookie(&response).filter(|_| response.status() == 200) else { return };
        world.ledger.cause(&self.email, LogoutCode::SessionUserMismatch, None);
        self.held.lock().unwrap().cookie = Some(cookie);
    }

    /// A tab answered for another user ends its own session with its bearer, as the browser does,
    /// keeping the other user's cookie.
    async fn end_own_session(&self, world: &World) {
        let Some(access) = self.held.lock().unwrap().access.clone() else { return };
        let request = world.http.post(format!("{}/api/auth/logout", world.base)).header("origin", &world.base);
        let body = serde_json::json!({ "reason": "SESSION_USER_MISMATCH" });
        drop(request.bearer_auth(access).json(&body).send().await);
    }

    async fn ended(&self, world: &World, code: LogoutCode) {
        world.ledger.ended(&self.email, code);
        if code == LogoutCode::SessionUserMismatch {
            world.ledger.close(&self.email, code);
            self.end_own_session(world).await;
        }
        *self.held.lock().unwrap() = Held::default();
        tokio::time::sleep(Duration::from_millis(500)).await;
        self.sign_in(world).await;
    }

    /// A tab: calls now and then; the first tab also watches the token's expiry, as the monitor does.
    async fn tab(self: Arc<Self>, world: Arc<World>, monitor: bool) {
        while world.running.load(Ordering::Relaxed) {
            let pause = rand::rng().random_range(300..1_500);
            tokio::time::sleep(Duration::from_millis(pause)).await;
            if self.held.lock().unwrap().access.is_none() {
                continue;
            }
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
            let (access, expires_at) = {
                let held = self.held.lock().unwrap();
                (held.access.clone(), held.access_expires_at)
            };
            let ending = if monitor && expires_at - now <= (ACCESS_TTL / 5).max(1) {
                match self.refresh(&world, access).await {
                    Renewed::Ended(code) => Some(code),
                    Renewed::Ok | Renewed::Failed => None,
                }
            } else {
                let path = if rand::rng().random_range(0..4) == 0 { "/api/auth/sessions" } else { "/api/auth/me" };
                self.call(&world, path).await
            };
            if let Some(code) = ending {
                // One tab notices; the others share the ending (the broadcast).
                if self.held.lock().unwrap().access.is_some() {
                    self.ended(&world, code).await;
                }
            }
        }
    }
}

// ---- a phase: instances, proxy, browsers, operator, restarts ----

struct Phase;

impl Phase {
    async fn run(
        args: &Args,
        url: &str,
        instances: usize,
        browser_tabs: usize,
        firefox_tabs: usize,
    ) -> anyhow::Result<Report> {
        let ports: Vec<u16> = (0..instances).map(|_| free_port()).collect();
        let mut running = Vec::new();
        for &port in &ports {
            running.push(Instance::start(&config(url, port, 0, None)).await?);
        }
        let operator = Arc::new(server::engine(&config(url, ports[0], 0, None), Arc::new(SystemClock)).await?);
        let emails: Vec<String> = (0..args.users).map(|i| format!("soak-{i}@example.com")).collect();
        for email in &emails {
            operator.create_user(email, PASSWORD, Role::Owner, email).await?;
        }

        let proxy = Arc::new(Proxy {
            upstreams: ports.clone(),
            next: AtomicUsize::new(0),
            http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?,
            fault_percent: args.fault_percent,
            injected: Mutex::default(),
            disturbed: Mutex::default(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let app = axum::Router::new().fallback(serve_proxied).with_state(proxy.clone());
        let proxy_task = tokio::spawn(async move { drop(axum::serve(listener, app).await) });
        let world = Arc::new(World {
            base: base.clone(),
            http: reqwest::Client::builder().timeout(DEADLINE).redirect(reqwest::redirect::Policy::none()).build()?,
            proxy: proxy.clone(),
            ledger: Ledger::default(),
            figures: Figures::default(),
            next_call: AtomicU64::new(1),
            disturbed_until: Mutex::new(Instant::now()),
            running: AtomicBool::new(true),
        });
        println!(
            "soak: {} instance(s) behind {base}, {} users × {} tabs, {} s",
            instances, args.users, args.tabs, args.duration
        );

        let mut tasks = JoinSet::new();
        let mut browsers = Vec::new();
        for email in &emails {
            let browser = Arc::new(Browser { email: email.clone(), held: Mutex::default(), lock: AsyncMutex::new(()) });
            browser.sign_in(&world).await;
            for tab in 0..args.tabs {
                tasks.spawn(browser.clone().tab(world.clone(), tab == 0));
            }
            browsers.push(browser);
        }
        let chromium = if browser_tabs > 0 {
            Some(Chromium::start(&operator, &world, browser_tabs, args.duration).await?)
        } else {
            None
        };
        let firefox = if firefox_tabs > 0 {
            Some(Firefox::start(&operator, &world, firefox_tabs, args.duration).await?)
        } else {
            None
        };

        let started = Instant::now();
        let duration = Duration::from_secs(args.duration);
        let mut next_restart = Duration::from_secs(args.restart_every);
        let mut rotated = false;
        let mut restarts = 0;
        let mut next_action = Duration::from_secs(5);
        let mut actions = 0_u64;
        while started.elapsed() < duration {
            tokio::time::sleep(Duration::from_millis(250)).await;
            let elapsed = started.elapsed();
            if !rotated && elapsed >= duration / 2 {
                rotated = true;
                println!("soak: rotating the signing secret (rolling restart) at {} s", elapsed.as_secs());
                for (index, instance) in running.iter_mut().enumerate() {
                    world.disturb();
                    instance.stop().await;
                    *instance = Instance::start(&config(url, ports[index], 1, Some(0))).await?;
                    world.disturb();
                    tokio::time::sleep(Duration::from_secs(3)).await;
                }
            } else if elapsed >= next_restart {
                next_restart += Duration::from_secs(args.restart_every);
                let index = restarts % running.len();
                restarts += 1;
                let (secret, previous) = if rotated { (1, Some(0)) } else { (0, None) };
                world.disturb();
                running[index].stop().await;
                running[index] = Instance::start(&config(url, ports[index], secret, previous)).await?;
                world.disturb();
            }
            if elapsed >= next_action {
                next_action = elapsed + Duration::from_secs(rand::rng().random_range(5..15));
                let chosen = rand::rng().random_range(0..emails.len());
                actions += 1;
                // Of every three actions, one is a user's password change, one another user's
                // sign-in in a browser, one the operator's.
                if actions % 3 == 1 {
                    let (browser, world) = (browsers[chosen].clone(), world.clone());
                    tasks.spawn(async move { browser.change_password_losing_the_answer(&world).await });
                } else if actions % 3 == 2 {
                    let other = &emails[(chosen + 1) % emails.len()];
                    browsers[chosen].another_user_signs_in_here(&world, other).await;
                } else {
                    operate(&operator, &world.ledger, &emails[chosen]).await;
                }
            }
        }
        world.running.store(false, Ordering::Relaxed);
        let mut browser_reports = Vec::new();
        if let Some(chromium) = chromium {
            browser_reports.push(chromium.finish(&world.ledger)?);
        }
        if let Some(firefox) = firefox {
            browser_reports.push(firefox.finish(&world.ledger).await);
        }
        tasks.shutdown().await;
        proxy_task.abort();
        for instance in &mut running {
            instance.stop().await;
        }
        drop(browsers);
        Ok(Report::new(&world, restarts, rotated, browser_reports))
    }
}

/// One operator action on `email`'s account, recorded before it is made.
async fn operate(operator: &Arc<Engine>, ledger: &Ledger, email: &str) {
    let action = rand::rng().random_range(0..3);
    let result = match action {
        0 => {
            ledger.cause(email, LogoutCode::AdminRevoked, None);
            operator.revoke_user_sessions(email).await.map(drop)
        }
        1 => {
            ledger.cause(email, LogoutCode::AccountSuspended, None);
            let suspended = operator.change_account(email, AccountChange::Status(AccountStatus::Suspended)).await;
            tokio::time::sleep(Duration::from_secs(3)).await;
            let active = operator.change_account(email, AccountChange::Status(AccountStatus::Active)).await;
            ledger.close(email, LogoutCode::AccountSuspended);
            suspended.and(active).map(drop)
        }
        _ => {
            let inactive = operator.change_account(email, AccountChange::Plan(PlanStatus::Inactive)).await;
            tokio::time::sleep(Duration::from_secs(3)).await;
            inactive.and(operator.change_account(email, AccountChange::Plan(PlanStatus::Active)).await).map(drop)
        }
    };
    if let Err(error) = result {
        eprintln!("soak: operator action on {email} failed: {error}");
    }
}

// ---- Chromium tabs ----

/// Real Chromium tabs (Playwright, `end2end/soak/soak.spec.ts`) browsing through the proxy.
struct Chromium {
    child: std::process::Child,
    result: std::path::PathBuf,
    emails: Vec<String>,
}

/// An ending a real tab met: the code its logout history names, and whether its banner and its
/// history showed it.
#[derive(serde::Deserialize)]
struct TabEnding {
    email: String,
    code: LogoutCode,
    banner: bool,
    history: bool,
}

impl Chromium {
    async fn start(operator: &Arc<Engine>, world: &Arc<World>, tabs: usize, seconds: u64) -> anyhow::Result<Self> {
        let emails: Vec<String> = (0..tabs).map(|i| format!("soak-chromium-{i}@example.com")).collect();
        for email in &emails {
            operator.create_user(email, PASSWORD, Role::Owner, email).await?;
        }
        let result = std::env::temp_dir().join(format!("lanyard-soak-chromium-{}.json", std::process::id()));
        let child = std::process::Command::new("npx")
            .args(["playwright", "test", "--config", "soak/playwright.config.ts"])
            .current_dir("end2end")
            .env("SOAK_URL", &world.base)
            .env("SOAK_EMAILS", emails.join(","))
            .env("SOAK_PASSWORD", PASSWORD)
            .env("SOAK_SECONDS", seconds.to_string())
            .env("SOAK_RESULT", &result)
            .stdout(std::process::Stdio::inherit())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .context("starting Playwright for the Chromium tabs")?;
        if let Some(email) = emails.first().cloned() {
            // One ending a browser must explain in its banner and history: an operator revocation.
            let (operator, world) = (operator.clone(), world.clone());
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(seconds / 3)).await;
                world.ledger.cause(&email, LogoutCode::AdminRevoked, None);
                let _ = operator.revoke_user_sessions(&email).await;
            });
        }
        Ok(Self { child, result, emails })
    }

    fn finish(mut self, ledger: &Ledger) -> anyhow::Result<BrowserReport> {
        let status = self.child.wait()?;
        let text = std::fs::read_to_string(&self.result).context("the Chromium tabs wrote no result")?;
        let endings: Vec<TabEnding> = serde_json::from_str(&text)?;
        let _ = std::fs::remove_file(&self.result);
        Ok(BrowserReport::judge(BrowserKind::Chromium, self.emails.len(), status.success(), endings, ledger))
    }
}

// ---- Firefox tabs ----

/// The pages a real tab moves between, as the Chromium tabs do.
const PAGES: [&str; 4] = ["/", "/sessions", "/jobs", "/billing"];

/// Real Firefox ESR tabs, each in a browser of its own under geckodriver, driven from this process
/// through the proxy as the Chromium tabs are: they browse, and whenever one finds itself on /signin
/// it records the ending its banner and history show and signs in again.
struct Firefox {
    tabs: Vec<std::thread::JoinHandle<anyhow::Result<Vec<TabEnding>>>>,
}

impl Firefox {
    async fn start(operator: &Arc<Engine>, world: &Arc<World>, tabs: usize, seconds: u64) -> anyhow::Result<Self> {
        let emails: Vec<String> = (0..tabs).map(|i| format!("soak-firefox-{i}@example.com")).collect();
        for email in &emails {
            operator.create_user(email, PASSWORD, Role::Owner, email).await?;
        }
        let logs = lanyard_engines::process::work_dir();
        std::fs::create_dir_all(&logs)?;
        let tabs = emails
            .iter()
            .enumerate()
            .map(|(index, email)| {
                let (base, email) = (world.base.clone(), email.clone());
                let log = logs.join(format!("soak-firefox-{index}.driver.log"));
                // A thread with a runtime of its own: the WebDriver client's futures are not `Send`
                // for every lifetime, which `tokio::spawn` requires.
                std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
                    runtime.block_on(firefox_tab(&base, &email, seconds, &log))
                })
            })
            .collect();
        if let Some(email) = emails.first().cloned() {
            // One ending the tab must explain in its banner and history: an operator revocation,
            // at another moment than the Chromium tab's.
            let (operator, world) = (operator.clone(), world.clone());
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(seconds / 2)).await;
                world.ledger.cause(&email, LogoutCode::AdminRevoked, None);
                let _ = operator.revoke_user_sessions(&email).await;
            });
        }
        Ok(Self { tabs })
    }

    async fn finish(self, ledger: &Ledger) -> BrowserReport {
        let count = self.tabs.len();
        let mut endings = Vec::new();
        let mut ok = true;
        for tab in self.tabs {
            match tokio::task::spawn_blocking(move || tab.join()).await.expect("joining a Firefox tab's thread") {
                Ok(Ok(seen)) => endings.extend(seen),
                Ok(Err(error)) => {
                    eprintln!("soak: a Firefox tab failed: {error:#}");
                    ok = false;
                }
                Err(_) => {
                    eprintln!("soak: a Firefox tab panicked");
                    ok = false;
                }
            }
        }
        BrowserReport::judge(BrowserKind::Firefox, count, ok, endings, ledger)
    }
}

async fn firefox_tab(base: &str, email: &str, seconds: u64, log: &std::path::Path) -> anyhow::Result<Vec<TabEnding>> {
    let browser = lanyard_engines::browser::Browser::start(lanyard_engines::engine::Engine::Firefox, None, log).await?;
    let outcome = firefox_browse(&browser, base, email, seconds).await;
    browser.quit().await;
    outcome
}

async fn firefox_browse(
    browser: &lanyard_engines::browser::Browser,
    base: &str,
    email: &str,
    seconds: u64,
) -> anyhow::Result<Vec<TabEnding>> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut endings = Vec::new();
    let mut seen_history = 0;
    firefox_sign_in(browser, base, email).await?;
    let mut step = 0_usize;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(1)).await;
        step += 1;
        if browser.url().await.unwrap_or_default().contains("/signin") {
            let banner = browser.role_text("alert", None, "Session ended").await.unwrap_or_default();
            let history = browser.local_storage("logout_history").await.unwrap_or_default();
            let entries = history.as_array().cloned().unwrap_or_default();
            let last = entries.first();
            let code = last.and_then(|entry| serde_json::from_value(entry["code"].clone()).ok());
            let message = last.and_then(|entry| entry["message"].as_str()).unwrap_or("");
            endings.push(TabEnding {
                email: email.to_owned(),
                code: code.unwrap_or(LogoutCode::OtherTabLogout),
                banner: last.is_some() && banner.contains(message),
                history: entries.len() > seen_history,
            });
            seen_history = entries.len();
            firefox_sign_in(browser, base, email).await?;
        } else if step.is_multiple_of(5) {
            // A page that does not load in time under the injected faults is only a slow page.
            let _ = browser.goto(&format!("{base}{}", PAGES[(step / 5) % PAGES.len()])).await;
        }
    }
    Ok(endings)
}

/// Signs in, again after a refusal the proxy injected (a 503, a dropped answer), as a user would.
async fn firefox_sign_in(browser: &lanyard_engines::browser::Browser, base: &str, email: &str) -> anyhow::Result<()> {
    for _ in 0..20 {
        if !browser.url().await.unwrap_or_default().contains("/signin") {
            let _ = browser.goto(&format!("{base}/signin")).await;
        }
        let attempt = async {
            browser.sign_in_with(email, PASSWORD).await?;
            browser.button("Sign out").await
        };
        if attempt.await.is_ok() {
            return Ok(());
        }
        let _ = browser.goto(&format!("{base}/signin")).await;
    }
    anyhow::bail!("{email} could not sign in in Firefox")
}

/// The real browsers beside the simulated ones.
#[derive(Clone, Copy, Debug)]
enum BrowserKind {
    /// Playwright's tabs (`end2end/soak`).
    Chromium,
    /// geckodriver's tabs, driven from this process.
    Firefox,
}

impl BrowserKind {
    fn name(self) -> &'static str {
        match self {
            BrowserKind::Chromium => "chromium",
            BrowserKind::Firefox => "firefox",
        }
    }

    /// What drove the tabs, as the report names it.
    fn driver(self) -> &'static str {
        match self {
            BrowserKind::Chromium => "playwright",
            BrowserKind::Firefox => "webdriver",
        }
    }
}

struct BrowserReport {
    kind: BrowserKind,
    tabs: usize,
    driver_ok: bool,
    endings: usize,
    explained: usize,
}

impl BrowserReport {
    /// Checks every ending the tabs met against the ledger: explained only when the ledger has its
    /// cause and the tab's banner and history both showed it.
    fn judge(kind: BrowserKind, tabs: usize, driver_ok: bool, endings: Vec<TabEnding>, ledger: &Ledger) -> Self {
        let mut report = Self { kind, tabs, driver_ok, endings: 0, explained: 0 };
        for ending in endings {
            let explained = ledger.explains(&ending.email, ending.code, Instant::now());
            report.endings += 1;
            if explained && ending.banner && ending.history {
                report.explained += 1;
            } else {
                eprintln!("soak: a {} tab of {} ended with {} unexplained", kind.name(), ending.email, ending.code);
            }
        }
        report
    }
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
