//! Rotating the signing secret (SPEC §1 "signing keys"): a rolling restart of two instances onto a
//! new secret, with the old one listed in `LANYARD_SECRET_PREVIOUS`, signs no one out; an instance
//! that lacks the key a successor was derived with answers 503, never a logout.

use crate::helpers::{Db, spawn_app_with, spawn_on};
use crate::on_both_databases;
use server::config::Config;

on_both_databases!(a_rolling_restart_onto_a_new_secret_ends_no_session);

const OLD: &str = "the secret this deployment started with";
const NEW: &str = "the secret it rotates to, just as long";

fn old_secret(config: &mut Config) {
    config.secret = Some(OLD.into());
}

fn rotated_secret(config: &mut Config) {
    config.secret = Some(NEW.into());
    config.secret_previous = vec![OLD.into()];
}

async fn a_rolling_restart_onto_a_new_secret_ends_no_session(db: Db) {
    let first = spawn_app_with(db, old_secret).await;
    let second = spawn_on(first.db.clone(), old_secret).await;
    let ada = first.signed_in("ada@example.com").await;

    // The second instance restarts first, onto the new secret.
    drop(second);
    let second = spawn_on(first.db.clone(), rotated_secret).await;
    let me = second.get_with_token("/api/auth/me", &ada.access).await;
    assert_eq!(me.status, 200, "a token signed with the previous secret still verifies: {:?}", me.body);
    let rotated = second.refresh_with(&ada.refresh).await;
    assert_eq!(rotated.status, 200, "{:?}", rotated.body);

    // The first instance does not know the new key yet.
    let unknown_key = first.get_with_token("/api/auth/me", &rotated.access_token()).await;
    assert_eq!(unknown_key.status, 401);
    assert_eq!(unknown_key.body["logout_reason"], serde_json::Value::Null, "refresh and retry, not a logout");
    let replay = first.refresh_with(&ada.refresh).await;
    assert_eq!(replay.status, 503, "the successor's key is elsewhere: {:?}", replay.body);
    assert!(replay.header("retry-after").is_some());
    assert_eq!(replay.body["logout_reason"], serde_json::Value::Null);
    let onwards = first.refresh_with(&rotated.refresh_cookie().unwrap()).await;
    assert_eq!(onwards.status, 200, "a first use needs only the current key: {:?}", onwards.body);

    // Then the first instance restarts onto the new secret too.
    drop(first);
    let first = spawn_on(second.db.clone(), rotated_secret).await;
    let replay = first.refresh_with(&ada.refresh).await;
    assert_eq!(replay.status, 200, "the replay is answered now: {:?}", replay.body);
    assert_eq!(replay.refresh_cookie(), rotated.refresh_cookie());
    for app in [&first, &second] {
        let answer = app.refresh_with(&onwards.refresh_cookie().unwrap()).await;
        assert_eq!(answer.status, 200, "{:?}", answer.body);
        assert_eq!(app.get_with_token("/api/auth/me", &answer.access_token()).await.status, 200);
    }
    let (ended,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM lanyard_sessions WHERE ended_at IS NOT NULL")
        .fetch_one(first.engine.database())
        .await
        .unwrap();
    assert_eq!(ended, 0, "no session ended");
}

/// JWT-13: the binary itself refuses a weak secret: it stops before serving, with a message that gives
/// the length and never the secret.
#[test]
fn a_weak_secret_stops_the_server_before_it_serves() {
    let dir = std::env::temp_dir().join(format!("lanyard-weak-secret-{}", std::process::id()));
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .env("DATABASE_URL", format!("sqlite://{}/lanyard.db", dir.display()))
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("LANYARD_SECRET", "hunter2-hunter2")
        .env("LANYARD_DEMO", "0")
        .output()
        .expect("the server binary runs");
    let _ = std::fs::remove_dir_all(dir);
    let printed = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(!output.status.success(), "a 15-byte secret must stop the server: {printed}");
    assert!(printed.contains("at least 32 bytes") && printed.contains("has 15"), "{printed}");
    assert!(!printed.contains("hunter2"), "the message never shows the secret: {printed}");
}
