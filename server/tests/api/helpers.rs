//! `spawn_app`: the real server on port 0 over a fresh SQLite file or PostgreSQL database, with a
//! clock the test controls and a plain HTTP client (cookies are handled by hand, as assertions).

use lanyard::engine::Engine;
use lanyard::engine::ManualClock;
use lanyard::engine::testing::{Gate, Step};
use reqwest::header::{HeaderMap, SET_COOKIE};
use serde_json::{Value, json};
use server::config::Config;
use sqlx::Connection;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

pub const PASSWORD: &str = "correct horse battery";
/// What the tests' client calls itself, as a browser would.
pub const USER_AGENT: &str = "lanyard-api-tests";

#[derive(Clone, Copy, Debug)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server the tests create their databases on (`LANYARD_TEST_POSTGRES`).
fn postgres_admin_url() -> String {
    std::env::var("LANYARD_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn unique_name() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("lanyard_test_{}_{}_{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst))
}

/// A database that exists for one test and is removed after it, with the folder its instances
/// write their mail into.
pub struct TestDb {
    pub url: String,
    pub outbox: std::path::PathBuf,
    cleanup: Option<Box<dyn FnOnce() + Send + Sync>>,
}

impl TestDb {
    pub async fn create(db: Db) -> Self {
        let name = unique_name();
        let outbox = std::env::temp_dir().join(format!("{name}-outbox"));
        let mut created = Self::create_named(db, &name).await;
        let cleanup = created.cleanup.take();
        let remove_outbox = outbox.clone();
        created.cleanup = Some(Box::new(move || {
            let _ = std::fs::remove_dir_all(remove_outbox);
            if let Some(cleanup) = cleanup {
                cleanup();
            }
        }));
        created.outbox = outbox;
        created
    }

    async fn create_named(db: Db, name: &str) -> Self {
        let name = name.to_owned();
        let outbox = std::path::PathBuf::new();
        match db {
            Db::Sqlite => {
                let dir = std::env::temp_dir().join(&name);
                std::fs::create_dir_all(&dir).unwrap();
                let url = format!("sqlite://{}/lanyard.db", dir.display());
                Self { url, outbox, cleanup: Some(Box::new(move || drop(std::fs::remove_dir_all(dir)))) }
            }
            Db::Postgres => {
                let admin = postgres_admin_url();
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .expect("PostgreSQL must run on 127.0.0.1:5432 (scripts/test starts it)");
                sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
                let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
                let cleanup = move || {
                    // Drop runs outside the test's runtime; a small runtime of its own removes the database.
                    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                    runtime.block_on(async {
                        if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&mut conn)
                                .await;
                        }
                    });
                };
                Self { url, outbox, cleanup: Some(Box::new(cleanup)) }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(cleanup) = self.cleanup.take() {
            let _ = std::thread::spawn(cleanup).join();
        }
    }
}

/// A running server and what a test needs to drive it.
pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub engine: Arc<Engine>,
    pub clock: ManualClock,
    server: tokio::task::JoinHandle<()>,
    /// Stops the change follower and the sweep with the instance.
    _background: server::Background,
    // Last: dropped after the server stops.
    pub db: Arc<TestDb>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub async fn spawn_app(db: Db) -> TestApp {
    spawn_app_with(db, |_| {}).await
}

pub async fn spawn_app_with(db: Db, adjust: impl FnOnce(&mut Config)) -> TestApp {
    let db = Arc::new(TestDb::create(db).await);
    spawn_on(db, adjust).await
}

/// Starts a server on an existing database (a second instance, or a restart).
pub async fn spawn_on(db: Arc<TestDb>, adjust: impl FnOnce(&mut Config)) -> TestApp {
    spawn_engine(db, adjust, |engine| engine).await
}

/// Starts a server whose users' accounts are `accounts` (an app's own), not lanyard's table.
pub async fn spawn_with_accounts(db: Db, accounts: Arc<dyn lanyard::engine::Accounts>) -> TestApp {
    spawn_engine(Arc::new(TestDb::create(db).await), |_| {}, |engine| engine.with_accounts(accounts)).await
}

async fn spawn_engine(
    db: Arc<TestDb>,
    adjust: impl FnOnce(&mut Config),
    build: impl FnOnce(Engine) -> Engine,
) -> TestApp {
    let mut config = Config::for_tests(&db.url);
    config.site_addr = "127.0.0.1:0".parse().unwrap();
    config.mail_outbox = db.outbox.clone();
    adjust(&mut config);
    let clock = ManualClock::starting_at(1_800_000_000);
    let engine = lanyard::server::connect(&config.lanyard, Arc::new(clock.clone())).await.expect("engine starts");
    let engine = Arc::new(build(engine));
    let background = server::Background::start(&engine);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = server::web::router(engine.clone(), &config);
    let server = tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });
    let http =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).user_agent(USER_AGENT).build().unwrap();
    TestApp { base: format!("http://{addr}"), http, engine, clock, server, _background: background, db }
}

/// What a test reads of an answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    /// The value of the refresh cookie this answer sets ("" when it clears it).
    pub fn refresh_cookie(&self) -> Option<String> {
        self.set_cookie().map(|c| c.split(';').next().unwrap().trim_start_matches("lanyard_refresh=").to_owned())
    }

    pub fn set_cookie(&self) -> Option<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("lanyard_refresh="))
            .map(str::to_owned)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn access_token(&self) -> String {
        self.body["access_token"].as_str().expect("an access token").to_owned()
    }
}

/// Sends `request` and reads the answer (the body as JSON where it is JSON).
pub async fn exchange(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer { status, headers, body }
}

/// A signed-in user: the access token and the current refresh cookie.
#[derive(Debug, Clone)]
pub struct Signed {
    pub access: String,
    pub refresh: String,
    pub user_id: String,
    pub session_id: String,
}

impl TestApp {
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        exchange(request).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(self.http.post(self.url(path)).json(&body)).await
    }

    pub async fn get_with_token(&self, path: &str, access: &str) -> Answer {
        self.send(self.http.get(self.url(path)).bearer_auth(access)).await
    }

    pub async fn refresh_with(&self, cookie: &str) -> Answer {
        let request =
            self.http.post(self.url("/api/auth/refresh")).header("cookie", format!("lanyard_refresh={cookie}"));
        self.send(request.json(&json!({}))).await
    }

    pub async fn create_user(&self, email: &str) -> String {
        self.engine.create_user(email, PASSWORD, lanyard::contract::Role::Owner, "acme").await.expect("user created")
    }

    pub async fn login(&self, email: &str) -> Answer {
        self.post("/api/auth/login", json!({ "email": email, "password": PASSWORD, "remember_me": false })).await
    }

    /// Creates `email` and signs in.
    pub async fn signed_in(&self, email: &str) -> Signed {
        self.create_user(email).await;
        self.sign_in(email).await
    }
}

impl TestApp {
    /// The messages of `kind` in the outbox, in the order they were written, each as its file's
    /// name and text.
    pub fn mail(&self, kind: &str) -> Vec<(String, String)> {
        let Ok(entries) = std::fs::read_dir(&self.db.outbox) else { return Vec::new() };
        let mut mail: Vec<(std::time::SystemTime, String, String)> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".eml") && name.split('-').nth(1) == Some(kind))
            .map(|name| {
                let path = self.db.outbox.join(&name);
                let written = std::fs::metadata(&path).and_then(|m| m.modified()).unwrap();
                (written, name, std::fs::read_to_string(path).unwrap())
            })
            .collect();
        mail.sort();
        mail.into_iter().map(|(_, name, text)| (name, text)).collect()
    }

    /// Waits for the `n`th message of `kind` and returns its text.
    pub async fn nth_mail(&self, kind: &str, n: usize) -> String {
        let arrived = eventually(std::time::Duration::from_secs(10), || async { self.mail(kind).len() >= n }).await;
        assert!(arrived, "no message {n} of {kind} in {}", self.db.outbox.display());
        self.mail(kind).swap_remove(n - 1).1
    }
}

/// The token of the one link in `message` (its plain text and its HTML carry the same).
pub fn link_token(message: &str) -> String {
    let plain = message.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=");
    let start = plain.find("?token=").expect("the message has a link") + "?token=".len();
    plain[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
}

/// Runs each listed test function on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both_databases {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 4)] async fn $test() { super::$test($crate::helpers::Db::Sqlite).await } )*
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 4)] async fn $test() { super::$test($crate::helpers::Db::Postgres).await } )*
        }
    };
}

impl TestApp {
    pub fn clock_now(&self) -> i64 {
        use lanyard::engine::Clock;
        self.clock.now()
    }
}

impl TestApp {
    /// Runs the operator CLI (the real binary) on this test's database.
    pub fn cli(&self, args: &[&str]) -> String {
        self.cli_with_env(args, &[])
    }

    pub fn cli_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
            .args(args)
            .env("DATABASE_URL", &self.db.url)
            .env("LANYARD_DEMO", "0")
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .output()
            .expect("the server binary runs");
        let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        assert!(output.status.success(), "server {args:?} failed: {text}");
        text
    }

    /// Runs SQL directly, for situations no command produces (and forgets the cached view, as a
    /// hand edit of the database is not announced).
    pub async fn sql(&self, statement: &str) {
        sqlx::query(statement).execute(self.engine.database()).await.expect("the statement runs");
        self.engine.forget_cache();
    }

    pub async fn post_with_token(&self, path: &str, access: &str, body: Value) -> Answer {
        self.send(self.http.post(self.url(path)).bearer_auth(access).json(&body)).await
    }

    /// Signs in a user created in `account` with `role`.
    pub async fn signed_in_as(&self, email: &str, role: lanyard::contract::Role, account: &str) -> Signed {
        self.engine.create_user(email, PASSWORD, role, account).await.expect("user created");
        self.sign_in(email).await
    }

    /// Signs in an existing user (another device).
    pub async fn sign_in(&self, email: &str) -> Signed {
        self.sign_in_with(email, PASSWORD).await
    }

    /// Signs in an existing user whose password is not the tests' usual one.
    pub async fn sign_in_with(&self, email: &str, password: &str) -> Signed {
        let answer = self.post("/api/auth/login", json!({ "email": email, "password": password })).await;
        assert_eq!(answer.status, 200, "{:?}", answer.body);
        Signed {
            access: answer.access_token(),
            refresh: answer.refresh_cookie().unwrap(),
            user_id: answer.body["user"]["id"].as_str().unwrap().to_owned(),
            session_id: answer.body["session_id"].as_str().unwrap().to_owned(),
        }
    }
}

/// The new password [`TestApp::change_password`] sets.
pub const NEW_PASSWORD: &str = "a brand new passphrase";

impl TestApp {
    /// Changes the signed-in user's password from the tests' usual one to [`NEW_PASSWORD`].
    pub async fn change_password(&self, signed: &Signed) -> Answer {
        let body = json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD });
        self.post_with_token("/api/auth/password", &signed.access, body).await
    }
}

/// Polls `check` every 50 ms until it holds or `limit` passes; returns whether it held.
pub async fn eventually<F, Fut>(limit: std::time::Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A refresh with `cookie`, held at `step` until the gate is released.
pub async fn refresh_held_at(app: &Arc<TestApp>, cookie: &str, step: Step) -> (Gate, tokio::task::JoinHandle<Answer>) {
    let mut gate = app.engine.hooks().hold(step);
    let refresh = tokio::spawn({
        let (app, cookie) = (app.clone(), cookie.to_owned());
        async move { app.refresh_with(&cookie).await }
    });
    gate.reached().await;
    (gate, refresh)
}

impl TestApp {
    /// Sends `head` (a request line and headers, without the blank line) over a raw connection, as
    /// no HTTP client library would, and returns the whole answer; the connection is closed after it.
    pub async fn raw_exchange(&self, head: &str) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let host = self.base.trim_start_matches("http://");
        let mut connection = tokio::net::TcpStream::connect(host).await.expect("the server listens");
        connection.write_all(format!("{head}\r\nConnection: close\r\n\r\n").as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        let read = tokio::time::timeout(std::time::Duration::from_secs(10), connection.read_to_end(&mut answer));
        match read.await {
            Ok(Ok(_)) => String::from_utf8_lossy(&answer).into_owned(),
            Ok(Err(error)) => format!("the connection failed: {error}"),
            Err(_) => "no answer within 10 s".into(),
        }
    }
}
