//! Changing the address (SPEC §10): the password confirms the request, the new address confirms the
//! change, the old address can cancel it (and undo it), and sessions are kept throughout.

use crate::helpers::{Db, PASSWORD, TestApp, link_token, spawn_app};
use crate::on_both_databases;
use serde_json::{Value, json};

on_both_databases!(
    an_address_changes_once_the_new_one_confirms_and_sessions_are_kept,
    the_old_address_cancels_a_change_and_undoes_a_confirmed_one,
    a_change_needs_the_password_and_a_free_address,
);

async fn ask(app: &TestApp, access: &str, new_email: &str, password: &str) -> crate::helpers::Answer {
    app.post_with_token("/api/auth/email", access, json!({ "new_email": new_email, "password": password })).await
}

async fn an_address_changes_once_the_new_one_confirms_and_sessions_are_kept(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    let asked = ask(&app, &ada.access, "ada@new.example", PASSWORD).await;
    assert_eq!((asked.status, &asked.body), (202, &json!({ "status": "check_your_email" })));

    let confirm = app.nth_mail("email_change", 1).await;
    assert!(confirm.contains("To: ada@new.example") && confirm.contains("/email-change?token="));
    let notice = app.nth_mail("email_change_notice", 1).await;
    assert!(notice.contains("To: ada@example.com") && notice.contains("/email-cancel?token="));
    assert_eq!(app.get_with_token("/api/auth/me", &ada.access).await.body["email"], "ada@example.com", "not yet");

    let confirmed = app.post("/api/auth/email/confirm", json!({ "token": link_token(&confirm) })).await;
    assert_eq!((confirmed.status, &confirmed.body), (200, &json!({ "email": "ada@new.example" })));
    let me = app.get_with_token("/api/auth/me", &ada.access).await;
    assert_eq!((me.status, &me.body["email"]), (200, &Value::from("ada@new.example")), "the session is kept");
    assert_eq!(
        app.post("/api/auth/login", json!({ "email": "ada@example.com", "password": PASSWORD })).await.status,
        401
    );
    app.sign_in("ada@new.example").await;
    let activity = app.get_with_token("/api/auth/activity", &ada.access).await;
    assert!(activity.body["events"].as_array().unwrap().iter().any(|e| e["kind"] == "email_changed"));
}

async fn the_old_address_cancels_a_change_and_undoes_a_confirmed_one(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    assert_eq!(ask(&app, &ada.access, "ada@new.example", PASSWORD).await.status, 202);
    let confirm = link_token(&app.nth_mail("email_change", 1).await);
    let cancel = link_token(&app.nth_mail("email_change_notice", 1).await);

    assert_eq!(app.post("/api/auth/email/cancel", json!({ "token": cancel })).await.status, 200);
    let voided = app.post("/api/auth/email/confirm", json!({ "token": confirm })).await;
    assert_eq!(
        (voided.status, &voided.body["token_state"]),
        (400, &Value::from("replaced")),
        "the pending change is void"
    );

    assert_eq!(ask(&app, &ada.access, "ada@new.example", PASSWORD).await.status, 202);
    let confirm = link_token(&app.nth_mail("email_change", 2).await);
    let cancel = link_token(&app.nth_mail("email_change_notice", 2).await);
    assert_eq!(app.post("/api/auth/email/confirm", json!({ "token": confirm })).await.status, 200);
    assert_eq!(app.post("/api/auth/email/cancel", json!({ "token": cancel })).await.status, 200);
    assert_eq!(app.get_with_token("/api/auth/me", &ada.access).await.body["email"], "ada@example.com", "undone");
    app.sign_in("ada@example.com").await;
}

async fn a_change_needs_the_password_and_a_free_address(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    app.create_user("bob@example.com").await;

    let wrong = ask(&app, &ada.access, "ada@new.example", "not it").await;
    assert_eq!((wrong.status, &wrong.body["error"]), (403, &Value::from("WRONG_PASSWORD")), "never 401");
    let taken = ask(&app, &ada.access, "Bob@Example.com", PASSWORD).await;
    assert_eq!((taken.status, &taken.body["error"]), (409, &Value::from("EMAIL_TAKEN")));
    assert_eq!(ask(&app, &ada.access, "not an address", PASSWORD).await.status, 400);
    let without_bearer =
        app.post("/api/auth/email", json!({ "new_email": "x@example.com", "password": PASSWORD })).await;
    assert_eq!(without_bearer.status, 401);

    assert_eq!(ask(&app, &ada.access, "carol@example.com", PASSWORD).await.status, 202);
    let confirm = link_token(&app.nth_mail("email_change", 1).await);
    app.create_user("carol@example.com").await;
    let raced = app.post("/api/auth/email/confirm", json!({ "token": confirm })).await;
    assert_eq!((raced.status, &raced.body["error"]), (409, &Value::from("EMAIL_TAKEN")), "taken meanwhile");
    assert_eq!(app.get_with_token("/api/auth/me", &ada.access).await.status, 200, "the session is kept");
}
