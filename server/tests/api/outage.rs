//! PostgreSQL unreachable: calls answer 503 with Retry-After, never a logout, and everything works
//! again once it is back. The outage is a TCP proxy the test cuts and restores; the machine's
//! PostgreSQL itself is never stopped.

use crate::helpers::{Db, TestDb, refresh_held_at, spawn_on};
use lanyard::engine::testing::Step;
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// A TCP proxy to PostgreSQL that can drop every connection and refuse new ones.
struct Proxy {
    port: u16,
    cut: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Proxy {
    async fn start(upstream: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let links = Arc::new(Mutex::new(Vec::new()));
        let (accept_cut, accept_links) = (cut.clone(), links.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if accept_cut.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let link = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                accept_links.lock().unwrap().push(link.abort_handle());
            }
        });
        Self { port, cut, links }
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

/// A proxied app on a fresh PostgreSQL database, and the proxy.
async fn behind_a_proxy() -> (crate::helpers::TestApp, Proxy) {
    let db = Arc::new(TestDb::create(Db::Postgres).await);
    let proxy = Proxy::start("127.0.0.1:5432").await;
    let proxied = db.url.replacen("127.0.0.1:5432", &format!("127.0.0.1:{}", proxy.port), 1);
    assert_ne!(proxied, db.url, "the test database is on 127.0.0.1:5432");
    (spawn_on(db, |config| config.database_url = proxied).await, proxy)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sign_out_the_database_cannot_record_keeps_the_cookie_to_try_again() {
    let (app, proxy) = behind_a_proxy().await;
    let ada = app.signed_in("ada@example.com").await;
    let sign_out = || {
        let request = app.http.post(app.url("/api/auth/logout")).bearer_auth(&ada.access);
        app.send(request.header("cookie", format!("lanyard_refresh={}", ada.refresh)).json(&json!({})))
    };

    proxy.cut();
    let failed = sign_out().await;
    assert_eq!(failed.status, 503, "{:?}", failed.body);
    assert_eq!(failed.set_cookie(), None, "the cookie is kept: the session still lives");

    proxy.restore();
    let done = sign_out().await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    assert_eq!(done.refresh_cookie().as_deref(), Some(""), "cleared now");
    assert_eq!(app.refresh_with(&ada.refresh).await.body["logout_reason"], "MANUAL_LOGOUT");
}

/// The database goes away between a refresh's consume and its commit: nothing is kept, the answer
/// is 503, and the same token refreshes once the database is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_database_gone_mid_refresh_leaves_the_session_usable() {
    let (app, proxy) = behind_a_proxy().await;
    let app = Arc::new(app);
    let ada = app.signed_in("ada@example.com").await;

    let (gate, refresh) = refresh_held_at(&app, &ada.refresh, Step::RefreshConsumed).await;
    proxy.cut();
    gate.release();
    let cut_short = refresh.await.unwrap();
    assert_eq!(cut_short.status, 503, "{:?}", cut_short.body);
    assert_eq!(cut_short.body["logout_reason"], serde_json::Value::Null);

    proxy.restore();
    let again = app.refresh_with(&ada.refresh).await;
    assert_eq!(again.status, 200, "{:?}", again.body);
    assert_eq!(app.get_with_token("/api/auth/me", &again.access_token()).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_unreachable_during_a_refresh_is_503_and_the_token_still_works_after() {
    let (app, proxy) = behind_a_proxy().await;
    let ada = app.signed_in("ada@example.com").await;

    proxy.cut();
    let refresh = app.refresh_with(&ada.refresh).await;
    assert_eq!(refresh.status, 503, "{:?}", refresh.body);
    assert!(refresh.header("retry-after").is_some());
    assert_eq!(refresh.body["logout_reason"], serde_json::Value::Null);
    let login =
        app.post("/api/auth/login", json!({ "email": "ada@example.com", "password": crate::helpers::PASSWORD })).await;
    assert_eq!(login.status, 503);

    proxy.restore();
    let again = app.refresh_with(&ada.refresh).await;
    assert_eq!(again.status, 200, "the same refresh token works once the database is back: {:?}", again.body);
    assert_eq!(app.get_with_token("/api/auth/me", &again.access_token()).await.status, 200);
}

/// `/readyz` says 503 while the database is unreachable (a load balancer then sends sign-ins to
/// another instance), and 200 again once it is back; `/healthz` stays 200 throughout.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn readiness_follows_the_database() {
    let (app, proxy) = behind_a_proxy().await;
    let ready = || async { app.send(app.http.get(app.url("/readyz"))).await };
    let became_ready =
        crate::helpers::eventually(std::time::Duration::from_secs(5), || async { ready().await.status == 200 });
    assert!(became_ready.await);

    proxy.cut();
    let down = ready().await;
    assert_eq!(down.status, 503, "{:?}", down.body);
    assert_eq!(down.body["database"], false);
    assert!(down.header("retry-after").is_some());
    assert_eq!(app.send(app.http.get(app.url("/healthz"))).await.status, 200, "the process still runs");

    proxy.restore();
    let back = crate::helpers::eventually(std::time::Duration::from_secs(10), || async { ready().await.status == 200 });
    assert!(back.await, "ready again once the database is back");
}
