//! Faults at named steps of a refresh (the engine's failpoints, `test-hooks`): a crash between the
//! consume and the commit, and an answer lost after the commit. Each leaves the session usable.

use crate::helpers::{Db, spawn_app};
use crate::on_both_databases;
use lanyard::engine::AuthError;
use lanyard::engine::testing::Step;

on_both_databases!(
    a_crash_between_consume_and_commit_keeps_nothing_and_the_token_still_refreshes,
    an_answer_lost_after_the_commit_is_given_again_to_the_retry,
);

fn crash() -> AuthError {
    AuthError::Unavailable("failpoint: the process stopped here".into())
}

async fn a_crash_between_consume_and_commit_keeps_nothing_and_the_token_still_refreshes(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    app.engine.hooks().fail(Step::RefreshConsumed, crash());

    let crashed = app.refresh_with(&ada.refresh).await;
    assert_eq!(crashed.status, 503, "{:?}", crashed.body);

    let again = app.refresh_with(&ada.refresh).await;
    assert_eq!(again.status, 200, "the consume was rolled back: {:?}", again.body);
    let next = app.refresh_with(&again.refresh_cookie().unwrap()).await;
    assert_eq!(next.status, 200);
}

async fn an_answer_lost_after_the_commit_is_given_again_to_the_retry(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    app.engine.hooks().fail(Step::RefreshCommitted, crash());

    let lost = app.refresh_with(&ada.refresh).await;
    assert_eq!(lost.status, 503, "{:?}", lost.body);
    assert_eq!(lost.set_cookie(), None);

    app.clock.advance(30);
    let retried = app.refresh_with(&ada.refresh).await;
    assert_eq!(retried.status, 200, "the committed successor is handed out again: {:?}", retried.body);
    let next = app.refresh_with(&retried.refresh_cookie().unwrap()).await;
    assert_eq!(next.status, 200);
    assert_eq!(app.get_with_token("/api/auth/me", &next.access_token()).await.status, 200);
}
