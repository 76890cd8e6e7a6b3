//! The host's own server function and axum handler, over HTTP against the real `host` binary (SPEC
//! §12): lanyard's 401 body without a bearer, and the greeting (with `X-Session-User`) with one.
//! The demo's server functions are not the host's: they register only where their crate is linked.

use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The host binary on a free port and a fresh SQLite file, with the demo users; killed on drop.
struct Host {
    base: String,
    child: Child,
    dir: std::path::PathBuf,
}

impl Host {
    async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dir = std::env::temp_dir().join(format!("lanyard-host-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_host"))
            .env("DATABASE_URL", format!("sqlite://{}/host.db", dir.display()))
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LANYARD_DEMO", "1")
            .stdout(Stdio::null())
            .spawn()
            .expect("the host binary runs");
        let host = Self { base: format!("http://127.0.0.1:{port}"), child, dir };
        for _ in 0..300 {
            if reqwest::get(format!("{}/healthz", host.base)).await.is_ok() {
                return host;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the host did not start");
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn the_hosts_own_server_function_knows_the_signed_in_user() {
    let host = Host::start().await;
    let http = reqwest::Client::new();

    let anonymous = http.get(format!("{}/api/hello", host.base)).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let body: Value = anonymous.json().await.unwrap();
    assert_eq!((&body["error"], &body["logout_reason"]), (&json!("ACCESS_TOKEN_INVALID"), &Value::Null), "{body}");

    let login = http
        .post(format!("{}/api/auth/login", host.base))
        .json(&json!({ "email": "owner@example.com", "password": "lanyard-demo" }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let login: Value = login.json().await.unwrap();
    let access = login["access_token"].as_str().expect("an access token");

    let greeted = http.get(format!("{}/api/hello", host.base)).bearer_auth(access).send().await.unwrap();
    assert_eq!(greeted.status(), 200);
    let user_id = login["user"]["id"].as_str().unwrap();
    assert_eq!(greeted.headers()["x-session-user"], user_id, "the answer names the session's user");
    let body: Value = greeted.json().await.unwrap();
    assert_eq!(body, json!({ "hello": "owner@example.com" }));

    let handler = format!("{}/hello.txt", host.base);
    let anonymous = http.get(&handler).send().await.unwrap();
    assert_eq!(anonymous.status(), 401, "the handler's extractor refuses as lanyard does");
    let body: Value = anonymous.json().await.unwrap();
    assert_eq!(body["error"], "ACCESS_TOKEN_INVALID", "{body}");
    let greeted = http.get(&handler).bearer_auth(access).send().await.unwrap();
    assert_eq!(greeted.status(), 200);
    assert_eq!(greeted.headers()["x-session-user"], user_id, "the extractor names the user on the answer");
    assert_eq!(greeted.text().await.unwrap(), "Hello, owner@example.com");

    for demos in ["/api/billing/status", "/api/jobs/start"] {
        let answer = http.get(format!("{}{demos}", host.base)).bearer_auth(access).send().await.unwrap();
        assert_eq!(answer.status(), 404, "{demos} is the demo's, not lanyard's");
    }
}
