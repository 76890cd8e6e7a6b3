//! lanyard's own migrator. The migrations are `migrations/sqlite` and `migrations/postgres`,
//! embedded by sqlx's `migrate!`; they are applied here, in order, and recorded in
//! `lanyard_migrations`, not in sqlx's `_sqlx_migrations`: an app that keeps its own tables in the
//! same database migrates them with sqlx, and its version numbers must not meet lanyard's (sqlx 0.8
//! cannot give its table another name).
//!
//! A database migrated before lanyard kept its own table has lanyard's first versions in
//! `_sqlx_migrations`. Those whose checksum is lanyard's count as applied and are removed from
//! there, in the same transaction as the migrations that follow, so the app's sqlx migrator never
//! meets a version it does not know.
//!
//! One transaction holds the whole run, so a failed migration leaves the database as it was, and
//! two processes that start at once take turns (`BEGIN IMMEDIATE` on SQLite, an advisory lock on
//! PostgreSQL): the second finds everything applied.

use super::batch::begin_immediate;
use super::{Dialect, Store};
use crate::error::StartError;
use sqlx::migrate::Migrator;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection};

/// The table that records which of lanyard's migrations a database has.
const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS lanyard_migrations (
    version      BIGINT PRIMARY KEY,
    description  TEXT NOT NULL,
    checksum     TEXT NOT NULL,
    applied_at   BIGINT NOT NULL
)";

/// The key of PostgreSQL's advisory lock that serialises migration runs ("lanyard" in ASCII).
const POSTGRES_LOCK: i64 = 0x006c_616e_7961_7264;

impl Store {
    /// Applies the migrations this database does not have yet.
    pub(super) async fn migrate(&self) -> Result<(), StartError> {
        let migrator = match self.dialect {
            Dialect::Sqlite => {
                // WAL lets readers run beside the one writer; the setting persists in the file.
                sqlx::query("PRAGMA journal_mode=WAL").execute(&self.pool).await?;
                sqlx::migrate!("migrations/sqlite")
            }
            Dialect::Postgres => sqlx::migrate!("migrations/postgres"),
        };
        let mut conn = match self.dialect {
            Dialect::Sqlite => begin_immediate(&self.pool).await?,
            Dialect::Postgres => {
                let mut conn = self.pool.acquire().await?;
                sqlx::query("BEGIN").execute(&mut *conn).await?;
                conn
            }
        };
        match run(&mut conn, &migrator, self.dialect).await {
            Ok(()) => {
                sqlx::query("COMMIT").execute(&mut *conn).await?;
                Ok(())
            }
            Err(error) => {
                // Never back to the pool inside a failed transaction.
                conn.close_on_drop();
                Err(error)
            }
        }
    }
}

/// The run inside its transaction: the table, what an earlier sqlx run recorded, then each
/// migration not applied yet, with its row.
async fn run(conn: &mut PoolConnection<Any>, migrator: &Migrator, dialect: Dialect) -> Result<(), StartError> {
    if dialect == Dialect::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(POSTGRES_LOCK).execute(&mut **conn).await?;
    }
    sqlx::query(CREATE_TABLE).execute(&mut **conn).await?;
    adopt_sqlx_records(conn, migrator, dialect).await?;
    let applied: Vec<(i64, String)> =
        sqlx::query_as("SELECT version, checksum FROM lanyard_migrations").fetch_all(&mut **conn).await?;
    if let Some((newest, _)) = applied.iter().filter(|(version, _)| !migrator.version_exists(*version)).max() {
        return Err(StartError::NewerDatabase(*newest));
    }
    for migration in migrator.iter() {
        let checksum = hex(&migration.checksum);
        match applied.iter().find(|(version, _)| *version == migration.version) {
            Some((_, recorded)) if *recorded == checksum => continue,
            Some(_) => return Err(StartError::ChangedMigration(migration.version)),
            None => {}
        }
        let applied = sqlx::raw_sql(migration.sql.as_ref()).execute(&mut **conn).await;
        applied.map_err(|source| StartError::Migration { version: migration.version, source })?;
        sqlx::query(
            "INSERT INTO lanyard_migrations (version, description, checksum, applied_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(migration.version)
        .bind(migration.description.as_ref())
        .bind(checksum)
        .bind(time::OffsetDateTime::now_utc().unix_timestamp())
        .execute(&mut **conn)
        .await?;
    }
    Ok(())
}

/// Moves lanyard's versions out of `_sqlx_migrations`, where a run of sqlx's migrator put them
/// before lanyard had a table of its own, into `lanyard_migrations`. A version counts as lanyard's
/// only with lanyard's checksum; the app's own rows stay.
async fn adopt_sqlx_records(conn: &mut AnyConnection, migrator: &Migrator, dialect: Dialect) -> Result<(), StartError> {
    let exists = match dialect {
        Dialect::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
        Dialect::Postgres => {
            "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() \
                              AND tablename = '_sqlx_migrations'"
        }
    };
    let (tables,): (i64,) = sqlx::query_as(exists).fetch_one(&mut *conn).await?;
    if tables == 0 {
        return Ok(());
    }
    let recorded: Vec<(i64, String, Vec<u8>)> =
        sqlx::query_as("SELECT version, description, checksum FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_all(&mut *conn)
            .await?;
    for (version, description, checksum) in recorded {
        let ours = migrator.iter().any(|m| m.version == version && *m.checksum == *checksum);
        if !ours {
            continue;
        }
        sqlx::query(
            "INSERT INTO lanyard_migrations (version, description, checksum, applied_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (version) DO NOTHING",
        )
        .bind(version)
        .bind(description)
        .bind(hex(&checksum))
        .bind(time::OffsetDateTime::now_utc().unix_timestamp())
        .execute(&mut *conn)
        .await?;
        sqlx::query("DELETE FROM _sqlx_migrations WHERE version = $1").bind(version).execute(&mut *conn).await?;
    }
    Ok(())
}

/// A checksum as lowercase hex: text, the same on both databases.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
