//! Every way a session is ended on purpose, and how each is answered afterwards.

use crate::helpers::{Db, PASSWORD, eventually, spawn_app, spawn_on};
use crate::on_both_databases;
use serde_json::json;
use std::time::Duration;

on_both_databases!(
    sign_out_everywhere_ends_every_session,
    sign_out_other_devices_keeps_this_one,
    revoking_from_the_list_names_the_right_reason,
    sessions_lists_live_and_recently_ended,
    a_password_change_ends_the_other_sessions_and_restarts_this_chain,
    a_password_change_needs_the_current_password_and_a_strong_new_one,
    the_operator_revokes_with_admin_revoked,
    a_logout_on_one_instance_is_seen_by_another,
);

async fn sign_out_everywhere_ends_every_session(db: Db) {
    let app = spawn_app(db).await;
    let laptop = app.signed_in("ada@example.com").await;
    let phone = app.sign_in("ada@example.com").await;

    let answer = app.post_with_token("/api/auth/logout_all", &laptop.access, json!({ "keep_current": false })).await;

    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(answer.body["ended"], 2);
    for device in [&laptop, &phone] {
        let me = app.get_with_token("/api/auth/me", &device.access).await;
        assert_eq!((me.status, me.body["logout_reason"].as_str()), (401, Some("LOGOUT_ALL")));
        assert_eq!(app.refresh_with(&device.refresh).await.body["logout_reason"], "LOGOUT_ALL");
    }
}

async fn sign_out_other_devices_keeps_this_one(db: Db) {
    let app = spawn_app(db).await;
    let laptop = app.signed_in("ada@example.com").await;
    let phone = app.sign_in("ada@example.com").await;
    let tablet = app.sign_in("ada@example.com").await;

    let answer = app.post_with_token("/api/auth/logout_all", &laptop.access, json!({ "keep_current": true })).await;

    assert_eq!(answer.body["ended"], 2);
    assert_eq!(app.get_with_token("/api/auth/me", &laptop.access).await.status, 200);
    for device in [&phone, &tablet] {
        let me = app.get_with_token("/api/auth/me", &device.access).await;
        assert_eq!(me.body["logout_reason"], "LOGOUT_OTHER_DEVICE");
    }
    let again = app.post_with_token("/api/auth/logout_all", &laptop.access, json!({ "keep_current": true })).await;
    assert_eq!(again.body["ended"], 0, "n counts the sessions this call ended");
}

async fn revoking_from_the_list_names_the_right_reason(db: Db) {
    let app = spawn_app(db).await;
    let laptop = app.signed_in("ada@example.com").await;
    let phone = app.sign_in("ada@example.com").await;
    let bob = app.signed_in("bob@example.com").await;

    let other = app
        .post_with_token("/api/auth/sessions/revoke", &laptop.access, json!({ "session_id": phone.session_id }))
        .await;
    assert_eq!(other.status, 200, "{:?}", other.body);
    assert_eq!(app.get_with_token("/api/auth/me", &phone.access).await.body["logout_reason"], "LOGOUT_OTHER_DEVICE");

    let foreign =
        app.post_with_token("/api/auth/sessions/revoke", &laptop.access, json!({ "session_id": bob.session_id })).await;
    assert_eq!(foreign.status, 404, "another user's session is not found");
    assert_eq!(app.get_with_token("/api/auth/me", &bob.access).await.status, 200);

    let own = app
        .post_with_token("/api/auth/sessions/revoke", &laptop.access, json!({ "session_id": laptop.session_id }))
        .await;
    assert_eq!(own.status, 200);
    assert_eq!(app.get_with_token("/api/auth/me", &laptop.access).await.body["logout_reason"], "MANUAL_LOGOUT");
}

async fn sessions_lists_live_and_recently_ended(db: Db) {
    let app = spawn_app(db).await;
    let laptop = app.signed_in("ada@example.com").await;
    let phone = app.sign_in("ada@example.com").await;
    app.post_with_token("/api/auth/sessions/revoke", &laptop.access, json!({ "session_id": phone.session_id })).await;

    let list = app.get_with_token("/api/auth/sessions", &laptop.access).await;

    assert_eq!(list.status, 200, "{:?}", list.body);
    let active = list.body["active"].as_array().unwrap();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0]["id"], laptop.session_id.as_str());
    assert_eq!(active[0]["current"], true);
    let ended = list.body["ended"].as_array().unwrap();
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0]["id"], phone.session_id.as_str());
    assert_eq!(ended[0]["end_reason"], "LOGOUT_OTHER_DEVICE");
    assert!(ended[0]["ended_at"].is_i64());
}

async fn a_password_change_ends_the_other_sessions_and_restarts_this_chain(db: Db) {
    let app = spawn_app(db).await;
    let laptop = app.signed_in("ada@example.com").await;
    let phone = app.sign_in("ada@example.com").await;
    let rotated = app.refresh_with(&laptop.refresh).await;
    assert_eq!(rotated.status, 200);

    let answer = app
        .post_with_token(
            "/api/auth/password",
            &laptop.access,
            json!({
                "current_password": PASSWORD, "new_password": "a brand new passphrase"
            }),
        )
        .await;

    assert_eq!(answer.status, 200, "{:?}", answer.body);
    let new_cookie = answer.refresh_cookie().unwrap();
    assert_eq!(app.get_with_token("/api/auth/me", &phone.access).await.body["logout_reason"], "PASSWORD_CHANGED");
    assert_eq!(app.get_with_token("/api/auth/me", &answer.access_token()).await.status, 200);
    app.clock.advance(11);
    // The token that was live at the change is answered with the new chain (SPEC §3); one before
    // it is reuse.
    let earlier = app.refresh_with(&laptop.refresh).await;
    assert_eq!(earlier.body["logout_reason"], "REFRESH_TOKEN_REUSED", "an earlier token of the chain is reuse");
    assert_eq!(app.refresh_with(&new_cookie).await.body["logout_reason"], "REFRESH_TOKEN_REUSED");

    let old_password = app.login("ada@example.com").await;
    assert_eq!(old_password.status, 401);
    let new_password =
        app.post("/api/auth/login", json!({ "email": "ada@example.com", "password": "a brand new passphrase" })).await;
    assert_eq!(new_password.status, 200);
}

async fn a_password_change_needs_the_current_password_and_a_strong_new_one(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;

    let wrong = app
        .post_with_token(
            "/api/auth/password",
            &ada.access,
            json!({ "current_password": "not it", "new_password": "long enough pass" }),
        )
        .await;
    assert_eq!(wrong.status, 403, "never 401: {:?}", wrong.body);
    for weak in ["short", "ada@example.com", "Password1", "qwertyuiop", "Lanyard2026!"] {
        let answer = app
            .post_with_token(
                "/api/auth/password",
                &ada.access,
                json!({ "current_password": PASSWORD, "new_password": weak }),
            )
            .await;
        assert_eq!(answer.status, 400, "{weak}");
        assert_eq!(answer.body["error"], "WEAK_PASSWORD");
        if weak.len() >= 8 && weak != "ada@example.com" {
            assert_eq!(answer.body["message"], "This password is too common.", "{weak}");
        }
    }
    assert_eq!(app.get_with_token("/api/auth/me", &ada.access).await.status, 200, "the session is kept");
}

async fn the_operator_revokes_with_admin_revoked(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    assert_eq!(app.get_with_token("/api/auth/me", &ada.access).await.status, 200);

    let printed = app.cli(&["admin", "sessions", "revoke", "--email", "ada@example.com"]);

    assert!(printed.contains("[AUTO-LOGOUT] ADMIN_REVOKED"), "{printed}");
    assert!(printed.contains(&ada.session_id), "{printed}");
    let seen = eventually(Duration::from_secs(1), || async {
        app.get_with_token("/api/auth/me", &ada.access).await.body["logout_reason"] == "ADMIN_REVOKED"
    })
    .await;
    assert!(seen, "the running server sees the revocation within 1 s");

    let bob = app.signed_in("bob@example.com").await;
    let json_lines = app.cli_with_env(
        &["admin", "sessions", "revoke", "--email", "bob@example.com"],
        &[("LANYARD_LOG_FORMAT", "json")],
    );
    let line = json_lines.lines().find(|line| line.contains("[AUTO-LOGOUT]")).expect("an [AUTO-LOGOUT] line");
    let parsed: serde_json::Value = serde_json::from_str(line).expect("LANYARD_LOG_FORMAT=json logs JSON");
    assert!(parsed["message"].as_str().unwrap().contains(&bob.session_id), "{parsed}");
    assert_eq!(parsed["session_id"], bob.session_id.as_str(), "the facts are fields too: {parsed}");
    assert_eq!(parsed["code"], "ADMIN_REVOKED");
}

async fn a_logout_on_one_instance_is_seen_by_another(db: Db) {
    let first = spawn_app(db).await;
    let second = spawn_on(first.db.clone(), |_| {}).await;
    let ada = first.signed_in("ada@example.com").await;
    assert_eq!(second.get_with_token("/api/auth/me", &ada.access).await.status, 200, "cached on the second");

    let logout = first.post_with_token("/api/auth/logout", &ada.access, json!({})).await;
    assert_eq!(logout.status, 200);

    let seen = eventually(Duration::from_secs(1), || async {
        second.get_with_token("/api/auth/me", &ada.access).await.body["logout_reason"] == "MANUAL_LOGOUT"
    })
    .await;
    assert!(seen, "the other instance refuses the token within 1 s");
}
