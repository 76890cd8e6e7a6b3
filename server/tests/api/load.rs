//! Floods and growth (SECURITY-CHECKLIST S11, S12, S14): write contention, a sign-in flood and ten
//! thousand ended sessions never turn into a 500 or a lost session. How fast is for `scripts/bench`.

use crate::helpers::{Answer, Db, PASSWORD, Signed, TestApp, spawn_app, spawn_app_with};
use crate::on_both_databases;
use futures::future::join_all;
use serde_json::json;

on_both_databases!(
    two_hundred_sign_ins_and_refreshes_at_once_lose_no_session,
    a_sign_in_flood_is_shed_while_signed_in_users_carry_on,
    ten_thousand_ended_sessions_are_pruned_and_stay_ended,
);

/// A sign-in from its own address, as a crowd behind one trusted proxy would send it.
async fn sign_in_from(app: &TestApp, n: usize, email: &str, password: &str) -> Answer {
    let address = format!("10.{}.{}.{}", n / 65_536 % 256, n / 256 % 256, n % 256);
    let body = json!({ "email": email, "password": password });
    app.send(app.http.post(app.url("/api/auth/login")).header("x-forwarded-for", address).json(&body)).await
}

/// What an answer under load may be: `expected`, a throttle or a shed sign-in, each with Retry-After.
/// A database under contention says so with a retryable 503, never a 500 or "database is locked".
fn assert_contained(what: &str, answer: &Answer, expected: &[u16]) {
    let body = answer.body.to_string();
    assert!(!body.to_lowercase().contains("locked"), "{what}: {body}");
    match answer.status {
        429 | 503 => assert!(answer.header("retry-after").is_some(), "{what}: {} without Retry-After", answer.status),
        status => assert!(expected.contains(&status), "{what}: {status} {body}"),
    }
}

/// S11: 100 refreshes of 100 sessions and 100 sign-ins, all at once. Each refresh rotates or is told
/// to retry; afterwards every session refreshes on: contention never ends one.
async fn two_hundred_sign_ins_and_refreshes_at_once_lose_no_session(db: Db) {
    let app = spawn_app_with(db, |config| config.trusted_proxies = vec!["127.0.0.0/8".into()]).await;
    let emails: Vec<String> = (0..20).map(|n| format!("user{n}@example.com")).collect();
    let mut sessions: Vec<Signed> = Vec::new();
    for email in &emails {
        app.create_user(email).await;
        for _ in 0..5 {
            sessions.push(app.sign_in(email).await);
        }
    }

    let refreshes = join_all(sessions.iter().map(|s| app.refresh_with(&s.refresh)));
    let sign_ins = join_all((0..100).map(|n| sign_in_from(&app, n, &emails[n % 20], PASSWORD)));
    let (refreshed, signed_in) = futures::join!(refreshes, sign_ins);

    let shed = signed_in.iter().filter(|a| a.status == 503).count();
    for (n, answer) in signed_in.iter().enumerate() {
        assert_contained(&format!("sign-in {n}"), answer, &[200]);
        if answer.status == 200 {
            assert_eq!(app.get_with_token("/api/auth/me", &answer.access_token()).await.status, 200);
        }
    }
    assert!(signed_in.iter().any(|a| a.status == 200), "some sign-ins get through");
    eprintln!("S11: {shed} of 100 sign-ins shed with 503");
    for (session, answer) in sessions.iter().zip(&refreshed) {
        assert_contained("a refresh", answer, &[200]);
        let cookie = match answer.status {
            200 => answer.refresh_cookie().unwrap(),
            _ => session.refresh.clone(),
        };
        let next = app.refresh_with(&cookie).await;
        assert_eq!(next.status, 200, "session {} lives on: {:?}", session.session_id, next.body);
    }
}

/// S12: 100 sign-ins at once, half of them wrong: argon2 runs on a bounded pool and the excess is
/// shed with 503 + Retry-After before any work, while a signed-in user's calls answer as usual.
async fn a_sign_in_flood_is_shed_while_signed_in_users_carry_on(db: Db) {
    let app = spawn_app_with(db, |config| config.trusted_proxies = vec!["127.0.0.0/8".into()]).await;
    let ada = app.signed_in("ada@example.com").await;
    let emails: Vec<String> = (0..10).map(|n| format!("user{n}@example.com")).collect();
    for email in &emails {
        app.create_user(email).await;
    }

    let flood = join_all((0..100).map(|n| {
        let password = if n % 2 == 0 { PASSWORD } else { "not the password" };
        sign_in_from(&app, n, &emails[n % 10], password)
    }));
    let carry_on = async {
        let me = app.get_with_token("/api/auth/me", &ada.access).await;
        let refreshed = app.refresh_with(&ada.refresh).await;
        (me, refreshed)
    };
    let (answers, (me, refreshed)) = futures::join!(flood, carry_on);

    for (n, answer) in answers.iter().enumerate() {
        assert_contained(&format!("sign-in {n}"), answer, &[200, 401]);
    }
    let count = |status| answers.iter().filter(|a| a.status == status).count();
    assert!(count(503) > 0, "a flood beyond the hashing queue is shed");
    assert!(count(200) > 0 && count(401) > 0, "the rest are judged");
    eprintln!("S12: {} signed in, {} refused, {} throttled, {} shed", count(200), count(401), count(429), count(503));
    assert_eq!(me.status, 200, "me needs no hashing: {:?}", me.body);
    assert_eq!(refreshed.status, 200, "a refresh needs no hashing: {:?}", refreshed.body);
}

/// S14: ended sessions are the revocation list. Ten thousand of them, ended 91 days ago, are pruned
/// in batches with their tokens; younger history stays; a pruned session's tokens stay refused.
async fn ten_thousand_ended_sessions_are_pruned_and_stay_ended(db: Db) {
    let app = spawn_app(db).await;
    let old = app.signed_in("ada@example.com").await;
    let old_used = old.refresh.clone();
    let old = Signed { refresh: app.refresh_with(&old.refresh).await.refresh_cookie().unwrap(), ..old };
    assert_eq!(app.post_with_token("/api/auth/logout", &old.access, json!({})).await.status, 200);
    let ended_at = app.clock_now();
    app.sql(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
         INSERT INTO lanyard_sessions (id, user_id, created_at, last_active_at, expires_at, ended_at, end_reason)
         SELECT 'ended' || i, '{user}', {ended_at}, {ended_at}, {ended_at} + 604800, {ended_at}, 'MANUAL_LOGOUT' FROM n",
        user = old.user_id
    ))
    .await;
    app.sql(&format!(
        "INSERT INTO lanyard_refresh_tokens (hash, session_id, issued_at, used_at)
         SELECT 'used' || id, id, {ended_at}, {ended_at} FROM lanyard_sessions WHERE id LIKE 'ended%'"
    ))
    .await;

    app.clock.advance(60 * 86_400);
    let recent = app.sign_in("ada@example.com").await;
    assert_eq!(app.post_with_token("/api/auth/logout", &recent.access, json!({})).await.status, 200);
    app.clock.advance(31 * 86_400);
    let live = app.sign_in("ada@example.com").await;
    let live_used = live.refresh.clone();
    let live = Signed { refresh: app.refresh_with(&live.refresh).await.refresh_cookie().unwrap(), ..live };

    let removed = app.engine.prune_history().await.unwrap();
    assert!(removed >= 20_002, "10,001 sessions and their used tokens at least: {removed}");
    let database = app.engine.database();
    let count = |sql: &'static str| async move {
        let (n,): (i64,) = sqlx::query_as(sql).fetch_one(database).await.unwrap();
        n
    };
    assert_eq!(count("SELECT COUNT(*) FROM lanyard_sessions WHERE id LIKE 'ended%'").await, 0);
    assert_eq!(count("SELECT COUNT(*) FROM lanyard_refresh_tokens WHERE hash LIKE 'used%'").await, 0);
    assert_eq!(count("SELECT COUNT(*) FROM lanyard_sessions").await, 2, "the 31-day-old ending and the live one");
    app.engine.forget_cache();

    for (what, token) in [("the pruned session's live token", &old.refresh), ("its used one", &old_used)] {
        let answer = app.refresh_with(token).await;
        assert_eq!(answer.status, 401, "{what}: {:?}", answer.body);
        assert_eq!(answer.body["logout_reason"], "TOKEN_REFRESH_FAILED", "{what}: unknown, never resurrected");
    }
    let kept = app.refresh_with(&recent.refresh).await;
    assert_eq!(kept.body["logout_reason"], "MANUAL_LOGOUT", "a 31-day-old ending is kept: {:?}", kept.body);
    let replayed = app.refresh_with(&live_used).await;
    assert_eq!(replayed.status, 200, "a recent used token is kept, so its replay is answered: {:?}", replayed.body);
    assert_eq!(app.refresh_with(&live.refresh).await.status, 200, "the live session lives on");
}
