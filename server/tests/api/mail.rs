//! Mail by SMTP (SPEC §10): a real SMTP server on loopback (Debian's aiosmtpd) receives lanyard's
//! message; a server that is down gets the message retried, then given up, each attempt counted,
//! and the request that caused it is answered at once either way.

use crate::helpers::{Db, TestApp, eventually, link_token, spawn_app_with};
use crate::on_both_databases;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Duration;

on_both_databases!(mail_goes_out_to_a_real_smtp_server, a_mail_server_that_is_down_is_retried_then_given_up);

/// A port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Debian's aiosmtpd on `port`, keeping what it receives in the maildir `folder`.
struct SmtpServer {
    child: std::process::Child,
    folder: PathBuf,
}

impl SmtpServer {
    async fn start(port: u16, folder: &Path) -> Self {
        let child = std::process::Command::new("/usr/bin/python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(folder)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("aiosmtpd runs (scripts/setup installs python3-aiosmtpd)");
        let listening = eventually(Duration::from_secs(10), || async {
            tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok()
        })
        .await;
        assert!(listening, "aiosmtpd listens on {port}");
        Self { child, folder: folder.to_owned() }
    }

    fn received(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.folder.join("new")) else { return Vec::new() };
        entries.filter_map(Result::ok).map(|entry| std::fs::read_to_string(entry.path()).unwrap()).collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}

async fn mail_metric(app: &TestApp, outcome: &str) -> u64 {
    let text = app.http.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let series = format!(r#"lanyard_mail_total{{kind="password_reset",outcome="{outcome}"}} "#);
    text.lines().find_map(|line| line.strip_prefix(series.as_str())).map_or(0, |n| n.parse().unwrap())
}

async fn mail_goes_out_to_a_real_smtp_server(db: Db) {
    let port = free_port();
    let folder = std::env::temp_dir().join(format!("lanyard-smtp-{}-{port}", std::process::id()));
    let server = SmtpServer::start(port, &folder).await;
    let app = spawn_app_with(db, |config| {
        config.smtp_url = Some(format!("smtp://127.0.0.1:{port}?tls=none").into());
        config.mail_from = "lanyard <no-reply@lanyard.test>".into();
        config.public_url = Some("https://accounts.example.com".into());
        config.metrics = lanyard::server::Switch::On;
    })
    .await;
    app.create_user("ada@example.com").await;

    let asked = app.post("/api/auth/password_reset", json!({ "email": "ada@example.com" })).await;
    assert_eq!(asked.status, 202);
    let arrived = eventually(Duration::from_secs(10), || async { server.received().len() == 1 }).await;
    assert!(arrived, "the SMTP server received the message");
    let message = server.received().remove(0);
    assert!(message.contains("To: ada@example.com") && message.contains("no-reply@lanyard.test"), "{message}");
    assert!(message.contains("https://accounts.example.com/reset-password?token="), "links on LANYARD_PUBLIC_URL");
    assert_eq!(link_token(&message).len(), 43);
    // The server has the message before lanyard has its answer and counts it.
    let counted = eventually(Duration::from_secs(10), || async { mail_metric(&app, "sent").await == 1 }).await;
    assert!(counted, "the message is counted as sent");
    assert!(app.mail("password_reset").is_empty(), "nothing in the outbox when SMTP is set");
}

async fn a_mail_server_that_is_down_is_retried_then_given_up(db: Db) {
    let port = free_port();
    let app = spawn_app_with(db, |config| {
        config.smtp_url = Some(format!("smtp://localhost:{port}?tls=none").into());
        config.metrics = lanyard::server::Switch::On;
    })
    .await;
    app.create_user("ada@example.com").await;

    let started = std::time::Instant::now();
    let asked = app.post("/api/auth/password_reset", json!({ "email": "ada@example.com" })).await;
    assert_eq!(asked.status, 202, "the request never fails because of the mail");
    assert!(started.elapsed() < Duration::from_secs(2), "nor waits for it");

    for (retried, wait) in [(1, 60), (2, 180), (3, 360)] {
        let counted =
            eventually(Duration::from_secs(10), || async { mail_metric(&app, "retried").await == retried }).await;
        assert!(counted, "attempt {retried} failed and was counted");
        assert_eq!(mail_metric(&app, "failed").await, 0);
        app.clock.advance(wait);
    }
    let given_up = eventually(Duration::from_secs(10), || async { mail_metric(&app, "failed").await == 1 }).await;
    assert!(given_up, "the fourth attempt gives the message up, counted");
    assert_eq!(mail_metric(&app, "retried").await, 3);
    assert_eq!(mail_metric(&app, "sent").await, 0);
}
