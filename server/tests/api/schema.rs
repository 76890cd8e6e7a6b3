//! The two migrations describe one schema: the same tables, columns, nullability, column kinds and
//! indexes on SQLite and PostgreSQL, read back from each migrated database.

use crate::helpers::{Db, TestApp, spawn_app};
use crate::on_both_databases;
use lanyard::contract::{AccountStatus, PlanStatus, Role};
use lanyard::engine::testing::TokenOrigin;
use std::collections::BTreeSet;

on_both_databases!(every_member_of_a_stored_closed_set_fits_its_check_list);

/// One column as both databases can state it: table, column, kind (`integer` or `text`), nullable.
type Column = (String, String, String, bool);

/// The SQLite and PostgreSQL spellings of a column type, by the kind the engine binds to it.
fn kind(declared: &str) -> String {
    match declared.to_ascii_lowercase().as_str() {
        "integer" | "bigint" => "integer".into(),
        "text" => "text".into(),
        other => panic!("a column type the engine does not bind: {other}"),
    }
}

async fn sqlite_schema(pool: &sqlx::AnyPool) -> (BTreeSet<Column>, BTreeSet<String>) {
    let rows: Vec<(String, String, String, i64, i64)> = sqlx::query_as(
        "SELECT m.name, p.name, p.type, p.\"notnull\", p.pk FROM sqlite_master m, pragma_table_info(m.name) p
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    // SQLite lets a non-integer primary key hold NULL unless told otherwise; the engine never writes one.
    let columns = rows.into_iter().map(|(t, c, ty, not_null, pk)| (t, c, kind(&ty), not_null == 0 && pk == 0));
    let indexes: Vec<(String,)> =
        sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
            .fetch_all(pool)
            .await
            .unwrap();
    (columns.collect(), indexes.into_iter().map(|(name,)| name).collect())
}

async fn postgres_schema(pool: &sqlx::AnyPool) -> (BTreeSet<Column>, BTreeSet<String>) {
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let columns = rows.into_iter().map(|(t, c, ty, nullable)| (t, c, kind(&ty), nullable == "YES"));
    // Primary keys and UNIQUE constraints bring indexes of their own on PostgreSQL (SQLite's have no SQL).
    let indexes: Vec<(String,)> = sqlx::query_as(
        "SELECT i.indexname::text FROM pg_indexes i
         WHERE i.schemaname = 'public' AND i.tablename <> '_sqlx_migrations'
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname)",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    (columns.collect(), indexes.into_iter().map(|(name,)| name).collect())
}

#[tokio::test]
async fn both_migrations_describe_the_same_schema() {
    let (sqlite, postgres) = (spawn_app(Db::Sqlite).await, spawn_app(Db::Postgres).await);
    let (sqlite_columns, sqlite_indexes) = sqlite_schema(sqlite.engine.database()).await;
    let (postgres_columns, postgres_indexes) = postgres_schema(postgres.engine.database()).await;

    assert!(sqlite_columns.len() > 40, "the schema was read: {sqlite_columns:?}");
    let only = |a: &BTreeSet<Column>, b: &BTreeSet<Column>| a.difference(b).cloned().collect::<Vec<_>>();
    assert_eq!(only(&sqlite_columns, &postgres_columns), vec![], "columns only SQLite has as they are");
    assert_eq!(only(&postgres_columns, &sqlite_columns), vec![], "columns only PostgreSQL has as they are");
    assert_eq!(sqlite_indexes, postgres_indexes);
}

/// Every member of each closed set stored under a CHECK list is accepted by that list on both
/// databases, and a name outside the set is refused: the lists and the enums cannot drift apart.
async fn every_member_of_a_stored_closed_set_fits_its_check_list(db: Db) {
    let app = spawn_app(db).await;
    app.signed_in("ada@example.com").await;
    async fn accepts(app: &TestApp, statement: &str, name: &str) -> bool {
        sqlx::query(statement).bind(name).execute(app.engine.database()).await.is_ok()
    }
    let columns: [(&str, Vec<&str>); 4] = [
        ("UPDATE lanyard_accounts SET status = $1", AccountStatus::ALL.iter().map(|s| s.as_str()).collect()),
        ("UPDATE lanyard_accounts SET plan = $1", PlanStatus::ALL.iter().map(|p| p.as_str()).collect()),
        ("UPDATE lanyard_users SET role = $1", Role::ALL.iter().map(|r| r.as_str()).collect()),
        ("UPDATE lanyard_refresh_tokens SET origin = $1", TokenOrigin::ALL.iter().map(|o| o.as_str()).collect()),
    ];
    for (statement, members) in columns {
        for name in members {
            assert!(accepts(&app, statement, name).await, "{statement} refuses {name}");
        }
        assert!(!accepts(&app, statement, "not_a_member").await, "{statement} accepts a name outside the set");
    }
}
