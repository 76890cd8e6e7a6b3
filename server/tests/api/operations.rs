//! What an operator reads (SPEC §3, "Outside the API"): liveness, readiness and the metrics, whose
//! counters follow what users do.

use crate::binary::Binary;
use crate::helpers::{Db, TestApp, eventually, spawn_app, spawn_app_with};
use crate::on_both_databases;
use serde_json::json;
use server::config::Switch;
use std::time::Duration;

on_both_databases!(
    health_and_readiness_answer_without_credentials,
    the_metrics_count_what_users_do,
    metrics_are_off_by_default,
    metrics_on_an_address_of_their_own_are_not_on_the_sites,
    every_answer_has_a_request_id_and_every_error_body_names_it,
);

/// The id a proxy or client sends is kept when it is plain (letters, digits, `._-`, at most 64),
/// replaced otherwise; every answer echoes it and every JSON error body carries it.
async fn every_answer_has_a_request_id_and_every_error_body_names_it(db: Db) {
    let app = spawn_app(db).await;
    let with_id = |request: reqwest::RequestBuilder, id: &str| request.header("x-request-id", id);
    let kept = app.send(with_id(app.http.get(app.url("/api/auth/me")), "nginx-4f2a.1_b")).await;
    assert_eq!(kept.status, 401);
    assert_eq!(kept.header("x-request-id"), Some("nginx-4f2a.1_b"));
    assert_eq!(kept.body["request_id"], "nginx-4f2a.1_b");
    assert_eq!(kept.body["error"], "ACCESS_TOKEN_INVALID", "the rest of the body is SPEC's");

    let mut new_ids = std::collections::HashSet::new();
    for unusable in ["two words".to_owned(), "x".repeat(65), "semi;colon".to_owned()] {
        let replaced = app.send(with_id(app.http.get(app.url("/api/nowhere")), &unusable)).await;
        let id = replaced.header("x-request-id").expect("an id").to_owned();
        assert_ne!(id, unusable);
        let (prefix, counter) = id.split_once('-').expect("the process's prefix and a counter");
        assert!(prefix.len() == 16 && prefix.bytes().all(|b| b.is_ascii_hexdigit()), "a new id: {id}");
        assert!(!counter.is_empty() && counter.bytes().all(|b| b.is_ascii_hexdigit()), "a new id: {id}");
        assert!(new_ids.insert(id.clone()), "each new id is new: {id}");
        assert_eq!(replaced.body["request_id"], id.as_str(), "{:?}", replaced.body);
        assert_eq!(replaced.body["error"], "NOT_FOUND");
    }
    let signed_in = app.signed_in("ada@example.com").await;
    let fine = app.get_with_token("/api/auth/me", &signed_in.access).await;
    assert_eq!(fine.status, 200);
    assert!(fine.header("x-request-id").is_some(), "successful answers carry it too");
    assert_eq!(fine.body["request_id"], serde_json::Value::Null, "only error bodies name it");
}

async fn health_and_readiness_answer_without_credentials(db: Db) {
    let app = spawn_app(db).await;
    let health = app.send(app.http.get(app.url("/healthz"))).await;
    assert_eq!((health.status, health.body.as_str()), (200, Some("ok")));
    let ready =
        eventually(Duration::from_secs(5), || async { app.send(app.http.get(app.url("/readyz"))).await.status == 200 })
            .await;
    assert!(ready, "ready once the change feed has been read");
    let readiness = app.send(app.http.get(app.url("/readyz"))).await;
    assert_eq!(readiness.body, json!({ "database": true, "following_changes": true }));
}

/// `LANYARD_METRICS_ADDR`: the real binary serves `/metrics` there, and answers 404 for it on the
/// site's address; every series is there before anything happened, at zero.
async fn metrics_on_an_address_of_their_own_are_not_on_the_sites(db: Db) {
    let test_db = crate::helpers::TestDb::create(db).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let metrics_addr = format!("127.0.0.1:{port}");
    let mut binary = Binary::start(&test_db, &[("LANYARD_METRICS_ADDR", &metrics_addr)]).await;
    let http = reqwest::Client::new();
    let on_site = http.get(format!("{}/metrics", binary.base)).send().await.unwrap();
    assert_eq!(on_site.status(), 404);
    let own = http.get(format!("http://{metrics_addr}/metrics")).send().await.unwrap();
    assert_eq!(own.status(), 200);
    let text = own.text().await.unwrap();
    for line in [
        r#"lanyard_logins_total{outcome="throttled"} 0"#,
        r#"lanyard_refreshes_total{outcome="reused"} 0"#,
        r#"lanyard_session_endings_total{reason="IDLE_TIMEOUT"} 0"#,
        "lanyard_refresh_duration_seconds_count 0",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} is missing from:\n{text}");
    }
    let (status, _, _) = binary.terminate().await;
    assert!(status.success());
}

async fn metrics_are_off_by_default(db: Db) {
    let app = spawn_app(db).await;
    let metrics = app.send(app.http.get(app.url("/metrics"))).await;
    assert_eq!(metrics.status, 404, "{:?}", metrics.body);
    assert_eq!(metrics.body["error"], "NOT_FOUND");
}

async fn metrics_text(app: &TestApp) -> String {
    let answer = app.send(app.http.get(app.url("/metrics"))).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(answer.header("content-type"), Some("text/plain; version=0.0.4"));
    answer.body.as_str().expect("text").to_owned()
}

/// The value of one sample line (`name{labels} value`), 0 when the series does not exist yet.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .map_or(0.0, |value| value.parse().unwrap())
}

async fn the_metrics_count_what_users_do(db: Db) {
    let app = spawn_app_with(db, |config| config.metrics = Switch::On).await;
    let ada = app.signed_in("ada@example.com").await;
    let bob = app.signed_in("bob@example.com").await;
    app.post("/api/auth/login", json!({ "email": "ada@example.com", "password": "not it at all" })).await;
    let rotated = app.refresh_with(&ada.refresh).await;
    assert_eq!(rotated.status, 200);
    assert_eq!(app.refresh_with(&ada.refresh).await.status, 200, "a replay inside the rule");
    app.refresh_with("garbage").await;
    app.post_with_token("/api/auth/logout", &bob.access, json!({})).await;
    let report = json!({
        "code": "IDLE_TIMEOUT", "message": "You were signed out after a period of inactivity.", "path": "/",
        "at": app.clock_now(), "source": "frontend", "tab_id": "tab-1"
    });
    assert_eq!(app.post("/api/auth/logout_event", report).await.status, 204);
    app.refresh_with(&rotated.refresh_cookie().unwrap()).await;
    app.clock.advance(60);
    let reused = app.refresh_with(&ada.refresh).await;
    assert_eq!(reused.body["logout_reason"], "REFRESH_TOKEN_REUSED");

    let text = metrics_text(&app).await;
    for (series, expected) in [
        (r#"lanyard_logins_total{outcome="ok"}"#, 2.0),
        (r#"lanyard_logins_total{outcome="invalid"}"#, 1.0),
        (r#"lanyard_refreshes_total{outcome="rotated"}"#, 2.0),
        (r#"lanyard_refreshes_total{outcome="replayed"}"#, 1.0),
        (r#"lanyard_refreshes_total{outcome="unknown"}"#, 1.0),
        (r#"lanyard_refreshes_total{outcome="reused"}"#, 1.0),
        (r#"lanyard_session_endings_total{reason="MANUAL_LOGOUT"}"#, 1.0),
        (r#"lanyard_session_endings_total{reason="REFRESH_TOKEN_REUSED"}"#, 1.0),
        (r#"lanyard_client_logout_events_total{code="IDLE_TIMEOUT"}"#, 1.0),
        ("lanyard_refresh_duration_seconds_count", 5.0),
        ("lanyard_live_sessions", 0.0),
    ] {
        assert_eq!(sample(&text, series), expected, "{series} in:\n{text}");
    }
    let carol = app.signed_in("carol@example.com").await;
    assert_eq!(sample(&metrics_text(&app).await, "lanyard_live_sessions"), 1.0, "carol's session is live");
    assert!(!metrics_text(&app).await.contains(&carol.user_id), "no user is named");
}
