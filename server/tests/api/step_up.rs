//! Step-up without sign-out (SPEC §1–§3): a sensitive action needs a password check within the
//! reauth window, counted from the session's last one; without it the answer is 403
//! `REAUTH_REQUIRED` and the session is kept. Also the user's security activity.

use crate::binary::Binary;
use crate::helpers::{Db, PASSWORD, Signed, TestApp, TestDb, exchange, spawn_app};
use crate::on_both_databases;
use lanyard::contract::Role;
use serde_json::{Value, json};

on_both_databases!(
    a_stale_session_is_asked_for_its_password_and_kept,
    the_window_counts_from_the_last_password_check,
    the_role_comes_before_step_up_and_the_account_bounds_it,
    a_wrong_reauth_password_is_throttled_like_sign_in,
    activity_lists_sign_ins_devices_changes_and_endings,
);

const WINDOW: i64 = 600;

/// An activity line as the test compares it: kind, session, reason, current, live.
type Line<'a> = (&'a str, Option<&'a str>, Option<&'a str>, bool, bool);

async fn end_sessions(app: &TestApp, admin: &Signed, user_id: &str) -> crate::helpers::Answer {
    app.post_with_token("/api/admin/users/end_sessions", &admin.access, json!({ "user_id": user_id })).await
}

async fn reauth(app: &TestApp, signed: &Signed, password: &str) -> crate::helpers::Answer {
    app.post_with_token("/api/auth/reauth", &signed.access, json!({ "password": password })).await
}

/// Ending a user's sessions from `/admin/users` is an operator's action, not the user's: the real
/// binary writes one `[AUTO-LOGOUT]` line per session it ends, with the code, user and session, and
/// the page path escaped.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ending_a_users_sessions_writes_an_auto_logout_line() {
    let db = TestDb::create(Db::Sqlite).await;
    for (email, role) in [("olga@example.com", "owner"), ("val@example.com", "viewer")] {
        let created = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
            .args(["admin", "user", "create", "--email", email, "--password", PASSWORD, "--role", role])
            .args(["--account", "acme"])
            .env("DATABASE_URL", &db.url)
            .env("LANYARD_DEMO", "0")
            .output()
            .unwrap();
        assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    }
    let mut server = Binary::serve(&db, &[]).await;
    let http = reqwest::Client::new();
    let sign_in = |email: &str| {
        let body = json!({ "email": email, "password": PASSWORD });
        exchange(http.post(format!("{}/api/auth/login", server.base)).json(&body))
    };
    let (owner, viewer) = (sign_in("olga@example.com").await, sign_in("val@example.com").await);
    let body = json!({ "user_id": viewer.body["user"]["id"] });
    // A page path is the browser's to send: one with spaces must not forge the line's fields.
    let request = http
        .post(format!("{}/api/admin/users/end_sessions", server.base))
        .bearer_auth(owner.access_token())
        .header("x-page-path", "/admin/users user=forged session=forged");
    let ended = exchange(request.json(&body)).await;
    assert_eq!(ended.status, 200, "{:?}", ended.body);

    let printed = server.stop();
    let session = viewer.body["session_id"].as_str().unwrap();
    let lines: Vec<&str> = printed.lines().filter(|line| line.contains("[AUTO-LOGOUT]")).collect();
    assert_eq!(lines.len(), 1, "{printed}");
    assert!(lines[0].contains("ADMIN_REVOKED") && lines[0].contains(session), "{}", lines[0]);
    assert!(!lines[0].contains("=forged"), "a forged field: {}", lines[0]);
    assert!(lines[0].contains("path=/admin/users%20user%3Dforged%20session%3Dforged"), "{}", lines[0]);
}

async fn a_stale_session_is_asked_for_its_password_and_kept(db: Db) {
    let app = spawn_app(db).await;
    let owner = app.signed_in_as("olga@example.com", Role::Owner, "acme").await;
    let viewer = app.signed_in_as("val@example.com", Role::Viewer, "acme").await;
    let users = app.get_with_token("/api/admin/users", &owner.access).await;
    assert_eq!(users.status, 200, "{:?}", users.body);
    let listed: Vec<(&str, &str, i64)> = users.body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["email"].as_str().unwrap(), u["role"].as_str().unwrap(), u["live_sessions"].as_i64().unwrap()))
        .collect();
    assert_eq!(listed, [("olga@example.com", "owner", 1), ("val@example.com", "viewer", 1)]);

    app.clock.advance(WINDOW + 1);
    let stale = end_sessions(&app, &owner, &viewer.user_id).await;
    assert_eq!(stale.status, 403, "{:?}", stale.body);
    assert_eq!(stale.body["error"], "REAUTH_REQUIRED");
    assert_eq!(stale.body["logout_reason"], Value::Null);
    assert_eq!(stale.body["reauth_path"], "/api/auth/reauth");
    assert_eq!(app.get_with_token("/api/auth/me", &owner.access).await.status, 200, "the session is kept");
    assert_eq!(app.get_with_token("/api/auth/me", &viewer.access).await.status, 200, "nothing was ended");

    let wrong = reauth(&app, &owner, "not the password").await;
    assert_eq!((wrong.status, wrong.body["error"].as_str()), (403, Some("WRONG_PASSWORD")));
    assert_eq!(app.get_with_token("/api/auth/me", &owner.access).await.status, 200, "a wrong password ends nothing");
    let confirmed = reauth(&app, &owner, PASSWORD).await;
    assert_eq!(confirmed.status, 200, "{:?}", confirmed.body);
    assert_eq!(confirmed.body["reauth_until"], app.clock_now() + WINDOW);

    let done = end_sessions(&app, &owner, &viewer.user_id).await;
    assert_eq!((done.status, done.body["ended"].as_i64()), (200, Some(1)), "{:?}", done.body);
    assert_eq!(app.get_with_token("/api/auth/me", &viewer.access).await.body["logout_reason"], "ADMIN_REVOKED");
    assert_eq!(app.get_with_token("/api/auth/me", &owner.access).await.status, 200);
    let after = app.get_with_token("/api/admin/users", &owner.access).await;
    assert_eq!(after.body["users"][1]["live_sessions"], 0);
}

async fn the_window_counts_from_the_last_password_check(db: Db) {
    let app = spawn_app(db).await;
    let owner = app.signed_in_as("olga@example.com", Role::Owner, "acme").await;
    app.clock.advance(WINDOW - 100);
    assert_eq!(reauth(&app, &owner, PASSWORD).await.status, 200);
    app.clock.advance(WINDOW - 100);
    assert_eq!(end_sessions(&app, &owner, "no-such-user").await.status, 404, "fresh: 1,000 s after sign-in");

    app.clock.advance(WINDOW);
    assert_eq!(end_sessions(&app, &owner, "no-such-user").await.body["error"], "REAUTH_REQUIRED");
    let changed = app
        .post_with_token(
            "/api/auth/password",
            &owner.access,
            json!({ "current_password": PASSWORD, "new_password": "another long password" }),
        )
        .await;
    assert_eq!(changed.status, 200, "{:?}", changed.body);
    let owner = Signed { access: changed.access_token(), ..owner };
    assert_eq!(end_sessions(&app, &owner, "no-such-user").await.status, 404, "a password change is a check");
}

async fn the_role_comes_before_step_up_and_the_account_bounds_it(db: Db) {
    let app = spawn_app(db).await;
    let owner = app.signed_in_as("olga@example.com", Role::Owner, "acme").await;
    let viewer = app.signed_in_as("val@example.com", Role::Viewer, "acme").await;
    let outsider = app.signed_in_as("gus@example.com", Role::Owner, "globex").await;
    assert_eq!(app.get_with_token("/api/admin/users", &viewer.access).await.body["error"], "FORBIDDEN");

    let foreign = end_sessions(&app, &owner, &outsider.user_id).await;
    assert_eq!(foreign.status, 404, "a user of another account is not found: {:?}", foreign.body);
    assert_eq!(app.get_with_token("/api/auth/me", &outsider.access).await.status, 200);
    let listed = app.get_with_token("/api/admin/users", &owner.access).await;
    assert!(!listed.body.to_string().contains("gus@example.com"), "{:?}", listed.body);

    app.clock.advance(WINDOW + 1);
    let viewer = app.refresh_with(&viewer.refresh).await;
    let refused = app
        .post_with_token("/api/admin/users/end_sessions", &viewer.access_token(), json!({ "user_id": owner.user_id }))
        .await;
    assert_eq!((refused.status, refused.body["error"].as_str()), (403, Some("FORBIDDEN")), "the role first");
}

async fn a_wrong_reauth_password_is_throttled_like_sign_in(db: Db) {
    let app = spawn_app(db).await;
    let owner = app.signed_in_as("olga@example.com", Role::Owner, "acme").await;
    for attempt in 1..=5 {
        let wrong = reauth(&app, &owner, "a wrong guess").await;
        assert_eq!((wrong.status, wrong.body["error"].as_str()), (403, Some("WRONG_PASSWORD")), "attempt {attempt}");
    }
    let throttled = reauth(&app, &owner, PASSWORD).await;
    assert_eq!(throttled.status, 429, "{:?}", throttled.body);
    assert!(throttled.header("retry-after").is_some());
    assert_eq!(app.get_with_token("/api/auth/me", &owner.access).await.status, 200, "never a sign-out");
    let failures: (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM lanyard_auth_events WHERE kind = 'password_check_failed' AND session_id = $1",
    )
    .bind(&owner.session_id)
    .fetch_one(app.engine.database())
    .await
    .unwrap();
    assert_eq!(failures.0, 5, "each wrong password is in the audit trail");
}

async fn activity_lists_sign_ins_devices_changes_and_endings(db: Db) {
    let app = spawn_app(db).await;
    app.create_user("ada@example.com").await;
    let on = |device: &str| json!({ "email": "ada@example.com", "password": PASSWORD, "device_id": device });
    let first = app.post("/api/auth/login", on("laptop")).await;
    app.clock.advance(10);
    let laptop = app.post("/api/auth/login", on("laptop")).await;
    app.clock.advance(10);
    let phone = app.post("/api/auth/login", on("phone")).await;
    app.clock.advance(10);
    let tablet = app.post("/api/auth/login", on("tablet")).await;
    let (laptop_access, laptop_refresh) = (laptop.access_token(), laptop.refresh_cookie().unwrap());
    let session = |answer: &crate::helpers::Answer| answer.body["session_id"].as_str().unwrap().to_owned();
    app.clock.advance(10);
    app.post_with_token("/api/auth/reauth", &laptop_access, json!({ "password": PASSWORD })).await;
    app.clock.advance(10);
    let revoke = json!({ "session_id": session(&first) });
    assert_eq!(app.post_with_token("/api/auth/sessions/revoke", &laptop_access, revoke).await.status, 200);
    let stolen = phone.refresh_cookie().unwrap();
    app.refresh_with(&app.refresh_with(&stolen).await.refresh_cookie().unwrap()).await;
    app.clock.advance(60);
    assert_eq!(app.refresh_with(&stolen).await.body["logout_reason"], "REFRESH_TOKEN_REUSED");
    app.signed_in("bob@example.com").await;

    let activity = app.get_with_token("/api/auth/activity", &laptop_access).await;
    assert_eq!(activity.status, 200, "{:?}", activity.body);
    let events = activity.body["events"].as_array().unwrap();
    let lines: Vec<Line> = events
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap(),
                e["session_id"].as_str(),
                e["reason"].as_str(),
                e["current"].as_bool().unwrap(),
                e["live"].as_bool().unwrap(),
            )
        })
        .collect();
    let (first, laptop, phone, tablet) = (session(&first), session(&laptop), session(&phone), session(&tablet));
    assert_eq!(
        lines,
        [
            ("reuse_blocked", Some(phone.as_str()), Some("REFRESH_TOKEN_REUSED"), false, false),
            ("session_ended", Some(first.as_str()), Some("LOGOUT_OTHER_DEVICE"), false, false),
            ("reauth", Some(laptop.as_str()), None, true, true),
            ("new_device", Some(tablet.as_str()), None, false, true),
            ("new_device", Some(phone.as_str()), None, false, false),
            ("signed_in", Some(laptop.as_str()), None, true, true),
            ("new_device", Some(first.as_str()), None, false, false),
        ],
        "newest first, bob's sign-in not among them"
    );
    assert_eq!(events[3]["device_id"], "tablet");
    assert_eq!(events[3]["ip"], "127.0.0.1");
    assert!(events[3]["user_agent"].is_string());
    assert!(events.windows(2).all(|pair| pair[0]["at"].as_i64() >= pair[1]["at"].as_i64()));

    assert_eq!(app.get_with_token("/api/auth/activity?days=31", &laptop_access).await.status, 400);
    app.clock.advance(2 * 86_400);
    let laptop_now = app.refresh_with(&laptop_refresh).await;
    let recent = app.get_with_token("/api/auth/activity?days=1", &laptop_now.access_token()).await;
    assert_eq!(recent.body["events"].as_array().unwrap().len(), 0, "{:?}", recent.body);
}
