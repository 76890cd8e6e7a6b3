//! Each code of SPEC §2 that the server raises, produced by the real situation, and the token attacks.

use crate::helpers::{Db, eventually, spawn_app, spawn_app_with};
use crate::on_both_databases;
use lanyard::contract::Role;
use lanyard::engine::testing::{Claims, Keys};
use serde_json::json;
use std::time::Duration;

on_both_databases!(
    a_suspended_account_ends_the_session_with_path_and_context,
    a_cancelled_account_ends_the_session_and_refuses_sign_in,
    a_lapsed_plan_answers_402_and_keeps_the_session,
    the_plan_comes_before_the_role,
    a_viewer_is_refused_the_admin_page_and_stays_signed_in,
    the_lifetime_is_absolute_and_remember_me_extends_it,
    an_idle_timeout_ends_the_session_only_when_configured,
    a_refresh_after_the_idle_timeout_ends_the_session,
    a_user_without_an_account_is_signed_out,
    a_session_moved_to_another_account_is_contaminated,
    a_token_for_another_user_is_contaminated,
    forged_and_malformed_tokens_are_401,
);

async fn a_suspended_account_ends_the_session_with_path_and_context(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    assert_eq!(app.get_with_token("/api/auth/me", &ada.access).await.status, 200);

    app.cli(&["admin", "account", "status", "--email", "ada@example.com", "suspended"]);

    let ended = eventually(Duration::from_secs(1), || async {
        app.get_with_token("/api/auth/me", &ada.access).await.status == 401
    })
    .await;
    assert!(ended, "the running server sees the suspension within 1 s");
    let request = app.http.get(app.url("/api/auth/me")).bearer_auth(&ada.access).header("x-page-path", "/billing");
    let answer = app.send(request).await;
    assert_eq!(answer.body["logout_reason"], "ACCOUNT_SUSPENDED");
    assert_eq!(answer.body["logout_message"], "Your account is suspended.");
    assert_eq!(answer.body["logout_path"], "/billing");
    assert_eq!(answer.body["logout_context"]["session_id"], ada.session_id.as_str());
    assert_eq!(answer.body["logout_context"]["user_id"], ada.user_id.as_str());
    assert_eq!(app.refresh_with(&ada.refresh).await.body["logout_reason"], "ACCOUNT_SUSPENDED");

    app.cli(&["admin", "account", "status", "--email", "ada@example.com", "active"]);
    assert_eq!(app.login("ada@example.com").await.status, 200, "re-activated, the user signs in again");
}

async fn a_cancelled_account_ends_the_session_and_refuses_sign_in(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;

    app.cli(&["admin", "account", "status", "--email", "ada@example.com", "cancelled"]);

    let ended = eventually(Duration::from_secs(1), || async {
        app.get_with_token("/api/auth/me", &ada.access).await.body["logout_reason"] == "ACCOUNT_CANCELLED"
    })
    .await;
    assert!(ended);
    let login = app.login("ada@example.com").await;
    assert_eq!(login.status, 401);
    assert_eq!(login.body["logout_reason"], "ACCOUNT_CANCELLED");
}

async fn a_lapsed_plan_answers_402_and_keeps_the_session(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;

    for (plan, code) in [("inactive", "PLAN_INACTIVE"), ("none", "PLAN_MISSING")] {
        app.cli(&["admin", "account", "plan", "--email", "ada@example.com", plan]);
        let refused = eventually(Duration::from_secs(1), || async {
            app.get_with_token("/api/auth/me", &ada.access).await.body["logout_reason"] == code
        })
        .await;
        assert!(refused, "{code}");
        let me = app.get_with_token("/api/auth/me", &ada.access).await;
        assert_eq!(me.status, 402);
        assert_eq!(me.header("x-session-user"), Some(ada.user_id.as_str()), "a 402 passed authentication");
        let named = &me.body["logout_context"]["user"];
        assert_eq!((&named["id"], &named["email"]), (&json!(ada.user_id), &json!("ada@example.com")), "{named}");
        let billing = app.get_with_token("/api/billing/status", &ada.access).await;
        assert_eq!(billing.status, 200, "billing status has no plan check");
        assert_eq!(billing.body["plan_status"], plan);
        let refresh = app.refresh_with(&ada.refresh).await;
        assert_eq!(refresh.status, 200, "the session is kept: {:?}", refresh.body);
    }
}

async fn the_plan_comes_before_the_role(db: Db) {
    let app = spawn_app(db).await;
    let viewer = app.signed_in_as("val@example.com", Role::Viewer, "acme").await;
    app.cli(&["admin", "account", "plan", "--email", "val@example.com", "inactive"]);

    let refused = eventually(Duration::from_secs(1), || async {
        app.get_with_token("/api/admin/overview", &viewer.access).await.status == 402
    })
    .await;
    assert!(refused, "a viewer on a lapsed plan gets 402, not 403");
}

async fn a_viewer_is_refused_the_admin_page_and_stays_signed_in(db: Db) {
    let app = spawn_app(db).await;
    let viewer = app.signed_in_as("val@example.com", Role::Viewer, "acme").await;
    let owner = app.signed_in_as("olga@example.com", Role::Owner, "acme").await;

    let refused = app.get_with_token("/api/admin/overview", &viewer.access).await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.body["error"], "FORBIDDEN");
    assert_eq!(refused.body["logout_reason"], serde_json::Value::Null);
    assert_eq!(refused.header("x-session-user"), Some(viewer.user_id.as_str()));
    assert_eq!(app.get_with_token("/api/auth/me", &viewer.access).await.status, 200);

    let overview = app.get_with_token("/api/admin/overview", &owner.access).await;
    assert_eq!(overview.status, 200, "{:?}", overview.body);
    assert_eq!(overview.body["users"], 2);
    assert_eq!(overview.body["active_sessions"], 2);
}

async fn the_lifetime_is_absolute_and_remember_me_extends_it(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    let remembered = app
        .post(
            "/api/auth/login",
            json!({ "email": "ada@example.com", "password": crate::helpers::PASSWORD, "remember_me": true }),
        )
        .await;
    assert_eq!(
        remembered.body["refresh_expires_at"].as_i64().unwrap() - remembered.body["server_time"].as_i64().unwrap(),
        1_728_000
    );
    let cookie = remembered.set_cookie().unwrap();
    assert!(cookie.contains("; Max-Age=1728000"), "the remembered cookie lasts the 20 days: {cookie}");

    let mut refresh = ada.refresh.clone();
    for _ in 0..6 {
        app.clock.advance(86_400);
        let answer = app.refresh_with(&refresh).await;
        assert_eq!(answer.status, 200, "{:?}", answer.body);
        assert!(answer.body["access_expires_at"].as_i64() <= answer.body["refresh_expires_at"].as_i64());
        refresh = answer.refresh_cookie().unwrap();
    }
    app.clock.advance(86_400);
    let expired = app.refresh_with(&refresh).await;
    assert_eq!(expired.status, 401);
    assert_eq!(expired.body["logout_reason"], "SESSION_EXPIRED", "rotation never extends the lifetime");
    let remembered_refresh = app.refresh_with(&remembered.refresh_cookie().unwrap()).await;
    assert_eq!(remembered_refresh.status, 200, "the 20-day session lives on");
    let cookie = remembered_refresh.set_cookie().unwrap();
    assert!(cookie.contains("; Max-Age=1123200"), "a rotated cookie keeps the remaining 13 days: {cookie}");
}

/// RT-07: with an idle timeout, a refresh from a browser idle past it is refused like any other call.
async fn a_refresh_after_the_idle_timeout_ends_the_session(db: Db) {
    let app = spawn_app_with(db, |config| config.idle_timeout = 600).await;
    let ada = app.signed_in("ada@example.com").await;
    let refresh_after_idle = |cookie: &str, idle: u32| {
        app.http
            .post(app.url("/api/auth/refresh"))
            .header("cookie", format!("lanyard_refresh={cookie}"))
            .header("x-user-idle", idle.to_string())
            .json(&json!({}))
    };

    app.clock.advance(599);
    let kept = app.send(refresh_after_idle(&ada.refresh, 599)).await;
    assert_eq!(kept.status, 200, "599 s idle is under the limit: {:?}", kept.body);
    app.clock.advance(601);
    let idle = app.send(refresh_after_idle(&kept.refresh_cookie().unwrap(), 601)).await;
    assert_eq!(idle.status, 401, "{:?}", idle.body);
    assert_eq!(idle.body["logout_reason"], "IDLE_TIMEOUT");
    assert_eq!(app.get_with_token("/api/auth/me", &kept.access_token()).await.body["logout_reason"], "IDLE_TIMEOUT");
}

async fn an_idle_timeout_ends_the_session_only_when_configured(db: Db) {
    let app = spawn_app_with(db, |config| config.idle_timeout = 600).await;
    let ada = app.signed_in("ada@example.com").await;
    let login = app.login("ada@example.com").await;
    assert_eq!(login.body["idle_timeout_secs"], 600);

    let me_after_idle = |idle: u32| {
        app.http.get(app.url("/api/auth/me")).bearer_auth(&ada.access).header("x-user-idle", idle.to_string())
    };
    app.clock.advance(590);
    assert_eq!(app.send(me_after_idle(30)).await.status, 200, "activity in any tab 30 s ago");
    app.clock.advance(500);
    assert_eq!(app.send(me_after_idle(530)).await.status, 200, "530 s idle is under the limit");
    app.clock.advance(80);
    let idle = app.send(me_after_idle(610)).await;
    assert_eq!(idle.status, 401);
    assert_eq!(idle.body["logout_reason"], "IDLE_TIMEOUT");

    let untimed = spawn_app(db).await;
    let bob = untimed.signed_in("bob@example.com").await;
    let answer = untimed
        .send(untimed.http.get(untimed.url("/api/auth/me")).bearer_auth(&bob.access).header("x-user-idle", "86400"))
        .await;
    assert_eq!(answer.status, 200, "idle time alone never ends a session by default");
}

async fn a_user_without_an_account_is_signed_out(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;

    app.sql(&format!("UPDATE lanyard_users SET account_id = NULL WHERE id = '{}'", ada.user_id)).await;

    let me = app.get_with_token("/api/auth/me", &ada.access).await;
    assert_eq!(me.body["logout_reason"], "ACCOUNT_MISSING");
    assert_eq!(me.body["logout_message"], "No account is configured for this user.");
}

async fn a_session_moved_to_another_account_is_contaminated(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    app.sql(
        "INSERT INTO lanyard_accounts (id, name, status, plan, created_at) VALUES ('other', 'other', 'active', 'active', 0)",
    )
    .await;
    app.sql(&format!("UPDATE lanyard_users SET account_id = 'other' WHERE id = '{}'", ada.user_id)).await;

    let me = app.get_with_token("/api/auth/me", &ada.access).await;
    assert_eq!(me.body["logout_reason"], "SESSION_ACCOUNT_MISMATCH");
}

async fn a_token_for_another_user_is_contaminated(db: Db) {
    let app =
        spawn_app_with(db, |config| config.secret = Some("a test secret of thirty-two bytes, at least".into())).await;
    let ada = app.signed_in("ada@example.com").await;
    let bob = app.signed_in("bob@example.com").await;
    let now = app.clock_now();

    let crossed = Keys::derive("a test secret of thirty-two bytes, at least")
        .sign_access(&bob.user_id, &ada.session_id, now, now + 60)
        .unwrap();
    let me = app.get_with_token("/api/auth/me", &crossed).await;

    assert_eq!(me.status, 401);
    assert_eq!(me.body["logout_reason"], "SESSION_USER_MISMATCH");
}

async fn forged_and_malformed_tokens_are_401(db: Db) {
    let app =
        spawn_app_with(db, |config| config.secret = Some("a test secret of thirty-two bytes, at least".into())).await;
    let ada = app.signed_in("ada@example.com").await;
    let keys = Keys::derive("a test secret of thirty-two bytes, at least");
    let now = app.clock_now();
    let good = keys.verify_access(&ada.access).unwrap();
    let b64 = |s: &str| {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    };
    let claims_json = serde_json::to_string(&good).unwrap();

    let forgeries = [
        format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), b64(&claims_json)),
        Keys::derive("another secret of thirty-two bytes, at least").sign(&good).unwrap(),
        keys.sign(&Claims { typ: "refresh".into(), ..good.clone() }).unwrap(),
        keys.sign(&Claims { aud: "elsewhere".into(), ..good.clone() }).unwrap(),
        keys.sign(&Claims { iat: now + 3_600, ..good.clone() }).unwrap(),
        keys.sign(&Claims { exp: now - 31, ..good.clone() }).unwrap(),
        keys.sign(&json!({ "iss": "lanyard", "aud": "lanyard", "sub": good.sub, "sid": good.sid, "jti": "j", "iat": now, "exp": "soon", "typ": "access" })).unwrap(),
        keys.sign(&json!({ "iss": "lanyard", "aud": "lanyard", "sub": good.sub, "jti": "j", "iat": now, "exp": now + 60, "typ": "access" })).unwrap(),
    ];
    for forged in &forgeries {
        let answer = app.get_with_token("/api/auth/me", forged).await;
        assert_eq!(answer.status, 401, "{forged}: {:?}", answer.body);
        assert_eq!(answer.body["error"], "ACCESS_TOKEN_INVALID");
        assert_eq!(answer.body["logout_reason"], serde_json::Value::Null);
    }
    let within_leeway = keys.sign(&Claims { exp: now - 29, ..good.clone() }).unwrap();
    assert_eq!(app.get_with_token("/api/auth/me", &within_leeway).await.status, 200, "30 s leeway");
}
