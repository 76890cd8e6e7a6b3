//! The audit trail and the logs: every lifecycle step leaves one structured event, and no issued
//! token or password is ever written to a log line.

use crate::binary::Binary;
use crate::helpers::{Db, PASSWORD, TestDb, USER_AGENT, spawn_app};
use crate::on_both_databases;
use serde_json::{Value, json};
use std::process::Command;
use std::time::Duration;

on_both_databases!(
    sigterm_drains_for_a_bounded_time_and_closes_cleanly,
    every_lifecycle_step_leaves_one_event,
    no_log_line_holds_a_token_or_a_password,
    json_logs_carry_the_request_id_and_the_ending_as_fields,
);

type Row = (i64, String, Option<String>, Option<String>, Option<String>, Option<String>, Option<String>);

/// LOG-01: sign-in, refresh, reuse and sign-out, each with its time, address and agent, and a
/// replayed token ending its session exactly once however often it is replayed.
async fn every_lifecycle_step_leaves_one_event(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    let first = app.refresh_with(&ada.refresh).await;
    let second = app.refresh_with(&first.refresh_cookie().unwrap()).await;
    assert_eq!(second.status, 200);
    app.clock.advance(60);
    for _ in 0..3 {
        assert_eq!(app.refresh_with(&ada.refresh).await.body["logout_reason"], "REFRESH_TOKEN_REUSED");
    }
    let bob = app.signed_in("bob@example.com").await;
    assert_eq!(app.post_with_token("/api/auth/logout", &bob.access, json!({})).await.status, 200);

    let rows: Vec<Row> = sqlx::query_as(
        "SELECT at, kind, user_id, session_id, reason, ip, user_agent FROM lanyard_auth_events
         WHERE kind IN ('login', 'refresh', 'session_ended') ORDER BY id",
    )
    .fetch_all(app.engine.database())
    .await
    .unwrap();
    let of = |session: &str, kind: &str| -> Vec<&Row> {
        rows.iter().filter(|r| r.3.as_deref() == Some(session) && r.1 == kind).collect()
    };
    let started = app.clock_now() - 60;
    let login = of(&ada.session_id, "login");
    assert_eq!(login.len(), 1, "{rows:?}");
    assert_eq!(login[0].0, started, "the event carries the server's Unix time");
    assert_eq!(login[0].2.as_deref(), Some(ada.user_id.as_str()));
    assert_eq!(login[0].5.as_deref(), Some("127.0.0.1"));
    assert_eq!(login[0].6.as_deref(), Some(USER_AGENT), "the user agent is kept");
    assert_eq!(of(&ada.session_id, "refresh").len(), 2, "{rows:?}");
    let ended: Vec<_> = of(&ada.session_id, "session_ended").iter().map(|r| r.4.clone()).collect();
    assert_eq!(ended, [Some("REFRESH_TOKEN_REUSED".to_owned())], "three replays, one ending: {rows:?}");
    let signed_out: Vec<_> = of(&bob.session_id, "session_ended").iter().map(|r| r.4.clone()).collect();
    assert_eq!(signed_out, [Some("MANUAL_LOGOUT".to_owned())], "{rows:?}");
}

/// CK-03: the real binary at `RUST_LOG=debug` through a whole session's life, bad input included;
/// not one line of what it prints holds a token it issued or a password it was sent.
async fn no_log_line_holds_a_token_or_a_password(db: Db) {
    let db = TestDb::create(db).await;
    let mut server = Binary::start(&db, &[("RUST_LOG", "debug")]).await;
    let base = server.base.clone();
    let http = reqwest::Client::new();
    let post = |path: &str, headers: &[(&str, &str)], body: String| {
        let mut request = http.post(format!("{base}{path}")).header("content-type", "application/json").body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        async move {
            let response = request.send().await.expect("the server answers");
            let cookie = response
                .headers()
                .get("set-cookie")
                .and_then(|v| v.to_str().ok())
                .map(|c| c.split(';').next().unwrap().trim_start_matches("lanyard_refresh=").to_owned());
            let body: Value = response.json().await.unwrap_or(Value::Null);
            (body, cookie.unwrap_or_default())
        }
    };
    let mut secrets = vec![PASSWORD.to_owned(), "a guessed password".to_owned()];
    let sign_in = json!({ "email": "ada@example.com", "password": PASSWORD }).to_string();
    let (signed, refresh) = post("/api/auth/login", &[], sign_in.clone()).await;
    let access = signed["access_token"].as_str().expect("signed in").to_owned();
    secrets.extend([access.clone(), refresh.clone()]);
    let cookie = |token: &str| format!("lanyard_refresh={token}");
    let (rotated, next) = post("/api/auth/refresh", &[("cookie", &cookie(&refresh))], "{}".into()).await;
    secrets.extend([rotated["access_token"].as_str().unwrap().to_owned(), next.clone()]);
    let bearer = format!("Bearer {access}");
    let garbage_bodies = [
        format!("{{\"email\":\"{access}\",\"password\":\"{PASSWORD}\""),
        format!("{{\"token\":\"{next}\"}}"),
        format!("not json {refresh}"),
    ];
    for body in garbage_bodies {
        post("/api/auth/login", &[], body.clone()).await;
        post("/api/auth/logout", &[("authorization", &bearer)], body).await;
    }
    let guess = json!({ "current_password": "a guessed password", "new_password": "a new passphrase" }).to_string();
    post("/api/auth/password", &[("authorization", &bearer)], guess).await;
    post("/api/auth/refresh", &[("cookie", &cookie(&format!("{refresh}x")))], "{}".into()).await;
    post("/api/auth/refresh", &[("cookie", &format!("{}; {}", cookie("stale"), cookie(&next)))], "{}".into()).await;
    post("/api/auth/login", &[], json!({ "email": PASSWORD, "password": "x" }).to_string()).await;
    let (_, after_logout) = post("/api/auth/logout", &[("authorization", &bearer)], "{}".into()).await;
    assert_eq!(after_logout, "", "signed out: the cookie is cleared");
    post("/api/auth/refresh", &[("cookie", &cookie(&refresh))], "{}".into()).await;
    http.get(format!("{base}/api/auth/me")).bearer_auth(&access).send().await.unwrap();

    let printed = server.stop();
    assert!(printed.lines().count() > 10, "debug logging is on: {printed}");
    for secret in &secrets {
        let hits: Vec<&str> = printed.lines().filter(|line| line.contains(secret.as_str())).collect();
        assert!(hits.is_empty(), "{secret:?} is in the log: {hits:#?}");
    }
}

/// With `LANYARD_LOG_FORMAT=json` and the access log on, an `[AUTO-LOGOUT]` line is one JSON object
/// whose facts are fields (`code`, `session_id`, …) and which carries the request's id, the same id
/// the answer's header and error body give; the access log has a line for that request too.
async fn json_logs_carry_the_request_id_and_the_ending_as_fields(db: Db) {
    let db = TestDb::create(db).await;
    let env = [("LANYARD_LOG_FORMAT", "json"), ("LANYARD_ACCESS_LOG", "on"), ("LANYARD_REFRESH_GRACE", "0")];
    let mut server = Binary::start(&db, &env).await;
    let http = reqwest::Client::new();
    let refresh = |cookie: String, id: &'static str| {
        let request = http.post(format!("{}/api/auth/refresh", server.base)).header("x-request-id", id);
        request.header("cookie", format!("lanyard_refresh={cookie}")).json(&json!({})).send()
    };
    let cookie_of = |response: &reqwest::Response| {
        let cookie = response.headers().get("set-cookie").unwrap().to_str().unwrap();
        cookie.split(';').next().unwrap().trim_start_matches("lanyard_refresh=").to_owned()
    };
    let body = json!({ "email": "ada@example.com", "password": PASSWORD });
    let signed_in = http.post(format!("{}/api/auth/login", server.base)).json(&body).send().await.unwrap();
    let first = cookie_of(&signed_in);
    let second = cookie_of(&refresh(first.clone(), "rotate-1").await.unwrap());
    refresh(second, "rotate-2").await.unwrap();
    let reused = refresh(first, "replay-1").await.unwrap();
    assert_eq!(reused.headers()["x-request-id"], "replay-1", "the id sent is the id answered");
    let body: Value = reused.json().await.unwrap();
    assert_eq!(body["logout_reason"], "REFRESH_TOKEN_REUSED");
    assert_eq!(body["request_id"], "replay-1");

    let printed = server.stop();
    let lines: Vec<Value> = printed.lines().filter_map(|line| serde_json::from_str(line).ok()).collect();
    let ending = lines
        .iter()
        .find(|line| line["message"].as_str().is_some_and(|m| m.starts_with("[AUTO-LOGOUT]")))
        .unwrap_or_else(|| panic!("no [AUTO-LOGOUT] line in:\n{printed}"));
    assert_eq!(ending["code"], "REFRESH_TOKEN_REUSED", "{ending}");
    assert!(ending["session_id"].as_str().is_some_and(|id| !id.is_empty()), "{ending}");
    assert_eq!(ending["span"]["request_id"], "replay-1", "{ending}");
    let access = lines.iter().filter(|line| line["span"]["request_id"] == "replay-1");
    assert!(access.clone().any(|line| line["status"] == 401), "an access-log line: {printed}");
}

/// SIGTERM: a request that never finishes (a body announced, never sent) gets `LANYARD_DRAIN_SECS`,
/// then the process exits successfully anyway; on SQLite the write-ahead log has been folded into
/// the database file, so the file alone is the whole database.
async fn sigterm_drains_for_a_bounded_time_and_closes_cleanly(db: Db) {
    use tokio::io::AsyncWriteExt;
    let db = TestDb::create(db).await;
    let mut server = Binary::start(&db, &[("LANYARD_DRAIN_SECS", "1")]).await;
    let body = json!({ "email": "ada@example.com", "password": PASSWORD });
    let signed_in = reqwest::Client::new().post(format!("{}/api/auth/login", server.base)).json(&body).send();
    assert_eq!(signed_in.await.unwrap().status(), 200);
    let host = server.base.trim_start_matches("http://").to_owned();
    let mut stalled = tokio::net::TcpStream::connect(&host).await.unwrap();
    let head = format!(
        "POST /api/auth/login HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{"
    );
    stalled.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let (status, took, printed) = server.terminate().await;
    assert!(status.success(), "a clean exit: {status:?}\n{printed}");
    assert!(took < Duration::from_secs(10), "the stalled request is given 1 s, not forever: {took:?}");
    if let Some(file) = db.url.strip_prefix("sqlite://") {
        let wal = std::fs::metadata(format!("{file}-wal")).map(|m| m.len()).unwrap_or(0);
        assert_eq!(wal, 0, "the write-ahead log is checkpointed into {file}");
    }
}

/// A `.env` in the working directory configures the binary; the environment itself wins over it.
#[test]
fn a_dot_env_file_fills_in_what_the_environment_does_not_set() {
    let dir = std::env::temp_dir().join(format!("lanyard-dotenv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(".env"), "LANYARD_SECRET=too-short-for-a-secret\nLANYARD_DEMO=0\n").unwrap();
    let run = |env: &[(&str, &str)]| {
        let output = Command::new(env!("CARGO_BIN_EXE_server"))
            .current_dir(&dir)
            .env("DATABASE_URL", format!("sqlite://{}/lanyard.db", dir.display()))
            .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            .env_remove("LANYARD_SECRET")
            .envs(env.iter().copied())
            .args(["admin", "report", "logouts"])
            .output()
            .unwrap();
        (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
    };
    let (ok, stderr) = run(&[]);
    assert!(!ok && stderr.contains("at least 32 bytes"), "the .env secret was read: {stderr}");
    let (ok, stderr) = run(&[("LANYARD_SECRET", "a secret from the environment, long enough")]);
    assert!(ok, "the environment wins over .env: {stderr}");
    std::fs::remove_dir_all(dir).ok();
}
