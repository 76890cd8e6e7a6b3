//! Invitations (SPEC §10): into the inviter's account with the role, checked by role before
//! step-up, one live invitation per address and account, and the invitee signed in on joining.

use crate::helpers::{Db, PASSWORD, TestApp, link_token, spawn_app};
use crate::on_both_databases;
use lanyard::contract::Role;
use serde_json::{Value, json};

on_both_databases!(
    an_invitee_joins_the_inviters_account_with_the_role,
    invitations_are_checked_by_role_then_step_up,
    a_newer_invitation_voids_the_older_and_a_taken_address_cannot_join,
);

async fn invite(app: &TestApp, access: &str, email: &str, role: &str) -> crate::helpers::Answer {
    app.post_with_token("/api/admin/invitations", access, json!({ "email": email, "role": role })).await
}

async fn an_invitee_joins_the_inviters_account_with_the_role(db: Db) {
    let app = spawn_app(db).await;
    let admin = app.signed_in_as("admin@example.com", Role::Admin, "acme").await;
    let sent = invite(&app, &admin.access, "new@example.com", "viewer").await;
    assert_eq!(sent.status, 201, "{:?}", sent.body);
    assert_eq!(sent.body["email"], "new@example.com");
    assert_eq!(sent.body["expires_at"], app.clock_now() + 7 * 86_400);
    assert!(sent.body["id"].as_str().is_some_and(|id| !id.is_empty()));

    let message = app.nth_mail("invitation", 1).await;
    assert!(message.contains("To: new@example.com") && message.contains("/invite?token="));
    let token = link_token(&message);
    let shown = app.post("/api/auth/invitation", json!({ "token": token })).await;
    assert_eq!(
        (shown.status, &shown.body),
        (200, &json!({ "email": "new@example.com", "account_name": "acme", "role": "viewer" }))
    );

    let weak = app.post("/api/auth/invitation/accept", json!({ "token": token, "password": "password1" })).await;
    assert_eq!(weak.body["error"], "WEAK_PASSWORD");
    let joined = app.post("/api/auth/invitation/accept", json!({ "token": token, "password": PASSWORD })).await;
    assert_eq!(joined.status, 200, "{:?}", joined.body);
    assert_eq!(
        (&joined.body["user"]["account_name"], &joined.body["user"]["role"]),
        (&"acme".into(), &"viewer".into())
    );
    assert!(joined.refresh_cookie().is_some());
    assert_eq!(app.get_with_token("/api/auth/me", &joined.access_token()).await.status, 200);
    app.sign_in("new@example.com").await;

    let again = app.post("/api/auth/invitation/accept", json!({ "token": token, "password": PASSWORD })).await;
    assert_eq!((again.status, &again.body["token_state"]), (400, &Value::from("used")));
}

async fn invitations_are_checked_by_role_then_step_up(db: Db) {
    let app = spawn_app(db).await;
    let viewer = app.signed_in_as("viewer@example.com", Role::Viewer, "acme").await;
    let admin = app.signed_in_as("admin@example.com", Role::Admin, "acme").await;
    let owner = app.signed_in_as("owner@example.com", Role::Owner, "acme").await;

    let forbidden = |answer: crate::helpers::Answer| (answer.status, answer.body["error"].clone());
    assert_eq!(forbidden(invite(&app, &viewer.access, "x@example.com", "viewer").await), (403, "FORBIDDEN".into()));
    assert_eq!(forbidden(invite(&app, &admin.access, "x@example.com", "owner").await), (403, "FORBIDDEN".into()));
    assert_eq!(invite(&app, &admin.access, "x@example.com", "admin").await.status, 201);
    assert_eq!(invite(&app, &owner.access, "y@example.com", "owner").await.status, 201);

    app.clock.advance(601);
    let owner_refreshed = app.refresh_with(&owner.refresh).await.access_token();
    let admin_refreshed = app.refresh_with(&admin.refresh).await.access_token();
    let step_up = invite(&app, &owner_refreshed, "z@example.com", "viewer").await;
    assert_eq!((step_up.status, &step_up.body["error"]), (403, &Value::from("REAUTH_REQUIRED")));
    assert_eq!(
        forbidden(invite(&app, &admin_refreshed, "z@example.com", "owner").await),
        (403, "FORBIDDEN".into()),
        "the role is checked before the step-up"
    );
    let reauth = app.post_with_token("/api/auth/reauth", &owner_refreshed, json!({ "password": PASSWORD })).await;
    assert_eq!(reauth.status, 200);
    assert_eq!(invite(&app, &owner_refreshed, "z@example.com", "viewer").await.status, 201);
}

async fn a_newer_invitation_voids_the_older_and_a_taken_address_cannot_join(db: Db) {
    let app = spawn_app(db).await;
    let owner = app.signed_in_as("owner@example.com", Role::Owner, "acme").await;
    assert_eq!(invite(&app, &owner.access, "new@example.com", "viewer").await.status, 201);
    let first = link_token(&app.nth_mail("invitation", 1).await);
    assert_eq!(invite(&app, &owner.access, "new@example.com", "admin").await.status, 201);
    let second = link_token(&app.nth_mail("invitation", 2).await);

    let replaced = app.post("/api/auth/invitation", json!({ "token": first })).await;
    assert_eq!((replaced.status, &replaced.body["token_state"]), (400, &Value::from("replaced")));
    assert_eq!(app.post("/api/auth/invitation", json!({ "token": second })).await.body["role"], "admin");

    app.create_user("new@example.com").await;
    let taken = app.post("/api/auth/invitation/accept", json!({ "token": second, "password": PASSWORD })).await;
    assert_eq!((taken.status, &taken.body["error"]), (409, &Value::from("EMAIL_TAKEN")));
}
