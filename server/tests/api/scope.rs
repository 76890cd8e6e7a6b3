//! Scope: what one account's admins see is their own account's, and one user's session list is
//! theirs alone; a sign-out works with any access token the server signed, however old.

use crate::helpers::{Db, spawn_app};
use crate::on_both_databases;
use lanyard::contract::Role;
use serde_json::json;

on_both_databases!(
    an_admin_sees_only_their_own_accounts_users_sessions_and_endings,
    a_users_session_list_never_shows_another_users_sessions,
    a_sign_out_with_a_long_expired_access_token_still_ends_the_session,
    cookie_routes_refuse_a_foreign_origin_and_a_get,
);

/// CSRF: the routes a cookie alone can drive refuse another site's POST and any GET, and the
/// session is untouched by them.
async fn cookie_routes_refuse_a_foreign_origin_and_a_get(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    let cookie = format!("lanyard_refresh={}", ada.refresh);
    for path in ["/api/auth/refresh", "/api/auth/logout", "/api/auth/logout_all"] {
        let cross_site =
            app.http.post(app.url(path)).header("origin", "https://evil.example").header("cookie", &cookie);
        let answer = app.send(cross_site.bearer_auth(&ada.access).json(&json!({ "keep_current": false }))).await;
        assert_eq!(answer.status, 403, "{path}: {:?}", answer.body);
        assert_eq!(answer.body["error"], "ORIGIN_MISMATCH", "{path}");
        let get = app.send(app.http.get(app.url(path)).header("cookie", &cookie).bearer_auth(&ada.access)).await;
        assert_eq!(get.status, 405, "{path}: GET on a POST route: {:?}", get.body);
    }
    assert_eq!(app.get_with_token("/api/auth/me", &ada.access).await.status, 200, "nothing was ended");
    assert_eq!(app.refresh_with(&ada.refresh).await.status, 200, "nothing was rotated");
}

async fn an_admin_sees_only_their_own_accounts_users_sessions_and_endings(db: Db) {
    let app = spawn_app(db).await;
    let acme = app.signed_in_as("owner@acme.example", Role::Owner, "acme").await;
    let other = app.signed_in_as("owner@other.example", Role::Owner, "other").await;
    app.signed_in_as("viewer@other.example", Role::Viewer, "other").await;
    let gone = app.signed_in_as("viewer@acme.example", Role::Viewer, "acme").await;
    app.post_with_token("/api/auth/logout_all", &gone.access, json!({ "keep_current": false })).await;

    let overview = app.get_with_token("/api/admin/overview", &other.access).await;
    assert_eq!(overview.status, 200, "{:?}", overview.body);
    assert_eq!((overview.body["users"].as_i64(), overview.body["active_sessions"].as_i64()), (Some(2), Some(2)));
    let report = app.get_with_token("/api/admin/logouts?days=7", &other.access).await;
    assert_eq!(report.body["counts"], json!([]), "acme's ending is not other's to see: {:?}", report.body);
    let acme_report = app.get_with_token("/api/admin/logouts?days=7", &acme.access).await;
    assert_eq!(acme_report.body["counts"][0]["reason"], "LOGOUT_ALL");
}

async fn a_users_session_list_never_shows_another_users_sessions(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    let bob = app.signed_in("bob@example.com").await;
    app.post_with_token(
        "/api/auth/logout_all",
        &app.sign_in("bob@example.com").await.access,
        json!({ "keep_current": true }),
    )
    .await;

    let listed = app.get_with_token("/api/auth/sessions", &ada.access).await;
    let ids: Vec<&str> = ["active", "ended"]
        .iter()
        .flat_map(|list| listed.body[list].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()))
        .collect();
    assert_eq!(ids, vec![ada.session_id.as_str()], "only ada's own session");
    let text = listed.body.to_string();
    assert!(!text.contains(&ada.access) && !text.contains(&ada.refresh), "no token material: {text}");
    let revoke =
        app.post_with_token("/api/auth/sessions/revoke", &ada.access, json!({ "session_id": bob.session_id })).await;
    assert_eq!(revoke.status, 404, "another user's session does not exist for ada");
}

/// Signing out must always work, even for a user coming back days later: the token's signature is
/// checked, its expiry is not.
async fn a_sign_out_with_a_long_expired_access_token_still_ends_the_session(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    app.clock.advance(2 * 86_400);

    let request = app.http.post(app.url("/api/auth/logout")).bearer_auth(&ada.access).json(&json!({}));
    assert_eq!(app.send(request).await.status, 200);
    assert_eq!(app.refresh_with(&ada.refresh).await.body["logout_reason"], "MANUAL_LOGOUT");
}
