//! lanyard's tables carry the prefix `lanyard_`, and its own migrator records them in
//! `lanyard_migrations`, so an app's own tables and sqlx migrations share the database (SPEC §12).
//! A database made before that (sqlx's migrator and its `_sqlx_migrations`, tables without the
//! prefix) migrates forward with its data.

use crate::helpers::{Db, TestDb, spawn_app, spawn_on};
use crate::on_both_databases;
use sqlx::AnyPool;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use std::borrow::Cow;
use std::sync::Arc;

on_both_databases!(
    a_database_made_before_the_prefix_migrates_forward_with_its_data,
    an_apps_own_sqlx_migrations_share_the_database,
);

/// lanyard's migrations as sqlx embeds them.
fn lanyard_migrations(db: Db) -> Migrator {
    match db {
        Db::Sqlite => sqlx::migrate!("../crates/lanyard-engine/migrations/sqlite"),
        Db::Postgres => sqlx::migrate!("../crates/lanyard-engine/migrations/postgres"),
    }
}

/// The fixture: the migrations as they were before the prefix (versions 1–4), run by sqlx's own
/// migrator, which is how every database was made until then.
fn before_the_prefix(db: Db) -> Migrator {
    let all = lanyard_migrations(db);
    let old: Vec<Migration> = all.iter().filter(|m| m.version <= 4).cloned().collect();
    Migrator { migrations: Cow::Owned(old), ..all }
}

/// An app's own migrations: its version 1 is not lanyard's version 1.
fn the_apps_migrations() -> Migrator {
    let notes = "CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT NOT NULL)";
    let migration = Migration::new(1, "notes".into(), MigrationType::Simple, notes.into(), false);
    Migrator { migrations: Cow::Owned(vec![migration]), ..Migrator::DEFAULT }
}

async fn pool(db: &TestDb, kind: Db) -> AnyPool {
    sqlx::any::install_default_drivers();
    let url = match kind {
        Db::Sqlite => format!("{}?mode=rwc", db.url),
        Db::Postgres => db.url.clone(),
    };
    AnyPool::connect(&url).await.expect("the test database opens")
}

/// The database's tables and indexes (without the database's own), by name.
async fn relations(pool: &AnyPool, db: Db) -> Vec<String> {
    let query = match db {
        Db::Sqlite => "SELECT name FROM sqlite_master WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%'",
        Db::Postgres => {
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()
             UNION ALL SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema()"
        }
    };
    let rows: Vec<(String,)> = sqlx::query_as(query).fetch_all(pool).await.unwrap();
    let mut names: Vec<String> = rows.into_iter().map(|(name,)| name).collect();
    names.sort();
    names
}

async fn count(pool: &AnyPool, query: &str) -> i64 {
    let (count,): (i64,) = sqlx::query_as(query).fetch_one(pool).await.unwrap();
    count
}

async fn a_database_made_before_the_prefix_migrates_forward_with_its_data(db: Db) {
    let test_db = Arc::new(TestDb::create(db).await);
    let old = pool(&test_db, db).await;
    before_the_prefix(db).run(&old).await.expect("the old migrations run");
    for statement in [
        "INSERT INTO accounts (id, name, created_at) VALUES ('a-old', 'old', 1)",
        "INSERT INTO users (id, email, email_key, password_hash, role, account_id, created_at)
         VALUES ('u-old', 'old@example.com', 'old@example.com', 'not a hash', 'owner', 'a-old', 1)",
        "INSERT INTO sessions (id, user_id, account_id, created_at, last_active_at, expires_at)
         VALUES ('s-old', 'u-old', 'a-old', 1, 1, 4000000000)",
        "INSERT INTO refresh_tokens (hash, session_id, issued_at) VALUES ('h-old', 's-old', 1)",
        "INSERT INTO auth_events (at, kind, user_id, session_id) VALUES (1799990000, 'login', 'u-old', 's-old')",
        "INSERT INTO settings (key, value) VALUES ('secret', 'the secret of the old instance, long enough')",
    ] {
        sqlx::query(statement).execute(&old).await.expect(statement);
    }
    assert_eq!(count(&old, "SELECT COUNT(*) FROM _sqlx_migrations").await, 4, "the fixture is sqlx's");

    let app = spawn_on(test_db.clone(), |_| {}).await;

    let versions: Vec<(i64,)> =
        sqlx::query_as("SELECT version FROM lanyard_migrations ORDER BY version").fetch_all(&old).await.unwrap();
    let every: Vec<(i64,)> = lanyard_migrations(db).iter().map(|m| (m.version,)).collect();
    assert_eq!(versions, every, "every migration, once");
    assert_eq!(count(&old, "SELECT COUNT(*) FROM _sqlx_migrations").await, 0, "lanyard's rows left sqlx's table");
    let unprefixed: Vec<String> = relations(&old, db)
        .await
        .into_iter()
        .filter(|name| !name.starts_with("lanyard_") && !name.starts_with("_sqlx_migrations"))
        .collect();
    assert_eq!(unprefixed, Vec::<String>::new(), "every table and index of lanyard is prefixed");
    for (table, rows) in [
        ("lanyard_accounts", 1),
        ("lanyard_users", 1),
        ("lanyard_sessions", 1),
        ("lanyard_refresh_tokens", 1),
        ("lanyard_auth_events", 1),
    ] {
        assert_eq!(count(&old, &format!("SELECT COUNT(*) FROM {table}")).await, rows, "{table}");
    }
    let (secret,): (String,) =
        sqlx::query_as("SELECT value FROM lanyard_settings WHERE key = 'secret'").fetch_one(&old).await.unwrap();
    assert_eq!(secret, "the secret of the old instance, long enough", "instances keep sharing their secret");

    let revoked = app.cli(&["admin", "sessions", "revoke", "--email", "old@example.com"]);
    assert!(revoked.contains("ended 1 session"), "the old session is the engine's: {revoked}");
    let ada = app.signed_in("ada@example.com").await;
    assert_eq!(app.get_with_token("/api/auth/me", &ada.access).await.status, 200);

    the_apps_migrations().run(&old).await.expect("the app's own version 1 meets no version of lanyard's");
    drop(app);
    let restarted = spawn_on(test_db, |_| {}).await;
    let every = lanyard_migrations(db).iter().count() as i64;
    assert_eq!(count(&old, "SELECT COUNT(*) FROM lanyard_migrations").await, every, "nothing applied twice");
    assert_eq!(restarted.get_with_token("/api/auth/me", &ada.access).await.status, 200);
}

async fn an_apps_own_sqlx_migrations_share_the_database(db: Db) {
    let app = spawn_app(db).await;
    let shared = pool(&app.db, db).await;
    let every = lanyard_migrations(db).iter().count() as i64;
    assert_eq!(count(&shared, "SELECT COUNT(*) FROM lanyard_migrations").await, every);

    the_apps_migrations().run(&shared).await.expect("the app migrates its own tables");
    sqlx::query("INSERT INTO notes (id, body) VALUES ('n1', 'kept')").execute(&shared).await.unwrap();
    let restarted = spawn_on(app.db.clone(), |_| {}).await;
    assert_eq!(count(&shared, "SELECT COUNT(*) FROM notes").await, 1, "lanyard leaves the app's tables alone");
    assert_eq!(count(&shared, "SELECT COUNT(*) FROM _sqlx_migrations").await, 1, "the app's row only");
    let ada = restarted.signed_in("ada@example.com").await;
    assert_eq!(restarted.get_with_token("/api/auth/me", &ada.access).await.status, 200);
}
