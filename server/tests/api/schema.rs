//! The two migrations describe one schema: the same tables, columns, nullability, column kinds and
//! indexes on SQLite and PostgreSQL, read back from each migrated database.

use crate::helpers::{Db, spawn_app};
use std::collections::BTreeSet;

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
