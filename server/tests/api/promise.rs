//! Endings that no policy asked for, and sessions that policy ended but that lived on, each driven
//! step by step (SPEC §1, §3 and the rules of §4): a lost password-change answer, a sign-in racing a
//! password change, sign-ins racing at the session limit, a sign-out from a stale tab, a refresh
//! with a query string, an Origin of another scheme.

use crate::helpers::{Answer, Db, PASSWORD, TestApp, spawn_app, spawn_app_with};
use crate::on_both_databases;
use lanyard::engine::AuthError;
use lanyard::engine::testing::Step;
use serde_json::{Value, json};
use std::sync::Arc;

on_both_databases!(
    a_lost_password_change_answer_keeps_the_session_after_the_grace_window,
    a_password_change_that_cannot_commit_changes_nothing,
    a_sign_in_that_checked_the_old_password_while_it_changed_creates_no_session,
    sign_ins_at_the_limit_at_the_same_moment_leave_one_session,
    a_sign_out_ends_the_bearers_session_even_past_its_expiry,
    a_sign_out_keeps_a_cookie_that_names_another_live_session,
    a_tab_answered_for_another_user_ends_its_own_session_as_a_mismatch,
    a_refresh_with_a_query_string_is_refused_and_consumes_nothing,
    an_origin_of_another_scheme_is_refused,
    an_unknown_email_costs_the_same_hashing_as_a_wrong_password,
);

/// The user's sessions, or with `live`, those not ended.
async fn sessions_of(app: &TestApp, user_id: &str, live: bool) -> i64 {
    let which = if live { " AND ended_at IS NULL" } else { "" };
    let (count,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM lanyard_sessions WHERE user_id = $1{which}"))
        .bind(user_id)
        .fetch_one(app.engine.database())
        .await
        .unwrap();
    count
}

/// `POST /api/auth/logout` with `body`, and the bearer and refresh cookie given.
async fn sign_out(app: &TestApp, bearer: Option<&str>, cookie: Option<&str>, body: Value) -> Answer {
    let mut request = app.http.post(app.url("/api/auth/logout")).json(&body);
    if let Some(bearer) = bearer {
        request = request.bearer_auth(bearer);
    }
    if let Some(cookie) = cookie {
        request = request.header("cookie", format!("lanyard_refresh={cookie}"));
    }
    app.send(request).await
}

async fn live_sessions(app: &TestApp, user_id: &str) -> i64 {
    sessions_of(app, user_id, true).await
}

/// The change committed and its answer (the new cookie) never arrived: the browser still holds the
/// token that was live at the change. Long after the grace window, as long as nobody used the new
/// chain, that token is answered with the new chain's first token (SPEC §3, the rule of §1).
async fn a_lost_password_change_answer_keeps_the_session_after_the_grace_window(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    let lost = app.change_password(&ada).await;
    assert_eq!(lost.status, 200, "{:?}", lost.body);
    let new_chain = lost.refresh_cookie().unwrap();

    app.clock.advance(1_800);
    let later = app.refresh_with(&ada.refresh).await;
    assert_eq!(later.status, 200, "the session is the user's own: {:?}", later.body);
    assert_eq!(later.refresh_cookie().unwrap(), new_chain, "answered with the new chain's first token");
    let next = app.refresh_with(&new_chain).await;
    assert_eq!(next.status, 200, "{:?}", next.body);

    // Once the new chain's first token has been in use past the grace window, the old one is reuse.
    app.clock.advance(60);
    let thief = app.refresh_with(&ada.refresh).await;
    assert_eq!(thief.status, 401);
    assert_eq!(thief.body["logout_reason"], "REFRESH_TOKEN_REUSED");
}

/// The new hash, the endings of the other sessions and the chain's restart commit together: a
/// change that fails before its commit leaves the old password and every session as they were.
async fn a_password_change_that_cannot_commit_changes_nothing(db: Db) {
    let app = spawn_app(db).await;
    let laptop = app.signed_in("ada@example.com").await;
    let phone = app.sign_in("ada@example.com").await;
    app.engine.hooks().fail(Step::PasswordChangeWritten, AuthError::Unavailable("the commit failed".into()));

    let failed = app.change_password(&laptop).await;
    assert_eq!(failed.status, 503, "{:?}", failed.body);

    assert_eq!(live_sessions(&app, &laptop.user_id).await, 2, "no session ended");
    assert_eq!(app.get_with_token("/api/auth/me", &phone.access).await.status, 200);
    assert_eq!(app.refresh_with(&laptop.refresh).await.status, 200, "the chain did not restart");
    app.sign_in_with("ada@example.com", PASSWORD).await;
}

/// A sign-in that checked the old password while the change committed creates no session and
/// answers as a wrong password (SPEC §4).
async fn a_sign_in_that_checked_the_old_password_while_it_changed_creates_no_session(db: Db) {
    let app = Arc::new(spawn_app(db).await);
    let ada = app.signed_in("ada@example.com").await;
    let mut gate = app.engine.hooks().hold(Step::SignInVerified);
    let thief = tokio::spawn({
        let app = app.clone();
        async move { app.login("ada@example.com").await }
    });
    gate.reached().await;
    assert_eq!(app.change_password(&ada).await.status, 200);
    gate.release();

    let thief = thief.await.unwrap();
    assert_eq!(thief.status, 401, "{:?}", thief.body);
    assert_eq!(thief.body["error"], "INVALID_CREDENTIALS");
    assert!(thief.refresh_cookie().is_none());
    assert_eq!(sessions_of(&app, &ada.user_id, false).await, 1, "only the session that changed the password");
}

/// With one session allowed, two sign-ins of one user at the same moment are judged one after the
/// other: the later ends the earlier, and one session is left (SPEC §1).
async fn sign_ins_at_the_limit_at_the_same_moment_leave_one_session(db: Db) {
    let app = Arc::new(spawn_app_with(db, |config| config.max_sessions = 1).await);
    let user_id = app.create_user("ada@example.com").await;
    let mut gate = app.engine.hooks().hold(Step::SignInCommitted);
    let first = tokio::spawn({
        let app = app.clone();
        async move { app.login("ada@example.com").await }
    });
    gate.reached().await;
    let second = app.login("ada@example.com").await;
    assert_eq!(second.status, 200, "{:?}", second.body);
    gate.release();
    assert_eq!(first.await.unwrap().status, 200);

    assert_eq!(live_sessions(&app, &user_id).await, 1);
    assert_eq!(app.get_with_token("/api/auth/me", &second.access_token()).await.status, 200, "the later one");
}

/// A stale tab signs out with an access token past its `exp`: its own session ends, not the
/// session the cookie names.
async fn a_sign_out_ends_the_bearers_session_even_past_its_expiry(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    app.clock.advance(3_600 + 120);
    let answer = sign_out(&app, Some(&ada.access), None, json!({})).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(live_sessions(&app, &ada.user_id).await, 0);
    let refreshed = app.refresh_with(&ada.refresh).await;
    assert_eq!(refreshed.body["logout_reason"], "MANUAL_LOGOUT", "{:?}", refreshed.body);
}

/// Two users, one browser: the cookie is user B's. User A's tab signs out with its bearer: A's
/// session ends, and B's cookie is not cleared (SPEC §3 logout, §4 "Endings belong to one session").
async fn a_sign_out_keeps_a_cookie_that_names_another_live_session(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    let bob = app.signed_in("bob@example.com").await;
    let answer = sign_out(&app, Some(&ada.access), Some(&bob.refresh), json!({})).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(answer.set_cookie(), None, "B's cookie is kept");
    assert_eq!(live_sessions(&app, &ada.user_id).await, 0);
    assert_eq!(live_sessions(&app, &bob.user_id).await, 1);

    // The cookie's own session, or none that lives: cleared.
    let cleared = sign_out(&app, None, Some(&bob.refresh), json!({})).await;
    assert!(cleared.set_cookie().is_some_and(|cookie| cookie.contains("Max-Age=0")), "{:?}", cleared.headers);
    let stale = sign_out(&app, Some(&ada.access), Some(&bob.refresh), json!({})).await;
    assert!(stale.set_cookie().is_some_and(|cookie| cookie.contains("Max-Age=0")), "a dead session's cookie");
}

/// Tab A's refresh was answered for user B (B signed in since, in the same browser): A ends its own
/// session with its bearer, recorded as SESSION_USER_MISMATCH, and B's cookie stays. A sign-out
/// names no other reason.
async fn a_tab_answered_for_another_user_ends_its_own_session_as_a_mismatch(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    let bob = app.signed_in("bob@example.com").await;
    let with_reason = |reason: &str| sign_out(&app, Some(&ada.access), Some(&bob.refresh), json!({ "reason": reason }));
    let refused = with_reason("ADMIN_REVOKED").await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    assert_eq!(live_sessions(&app, &ada.user_id).await, 1, "nothing ended");
    let without_bearer = sign_out(&app, None, Some(&bob.refresh), json!({ "reason": "SESSION_USER_MISMATCH" })).await;
    assert_eq!(without_bearer.status, 200, "{:?}", without_bearer.body);
    assert_eq!(without_bearer.set_cookie(), None);
    assert_eq!(live_sessions(&app, &bob.user_id).await, 1, "the cookie's session is not the mismatched one");

    let ended = with_reason("SESSION_USER_MISMATCH").await;
    assert_eq!(ended.status, 200, "{:?}", ended.body);
    assert_eq!(ended.set_cookie(), None, "B's cookie is kept");
    let me = app.get_with_token("/api/auth/me", &ada.access).await;
    assert_eq!(me.body["logout_reason"], "SESSION_USER_MISMATCH", "{:?}", me.body);
    assert_eq!(app.get_with_token("/api/auth/me", &bob.access).await.status, 200);
}

/// A token is only ever read from the cookie: a query string answers 400, with or without a
/// cookie, and the cookie's token is not consumed (checklist RT-09).
async fn a_refresh_with_a_query_string_is_refused_and_consumes_nothing(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    for query in [format!("refresh_token={}", ada.refresh), "x=1".into()] {
        for cookie in [Some(ada.refresh.as_str()), None] {
            let mut request = app.http.post(app.url(&format!("/api/auth/refresh?{query}")));
            if let Some(cookie) = cookie {
                request = request.header("cookie", format!("lanyard_refresh={cookie}"));
            }
            let answer = app.send(request.json(&json!({}))).await;
            assert_eq!(answer.status, 400, "?{query} with {cookie:?}: {:?}", answer.body);
            assert_eq!(answer.body["logout_reason"], serde_json::Value::Null);
            assert_eq!(answer.set_cookie(), None);
        }
    }
    let refreshed = app.refresh_with(&ada.refresh).await;
    assert_eq!(refreshed.status, 200, "the token was not consumed: {:?}", refreshed.body);
    assert_eq!(app.refresh_with(&refreshed.refresh_cookie().unwrap()).await.status, 200, "nor rotated");
}

/// The Origin check compares the scheme too: lanyard here serves plain HTTP, so an `https://`
/// Origin with the same host and port is another origin.
async fn an_origin_of_another_scheme_is_refused(db: Db) {
    let app = spawn_app(db).await;
    app.create_user("ada@example.com").await;
    let host = app.base.trim_start_matches("http://").to_owned();
    let login = |origin: String| {
        let body = json!({ "email": "ada@example.com", "password": PASSWORD });
        app.send(app.http.post(app.url("/api/auth/login")).header("origin", origin).json(&body))
    };
    let other_scheme = login(format!("https://{host}")).await;
    assert_eq!(other_scheme.status, 403, "{:?}", other_scheme.body);
    assert_eq!(other_scheme.body["error"], "ORIGIN_MISMATCH");
    assert_eq!(login(format!("http://{host}")).await.status, 200);
}

/// An unknown email costs exactly the hashing of a wrong password: one argon2 run each (checklist
/// AUTH-02), counted rather than timed.
async fn an_unknown_email_costs_the_same_hashing_as_a_wrong_password(db: Db) {
    let app = spawn_app(db).await;
    app.create_user("ada@example.com").await;
    let mut costs = Vec::new();
    for email in ["ada@example.com", "nobody@example.com", "ada@example.com", "nobody@example.com"] {
        let before = app.engine.hashes_computed();
        let answer = app.post("/api/auth/login", json!({ "email": email, "password": "not the password" })).await;
        assert_eq!(answer.status, 401);
        costs.push(app.engine.hashes_computed() - before);
    }
    assert_eq!(costs, vec![1, 1, 1, 1], "wrong password, unknown email, twice each");
}
