//! Races between a user's own tabs, and between instances, driven step by step: a call is held at a
//! named step inside the engine (`test-hooks`) while another runs. None of them may end a session
//! that policy did not end, or keep alive one that policy ended.

use crate::helpers::{Answer, Db, Signed, TestApp, eventually, refresh_held_at, spawn_app, spawn_on};
use crate::on_both_databases;
use lanyard::engine::testing::Step;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

on_both_databases!(
    a_cookie_from_a_refresh_answered_before_a_password_change_still_refreshes,
    the_token_live_at_a_password_change_is_answered_with_the_new_chain_within_the_grace_window,
    a_refresh_held_across_a_password_change_gets_the_new_chain,
    a_refresh_judged_before_a_sign_out_mints_nothing,
    a_session_ended_while_its_row_was_read_is_not_kept_alive_in_the_cache,
    a_cached_session_is_read_again_after_its_ttl,
    an_ending_published_without_a_notification_reaches_the_other_instance,
    a_refresh_judged_before_sign_out_everywhere_mints_nothing,
    instances_whose_clocks_differ_within_the_leeway_accept_each_others_tokens,
    an_instance_whose_clock_is_beyond_the_leeway_asks_for_a_refresh_and_ends_nothing,
);

async fn change_password(app: &TestApp, signed: &Signed) -> Answer {
    let answer = app.change_password(signed).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    answer
}

/// Unused refresh tokens of a session: P4 says at most one.
async fn live_tokens(app: &TestApp, session_id: &str) -> i64 {
    let (count,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM lanyard_refresh_tokens WHERE session_id = $1 AND used_at IS NULL")
            .bind(session_id)
            .fetch_one(app.engine.database())
            .await
            .unwrap();
    count
}

/// Refreshes with `cookie` and checks that the session answers with what it was given.
async fn refreshes(app: &TestApp, cookie: &str) -> String {
    let answer = app.refresh_with(cookie).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(app.get_with_token("/api/auth/me", &answer.access_token()).await.status, 200);
    answer.refresh_cookie().unwrap()
}

/// Two tabs, one cookie jar: tab B's refresh is answered, then tab A changes the password. Whichever
/// Set-Cookie the browser kept, the next refresh works.
async fn a_cookie_from_a_refresh_answered_before_a_password_change_still_refreshes(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    let refreshed = app.refresh_with(&ada.refresh).await.refresh_cookie().unwrap();
    let changed = change_password(&app, &ada).await.refresh_cookie().unwrap();

    refreshes(&app, &refreshed).await;
    let newest = refreshes(&app, &changed).await;
    assert_eq!(live_tokens(&app, &ada.session_id).await, 1);
    refreshes(&app, &newest).await;
}

async fn the_token_live_at_a_password_change_is_answered_with_the_new_chain_within_the_grace_window(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    let changed = change_password(&app, &ada).await.refresh_cookie().unwrap();

    app.clock.advance(9);
    let other_tab = app.refresh_with(&ada.refresh).await;
    assert_eq!(other_tab.status, 200, "{:?}", other_tab.body);
    assert_eq!(other_tab.refresh_cookie().unwrap(), changed, "answered with the new chain's token");
    refreshes(&app, &changed).await;
    assert_eq!(live_tokens(&app, &ada.session_id).await, 1);
}

/// The same race with both requests in flight: the refresh has judged the session when the password
/// change commits.
async fn a_refresh_held_across_a_password_change_gets_the_new_chain(db: Db) {
    let app = Arc::new(spawn_app(db).await);
    let ada = app.signed_in("ada@example.com").await;
    let (gate, refresh) = refresh_held_at(&app, &ada.refresh, Step::RefreshJudged).await;
    let changed = change_password(&app, &ada).await.refresh_cookie().unwrap();
    gate.release();
    let refreshed = refresh.await.unwrap();

    assert_eq!(refreshed.status, 200, "{:?}", refreshed.body);
    assert_eq!(refreshed.refresh_cookie().unwrap(), changed);
    refreshes(&app, &changed).await;
    assert_eq!(live_tokens(&app, &ada.session_id).await, 1);
}

async fn a_refresh_judged_before_a_sign_out_mints_nothing(db: Db) {
    let app = Arc::new(spawn_app(db).await);
    let ada = app.signed_in("ada@example.com").await;
    let (gate, refresh) = refresh_held_at(&app, &ada.refresh, Step::RefreshJudged).await;
    let signed_out = app.post_with_token("/api/auth/logout", &ada.access, json!({})).await;
    assert_eq!(signed_out.status, 200);
    gate.release();
    let refreshed = refresh.await.unwrap();

    assert_eq!(refreshed.status, 401, "no token after the ending committed: {:?}", refreshed.body);
    assert_eq!(refreshed.body["logout_reason"], "MANUAL_LOGOUT");
    assert_eq!(live_tokens(&app, &ada.session_id).await, 1, "no successor was stored");
}

async fn a_session_ended_while_its_row_was_read_is_not_kept_alive_in_the_cache(db: Db) {
    let app = Arc::new(spawn_app(db).await);
    let laptop = app.signed_in("ada@example.com").await;
    let phone = app.sign_in("ada@example.com").await;
    assert_eq!(app.get_with_token("/api/auth/me", &phone.access).await.status, 200);
    app.engine.forget_cache();

    let mut gate = app.engine.hooks().hold(Step::SessionLoaded);
    let me = tokio::spawn({
        let (app, access) = (app.clone(), laptop.access.clone());
        async move { app.get_with_token("/api/auth/me", &access).await }
    });
    gate.reached().await;
    let body = json!({ "session_id": laptop.session_id });
    assert_eq!(app.post_with_token("/api/auth/sessions/revoke", &phone.access, body).await.status, 200);
    gate.release();
    me.await.unwrap();

    let after = app.get_with_token("/api/auth/me", &laptop.access).await;
    assert_eq!(after.status, 401, "the revoked session must not work from a stale entry: {:?}", after.body);
    assert_eq!(after.body["logout_reason"], "LOGOUT_OTHER_DEVICE");
}

/// An edit nothing announces (here: by hand) is seen once the cached entry is older than its TTL.
async fn a_cached_session_is_read_again_after_its_ttl(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    assert_eq!(app.get_with_token("/api/auth/me", &ada.access).await.status, 200);
    sqlx::query("UPDATE lanyard_sessions SET ended_at = 1, end_reason = 'ADMIN_REVOKED' WHERE id = $1")
        .bind(&ada.session_id)
        .execute(app.engine.database())
        .await
        .unwrap();

    app.clock.advance(10);
    let me = app.get_with_token("/api/auth/me", &ada.access).await;
    assert_eq!(me.body["logout_reason"], "ADMIN_REVOKED", "{:?}", me.body);
}

/// A change row written without its NOTIFY (as behind a pooler in transaction mode) still reaches
/// the other instance, which reads the change table on its own.
async fn an_ending_published_without_a_notification_reaches_the_other_instance(db: Db) {
    let first = spawn_app(db).await;
    let second = spawn_on(first.db.clone(), |_| {}).await;
    let ada = first.signed_in("ada@example.com").await;
    assert_eq!(second.get_with_token("/api/auth/me", &ada.access).await.status, 200, "cached on the second");

    let pool = first.engine.database();
    sqlx::query("UPDATE lanyard_sessions SET ended_at = 1, end_reason = 'ADMIN_REVOKED' WHERE id = $1")
        .bind(&ada.session_id)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO lanyard_changes (at, kind, subject) VALUES (1, 'session', $1)")
        .bind(&ada.session_id)
        .execute(pool)
        .await
        .unwrap();

    let seen = eventually(Duration::from_secs(5), || async {
        second.get_with_token("/api/auth/me", &ada.access).await.body["logout_reason"] == "ADMIN_REVOKED"
    })
    .await;
    assert!(seen, "the second instance still trusts its cached entry");
}

/// S10: "Sign out everywhere" from another device commits while a refresh has judged the session:
/// the refresh finds the session ended and mints nothing.
async fn a_refresh_judged_before_sign_out_everywhere_mints_nothing(db: Db) {
    let app = Arc::new(spawn_app(db).await);
    let laptop = app.signed_in("ada@example.com").await;
    let phone = app.sign_in("ada@example.com").await;
    let (gate, refresh) = refresh_held_at(&app, &laptop.refresh, Step::RefreshJudged).await;
    let everywhere = app.post_with_token("/api/auth/logout_all", &phone.access, json!({ "keep_current": false })).await;
    assert_eq!(everywhere.status, 200, "{:?}", everywhere.body);
    assert_eq!(everywhere.body["ended"], 2);
    gate.release();
    let refreshed = refresh.await.unwrap();

    assert_eq!(refreshed.status, 401, "{:?}", refreshed.body);
    assert_eq!(refreshed.body["logout_reason"], "LOGOUT_ALL");
    assert_eq!(live_tokens(&app, &laptop.session_id).await, 1, "no successor was stored");
}

/// S8: two instances on one database whose clocks differ by 25 s, inside the 30 s leeway: a token
/// minted on either is accepted on the other, both ways, and a refresh on either works.
async fn instances_whose_clocks_differ_within_the_leeway_accept_each_others_tokens(db: Db) {
    let a = spawn_app(db).await;
    let b = spawn_on(a.db.clone(), |_| {}).await;
    b.clock.advance(-25);
    let ada = a.signed_in("ada@example.com").await;
    assert_eq!(b.get_with_token("/api/auth/me", &ada.access).await.status, 200, "minted 25 s in B's future");
    let on_b = b.refresh_with(&ada.refresh).await;
    assert_eq!(on_b.status, 200, "{:?}", on_b.body);
    assert_eq!(a.get_with_token("/api/auth/me", &on_b.access_token()).await.status, 200);

    // Near the end of the access token's life, as A sees it: B, 25 s behind, still accepts it.
    a.clock.advance(3_600 - 5);
    b.clock.advance(3_600 - 5);
    assert_eq!(b.get_with_token("/api/auth/me", &ada.access).await.status, 200);
}

/// S8 beyond the leeway: B's clock is 40 s behind. A token minted on A is "not yet valid" there: a
/// 401 without a reason, which the client answers with a refresh. The refresh on B works, and
/// nothing ends.
async fn an_instance_whose_clock_is_beyond_the_leeway_asks_for_a_refresh_and_ends_nothing(db: Db) {
    let a = spawn_app(db).await;
    let b = spawn_on(a.db.clone(), |_| {}).await;
    b.clock.advance(-40);
    let ada = a.signed_in("ada@example.com").await;
    let refused = b.get_with_token("/api/auth/me", &ada.access).await;
    assert_eq!(refused.status, 401, "{:?}", refused.body);
    assert_eq!(refused.body["logout_reason"], Value::Null, "not an ending");
    assert_eq!(refused.body["error"], "ACCESS_TOKEN_INVALID");
    let renewed = b.refresh_with(&ada.refresh).await;
    assert_eq!(renewed.status, 200, "{:?}", renewed.body);
    assert_eq!(b.get_with_token("/api/auth/me", &renewed.access_token()).await.status, 200);
    assert_eq!(a.get_with_token("/api/auth/me", &renewed.access_token()).await.status, 200, "40 s old on A");
}
