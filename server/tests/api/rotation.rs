//! Refresh-token rotation without false logouts (SPEC §1), under real concurrency.

use crate::helpers::{Db, spawn_app};
use crate::on_both_databases;
use std::collections::HashSet;

on_both_databases!(
    fifty_parallel_refreshes_share_one_successor,
    a_lost_answer_retried_a_minute_later_gets_the_same_successor,
    reuse_after_the_grace_window_ends_only_that_session,
    replays_let_through_and_unknown_tokens_leave_a_rate_limited_trace,
    the_database_keeps_hashes_and_the_chain_never_a_raw_token,
    a_sign_in_with_a_planted_cookie_gets_a_new_session_and_token,
);

/// What a stolen database holds: SHA-256 hashes of the refresh tokens, each rotation marked used with
/// its successor linked, and no raw token anywhere.
async fn the_database_keeps_hashes_and_the_chain_never_a_raw_token(db: Db) {
    use sha2::Digest as _;
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    let next = app.refresh_with(&ada.refresh).await.refresh_cookie().unwrap();
    let hash =
        |token: &str| sha2::Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect::<String>();

    let rows: Vec<(String, Option<String>, Option<i64>)> = sqlx::query_as(
        "SELECT hash, parent_hash, used_at FROM lanyard_refresh_tokens WHERE session_id = $1 ORDER BY issued_at, used_at DESC",
    )
    .bind(&ada.session_id)
    .fetch_all(app.engine.database())
    .await
    .unwrap();
    let first = rows.iter().find(|row| row.0 == hash(&ada.refresh)).expect("the first token's hash is kept");
    assert!(first.2.is_some(), "the rotated token is marked used");
    let second = rows.iter().find(|row| row.0 == hash(&next)).expect("the successor's hash is kept");
    assert_eq!(second.1.as_deref(), Some(hash(&ada.refresh).as_str()), "linked to its parent");
    assert_eq!(second.2, None);

    let texts = [
        "SELECT hash || COALESCE(parent_hash, '') FROM lanyard_refresh_tokens",
        "SELECT COALESCE(detail, '') FROM lanyard_auth_events",
        "SELECT value FROM lanyard_settings",
    ];
    for sql in texts {
        let stored: Vec<(String,)> = sqlx::query_as(sql).fetch_all(app.engine.database()).await.unwrap();
        assert!(stored.iter().all(|(text,)| !text.contains(&ada.refresh) && !text.contains(&next)), "{sql}");
    }
}

/// No session fixation: a cookie the browser already carries is never adopted at sign-in.
async fn a_sign_in_with_a_planted_cookie_gets_a_new_session_and_token(db: Db) {
    let app = spawn_app(db).await;
    let planted = app.signed_in("ada@example.com").await;
    let body = serde_json::json!({ "email": "ada@example.com", "password": crate::helpers::PASSWORD });
    let request =
        app.http.post(app.url("/api/auth/login")).header("cookie", format!("lanyard_refresh={}", planted.refresh));
    let answer = app.send(request.json(&body)).await;
    assert_eq!(answer.status, 200);
    assert_ne!(answer.refresh_cookie().unwrap(), planted.refresh, "a new refresh token");
    assert_ne!(answer.body["session_id"], planted.session_id.as_str(), "a new session");
}

async fn fifty_parallel_refreshes_share_one_successor(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;

    let answers = futures::future::join_all((0..50).map(|_| app.refresh_with(&ada.refresh))).await;

    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert!(statuses.iter().all(|&s| s == 200), "{statuses:?} {:?}", answers.iter().find(|a| a.status != 200));
    let successors: HashSet<String> = answers.iter().map(|a| a.refresh_cookie().unwrap()).collect();
    assert_eq!(successors.len(), 1, "every answer carries the same successor");
    let successor = successors.into_iter().next().unwrap();
    let next = app.refresh_with(&successor).await;
    assert_eq!(next.status, 200, "the session keeps working: {:?}", next.body);
    let me = app.get_with_token("/api/auth/me", &next.access_token()).await;
    assert_eq!(me.status, 200);
}

async fn a_lost_answer_retried_a_minute_later_gets_the_same_successor(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;

    let lost = app.refresh_with(&ada.refresh).await;
    app.clock.advance(60);
    let retried = app.refresh_with(&ada.refresh).await;

    assert_eq!(retried.status, 200, "{:?}", retried.body);
    assert_eq!(retried.refresh_cookie(), lost.refresh_cookie());
    let next = app.refresh_with(&retried.refresh_cookie().unwrap()).await;
    assert_eq!(next.status, 200);
}

async fn reuse_after_the_grace_window_ends_only_that_session(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    let other_device = app.sign_in("ada@example.com").await;

    let first = app.refresh_with(&ada.refresh).await;
    let successor = first.refresh_cookie().unwrap();
    let second = app.refresh_with(&successor).await;
    assert_eq!(second.status, 200);
    let newest = second.refresh_cookie().unwrap();

    app.clock.advance(5);
    let within_grace = app.refresh_with(&ada.refresh).await;
    assert_eq!(within_grace.status, 200, "the successor was first used 5 s ago: {:?}", within_grace.body);

    app.clock.advance(6);
    let stolen = app
        .send(
            app.http
                .post(app.url("/api/auth/refresh"))
                .header("cookie", format!("lanyard_refresh={}", ada.refresh))
                .header("x-page-path", "/jobs")
                .json(&serde_json::json!({})),
        )
        .await;
    assert_eq!(stolen.status, 401, "{:?}", stolen.body);
    assert_eq!(stolen.body["logout_reason"], "REFRESH_TOKEN_REUSED");
    assert_eq!(stolen.body["logout_path"], "/jobs");

    let newest_refresh = app.refresh_with(&newest).await;
    assert_eq!(newest_refresh.body["logout_reason"], "REFRESH_TOKEN_REUSED");
    let access = app.get_with_token("/api/auth/me", &second.access_token()).await;
    assert_eq!(access.status, 401);
    assert_eq!(access.body["logout_reason"], "REFRESH_TOKEN_REUSED");

    let other = app.get_with_token("/api/auth/me", &other_device.access).await;
    assert_eq!(other.status, 200, "the user's other session lives on");
    assert_eq!(app.refresh_with(&other_device.refresh).await.status, 200);
}

/// Replays let through inside the grace window, and unknown tokens, leave a trace an operator can
/// read, at most ten a minute per session or address.
async fn replays_let_through_and_unknown_tokens_leave_a_rate_limited_trace(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    app.refresh_with(&ada.refresh).await;
    app.clock.advance(3);
    assert_eq!(app.refresh_with(&ada.refresh).await.status, 200, "a second tab's replay");
    for _ in 0..15 {
        app.refresh_with("x".repeat(43).as_str()).await;
    }
    app.refresh_with("garbage").await;

    let traces: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT kind, detail, ip FROM lanyard_auth_events WHERE kind IN ('refresh_replayed', 'refresh_unknown') ORDER BY id",
    )
    .fetch_all(app.engine.database())
    .await
    .unwrap();
    assert_eq!(traces[0].0, "refresh_replayed");
    assert!(traces[0].1.as_deref().is_some_and(|d| d.contains("\"seconds_since_first_use\":3")), "{traces:?}");
    let unknown = traces.iter().filter(|(kind, _, _)| kind == "refresh_unknown").count();
    assert_eq!(unknown, 10, "rate-limited per address: {traces:?}");
    assert!(traces.iter().all(|(_, _, ip)| ip.as_deref() == Some("127.0.0.1")));
}
