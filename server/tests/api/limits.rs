//! Abuse limits: sign-in throttling, body caps on every route, and the client event intake.

use crate::helpers::{Db, PASSWORD, spawn_app, spawn_app_with};
use crate::on_both_databases;
use serde_json::json;

on_both_databases!(
    failed_sign_ins_are_throttled_per_email_and_ip_without_locking_out_the_victim,
    every_auth_route_refuses_a_huge_body_before_any_work,
    logout_events_are_stored_validated_and_rate_limited,
    twenty_wrong_passwords_sent_at_once_are_judged_at_most_five_times,
    wrong_current_passwords_are_throttled_like_sign_in_and_recorded,
    one_address_stores_at_most_500_logout_events_a_day,
);

async fn one_address_stores_at_most_500_logout_events_a_day(db: Db) {
    let app = spawn_app(db).await;
    let event = json!({
        "code": "MANUAL_LOGOUT", "message": "You signed out.", "path": "/", "at": 1_800_000_000,
        "source": "frontend", "tab_id": "tab-1"
    });
    let mut stored = 0;
    for _minute in 0..10 {
        for _ in 0..60 {
            if app.post("/api/auth/logout_event", event.clone()).await.status == 204 {
                stored += 1;
            }
        }
        app.clock.advance(60);
    }
    assert_eq!(stored, 500, "60 a minute, 500 a day");
    app.clock.advance(86_400);
    assert_eq!(app.post("/api/auth/logout_event", event).await.status, 204, "the next day");
}

async fn twenty_wrong_passwords_sent_at_once_are_judged_at_most_five_times(db: Db) {
    let app = spawn_app(db).await;
    app.create_user("ada@example.com").await;
    let body = json!({ "email": "ada@example.com", "password": "not the password" });
    let answers = futures::future::join_all((0..20).map(|_| app.post("/api/auth/login", body.clone()))).await;

    let judged = answers.iter().filter(|a| a.status == 401).count();
    let throttled = answers.iter().filter(|a| a.status == 429).count();
    assert_eq!((judged, throttled), (5, 15), "{:?}", answers.iter().map(|a| a.status).collect::<Vec<_>>());
    assert!(answers.iter().filter(|a| a.status == 429).all(|a| a.header("retry-after").is_some()));
}

async fn wrong_current_passwords_are_throttled_like_sign_in_and_recorded(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    let change = |current: &str| {
        let body = json!({ "current_password": current, "new_password": "a brand new passphrase" });
        app.post_with_token("/api/auth/password", &ada.access, body)
    };
    for _ in 0..5 {
        assert_eq!(change("a guess").await.status, 403);
    }
    let throttled = change("another guess").await;
    assert_eq!(throttled.status, 429, "the sixth guess waits: {:?}", throttled.body);
    assert_eq!(change(PASSWORD).await.status, 429, "even the right one, until the window passes");
    assert_eq!(app.get_with_token("/api/auth/me", &ada.access).await.status, 200, "the session is kept");

    let diagnostics = app.get_with_token("/api/auth/diagnostics", &ada.access).await;
    let failed = diagnostics.body["events"].as_array().unwrap().iter().filter(|e| e["kind"] == "password_check_failed");
    assert_eq!(failed.count(), 5, "each wrong guess is in the audit trail");
}

async fn failed_sign_ins_are_throttled_per_email_and_ip_without_locking_out_the_victim(db: Db) {
    let app = spawn_app_with(db, |config| config.trusted_proxies = vec!["127.0.0.1".into()]).await;
    app.create_user("ada@example.com").await;
    let from = |ip: &str, password: &str| {
        app.http
            .post(app.url("/api/auth/login"))
            .header("x-forwarded-for", ip)
            .json(&json!({ "email": "ada@example.com", "password": password }))
    };

    for _ in 0..5 {
        assert_eq!(app.send(from("198.51.100.7", "wrong password")).await.status, 401);
    }
    let throttled = app.send(from("198.51.100.7", PASSWORD)).await;
    assert_eq!(throttled.status, 429, "even the right password waits: {:?}", throttled.body);
    let retry_after: u64 = throttled.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry_after));
    assert_eq!(throttled.body["error"], "RATE_LIMITED");

    let victim = app.send(from("203.0.113.9", PASSWORD)).await;
    assert_eq!(victim.status, 200, "the owner signs in from elsewhere");

    app.clock.advance(901);
    assert_eq!(app.send(from("198.51.100.7", PASSWORD)).await.status, 200, "the window passed");
    for _ in 0..4 {
        app.send(from("198.51.100.7", "wrong password")).await;
    }
    assert_eq!(app.send(from("198.51.100.7", PASSWORD)).await.status, 200, "a success reset the count");
}

async fn every_auth_route_refuses_a_huge_body_before_any_work(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    let huge = json!({ "padding": "x".repeat(100 * 1024) });

    for path in [
        "/api/auth/login",
        "/api/auth/refresh",
        "/api/auth/logout",
        "/api/auth/logout_all",
        "/api/auth/sessions/revoke",
        "/api/auth/password",
        "/api/auth/logout_event",
        "/api/jobs/start",
    ] {
        let answer = app.post_with_token(path, &ada.access, huge.clone()).await;
        assert_eq!(answer.status, 413, "{path}: {:?}", answer.body);
        assert_eq!(answer.header("connection"), Some("close"), "{path}: the unread body ends the connection");
    }
    assert_eq!(app.get_with_token("/api/auth/me", &ada.access).await.status, 200, "nothing was lost");
}

async fn logout_events_are_stored_validated_and_rate_limited(db: Db) {
    let app = spawn_app(db).await;
    let event = json!({
        "code": "OTHER_TAB_LOGOUT", "message": "You were signed out in another tab.", "path": "/jobs",
        "context": { "session_id": "s1" }, "at": 1_800_000_000, "source": "frontend", "idle_secs": 12, "tab_id": "tab-1"
    });

    let as_json = app.post("/api/auth/logout_event", event.clone()).await;
    assert_eq!(as_json.status, 204, "{:?}", as_json.body);
    let as_beacon = app
        .send(
            app.http
                .post(app.url("/api/auth/logout_event"))
                .header("content-type", "text/plain;charset=UTF-8")
                .body(event.to_string()),
        )
        .await;
    assert_eq!(as_beacon.status, 204, "sendBeacon posts text/plain: {:?}", as_beacon.body);

    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM lanyard_auth_events WHERE kind = 'client_logout' AND reason = 'OTHER_TAB_LOGOUT' AND path = '/jobs' AND idle_secs = 12")
        .fetch_one(app.engine.database())
        .await
        .unwrap();
    assert_eq!(count, 2);

    let mut bad_code = event.clone();
    bad_code["code"] = json!("NOT_A_CODE");
    assert_eq!(app.post("/api/auth/logout_event", bad_code).await.status, 400);
    let mut bad_path = event.clone();
    bad_path["path"] = json!("https://evil.example/");
    assert_eq!(app.post("/api/auth/logout_event", bad_path).await.status, 400);
    let cross_site = app
        .send(app.http.post(app.url("/api/auth/logout_event")).header("origin", "https://evil.example").json(&event))
        .await;
    assert_eq!(cross_site.status, 403);

    let mut statuses = Vec::new();
    for _ in 0..70 {
        statuses.push(app.post("/api/auth/logout_event", event.clone()).await.status);
    }
    assert!(statuses.contains(&429), "rate-limited per IP");
}
