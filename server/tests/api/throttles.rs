//! SPEC §9's throttles hold across instances and restarts, and a flooding address is refused before
//! its bodies are read.

use crate::helpers::{Db, PASSWORD, TestApp, spawn_app, spawn_app_with, spawn_on};
use crate::on_both_databases;
use serde_json::json;

on_both_databases!(
    five_wrong_passwords_in_all_across_two_instances,
    a_restart_forgets_no_attempt,
    a_flooding_address_is_refused_before_its_body_is_read,
);

async fn wrong_password(app: &TestApp, email: &str) -> u16 {
    app.post("/api/auth/login", json!({ "email": email, "password": "not the password" })).await.status
}

async fn five_wrong_passwords_in_all_across_two_instances(db: Db) {
    let first = spawn_app(db).await;
    let second = spawn_on(first.db.clone(), |_| {}).await;
    first.create_user("ada@example.com").await;

    for app in [&first, &second, &first, &second, &first] {
        assert_eq!(wrong_password(app, "ada@example.com").await, 401);
    }
    for app in [&second, &first] {
        let throttled = app.login("ada@example.com").await;
        assert_eq!(throttled.status, 429, "five in all, not five per instance: {:?}", throttled.body);
        assert!(throttled.header("retry-after").is_some());
    }
    second.clock.advance(901);
    assert_eq!(second.login("ada@example.com").await.status, 200, "the window passed");
}

async fn a_restart_forgets_no_attempt(db: Db) {
    let app = spawn_app(db).await;
    app.create_user("ada@example.com").await;
    for _ in 0..5 {
        assert_eq!(wrong_password(&app, "ada@example.com").await, 401);
    }
    let database = app.db.clone();
    drop(app);

    let restarted = spawn_on(database, |_| {}).await;
    assert_eq!(restarted.login("ada@example.com").await.status, 429, "the attempts outlive the process");
}

async fn a_flooding_address_is_refused_before_its_body_is_read(db: Db) {
    let app = spawn_app_with(db, |config| {
        config.login_max_failures_per_ip = 3;
        config.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let garbage = |from: &str| {
        app.http
            .post(app.url("/api/auth/login"))
            .header("x-forwarded-for", from)
            .header("content-type", "application/json")
            .body("{ not json")
    };
    assert_eq!(app.send(garbage("198.51.100.7")).await.status, 400, "before the flood, the body is read");

    for n in 0..3 {
        let body = json!({ "email": format!("user{n}@example.com"), "password": "a guess" });
        let request = app.http.post(app.url("/api/auth/login")).header("x-forwarded-for", "198.51.100.7").json(&body);
        assert_eq!(app.send(request).await.status, 401);
    }
    let body = json!({ "email": "someone@example.com", "password": "a guess" });
    let request = app.http.post(app.url("/api/auth/login")).header("x-forwarded-for", "198.51.100.7").json(&body);
    assert_eq!(app.send(request).await.status, 429, "the address used its allowance");

    let refused = app.send(garbage("198.51.100.7")).await;
    assert_eq!(refused.status, 429, "refused before the body is parsed: {:?}", refused.body);
    assert_eq!(refused.body["error"], "RATE_LIMITED");
    assert!(refused.header("retry-after").is_some());
    let reauth = app.http.post(app.url("/api/auth/reauth")).header("x-forwarded-for", "198.51.100.7").body("x");
    assert_eq!(app.send(reauth).await.status, 429, "every route that checks a password");
    assert_eq!(app.send(garbage("203.0.113.9")).await.status, 400, "another address is read as before");
    app.create_user("ada@example.com").await;
    let other = app.http.post(app.url("/api/auth/login")).header("x-forwarded-for", "203.0.113.9");
    let signed_in = app.send(other.json(&json!({ "email": "ada@example.com", "password": PASSWORD }))).await;
    assert_eq!(signed_in.status, 200);
}
