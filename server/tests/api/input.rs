//! Hostile or odd input: a clear 4xx that loses nothing, on both databases.

use crate::helpers::{Db, PASSWORD, spawn_app};
use crate::on_both_databases;
use serde_json::json;

on_both_databases!(
    control_characters_are_a_bad_request_never_a_500,
    a_stale_second_refresh_cookie_is_ignored,
    a_password_typed_into_the_email_field_is_not_kept,
    a_request_target_without_a_path_is_a_bad_request,
);

/// `CONNECT host:port` and `GET host:port` name no path; each gets a JSON 400, not a dropped
/// connection (found by the `router` fuzz target: the page renderer panicked on it).
async fn a_request_target_without_a_path_is_a_bad_request(db: Db) {
    let app = spawn_app(db).await;
    for target in ["CONNECT lanyard.example:443", "GET lanyard.example:443", "POST 127.0.0.1:80"] {
        let answer = app.raw_exchange(&format!("{target} HTTP/1.1\r\nHost: lanyard.example")).await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{target}: {answer}");
        assert!(answer.contains(r#""error":"BAD_REQUEST""#), "{target}: {answer}");
    }
    let star = app.raw_exchange("OPTIONS * HTTP/1.1\r\nHost: lanyard.example").await;
    assert!(star.starts_with("HTTP/1.1 4"), "{star}");
}

async fn control_characters_are_a_bad_request_never_a_500(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;

    let email = app.post("/api/auth/login", json!({ "email": "ada\u{0}@example.com", "password": PASSWORD })).await;
    let device = app
        .post("/api/auth/login", json!({ "email": "ada@example.com", "password": PASSWORD, "device_id": "d\u{0}" }))
        .await;
    let revoke =
        app.post_with_token("/api/auth/sessions/revoke", &ada.access, json!({ "session_id": "s\u{0}1" })).await;
    for (what, answer) in [("email", email), ("device_id", device), ("session_id", revoke)] {
        assert_eq!(answer.status, 400, "{what}: {:?}", answer.body);
        assert_eq!(answer.body["error"], "BAD_REQUEST", "{what}");
    }
    assert_eq!(app.get_with_token("/api/auth/me", &ada.access).await.status, 200, "nothing was lost");
    assert_eq!(app.refresh_with(&ada.refresh).await.status, 200);
}

/// A browser holding a stale `lanyard_refresh` (another path, an older session) besides the live one
/// is refreshed with the live one, whichever comes first; the stale one never counts as reuse.
async fn a_stale_second_refresh_cookie_is_ignored(db: Db) {
    let app = spawn_app(db).await;
    let old = app.signed_in("ada@example.com").await;
    let mut live = app.refresh_with(&old.refresh).await.refresh_cookie().unwrap();
    let ended = app.sign_in("ada@example.com").await;
    assert_eq!(app.post_with_token("/api/auth/logout", &ended.access, json!({})).await.status, 200);

    for stale in ["garbage", old.refresh.as_str(), ended.refresh.as_str()] {
        // Past the grace window: the rotated-away token would count as reuse if it were judged.
        app.clock.advance(11);
        let cookies = format!("lanyard_refresh={stale}; lanyard_refresh={live}");
        let request = app.http.post(app.url("/api/auth/refresh")).header("cookie", cookies);
        let answer = app.send(request.json(&json!({}))).await;
        assert_eq!(answer.status, 200, "stale {stale:?} first: {:?}", answer.body);
        live = answer.refresh_cookie().unwrap();
    }
    let me = app.get_with_token("/api/auth/me", &old.access).await;
    assert_eq!(me.status, 200, "the live session was never judged as reused: {:?}", me.body);
}

async fn a_password_typed_into_the_email_field_is_not_kept(db: Db) {
    let app = spawn_app(db).await;
    app.create_user("ada@example.com").await;
    let typo = app.post("/api/auth/login", json!({ "email": "hunter2 my secret", "password": "x" })).await;
    let wrong = app.post("/api/auth/login", json!({ "email": "ada@example.com", "password": "not it" })).await;
    assert_eq!((typo.status, wrong.status), (401, 401));

    let details: Vec<(Option<String>,)> =
        sqlx::query_as("SELECT detail FROM lanyard_auth_events WHERE kind = 'login_failed' ORDER BY id")
            .fetch_all(app.engine.database())
            .await
            .unwrap();
    assert_eq!(details.len(), 2);
    assert_eq!(details[0].0, None, "an email that names no one is not kept");
    assert!(details[1].0.as_deref().is_some_and(|d| d.contains("ada@example.com")));
    let all: Vec<(Option<String>,)> =
        sqlx::query_as("SELECT detail FROM lanyard_auth_events").fetch_all(app.engine.database()).await.unwrap();
    assert!(all.iter().all(|(d,)| !d.as_deref().unwrap_or_default().contains("hunter2")));
}
