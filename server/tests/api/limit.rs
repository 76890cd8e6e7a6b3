//! The per-user session limit (SPEC §1, `LANYARD_MAX_SESSIONS`): a sign-in beyond it ends the least
//! recently active session with SESSION_LIMIT, and only that one.

use crate::helpers::{Db, spawn_app_with};
use crate::on_both_databases;

on_both_databases!(
    a_sign_in_beyond_the_limit_ends_the_least_recently_active_session,
    sessions_past_their_lifetime_do_not_count,
);

async fn a_sign_in_beyond_the_limit_ends_the_least_recently_active_session(db: Db) {
    let app = spawn_app_with(db, |config| config.max_sessions = 2).await;
    let laptop = app.signed_in("ada@example.com").await;
    app.clock.advance(10);
    let phone = app.sign_in("ada@example.com").await;
    app.clock.advance(100);
    let request = app.http.get(app.url("/api/auth/me")).bearer_auth(&laptop.access).header("x-user-idle", "0");
    assert_eq!(app.send(request).await.status, 200, "the laptop is used again, later than the phone");
    app.clock.advance(100);

    let tablet = app.sign_in("ada@example.com").await;

    let phone_me = app.get_with_token("/api/auth/me", &phone.access).await;
    assert_eq!(phone_me.status, 401);
    assert_eq!(phone_me.body["logout_reason"], "SESSION_LIMIT");
    assert_eq!(
        phone_me.body["logout_message"],
        "You were signed out because your account signed in on too many devices."
    );
    assert_eq!(app.refresh_with(&phone.refresh).await.body["logout_reason"], "SESSION_LIMIT");
    for kept in [&laptop, &tablet] {
        assert_eq!(app.get_with_token("/api/auth/me", &kept.access).await.status, 200);
    }
}

async fn sessions_past_their_lifetime_do_not_count(db: Db) {
    let app = spawn_app_with(db, |config| {
        config.max_sessions = 1;
        config.session_ttl = 1_000;
    })
    .await;
    let old = app.signed_in("ada@example.com").await;
    app.clock.advance(1_001);
    let new = app.sign_in("ada@example.com").await;

    assert_eq!(app.get_with_token("/api/auth/me", &new.access).await.status, 200);
    let old_me = app.get_with_token("/api/auth/me", &old.access).await;
    assert_eq!(old_me.body["logout_reason"], "SESSION_EXPIRED", "it ran out; the limit did not end it");
}
