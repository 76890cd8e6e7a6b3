//! The rest of SPEC §3: diagnostics, billing, jobs, the admin report and the operator CLI.

use crate::helpers::{Db, PASSWORD, spawn_app};
use crate::on_both_databases;
use lanyard::contract::Role;
use serde_json::json;

on_both_databases!(
    diagnostics_show_the_session_and_never_a_token,
    a_job_outlives_its_access_token_and_belongs_to_its_user,
    the_logout_report_counts_endings_by_reason,
    session_health_counts_refreshes_lengths_and_remember_me,
    the_operator_creates_users_and_reports,
    the_operator_gives_a_password_on_standard_input,
    the_hourly_sweep_records_expired_sessions,
);

async fn diagnostics_show_the_session_and_never_a_token(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    let refreshed = app.refresh_with(&ada.refresh).await;

    let answer = app.get_with_token("/api/auth/diagnostics", &refreshed.access_token()).await;

    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(answer.body["session_id"], ada.session_id.as_str());
    assert_eq!(answer.body["rotation_count"], 1);
    assert_eq!(answer.body["plan_status"], "active");
    assert!(answer.body["events"].as_array().unwrap().iter().any(|e| e["kind"] == "refresh"));
    let text = answer.body.to_string();
    for secret in [&ada.access, &ada.refresh, &refreshed.access_token(), &refreshed.refresh_cookie().unwrap()] {
        assert!(!text.contains(secret.as_str()), "diagnostics never carry a token");
    }
}

async fn a_job_outlives_its_access_token_and_belongs_to_its_user(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    let bob = app.signed_in("bob@example.com").await;

    let started = app.post_with_token("/api/jobs/start", &ada.access, json!({})).await;
    assert_eq!(started.status, 200, "{:?}", started.body);
    assert_eq!(started.body["duration_secs"], 20);
    let id = started.body["id"].as_str().unwrap().to_owned();

    app.clock.advance(10);
    let halfway = app.get_with_token(&format!("/api/jobs/status?id={id}"), &ada.access).await;
    assert_eq!(halfway.body["progress"], 50);
    assert_eq!(app.get_with_token(&format!("/api/jobs/status?id={id}"), &bob.access).await.status, 404);

    app.clock.advance(3_600);
    let fresh = app.refresh_with(&ada.refresh).await;
    let done = app.get_with_token(&format!("/api/jobs/status?id={id}"), &fresh.access_token()).await;
    assert_eq!((done.body["progress"].as_i64(), done.body["done"].as_bool()), (Some(100), Some(true)));
}

async fn the_logout_report_counts_endings_by_reason(db: Db) {
    let app = spawn_app(db).await;
    let owner = app.signed_in_as("olga@example.com", Role::Owner, "acme").await;
    let viewer = app.signed_in_as("val@example.com", Role::Viewer, "acme").await;
    let second = app.sign_in("val@example.com").await;
    app.post_with_token("/api/auth/logout", &viewer.access, json!({})).await;
    app.post_with_token("/api/auth/logout_all", &second.access, json!({})).await;

    let report = app.get_with_token("/api/admin/logouts?days=7", &owner.access).await;

    assert_eq!(report.status, 200, "{:?}", report.body);
    let counts = report.body["counts"].as_array().unwrap();
    let count_of = |reason: &str| {
        counts.iter().filter(|c| c["reason"] == reason).map(|c| c["count"].as_i64().unwrap()).sum::<i64>()
    };
    assert_eq!(count_of("MANUAL_LOGOUT"), 1);
    assert_eq!(count_of("LOGOUT_ALL"), 1);
    assert_eq!(app.get_with_token("/api/admin/logouts", &second.access).await.status, 401);
    let viewer_again = app.sign_in("val@example.com").await;
    assert_eq!(app.get_with_token("/api/admin/logouts", &viewer_again.access).await.status, 403);
}

/// Session health counts the account's rotations, replays answered again and reuse refusals, the
/// lengths of ended sessions by band, and sign-ins with and without remember-me; nothing of
/// another account.
async fn session_health_counts_refreshes_lengths_and_remember_me(db: Db) {
    let app = spawn_app(db).await;
    let owner = app.signed_in_as("olga@example.com", Role::Owner, "acme").await;
    let remembered = json!({ "email": "olga@example.com", "password": PASSWORD, "remember_me": true });
    assert_eq!(app.post("/api/auth/login", remembered).await.status, 200);
    let phone = app.sign_in("olga@example.com").await;
    let outsider = app.signed_in_as("gus@example.com", Role::Owner, "globex").await;
    assert_eq!(app.refresh_with(&outsider.refresh).await.status, 200, "another account's refresh");

    let first = app.refresh_with(&owner.refresh).await.refresh_cookie().unwrap();
    assert_eq!(app.refresh_with(&owner.refresh).await.status, 200, "answered again inside the grace window");
    let second = app.refresh_with(&first).await.refresh_cookie().unwrap();
    let taken = app.refresh_with(&phone.refresh).await.refresh_cookie().unwrap();
    assert_eq!(app.refresh_with(&taken).await.status, 200);
    app.clock.advance(60);
    let reused = app.refresh_with(&phone.refresh).await;
    assert_eq!(reused.body["logout_reason"], "REFRESH_TOKEN_REUSED", "refused: the phone lasted 60 s");
    app.clock.advance(7_200);
    let third = app.refresh_with(&second).await;
    assert_eq!(app.post_with_token("/api/auth/logout", &third.access_token(), json!({})).await.status, 200);

    let admin = app.sign_in("olga@example.com").await;
    let health = app.get_with_token("/api/admin/session_health?days=7", &admin.access).await;
    assert_eq!(health.status, 200, "{:?}", health.body);
    let total = |list: &str, field: &str| {
        health.body[list].as_array().unwrap().iter().map(|day| day[field].as_i64().unwrap()).sum::<i64>()
    };
    assert_eq!(
        (total("refreshes", "rotated"), total("refreshes", "replayed"), total("refreshes", "refused")),
        (5, 1, 1),
        "{:?}",
        health.body
    );
    let bands: Vec<(String, i64)> = health.body["lengths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|band| (band["label"].as_str().unwrap().to_owned(), band["sessions"].as_i64().unwrap()))
        .filter(|(_, sessions)| *sessions > 0)
        .collect();
    assert_eq!(bands, [("under 5 min".to_owned(), 1), ("1 to 8 h".to_owned(), 1)]);
    assert_eq!(health.body["lengths"].as_array().unwrap().len(), 6, "every band, empty ones too");
    assert_eq!((total("sign_ins", "remembered"), total("sign_ins", "not_remembered")), (1, 3));

    let viewer = app.signed_in_as("val@example.com", Role::Viewer, "acme").await;
    assert_eq!(app.get_with_token("/api/admin/session_health", &viewer.access).await.status, 403);
    assert_eq!(app.get_with_token("/api/admin/session_health?days=0", &admin.access).await.status, 400);
}

async fn the_operator_creates_users_and_reports(db: Db) {
    let app = spawn_app(db).await;

    let created = app.cli(&[
        "admin",
        "user",
        "create",
        "--email",
        "new@example.com",
        "--password",
        "a long password",
        "--role",
        "admin",
        "--account",
        "fresh",
    ]);
    assert!(created.contains("new@example.com"), "{created}");
    let login = app.post("/api/auth/login", json!({ "email": "new@example.com", "password": "a long password" })).await;
    assert_eq!(login.status, 200, "{:?}", login.body);
    assert_eq!(login.body["user"]["role"], "admin");
    assert_eq!(login.body["user"]["account_name"], "fresh");

    app.cli(&["admin", "user", "create", "--email", "plain@example.com", "--password", "a long password"]);
    let plain =
        app.post("/api/auth/login", json!({ "email": "plain@example.com", "password": "a long password" })).await;
    assert_eq!(
        (plain.body["user"]["role"].as_str(), plain.body["user"]["account_name"].as_str()),
        (Some("viewer"), Some("default"))
    );

    app.cli(&["admin", "sessions", "revoke", "--email", "new@example.com"]);
    let report = app.cli(&["admin", "report", "logouts", "--days", "7"]);
    assert!(report.contains("ADMIN_REVOKED"), "{report}");
}

/// `--password-stdin` reads the password from standard input, so it is in neither the shell's
/// history nor the process list; with `--password` as well, or with nothing piped in, it refuses.
async fn the_operator_gives_a_password_on_standard_input(db: Db) {
    let app = spawn_app(db).await;
    let create = |args: &[&str], stdin: &str| {
        use std::io::Write as _;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
            .args(["admin", "user", "create", "--email", "piped@example.com"])
            .args(args)
            .env("DATABASE_URL", &app.db.url)
            .env("LANYARD_DEMO", "0")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the server binary runs");
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap().status.success()
    };
    assert!(!create(&["--password-stdin", "--password", "a long password"], ""), "one or the other");
    assert!(!create(&["--password-stdin"], ""), "nothing piped in");
    assert!(!create(&["--password-stdin"], "Password123\n"), "a common password, as on every way in");
    assert!(create(&["--password-stdin"], "a piped long password\n"), "the first line, without its ending");
    let login =
        app.post("/api/auth/login", json!({ "email": "piped@example.com", "password": "a piped long password" })).await;
    assert_eq!(login.status, 200, "{:?}", login.body);
}

async fn the_hourly_sweep_records_expired_sessions(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;
    let remembered = app
        .post(
            "/api/auth/login",
            json!({ "email": "ada@example.com", "password": crate::helpers::PASSWORD, "remember_me": true }),
        )
        .await;

    app.clock.advance(7 * 86_400);
    let swept = app.engine.sweep_expired().await.unwrap();

    assert_eq!(swept, 1, "only the 7-day session has run out");
    let remembered_access = remembered.access_token();
    let fresh = app.refresh_with(&remembered.refresh_cookie().unwrap()).await;
    let list = app.get_with_token("/api/auth/sessions", &fresh.access_token()).await;
    let ended = list.body["ended"].as_array().unwrap();
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0]["id"], ada.session_id.as_str());
    assert_eq!(ended[0]["end_reason"], "SESSION_EXPIRED");
    assert_eq!(app.refresh_with(&ada.refresh).await.body["logout_reason"], "SESSION_EXPIRED");
    assert_ne!(remembered_access, fresh.access_token());
}
