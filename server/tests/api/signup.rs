//! Sign-up and email verification (SPEC §10): the same answer for every address, sign-in only after
//! the link, a repeated sign-up replacing an unverified one, and sign-up closed unless opened.

use crate::helpers::{Db, PASSWORD, TestApp, link_token, spawn_app, spawn_app_with};
use crate::on_both_databases;
use lanyard::server::{SignupMode, Verification};
use serde_json::{Value, json};
use server::config::Config;

on_both_databases!(
    a_sign_up_signs_in_once_its_link_confirms_the_address,
    every_address_gets_the_same_sign_up_answer,
    a_repeated_sign_up_of_an_unverified_address_replaces_it,
    sign_up_is_closed_unless_open,
    without_verification_a_sign_up_signs_in_at_once,
    the_link_is_sent_again_at_most_once_a_minute,
    a_sign_up_is_checked_before_anything_is_made,
);

const NEW: &str = "a brand new passphrase";

fn open(config: &mut Config) {
    config.signup = SignupMode::Open;
}

async fn sign_up(app: &TestApp, email: &str, password: &str) -> crate::helpers::Answer {
    app.post("/api/auth/signup", json!({ "email": email, "password": password })).await
}

async fn login(app: &TestApp, email: &str, password: &str) -> crate::helpers::Answer {
    app.post("/api/auth/login", json!({ "email": email, "password": password })).await
}

async fn a_sign_up_signs_in_once_its_link_confirms_the_address(db: Db) {
    let app = spawn_app_with(db, open).await;
    let answer = app
        .post("/api/auth/signup", json!({ "email": "new@example.com", "password": NEW, "account_name": "Newco" }))
        .await;
    assert_eq!((answer.status, &answer.body), (202, &json!({ "status": "check_your_email" })));
    let message = app.nth_mail("verify_email", 1).await;
    assert!(message.contains("To: new@example.com") && message.contains("/verify-email?token="));

    let early = login(&app, "new@example.com", NEW).await;
    assert_eq!((early.status, &early.body["error"]), (401, &Value::from("EMAIL_NOT_VERIFIED")), "{:?}", early.body);
    assert_eq!(early.body["logout_reason"], Value::Null, "not an ending");

    let token = link_token(&message);
    let verified = app.post("/api/auth/verify_email", json!({ "token": token })).await;
    assert_eq!((verified.status, &verified.body), (200, &json!({ "email": "new@example.com" })));
    let signed_in = login(&app, "new@example.com", NEW).await;
    assert_eq!(signed_in.status, 200, "{:?}", signed_in.body);
    assert_eq!(
        (&signed_in.body["user"]["role"], &signed_in.body["user"]["account_name"]),
        (&"owner".into(), &"Newco".into())
    );
    let me = app.get_with_token("/api/auth/me", &signed_in.access_token()).await;
    assert_eq!(me.status, 200, "an active account with an active plan");

    let again = app.post("/api/auth/verify_email", json!({ "token": token })).await;
    assert_eq!((again.status, &again.body["token_state"]), (400, &Value::from("used")));
    let activity = app.get_with_token("/api/auth/activity", &signed_in.access_token()).await;
    assert!(activity.body["events"].as_array().unwrap().iter().any(|e| e["kind"] == "email_verified"));
}

async fn every_address_gets_the_same_sign_up_answer(db: Db) {
    let app = spawn_app_with(db, open).await;
    app.create_user("ada@example.com").await;
    let without_id = |mut answer: crate::helpers::Answer| {
        answer.body.as_object_mut().unwrap().remove("request_id");
        (answer.status, answer.body)
    };
    let taken = without_id(sign_up(&app, "ada@example.com", NEW).await);
    let free = without_id(sign_up(&app, "fresh@example.com", NEW).await);
    assert_eq!(taken, free);

    let note = app.nth_mail("signup_existing", 1).await;
    assert!(note.contains("To: ada@example.com") && note.contains("/forgot-password"), "{note}");
    assert!(!note.contains("token="), "the note carries no link token");
    app.nth_mail("verify_email", 1).await;
    assert_eq!(login(&app, "ada@example.com", PASSWORD).await.status, 200, "the existing user's password is kept");
}

async fn a_repeated_sign_up_of_an_unverified_address_replaces_it(db: Db) {
    let app = spawn_app_with(db, open).await;
    assert_eq!(sign_up(&app, "new@example.com", "a first passphrase").await.status, 202);
    let first = link_token(&app.nth_mail("verify_email", 1).await);
    assert_eq!(sign_up(&app, "new@example.com", NEW).await.status, 202);
    let second = link_token(&app.nth_mail("verify_email", 2).await);

    let replaced = app.post("/api/auth/verify_email", json!({ "token": first })).await;
    assert_eq!((replaced.status, &replaced.body["token_state"]), (400, &Value::from("replaced")));
    assert_eq!(app.post("/api/auth/verify_email", json!({ "token": second })).await.status, 200);
    assert_eq!(login(&app, "new@example.com", "a first passphrase").await.status, 401);
    assert_eq!(login(&app, "new@example.com", NEW).await.status, 200, "the second sign-up's password");
}

async fn sign_up_is_closed_unless_open(db: Db) {
    for signup in [None, Some(SignupMode::Invite)] {
        let app = spawn_app_with(db, |config| {
            if let Some(mode) = signup {
                config.signup = mode;
            }
        })
        .await;
        let closed = sign_up(&app, "new@example.com", NEW).await;
        assert_eq!((closed.status, &closed.body["error"]), (403, &Value::from("SIGNUP_CLOSED")), "{signup:?}");
    }
    let app = spawn_app(db).await;
    assert_eq!(app.post("/api/auth/verify_email", json!({ "token": "x" })).await.body["token_state"], "unknown");
}

async fn without_verification_a_sign_up_signs_in_at_once(db: Db) {
    let app = spawn_app_with(db, |config| {
        config.signup = SignupMode::Open;
        config.verify_email = Verification::Off;
    })
    .await;
    let signed_in = sign_up(&app, "new@example.com", NEW).await;
    assert_eq!(signed_in.status, 200, "{:?}", signed_in.body);
    assert!(signed_in.refresh_cookie().is_some());
    assert_eq!(signed_in.body["user"]["account_name"], "new", "the email's local part");
    assert_eq!(app.get_with_token("/api/auth/me", &signed_in.access_token()).await.status, 200);

    let taken = sign_up(&app, "NEW@example.com", NEW).await;
    assert_eq!((taken.status, &taken.body["error"]), (409, &Value::from("EMAIL_TAKEN")));
    let namesake = app
        .post("/api/auth/signup", json!({ "email": "other@example.com", "password": NEW, "account_name": "new" }))
        .await;
    assert_eq!(namesake.body["user"]["account_name"], "new 2", "a taken account name is never joined");
}

async fn the_link_is_sent_again_at_most_once_a_minute(db: Db) {
    let app = spawn_app_with(db, open).await;
    assert_eq!(sign_up(&app, "new@example.com", NEW).await.status, 202);
    app.nth_mail("verify_email", 1).await;
    let resend = |email: &'static str| app.post("/api/auth/verify_email/resend", json!({ "email": email }));

    let answer = resend("new@example.com").await;
    assert_eq!((answer.status, &answer.body), (202, &json!({ "status": "check_your_email" })));
    assert_eq!(resend("nobody@example.com").await.status, 202, "the same for every address");
    app.clock.advance(61);
    assert_eq!(resend("new@example.com").await.status, 202);
    let second = link_token(&app.nth_mail("verify_email", 2).await);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.mail("verify_email").len(), 2, "one within the first minute, one after it");
    assert_eq!(app.post("/api/auth/verify_email", json!({ "token": second })).await.status, 200);
}

async fn a_sign_up_is_checked_before_anything_is_made(db: Db) {
    let app = spawn_app_with(db, open).await;
    let weak = sign_up(&app, "new@example.com", "password1").await;
    assert_eq!((weak.status, &weak.body["error"]), (400, &Value::from("WEAK_PASSWORD")));
    assert_eq!(sign_up(&app, "not an address", NEW).await.status, 400);
    let control = app
        .post("/api/auth/signup", json!({ "email": "new@example.com", "password": NEW, "account_name": "a\u{7}b" }))
        .await;
    assert_eq!(control.status, 400);
    for _ in 0..5 {
        sign_up(&app, "flood@example.com", NEW).await;
    }
    let throttled = sign_up(&app, "flood@example.com", NEW).await;
    assert_eq!((throttled.status, throttled.header("retry-after").is_some()), (429, true));
}
