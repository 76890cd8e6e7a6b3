//! The processes under load: lanyard's release binary and the bare handler, each in its own
//! process, so the load generator never shares their runtime.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The signing secret of the benchmark's servers, so that the growth figures can mint access tokens.
pub const SECRET: &str = "the benchmark's signing secret, thirty-two bytes or more";

/// A server process on a free port of 127.0.0.1; dropping it kills the process.
pub struct Process {
    pub base: String,
    child: Child,
}

/// A binary built beside this one (`cargo build --release -p tools -p server` puts them together).
pub fn sibling(name: &str) -> PathBuf {
    let me = std::env::current_exe().expect("the benchmark's own path");
    me.with_file_name(name)
}

impl Process {
    /// lanyard over `database_url`, with sign-in throttles out of the way (the benchmark signs in
    /// many times, and fails on purpose, from one address).
    pub async fn lanyard(database_url: &str) -> Self {
        let port = free_port();
        let mut command = Command::new(sibling("server"));
        command
            .env("DATABASE_URL", database_url)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LANYARD_SECRET", SECRET)
            .env("LANYARD_DEMO", "0")
            .env("LANYARD_LOGIN_MAX_FAILURES", u32::MAX.to_string())
            .env("LANYARD_LOGIN_MAX_FAILURES_PER_IP", u32::MAX.to_string())
            // Logging as an operator runs it: JSON lines at info, the access log off, its lines
            // thrown away.
            .env("LANYARD_LOG_FORMAT", "json")
            .env("LANYARD_ACCESS_LOG", "off")
            .env_remove("RUST_LOG");
        Self::spawn(command, port).await
    }

    /// The bare axum handler (`tools/src/bin/bare.rs`).
    pub async fn bare() -> Self {
        let port = free_port();
        let mut command = Command::new(sibling("bare"));
        command.arg(format!("127.0.0.1:{port}"));
        Self::spawn(command, port).await
    }

    async fn spawn(mut command: Command, port: u16) -> Self {
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {command:?}: {e}"));
        let process = Self { base: format!("http://127.0.0.1:{port}"), child };
        let client = reqwest::Client::new();
        let started = Instant::now();
        while client.get(format!("{}/healthz", process.base)).send().await.is_err() {
            assert!(started.elapsed() < Duration::from_secs(30), "{command:?} did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        process
    }

    /// The CPU time the process has used so far.
    pub fn cpu_time(&self) -> Duration {
        cpu_time(self.child.id())
    }

    /// The process's resident memory, from `/proc` (Linux).
    pub fn rss_bytes(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// User and system time of every thread of `pid` so far, from `/proc` (Linux).
pub fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name, which is in parentheses and may hold spaces: state is the
    // first, utime the 12th and stime the 13th.
    let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    // SAFETY: sysconf only reads a constant of the system.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    Duration::from_secs_f64((ticks(11) + ticks(12)) as f64 / per_second)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// Creates the benchmark's user with the operator CLI, as an operator would.
pub fn create_user(database_url: &str, email: &str, password: &str) {
    let created = Command::new(sibling("server"))
        .args(["admin", "user", "create", "--email", email, "--password", password, "--role", "owner"])
        .env("DATABASE_URL", database_url)
        .env("LANYARD_DEMO", "0")
        .env("RUST_LOG", "error")
        .output()
        .expect("the operator CLI runs");
    assert!(created.status.success(), "creating the user: {}", String::from_utf8_lossy(&created.stderr));
}
