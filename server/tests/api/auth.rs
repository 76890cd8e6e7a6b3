//! Sign-in, refresh, sign-out and `me` over HTTP, and the answers to bad input.

use crate::helpers::{Db, PASSWORD, TestApp, spawn_app, spawn_on};
use crate::on_both_databases;
use serde_json::json;

on_both_databases!(
    login_answers_tokens_and_a_strict_cookie,
    wrong_password_and_unknown_email_get_the_same_answer,
    me_needs_a_valid_token,
    refresh_rotates_the_cookie,
    logout_ends_the_session_for_both_tokens,
    refresh_without_or_with_a_garbage_cookie_is_refused_cleanly,
    bad_bodies_get_clean_errors,
    a_restart_keeps_the_session,
    emails_are_case_insensitive,
    the_refresh_cookie_is_secure_behind_a_trusted_tls_proxy,
    passwords_are_bounded_in_length_and_never_truncated,
);

/// AUTH-04: 8 to 128 characters for a new password, every character counts, and a sign-in password
/// past 1,024 characters is refused before any hashing.
async fn passwords_are_bounded_in_length_and_never_truncated(db: Db) {
    let app = spawn_app(db).await;
    let sign_in = |email: &'static str, password: String| {
        app.post("/api/auth/login", json!({ "email": email, "password": password }))
    };
    let long: String = "correct-horse-battery-staple-".repeat(3).chars().take(64).collect();
    app.engine.create_user("ada@example.com", &long, lanyard::contract::Role::Owner, "acme").await.unwrap();
    assert_eq!(sign_in("ada@example.com", long.clone()).await.status, 200, "64 characters round-trip");
    let truncated = sign_in("ada@example.com", long[..63].to_owned()).await;
    assert_eq!(truncated.status, 401, "every character counts: {:?}", truncated.body);
    assert_eq!(sign_in("ada@example.com", format!("{long}!")).await.status, 401);

    let ada = app.sign_in_with("ada@example.com", &long).await;
    let change = |new_password: &str| {
        let body = json!({ "current_password": long, "new_password": new_password });
        app.post_with_token("/api/auth/password", &ada.access, body)
    };
    assert_eq!(change("seven77").await.body["error"], "WEAK_PASSWORD", "7 characters are too few");
    assert_eq!(change(&"x".repeat(129)).await.body["error"], "WEAK_PASSWORD", "129 are too many");
    let eight = change("ei9ht-88").await;
    assert_eq!(eight.status, 200, "exactly 8 characters are accepted: {:?}", eight.body);
    assert_eq!(sign_in("ada@example.com", "ei9ht-88".into()).await.status, 200);

    let at_the_cap = sign_in("ada@example.com", "p".repeat(1_024)).await;
    assert_eq!(at_the_cap.status, 401, "1,024 characters are judged: {:?}", at_the_cap.body);
    let over_the_cap = sign_in("ada@example.com", "p".repeat(1_025)).await;
    assert_eq!(over_the_cap.status, 400, "{:?}", over_the_cap.body);
    assert_eq!(over_the_cap.body["error"], "BAD_REQUEST");
}

/// The most common deployment: lanyard on loopback behind a TLS-terminating proxy on the same host.
async fn the_refresh_cookie_is_secure_behind_a_trusted_tls_proxy(db: Db) {
    let trusted =
        crate::helpers::spawn_app_with(db, |config| config.trusted_proxies = vec!["127.0.0.0/8".into()]).await;
    trusted.create_user("ada@example.com").await;
    async fn login(app: &TestApp, proto: Option<&str>) -> crate::helpers::Answer {
        let body = json!({ "email": "ada@example.com", "password": PASSWORD });
        let request = app.http.post(app.url("/api/auth/login")).json(&body);
        app.send(match proto {
            Some(proto) => request.header("x-forwarded-proto", proto),
            None => request,
        })
        .await
    }
    let over_tls = login(&trusted, Some("https")).await;
    assert!(over_tls.set_cookie().unwrap().contains("; Secure"), "{:?}", over_tls.set_cookie());
    assert_eq!(over_tls.header("strict-transport-security"), Some("max-age=31536000; includeSubDomains"));
    let plain = login(&trusted, None).await;
    assert!(!plain.set_cookie().unwrap().contains("Secure"), "plain HTTP on loopback: a developer's machine");

    let untrusted = spawn_on(trusted.db.clone(), |config| config.trusted_proxies = vec!["10.0.0.0/8".into()]).await;
    let claimed = login(&untrusted, Some("https")).await;
    assert!(!claimed.set_cookie().unwrap().contains("Secure"), "only a trusted proxy can say https");
}

async fn login_answers_tokens_and_a_strict_cookie(db: Db) {
    let app = spawn_app(db).await;
    app.create_user("ada@example.com").await;

    let answer = app.login("ada@example.com").await;

    assert_eq!(answer.status, 200, "{:?}", answer.body);
    let now = app.clock_now();
    assert_eq!(answer.body["server_time"], now);
    assert_eq!(answer.body["access_expires_at"], now + 3_600);
    assert_eq!(answer.body["refresh_expires_at"], now + 604_800);
    assert_eq!(answer.body["user"]["email"], "ada@example.com");
    assert_eq!(answer.header("x-session-user"), answer.body["user"]["id"].as_str());
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    let cookie = answer.set_cookie().unwrap();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/api/auth", "Max-Age=604800"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    assert!(!cookie.contains("Secure"), "served on loopback, the cookie is not Secure: {cookie}");
    assert!(!cookie.contains("Domain"), "a host-only cookie, never sent to subdomains: {cookie}");
    assert_eq!(answer.refresh_cookie().unwrap().len(), 43);
}

async fn wrong_password_and_unknown_email_get_the_same_answer(db: Db) {
    let app = spawn_app(db).await;
    app.create_user("ada@example.com").await;

    let wrong = app.post("/api/auth/login", json!({ "email": "ada@example.com", "password": "nope nope" })).await;
    let unknown = app.post("/api/auth/login", json!({ "email": "bob@example.com", "password": "nope nope" })).await;

    assert_eq!(wrong.status, 401);
    let without_request_id = |body: &serde_json::Value| {
        let mut body = body.clone();
        body.as_object_mut().unwrap().remove("request_id").expect("every error body names its request");
        body
    };
    assert_eq!(without_request_id(&wrong.body), without_request_id(&unknown.body));
    assert_eq!(unknown.status, 401);
    assert_eq!(wrong.body["error"], "INVALID_CREDENTIALS");
    assert_eq!(wrong.body["logout_reason"], serde_json::Value::Null);
    assert!(wrong.set_cookie().is_none());
}

async fn me_needs_a_valid_token(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;

    let me = app.get_with_token("/api/auth/me", &ada.access).await;
    assert_eq!(me.status, 200, "{:?}", me.body);
    assert_eq!(me.body["email"], "ada@example.com");
    assert_eq!(me.body["role"], "owner");
    assert_eq!(me.body["account_name"], "acme");
    assert_eq!(me.header("x-session-user"), Some(ada.user_id.as_str()));

    let without = app.send(app.http.get(app.url("/api/auth/me"))).await;
    assert_eq!(without.status, 401);
    assert_eq!(without.body["error"], "ACCESS_TOKEN_INVALID");
    assert_eq!(without.body["logout_reason"], serde_json::Value::Null);

    for garbage in ["garbage", "a.b.c", &format!("{}x", ada.access), &"A".repeat(5000)] {
        let answer = app.get_with_token("/api/auth/me", garbage).await;
        assert_eq!(answer.status, 401, "{garbage}: {:?}", answer.body);
        assert_eq!(answer.body["error"], "ACCESS_TOKEN_INVALID");
    }

    app.clock.advance(3_600 + 31);
    let expired = app.get_with_token("/api/auth/me", &ada.access).await;
    assert_eq!(expired.status, 401);
    assert_eq!(expired.body["logout_reason"], serde_json::Value::Null, "an expired token of a live session");
}

async fn refresh_rotates_the_cookie(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    app.clock.advance(120);

    let answer = app.refresh_with(&ada.refresh).await;

    assert_eq!(answer.status, 200, "{:?}", answer.body);
    let rotated = answer.refresh_cookie().unwrap();
    assert_ne!(rotated, ada.refresh);
    assert_eq!(answer.body["session_id"], ada.session_id.as_str());
    assert_eq!(answer.header("x-session-user"), Some(ada.user_id.as_str()));
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    let cookie = answer.set_cookie().unwrap();
    assert!(cookie.contains(&format!("Max-Age={}", 604_800 - 120)), "{cookie}: the lifetime is absolute");
    let me = app.get_with_token("/api/auth/me", &answer.access_token()).await;
    assert_eq!(me.status, 200);
    let again = app.refresh_with(&rotated).await;
    assert_eq!(again.status, 200, "{:?}", again.body);
}

async fn logout_ends_the_session_for_both_tokens(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;

    let logout = app.send(app.http.post(app.url("/api/auth/logout")).bearer_auth(&ada.access).json(&json!({}))).await;
    assert_eq!(logout.status, 200, "{:?}", logout.body);
    let cleared = logout.set_cookie().unwrap();
    for attribute in ["Max-Age=0", "Path=/api/auth", "HttpOnly", "SameSite=Strict"] {
        assert!(cleared.contains(attribute), "the clearing cookie matches the one it clears: {cleared}");
    }

    let me =
        app.send(app.http.get(app.url("/api/auth/me")).bearer_auth(&ada.access).header("x-page-path", "/jobs")).await;
    assert_eq!(me.status, 401);
    assert_eq!(me.body["logout_reason"], "MANUAL_LOGOUT");
    assert_eq!(me.body["logout_message"], "You signed out.");
    assert_eq!(me.body["logout_path"], "/jobs");
    assert_eq!(me.body["logout_context"]["session_id"], ada.session_id.as_str());

    let refresh = app.refresh_with(&ada.refresh).await;
    assert_eq!(refresh.status, 401);
    assert_eq!(refresh.body["logout_reason"], "MANUAL_LOGOUT");

    let again = app.send(app.http.post(app.url("/api/auth/logout")).bearer_auth(&ada.access).json(&json!({}))).await;
    assert_eq!(again.status, 200, "logout is idempotent");

    let back = app.sign_in("ada@example.com").await;
    assert_ne!(back.session_id, ada.session_id, "signing in again is a new session");
    assert_eq!(app.refresh_with(&ada.refresh).await.body["logout_reason"], "MANUAL_LOGOUT", "the old token stays dead");
    assert_eq!(app.get_with_token("/api/auth/me", &ada.access).await.status, 401);
    assert_eq!(app.get_with_token("/api/auth/me", &back.access).await.status, 200);
}

async fn refresh_without_or_with_a_garbage_cookie_is_refused_cleanly(db: Db) {
    let app = spawn_app(db).await;

    let none = app.post("/api/auth/refresh", json!({})).await;
    assert_eq!(none.status, 401);
    assert_eq!(none.body["logout_reason"], "NO_REFRESH_TOKEN");

    for garbage in ["garbage", "%%%;;", &"A".repeat(43), &"x".repeat(4000)] {
        let answer = app.refresh_with(garbage).await;
        assert_eq!(answer.status, 401, "{garbage}: {:?}", answer.body);
        assert_eq!(answer.body["logout_reason"], "TOKEN_REFRESH_FAILED");
    }
}

async fn bad_bodies_get_clean_errors(db: Db) {
    let app = spawn_app(db).await;
    app.create_user("ada@example.com").await;

    // A 1 MiB sign-in body announced and none of it sent: the 413 comes from the declared length
    // alone, before the server reads a byte. (A client still writing a body that large when the
    // early answer arrives may see a reset instead, so the answer is read over a raw connection.)
    let host = app.base.trim_start_matches("http://").to_owned();
    let head = format!(
        "POST /api/auth/login HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}",
        1024 * 1024
    );
    let too_big = app.raw_exchange(&head).await;
    assert!(too_big.starts_with("HTTP/1.1 413"), "{too_big}");
    assert!(too_big.contains(r#""error":"PAYLOAD_TOO_LARGE""#), "{too_big}");

    let not_json = app
        .send(app.http.post(app.url("/api/auth/login")).header("content-type", "application/json").body("{not json"))
        .await;
    assert_eq!(not_json.status, 400, "{:?}", not_json.body);
    assert_eq!(not_json.body["logout_reason"], serde_json::Value::Null);

    let missing_field = app.post("/api/auth/login", json!({ "email": "ada@example.com" })).await;
    assert_eq!(missing_field.status, 400);

    let unknown_path = app.post("/api/auth/nope", json!({})).await;
    assert_eq!(unknown_path.status, 404);
    assert_eq!(unknown_path.body["error"], "NOT_FOUND");

    let wrong_method = app.send(app.http.get(app.url("/api/auth/login"))).await;
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.body["error"], "METHOD_NOT_ALLOWED");

    let cross_site = app
        .send(app.http.post(app.url("/api/auth/login")).header("origin", "https://evil.example").json(&json!({
            "email": "ada@example.com", "password": PASSWORD
        })))
        .await;
    assert_eq!(cross_site.status, 403);
    assert_eq!(cross_site.body["error"], "ORIGIN_MISMATCH");
}

async fn a_restart_keeps_the_session(db: Db) {
    let first = spawn_app(db).await;
    let ada = first.signed_in("ada@example.com").await;
    let db = first.db.clone();
    drop(first);

    let restarted: TestApp = spawn_on(db, |_| {}).await;
    restarted.clock.advance(60);

    let me = restarted.get_with_token("/api/auth/me", &ada.access).await;
    assert_eq!(me.status, 200, "the access token survives a restart: {:?}", me.body);
    let refresh = restarted.refresh_with(&ada.refresh).await;
    assert_eq!(refresh.status, 200, "{:?}", refresh.body);
}

async fn emails_are_case_insensitive(db: Db) {
    let app = spawn_app(db).await;
    app.create_user("Ada@Example.com").await;

    let answer = app.post("/api/auth/login", json!({ "email": "  ADA@example.COM ", "password": PASSWORD })).await;

    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(answer.body["user"]["email"], "Ada@Example.com");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_carry_the_security_headers() {
    let app = spawn_app(Db::Sqlite).await;

    let page = app.send(app.http.get(app.url("/signin"))).await;

    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").expect("a CSP");
    for directive in ["'wasm-unsafe-eval'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'", "'nonce-"]
    {
        assert!(csp.contains(directive), "{csp} lacks {directive}");
    }
    let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap();
    assert!(
        page.body.as_str().unwrap().contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries the nonce"
    );
    assert_eq!(page.header("referrer-policy"), Some("strict-origin-when-cross-origin"));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("strict-transport-security"), None, "plain HTTP gets no HSTS");
    let missing = app.send(app.http.get(app.url("/no/such/page"))).await;
    assert_eq!(missing.status, 404);
}
