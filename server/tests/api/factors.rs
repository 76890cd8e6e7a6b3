//! The second factor (SPEC §11) over HTTP: an authenticator app set up and asked for at sign-in,
//! recovery codes used once, wrong codes throttled and never an ending, step-up by code, a reset
//! that commits with the second step, an operator's reset, two instances serving one sign-in, and
//! enrolled secrets readable across rotations of the signing secret. Codes are computed here from
//! the secret, as an app computes them.

use crate::helpers::{Answer, Db, PASSWORD, Signed, TestApp, link_token, spawn_app, spawn_app_with, spawn_on};
use crate::on_both_databases;
use lanyard::engine::AuthError;
use lanyard::engine::testing::{Step, code_at};
use serde_json::{Value, json};
use server::config::Config;

on_both_databases!(
    an_app_is_set_up_and_asked_for_at_sign_in,
    a_code_and_a_sign_in_token_work_once,
    recovery_codes_work_once,
    wrong_codes_are_throttled_and_end_nothing,
    a_second_step_that_fails_on_our_side_loses_nothing,
    step_up_by_code_then_turning_the_app_off,
    a_reset_for_a_second_factor_user_commits_with_the_second_step,
    an_operator_removes_every_factor,
    two_instances_serve_the_two_steps,
    enrolled_secrets_outlive_rotations_of_the_signing_secret,
    passkey_calls_refuse_what_no_authenticator_made,
);

const EMAIL: &str = "ada@example.com";

/// Sets up and confirms an app for `signed`; returns its secret and the recovery codes.
async fn turn_on_app(app: &TestApp, signed: &Signed) -> (String, Vec<String>) {
    let setup = app.post_with_token("/api/auth/mfa/totp/setup", &signed.access, json!({})).await;
    assert_eq!(setup.status, 200, "{:?}", setup.body);
    let secret = setup.body["secret"].as_str().unwrap().to_owned();
    let code = code_at(&secret, app.clock_now());
    let confirmed = app.post_with_token("/api/auth/mfa/totp/confirm", &signed.access, json!({ "code": code })).await;
    assert_eq!(confirmed.status, 200, "{:?}", confirmed.body);
    let codes = confirmed.body["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned());
    (secret, codes.collect())
}

/// A code the app shows at `at` that is not `code`'s: a wrong code.
fn wrong(code: &str) -> String {
    format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000)
}

async fn first_step(app: &TestApp, body: Value) -> Answer {
    let answer = app.post("/api/auth/login", body).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(answer.body["mfa_required"], true, "{:?}", answer.body);
    answer
}

async fn second_step(app: &TestApp, token: &Value, factor: Value) -> Answer {
    let mut body = json!({ "mfa_token": token });
    body.as_object_mut().unwrap().extend(factor.as_object().unwrap().clone());
    app.post("/api/auth/login/mfa", body).await
}

fn activity_kinds(activity: &Answer) -> Vec<String> {
    activity.body["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_owned()).collect()
}

async fn an_app_is_set_up_and_asked_for_at_sign_in(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in(EMAIL).await;
    let setup = app.post_with_token("/api/auth/mfa/totp/setup", &ada.access, json!({})).await;
    assert_eq!(setup.status, 200);
    let secret = setup.body["secret"].as_str().unwrap();
    assert!(setup.body["otpauth_uri"].as_str().unwrap().starts_with("otpauth://totp/lanyard:ada%40example.com?"));
    assert!(setup.body["qr_svg"].as_str().unwrap().contains("<svg"));
    assert_eq!(setup.header("cache-control"), Some("no-store"));
    let status = app.get_with_token("/api/auth/mfa", &ada.access).await;
    assert_eq!(status.body["totp"], false, "not on before its first code");

    let now = app.clock_now();
    let code = code_at(secret, now);
    let refused = app.post_with_token("/api/auth/mfa/totp/confirm", &ada.access, json!({ "code": wrong(&code) })).await;
    assert_eq!((refused.status, &refused.body["error"]), (403, &json!("INVALID_MFA_CODE")), "never 401");
    let confirmed = app.post_with_token("/api/auth/mfa/totp/confirm", &ada.access, json!({ "code": code })).await;
    assert_eq!(confirmed.status, 200, "{:?}", confirmed.body);
    let codes = confirmed.body["recovery_codes"].as_array().unwrap();
    assert_eq!(codes.len(), 10);
    let status = app.get_with_token("/api/auth/mfa", &ada.access).await;
    assert_eq!((&status.body["totp"], &status.body["recovery_codes_left"]), (&json!(true), &json!(10)));
    assert_eq!(app.get_with_token("/api/auth/me", &ada.access).await.status, 200, "turning it on ends nothing");

    let body = json!({ "email": EMAIL, "password": PASSWORD, "remember_me": true, "device_id": "laptop-1" });
    let first = first_step(&app, body).await;
    assert_eq!(first.body["methods"], json!(["totp", "recovery_code"]));
    assert!(first.body.get("passkey_options").is_none());
    assert_eq!(first.set_cookie(), None, "no session yet");
    assert_eq!(first.header("x-session-user"), None);
    assert_eq!(first.body.get("access_token"), None);

    let token = &first.body["mfa_token"];
    let code = code_at(secret, app.clock_now());
    let refused = second_step(&app, token, json!({ "code": wrong(&code) })).await;
    assert_eq!(refused.status, 401);
    assert_eq!((&refused.body["error"], &refused.body["logout_reason"]), (&json!("INVALID_MFA_CODE"), &Value::Null));
    app.clock.advance(30);
    let code = code_at(secret, app.clock_now());
    let signed_in = second_step(&app, token, json!({ "code": code })).await;
    assert_eq!(signed_in.status, 200, "the same token tries again: {:?}", signed_in.body);
    assert!(signed_in.set_cookie().unwrap().contains("Max-Age=1728000"), "remember_me comes from the first step");
    assert!(signed_in.header("x-session-user").is_some());
    assert_eq!(signed_in.body.get("recovery_codes_left"), None);
    let sessions = app.get_with_token("/api/auth/sessions", &signed_in.access_token()).await;
    let current = sessions.body["active"].as_array().unwrap().iter().find(|s| s["current"] == true).unwrap();
    assert_eq!(current["device_id"], "laptop-1", "the device comes from the first step");

    let kinds = activity_kinds(&app.get_with_token("/api/auth/activity", &ada.access).await);
    assert!(kinds.contains(&"mfa_enabled".to_owned()), "{kinds:?}");
}

async fn a_code_and_a_sign_in_token_work_once(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in(EMAIL).await;
    let (secret, _) = turn_on_app(&app, &ada).await;
    app.clock.advance(30);
    let code = code_at(&secret, app.clock_now());

    let first = first_step(&app, json!({ "email": EMAIL, "password": PASSWORD })).await;
    assert_eq!(second_step(&app, &first.body["mfa_token"], json!({ "code": code })).await.status, 200);
    let used = second_step(&app, &first.body["mfa_token"], json!({ "code": code })).await;
    assert_eq!((used.status, &used.body["error"]), (401, &json!("MFA_TOKEN_EXPIRED")));

    let again = first_step(&app, json!({ "email": EMAIL, "password": PASSWORD })).await;
    let replayed = second_step(&app, &again.body["mfa_token"], json!({ "code": code })).await;
    assert_eq!((replayed.status, &replayed.body["error"]), (401, &json!("INVALID_MFA_CODE")), "a code works once");

    app.clock.advance(301);
    let code = code_at(&secret, app.clock_now());
    let expired = second_step(&app, &again.body["mfa_token"], json!({ "code": code })).await;
    assert_eq!((expired.status, &expired.body["error"]), (401, &json!("MFA_TOKEN_EXPIRED")), "five minutes");
    for garbage in [json!("not a token"), json!("x".repeat(43))] {
        let answer = second_step(&app, &garbage, json!({ "code": code })).await;
        assert_eq!((answer.status, &answer.body["error"]), (401, &json!("MFA_TOKEN_EXPIRED")));
    }
    let fresh = first_step(&app, json!({ "email": EMAIL, "password": PASSWORD })).await;
    let both = second_step(&app, &fresh.body["mfa_token"], json!({ "code": code, "recovery_code": "x" })).await;
    assert_eq!(both.status, 400, "one factor at a time");
    assert_eq!(second_step(&app, &fresh.body["mfa_token"], json!({ "code": code })).await.status, 200);
}

async fn recovery_codes_work_once(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in(EMAIL).await;
    let (_, codes) = turn_on_app(&app, &ada).await;
    let first = first_step(&app, json!({ "email": EMAIL, "password": PASSWORD })).await;
    let typed = format!("  {} ", codes[3].to_uppercase());
    let signed_in = second_step(&app, &first.body["mfa_token"], json!({ "recovery_code": typed })).await;
    assert_eq!(signed_in.status, 200, "{:?}", signed_in.body);
    assert_eq!(signed_in.body["recovery_codes_left"], 9);

    let again = first_step(&app, json!({ "email": EMAIL, "password": PASSWORD })).await;
    let reused = second_step(&app, &again.body["mfa_token"], json!({ "recovery_code": codes[3] })).await;
    assert_eq!((reused.status, &reused.body["error"]), (401, &json!("INVALID_MFA_CODE")));
    let kinds = activity_kinds(&app.get_with_token("/api/auth/activity", &signed_in.access_token()).await);
    assert!(kinds.contains(&"recovery_code_used".to_owned()), "{kinds:?}");
}

async fn wrong_codes_are_throttled_and_end_nothing(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in(EMAIL).await;
    let (secret, _) = turn_on_app(&app, &ada).await;
    let first = first_step(&app, json!({ "email": EMAIL, "password": PASSWORD })).await;
    let token = &first.body["mfa_token"];
    app.clock.advance(30);
    let code = code_at(&secret, app.clock_now());
    for attempt in 1..=5 {
        let refused = second_step(&app, token, json!({ "code": wrong(&code) })).await;
        assert_eq!(refused.status, 401, "attempt {attempt}: {:?}", refused.body);
    }
    let throttled = second_step(&app, token, json!({ "code": code })).await;
    assert_eq!((throttled.status, &throttled.body["error"]), (429, &json!("RATE_LIMITED")));
    assert!(throttled.header("retry-after").is_some());
    let reauth = app.post_with_token("/api/auth/reauth", &ada.access, json!({ "code": code })).await;
    assert_eq!(reauth.status, 429, "step-up shares the throttle");
    assert_eq!(app.get_with_token("/api/auth/me", &ada.access).await.status, 200, "no session ended");
    assert_eq!(app.refresh_with(&ada.refresh).await.status, 200);
}

/// A database that fails as the second step commits: 503 with Retry-After, nothing written, and the
/// same sign-in token and code sign in once it answers again.
async fn a_second_step_that_fails_on_our_side_loses_nothing(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in(EMAIL).await;
    let (secret, codes) = turn_on_app(&app, &ada).await;
    let first = first_step(&app, json!({ "email": EMAIL, "password": PASSWORD })).await;
    let token = &first.body["mfa_token"];
    app.clock.advance(30);
    let code = code_at(&secret, app.clock_now());
    for factor in [json!({ "code": code }), json!({ "recovery_code": codes[0] })] {
        app.engine.hooks().fail(Step::SecondStepWritten, AuthError::Unavailable("the commit failed".into()));
        let failed = second_step(&app, token, factor.clone()).await;
        assert_eq!(failed.status, 503, "{:?}", failed.body);
        assert_eq!(failed.body["logout_reason"], Value::Null);
        assert!(failed.header("retry-after").is_some());
        assert_eq!(failed.set_cookie(), None);
    }
    let status = app.get_with_token("/api/auth/mfa", &ada.access).await;
    assert_eq!(status.body["recovery_codes_left"], 10, "no recovery code was spent");
    let signed_in = second_step(&app, token, json!({ "code": code })).await;
    assert_eq!(signed_in.status, 200, "the same token and code, once lanyard answers: {:?}", signed_in.body);
    assert_eq!(app.get_with_token("/api/auth/me", &ada.access).await.status, 200);
}

async fn step_up_by_code_then_turning_the_app_off(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in(EMAIL).await;
    let (secret, _) = turn_on_app(&app, &ada).await;
    app.clock.advance(601);
    let refresh = app.refresh_with(&ada.refresh).await;
    let access = refresh.access_token();
    let disable = app.post_with_token("/api/auth/mfa/totp/disable", &access, json!({})).await;
    assert_eq!((disable.status, &disable.body["error"]), (403, &json!("REAUTH_REQUIRED")));

    let code = code_at(&secret, app.clock_now());
    let wrong_code = app.post_with_token("/api/auth/reauth", &access, json!({ "code": wrong(&code) })).await;
    assert_eq!((wrong_code.status, &wrong_code.body["error"]), (403, &json!("INVALID_MFA_CODE")));
    assert_eq!(wrong_code.body["logout_reason"], Value::Null);
    let reauth = app.post_with_token("/api/auth/reauth", &access, json!({ "code": code })).await;
    assert_eq!(reauth.status, 200, "{:?}", reauth.body);
    assert_eq!(reauth.body["reauth_until"], app.clock_now() + 600);
    let twice = app.post_with_token("/api/auth/reauth", &access, json!({ "code": code })).await;
    assert_eq!(twice.status, 403, "the code was used");

    assert_eq!(app.post_with_token("/api/auth/mfa/totp/disable", &access, json!({})).await.status, 200);
    let status = app.get_with_token("/api/auth/mfa", &access).await;
    assert_eq!((&status.body["totp"], &status.body["recovery_codes_left"]), (&json!(false), &json!(0)));
    let plain = app.login(EMAIL).await;
    assert_eq!((plain.status, plain.body.get("mfa_required")), (200, None), "a password alone signs in again");
    assert_eq!(app.get_with_token("/api/auth/me", &access).await.status, 200, "turning it off ends nothing");
    let kinds = activity_kinds(&app.get_with_token("/api/auth/activity", &access).await);
    assert!(kinds.contains(&"mfa_disabled".to_owned()) && kinds.contains(&"reauth".to_owned()), "{kinds:?}");
}

async fn a_reset_for_a_second_factor_user_commits_with_the_second_step(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in(EMAIL).await;
    let (secret, _) = turn_on_app(&app, &ada).await;
    assert_eq!(app.post("/api/auth/password_reset", json!({ "email": EMAIL })).await.status, 202);
    let token = link_token(&app.nth_mail("password_reset", 1).await);
    let body = json!({ "token": token, "new_password": "a reset passphrase" });
    let first = app.post("/api/auth/password_reset/confirm", body).await;
    assert_eq!((first.status, &first.body["mfa_required"]), (200, &json!(true)), "{:?}", first.body);
    assert_eq!(first.set_cookie(), None);
    assert_eq!(app.get_with_token("/api/auth/me", &ada.access).await.status, 200, "nothing committed yet");
    first_step(&app, json!({ "email": EMAIL, "password": PASSWORD })).await;

    app.clock.advance(30);
    let code = code_at(&secret, app.clock_now());
    let done = second_step(&app, &first.body["mfa_token"], json!({ "code": code })).await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    let me = app.get_with_token("/api/auth/me", &ada.access).await;
    assert_eq!((me.status, &me.body["logout_reason"]), (401, &json!("PASSWORD_RESET")));
    assert_eq!(app.login(EMAIL).await.status, 401, "the old password is gone");
    let first = first_step(&app, json!({ "email": EMAIL, "password": "a reset passphrase" })).await;
    assert_eq!(first.body["methods"], json!(["totp", "recovery_code"]));
}

async fn an_operator_removes_every_factor(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in(EMAIL).await;
    turn_on_app(&app, &ada).await;
    let printed = app.cli(&["admin", "mfa", "reset", "--email", EMAIL]);
    assert!(printed.contains("removed the second factors of ada@example.com"), "{printed}");
    let plain = app.login(EMAIL).await;
    assert_eq!((plain.status, plain.body.get("mfa_required")), (200, None));
    assert_eq!(app.get_with_token("/api/auth/me", &ada.access).await.status, 200, "sessions are kept");
    // The command runs on the system's clock, not the test's: its record is read directly.
    let (recorded,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM lanyard_auth_events WHERE kind = 'mfa_reset'")
        .fetch_one(app.engine.database())
        .await
        .unwrap();
    assert_eq!(recorded, 1, "the reset is in the user's security activity");
}

async fn two_instances_serve_the_two_steps(db: Db) {
    let first = spawn_app(db).await;
    let ada = first.signed_in(EMAIL).await;
    let (secret, _) = turn_on_app(&first, &ada).await;
    let second = spawn_on(first.db.clone(), |_| {}).await;
    let step = first_step(&first, json!({ "email": EMAIL, "password": PASSWORD })).await;
    second.clock.advance(30);
    let code = code_at(&secret, second.clock_now());
    let done = second_step(&second, &step.body["mfa_token"], json!({ "code": code })).await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    first.clock.advance(30);
    let again = first_step(&first, json!({ "email": EMAIL, "password": PASSWORD })).await;
    let replayed = second_step(&first, &again.body["mfa_token"], json!({ "code": code })).await;
    assert_eq!(replayed.status, 401, "the other instance's use counts here");
}

fn secret(current: &'static str, previous: &'static [&'static str]) -> impl FnOnce(&mut Config) {
    move |config| {
        config.secret = Some(current.into());
        config.secret_previous = previous.iter().map(|s| (*s).into()).collect();
    }
}

const FIRST: &str = "the first signing secret of this deployment";
const SECOND: &str = "the second signing secret of this deployment";
const THIRD: &str = "the third signing secret of this deployment";

async fn key_of(app: &TestApp) -> String {
    let (key,): (String,) =
        sqlx::query_as("SELECT key_id FROM lanyard_totp").fetch_one(app.engine.database()).await.unwrap();
    key
}

async fn enrolled_secrets_outlive_rotations_of_the_signing_secret(db: Db) {
    let app = spawn_app_with(db, secret(FIRST, &[])).await;
    let ada = app.signed_in(EMAIL).await;
    let (totp, _) = turn_on_app(&app, &ada).await;
    let sealed_first = key_of(&app).await;
    let db = app.db.clone();
    drop(app);

    // Each restart re-seals under its current key, so a third secret still reads the app.
    let app = spawn_on(db.clone(), secret(SECOND, &[FIRST])).await;
    assert_ne!(key_of(&app).await, sealed_first, "re-sealed at start");
    drop(app);
    let app = spawn_on(db.clone(), secret(THIRD, &[SECOND])).await;
    app.clock.advance(30);
    let first = first_step(&app, json!({ "email": EMAIL, "password": PASSWORD })).await;
    let code = code_at(&totp, app.clock_now());
    assert_eq!(second_step(&app, &first.body["mfa_token"], json!({ "code": code })).await.status, 200);
    drop(app);

    // A secret no key opens stops the start rather than lock its user out.
    let mut config = Config::for_tests(&db.url);
    secret(FIRST, &[])(&mut config);
    let clock = lanyard::engine::ManualClock::starting_at(1_800_000_000);
    let refused = lanyard::server::connect(&config.lanyard, std::sync::Arc::new(clock)).await;
    let error = refused.err().expect("the start is refused");
    let chain: Vec<String> =
        std::iter::successors(Some(&error as &dyn std::error::Error), |e| e.source()).map(|e| e.to_string()).collect();
    assert!(chain.join(": ").contains("LANYARD_SECRET_PREVIOUS"), "{chain:?}");
}

/// What only a browser's authenticator can make is checked here for its refusals: every garbage
/// credential is a clear 4xx (403 with a bearer, 401 without), never a 500 and never an ending, and
/// the options name `localhost` as the relying party on a loopback address.
async fn passkey_calls_refuse_what_no_authenticator_made(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in(EMAIL).await;
    let options = app.post_with_token("/api/auth/passkeys/register/start", &ada.access, json!({})).await;
    assert_eq!(options.status, 200, "{:?}", options.body);
    let public_key = &options.body["publicKey"];
    assert_eq!(public_key["rp"]["id"], "localhost");
    assert_eq!(public_key["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(public_key["authenticatorSelection"]["userVerification"], "required");
    assert_ne!(public_key["user"]["id"], json!(ada.user_id), "the user handle is no user id");

    let garbage = [
        json!("not a credential"),
        json!({ "id": "x", "rawId": "x", "type": "public-key", "response": {} }),
        json!({ "id": "x", "rawId": "eA", "type": "public-key",
                "response": { "attestationObject": "eA", "clientDataJSON": "eyJjaGFsbGVuZ2UiOiJ4In0" } }),
    ];
    for credential in &garbage {
        let body = json!({ "credential": credential, "name": "laptop" });
        let refused = app.post_with_token("/api/auth/passkeys/register/finish", &ada.access, body).await;
        assert_eq!((refused.status, &refused.body["error"]), (403, &json!("INVALID_MFA_CODE")), "{credential}");
        let refused = app.post("/api/auth/passkeys/login/finish", json!({ "credential": credential })).await;
        assert_eq!((refused.status, &refused.body["error"]), (401, &json!("INVALID_MFA_CODE")), "{credential}");
        assert_eq!(refused.body["logout_reason"], Value::Null);
    }
    let sign_in = app.post("/api/auth/passkeys/login/start", json!({})).await;
    assert_eq!(sign_in.status, 200);
    assert_eq!(sign_in.body["publicKey"]["rpId"], "localhost");
    assert!(sign_in.body.get("mediation").is_none(), "asked by a button, not by autofill");

    let no_passkey = app.post_with_token("/api/auth/reauth/start", &ada.access, json!({})).await;
    assert_eq!(no_passkey.status, 404);
    let unknown = app.post_with_token("/api/auth/passkeys/delete", &ada.access, json!({ "id": "nope" })).await;
    assert_eq!(unknown.status, 404);
    let listed = app.get_with_token("/api/auth/passkeys", &ada.access).await;
    assert_eq!(listed.body, json!({ "passkeys": [] }));
    assert_eq!(app.get_with_token("/api/auth/me", &ada.access).await.status, 200, "nothing ended");
}
