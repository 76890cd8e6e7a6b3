//! lanyard's built server (`target/debug/server`, from `scripts/site`), started as the Playwright
//! suite starts it: the built site, the demo users, a fresh SQLite file, its own port.

use std::process::Command;
use std::time::Duration;

use crate::process::{Group, free_port, root, wait_ready, work_dir};

/// The two configurations the journeys need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lifetimes {
    /// The default lifetimes: an access token lives an hour.
    Standard,
    /// Access tokens live 5 seconds, so a journey sees them expire and be refreshed.
    Short,
}

impl Lifetimes {
    pub fn name(self) -> &'static str {
        match self {
            Lifetimes::Standard => "standard",
            Lifetimes::Short => "short",
        }
    }

    fn env(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Lifetimes::Standard => &[],
            Lifetimes::Short => &[("LANYARD_ACCESS_TTL", "5")],
        }
    }

    /// The access token's lifetime in seconds.
    pub fn access_ttl(self) -> u64 {
        match self {
            Lifetimes::Standard => 3600,
            Lifetimes::Short => 5,
        }
    }
}

pub struct Server {
    pub lifetimes: Lifetimes,
    pub port: u16,
    database_url: String,
    _process: Group,
}

impl Server {
    pub async fn start(lifetimes: Lifetimes) -> anyhow::Result<Self> {
        let dir = work_dir().join(lifetimes.name());
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let database_url = format!("sqlite://{}", dir.join("lanyard.db").display());
        let port = free_port("127.0.0.1");
        let mut command = Command::new(root().join("target/debug/server"));
        command
            .current_dir(root())
            .env("DATABASE_URL", &database_url)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LEPTOS_SITE_ROOT", "target/site")
            .env("LEPTOS_SITE_PKG_DIR", "pkg")
            .env("LANYARD_DEMO", "1")
            .env("RUST_LOG", "warn")
            .envs(lifetimes.env().iter().copied());
        let mut process = Group::spawn(&format!("the {} server", lifetimes.name()), command, &dir.join("server.log"))?;
        wait_ready(&mut process, &format!("http://127.0.0.1:{port}/readyz"), Duration::from_secs(60)).await?;
        Ok(Self { lifetimes, port, database_url, _process: process })
    }

    /// The origin the browser uses: 127.0.0.1, never `localhost`, which is another site.
    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin())
    }

    /// Runs the operator CLI (the same binary) against this server's database; a running server sees
    /// its changes within a second.
    pub fn cli(&self, args: &[&str]) -> anyhow::Result<String> {
        let output = Command::new(root().join("target/debug/server"))
            .current_dir(root())
            .env("DATABASE_URL", &self.database_url)
            .env("LANYARD_DEMO", "0")
            .env("RUST_LOG", "warn")
            .args(args)
            .output()?;
        anyhow::ensure!(
            output.status.success(),
            "server {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// A user of an account of its own, so a journey that signs it out everywhere touches no other.
    pub fn fresh_user(&self, label: &str) -> anyhow::Result<String> {
        let email = format!("{label}-{}@example.com", unique());
        self.cli(&[
            "admin",
            "user",
            "create",
            "--email",
            &email,
            "--password",
            DEMO_PASSWORD,
            "--role",
            "owner",
            "--account",
            &email,
        ])?;
        Ok(email)
    }

    /// Signs `email` in from outside the browser, as another device would: its own session and
    /// access token, which the browser never sees.
    pub async fn sign_in_elsewhere(&self, email: &str) -> anyhow::Result<String> {
        let answer: serde_json::Value = reqwest::Client::new()
            .post(self.url("/api/auth/login"))
            .header("Origin", self.origin())
            .json(&serde_json::json!({ "email": email, "password": DEMO_PASSWORD, "remember_me": false }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        answer["access_token"].as_str().map(str::to_owned).ok_or_else(|| anyhow::anyhow!("no access token in {answer}"))
    }

    /// "Sign out other devices" from the device holding `access_token`: every other session of its
    /// user ends with LOGOUT_OTHER_DEVICE.
    pub async fn sign_out_other_devices(&self, access_token: &str) -> anyhow::Result<u64> {
        let answer: serde_json::Value = reqwest::Client::new()
            .post(self.url("/api/auth/logout_all"))
            .header("Origin", self.origin())
            .bearer_auth(access_token)
            .json(&serde_json::json!({ "keep_current": true }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        answer["ended"].as_u64().ok_or_else(|| anyhow::anyhow!("no count in {answer}"))
    }
}

pub const DEMO_PASSWORD: &str = "lanyard-demo";

/// A number no earlier call in this run returned: emails stay unique across journeys and engines.
pub fn unique() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let millis = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    format!("{millis}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}
