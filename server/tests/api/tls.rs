//! PostgreSQL over TLS: a `sslmode=require` URL (what a managed database asks for) serves sessions,
//! and the connections really are encrypted. The local PostgreSQL offers TLS with its own certificate.

use crate::helpers::{Db, TestDb, spawn_on};
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_postgres_url_with_sslmode_require_works_encrypted() {
    let db = Arc::new(TestDb::create(Db::Postgres).await);
    let encrypted = format!("{}?sslmode=require", db.url);
    let app = spawn_on(db, |config| config.database_url = encrypted).await;
    let ada = app.signed_in("ada@example.com").await;
    assert_eq!(app.refresh_with(&ada.refresh).await.status, 200);

    let (ssl,): (bool,) = sqlx::query_as("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(app.engine.database())
        .await
        .expect("pg_stat_ssl answers");
    assert!(ssl, "the engine's connections use TLS");
}
