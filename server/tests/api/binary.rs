//! The real server binary as a service manager runs it: its own process on a free port, configured
//! by environment variables alone, with everything it prints kept for the test.

use crate::helpers::{PASSWORD, TestDb, eventually};
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

/// A running server binary. Dropping it kills the process.
pub struct Binary {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    child: std::process::Child,
    readers: Vec<std::thread::JoinHandle<String>>,
}

impl Binary {
    /// Creates ada@example.com on `db` (with the operator CLI) and starts the server over it.
    pub async fn start(db: &TestDb, env: &[(&str, &str)]) -> Self {
        let created = Command::new(env!("CARGO_BIN_EXE_server"))
            .args(["admin", "user", "create", "--email", "ada@example.com", "--password", PASSWORD])
            .env("DATABASE_URL", &db.url)
            .env("LANYARD_DEMO", "0")
            .output()
            .unwrap();
        assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
        Self::serve(db, env).await
    }

    /// Starts the server over `db` as it is (another instance on the same database), and waits
    /// until it answers `/healthz`.
    pub async fn serve(db: &TestDb, env: &[(&str, &str)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
            .env("DATABASE_URL", &db.url)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LANYARD_DEMO", "0")
            .env_remove("LANYARD_SECRET")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server binary runs");
        let pipes: Vec<Box<dyn Read + Send>> =
            vec![Box::new(child.stdout.take().unwrap()), Box::new(child.stderr.take().unwrap())];
        let readers = pipes
            .into_iter()
            .map(|mut pipe| {
                std::thread::spawn(move || {
                    let mut text = String::new();
                    let _ = pipe.read_to_string(&mut text);
                    text
                })
            })
            .collect();
        let mut binary = Self { base: format!("http://127.0.0.1:{port}"), child, readers };
        let http = reqwest::Client::new();
        let url = format!("{}/healthz", binary.base);
        let up = eventually(Duration::from_secs(30), || {
            let (http, url) = (http.clone(), url.clone());
            async move { http.get(url).send().await.is_ok() }
        })
        .await;
        assert!(up, "the server starts: {}", binary.stop());
        binary
    }

    /// `host:port` of the listener.
    pub fn address(&self) -> &str {
        self.base.trim_start_matches("http://")
    }

    /// Sends SIGTERM, as a service manager would, and returns how the process exited, how long it
    /// took and what it printed.
    pub async fn terminate(&mut self) -> (std::process::ExitStatus, Duration, String) {
        let sent = std::time::Instant::now();
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let exited = eventually(Duration::from_secs(30), || {
            let exited = self.child.try_wait().unwrap().is_some();
            async move { exited }
        });
        assert!(exited.await, "the server stops within 30 s of SIGTERM");
        let status = self.child.wait().unwrap();
        (status, sent.elapsed(), self.readers.drain(..).map(|reader| reader.join().unwrap()).collect())
    }

    /// Stops the process and returns what it printed.
    pub fn stop(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.readers.drain(..).map(|reader| reader.join().unwrap()).collect()
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
