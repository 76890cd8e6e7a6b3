//! A password reset by email (SPEC §10): the same answer for every address, single-use links that
//! say why they no longer work, PASSWORD_RESET on every other session, the sign-in throttle cleared.

use crate::helpers::{Db, PASSWORD, TestApp, link_token, spawn_app};
use crate::on_both_databases;
use serde_json::{Value, json};

on_both_databases!(
    a_reset_link_sets_a_new_password_and_ends_every_other_session,
    every_address_gets_the_same_answer_and_only_a_user_a_mail,
    a_link_says_why_it_no_longer_works,
    a_weak_password_keeps_the_link,
    a_reset_clears_the_sign_in_throttle,
    reset_requests_are_throttled_alike_for_every_address,
);

const NEW: &str = "a reset passphrase";

async fn ask(app: &TestApp, email: &str) -> crate::helpers::Answer {
    app.post("/api/auth/password_reset", json!({ "email": email })).await
}

async fn confirm(app: &TestApp, token: &str, password: &str) -> crate::helpers::Answer {
    app.post("/api/auth/password_reset/confirm", json!({ "token": token, "new_password": password })).await
}

/// Asks for a link for `email` and returns the token of the `n`th reset message.
async fn reset_token(app: &TestApp, email: &str, n: usize) -> String {
    assert_eq!(ask(app, email).await.status, 202);
    link_token(&app.nth_mail("password_reset", n).await)
}

async fn a_reset_link_sets_a_new_password_and_ends_every_other_session(db: Db) {
    let app = spawn_app(db).await;
    let laptop = app.signed_in("ada@example.com").await;
    let phone = app.sign_in("ada@example.com").await;

    let asked = ask(&app, "Ada@Example.com").await;
    assert_eq!((asked.status, &asked.body), (202, &json!({ "status": "check_your_email" })));
    let message = app.nth_mail("password_reset", 1).await;
    let (name, _) = app.mail("password_reset").remove(0);
    assert!(name.ends_with(".eml") && name.starts_with(&app.clock_now().to_string()), "{name}");
    assert!(message.contains("To: ada@example.com") && message.contains("Subject: Reset your lanyard password"));
    assert!(message.contains("text/plain") && message.contains("text/html"), "plain text and HTML");
    let token = link_token(&message);
    assert_eq!(token.len(), 43, "256 bits: {token}");
    assert!(message.contains("/reset-password?token="));

    let reset = confirm(&app, &token, NEW).await;
    assert_eq!(reset.status, 200, "{:?}", reset.body);
    assert_eq!(reset.body["user"]["email"], "ada@example.com");
    let cookie = reset.refresh_cookie().expect("this device is signed in");
    assert!(!reset.set_cookie().unwrap().contains("Max-Age=1728000"), "remember_me is false");
    let access = reset.access_token();
    assert_eq!(app.get_with_token("/api/auth/me", &access).await.status, 200);
    assert_eq!(app.refresh_with(&cookie).await.status, 200);

    for other in [&laptop, &phone] {
        let me = app.get_with_token("/api/auth/me", &other.access).await;
        assert_eq!((me.status, &me.body["logout_reason"]), (401, &Value::from("PASSWORD_RESET")));
        assert_eq!(me.body["logout_message"], "Your password was reset.");
    }
    assert_eq!(
        app.post("/api/auth/login", json!({ "email": "ada@example.com", "password": PASSWORD })).await.status,
        401
    );
    app.sign_in_with("ada@example.com", NEW).await;

    let again = confirm(&app, &token, "another reset passphrase").await;
    assert_eq!(
        (again.status, &again.body["error"], &again.body["token_state"]),
        (400, &"TOKEN_INVALID".into(), &"used".into())
    );
    assert_eq!(again.body["message"], "This link was already used.");
    assert_eq!(again.body["logout_reason"], Value::Null);

    let activity = app.get_with_token("/api/auth/activity", &access).await;
    let kinds: Vec<&str> =
        activity.body["events"].as_array().unwrap().iter().filter_map(|e| e["kind"].as_str()).collect();
    assert!(kinds.contains(&"password_reset"), "{kinds:?}");
    let endings =
        activity.body["events"].as_array().unwrap().iter().filter(|e| e["reason"] == "PASSWORD_RESET").count();
    assert_eq!(endings, 2, "both other sessions, in the security activity");
}

async fn every_address_gets_the_same_answer_and_only_a_user_a_mail(db: Db) {
    let app = spawn_app(db).await;
    app.create_user("ada@example.com").await;
    app.engine.create_user("gone@example.com", PASSWORD, lanyard::contract::Role::Owner, "closed").await.unwrap();
    app.cli(&["admin", "account", "status", "--email", "gone@example.com", "cancelled"]);

    let without_id = |mut answer: crate::helpers::Answer| {
        answer.body.as_object_mut().unwrap().remove("request_id");
        (answer.status, answer.body)
    };
    let known = without_id(ask(&app, "ada@example.com").await);
    for other in ["nobody@example.com", "gone@example.com"] {
        assert_eq!(without_id(ask(&app, other).await), known, "{other} is answered as a user is");
    }
    app.nth_mail("password_reset", 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let sent: Vec<String> = app.mail("password_reset").into_iter().map(|(_, text)| text).collect();
    assert_eq!(sent.len(), 1, "a mail only to the active user");
    assert!(sent[0].contains("To: ada@example.com"));
}

async fn a_link_says_why_it_no_longer_works(db: Db) {
    let app = spawn_app(db).await;
    app.create_user("ada@example.com").await;
    let state = |answer: crate::helpers::Answer| {
        assert_eq!((answer.status, &answer.body["error"]), (400, &Value::from("TOKEN_INVALID")), "{:?}", answer.body);
        answer.body["token_state"].as_str().unwrap().to_owned()
    };

    assert_eq!(state(confirm(&app, "not a token", NEW).await), "unknown");
    assert_eq!(state(confirm(&app, &"A".repeat(43), NEW).await), "unknown");

    let first = reset_token(&app, "ada@example.com", 1).await;
    let second = reset_token(&app, "ada@example.com", 2).await;
    let replaced = confirm(&app, &first, NEW).await;
    assert_eq!(replaced.body["message"], "This link was replaced by a newer one.");
    assert_eq!(state(replaced), "replaced");

    app.clock.advance(30 * 60);
    let expired = confirm(&app, &second, NEW).await;
    assert_eq!(expired.body["message"], "This link has expired.");
    assert_eq!(state(expired), "expired");
    app.sign_in("ada@example.com").await;
}

async fn a_weak_password_keeps_the_link(db: Db) {
    let app = spawn_app(db).await;
    app.create_user("ada@example.com").await;
    let token = reset_token(&app, "ada@example.com", 1).await;

    let weak = confirm(&app, &token, "password1").await;
    assert_eq!((weak.status, &weak.body["error"]), (400, &Value::from("WEAK_PASSWORD")));
    assert_eq!(weak.body["message"], "This password is too common.");
    assert_eq!(confirm(&app, &token, NEW).await.status, 200, "the link still works");
}

async fn a_reset_clears_the_sign_in_throttle(db: Db) {
    let app = spawn_app(db).await;
    app.create_user("ada@example.com").await;
    for _ in 0..5 {
        let wrong = app.post("/api/auth/login", json!({ "email": "ada@example.com", "password": "a guess" })).await;
        assert_eq!(wrong.status, 401);
    }
    assert_eq!(app.login("ada@example.com").await.status, 429);

    let token = reset_token(&app, "ada@example.com", 1).await;
    assert_eq!(confirm(&app, &token, NEW).await.status, 200);
    let signed_in = app.post("/api/auth/login", json!({ "email": "ada@example.com", "password": NEW })).await;
    assert_eq!(signed_in.status, 200, "the reset cleared the count: {:?}", signed_in.body);
}

async fn reset_requests_are_throttled_alike_for_every_address(db: Db) {
    let app = spawn_app(db).await;
    app.create_user("ada@example.com").await;
    for email in ["ada@example.com", "nobody@example.com"] {
        for _ in 0..5 {
            assert_eq!(ask(&app, email).await.status, 202);
        }
        let throttled = ask(&app, email).await;
        assert_eq!((throttled.status, &throttled.body["error"]), (429, &Value::from("RATE_LIMITED")), "{email}");
        assert!(throttled.header("retry-after").is_some());
    }
    assert_eq!(ask(&app, "").await.status, 400, "an empty address is a bad request, not a mail");
}
