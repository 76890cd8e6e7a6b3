//! The database: one `AnyPool` over SQLite or PostgreSQL, with every SQL statement of the engine,
//! one file a concern, each adding to the same `impl Store`: [`sessions`] (sessions and refresh
//! tokens), [`accounts`] (accounts and users), [`audit`] (the audit trail), [`reports`] (the admin
//! reports), `prune` (history past its time), [`feed`] (the change feed) and `batch` (SQLite's
//! group commit). This file holds the pool, the transactions and the settings.
//!
//! Statements use `$n` placeholders, which both drivers accept, and only integers and text, so one
//! statement serves both dialects. On SQLite, this process's write transactions are turns of a
//! group commit ([`batch`]), whose batches begin with `BEGIN IMMEDIATE` so that another process's
//! writer queues on the busy timeout instead of failing on a lock upgrade.

pub mod accounts;
pub mod attempts;
pub mod audit;
mod batch;
pub mod factors;
pub mod feed;
pub mod links;
pub mod mail;
mod migrate;
pub mod prune;
pub mod reports;
pub mod sessions;

use super::error::{AuthResult, StartError};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyConnection, AnyPool, Transaction};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    pub(super) pool: AnyPool,
    dialect: Dialect,
    /// The connection URL, for the PostgreSQL change listener's own connection.
    url: String,
    /// SQLite's one writer, shared by this process's write transactions (see [`batch`]).
    group_commit: batch::GroupCommit,
}

/// A write transaction: PostgreSQL's own, or a turn in SQLite's group commit. Either way `commit`
/// returns once the writes are durable, and dropping it undoes them.
pub enum Tx {
    Postgres(Transaction<'static, Any>),
    Sqlite(batch::Turn),
}

impl Tx {
    pub fn conn(&mut self) -> &mut AnyConnection {
        match self {
            Self::Postgres(tx) => tx,
            Self::Sqlite(turn) => turn.conn(),
        }
    }

    pub async fn commit(self) -> AuthResult<()> {
        match self {
            Self::Postgres(tx) => Ok(tx.commit().await?),
            Self::Sqlite(turn) => turn.commit().await,
        }
    }

    pub async fn rollback(self) -> AuthResult<()> {
        match self {
            Self::Postgres(tx) => Ok(tx.rollback().await?),
            Self::Sqlite(turn) => turn.rollback().await,
        }
    }
}

lanyard_contract::closed_set! {
    /// How a refresh token came to be, which says how its successor is derived again (`Keys::rederive`).
    pub enum TokenOrigin {
        /// Random, the first of a session's chain.
        SignIn = "sign_in",
        /// Derived from the raw token it replaced.
        Rotation = "rotation",
        /// Derived from the hash of the token that was live when a password change restarted the chain.
        Restart = "restart",
    }
}

lanyard_contract::stored_by_name!(TokenOrigin);

impl Store {
    /// Connects, creating the SQLite file and its folder if needed, and applies the migrations.
    pub async fn connect(url: &str) -> Result<Self, StartError> {
        install_default_drivers();
        let dialect = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Dialect::Postgres
        } else {
            Dialect::Sqlite
        };
        let url = match dialect {
            Dialect::Postgres => url.to_owned(),
            Dialect::Sqlite => prepare_sqlite_url(url)?,
        };
        // SQLite has one writer (the group commit's) and readers that share this process's cores,
        // each with a page cache of its own: past a handful, more connections only cost memory.
        let connections = match dialect {
            Dialect::Sqlite => 8,
            Dialect::Postgres => 16,
        };
        let pool = AnyPoolOptions::new()
            .max_connections(connections)
            .acquire_timeout(Duration::from_secs(3))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if dialect == Dialect::Sqlite {
                        // FULL: a rotation the browser was answered is on disk. NORMAL could lose it
                        // on power loss, and the browser would then hold a token no one knows.
                        sqlx::query("PRAGMA synchronous = FULL").execute(&mut *conn).await?;
                        // 1 MiB of page cache per connection (SQLite's default is 2): the lookups
                        // are by key, and the system's file cache holds the rest.
                        sqlx::query("PRAGMA cache_size = -1024").execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        let store = Self { pool, dialect, url, group_commit: batch::GroupCommit::default() };
        store.migrate().await?;
        Ok(store)
    }

    /// A write transaction (on SQLite, a turn of the group commit: see [`batch`]).
    pub async fn write_tx(&self) -> AuthResult<Tx> {
        Ok(match self.dialect {
            Dialect::Sqlite => Tx::Sqlite(self.group_commit.turn(&self.pool).await?),
            Dialect::Postgres => Tx::Postgres(self.pool.begin().await?),
        })
    }

    /// The value of `key`, setting it to `default` first if absent (first writer wins across instances).
    pub async fn setting_or_insert(&self, key: &str, default: &str) -> AuthResult<String> {
        sqlx::query("INSERT INTO lanyard_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(default)
            .execute(&self.pool)
            .await?;
        let (value,): (String,) =
            sqlx::query_as("SELECT value FROM lanyard_settings WHERE key = $1").bind(key).fetch_one(&self.pool).await?;
        Ok(value)
    }

    /// Closes the pool; on SQLite first folds the write-ahead log into the database file, so a
    /// stopped instance leaves one self-contained file (a backup or a copy needs nothing else).
    pub async fn close(&self) -> AuthResult<()> {
        if self.dialect == Dialect::Sqlite {
            self.group_commit.settle().await;
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&self.pool).await?;
        }
        self.pool.close().await;
        Ok(())
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> AuthResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// A new random id (UUID v4, 32 hex digits).
pub fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Creates the database file readable and writable by its owner only (it holds the generated signing
/// secret and every session); SQLite gives its WAL and shared-memory files the same mode.
fn create_private_file(file: &str) -> Result<(), StartError> {
    use std::os::unix::fs::OpenOptionsExt as _;
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(file) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(StartError::File { path: file.to_owned(), source }),
    }
}

/// Makes a `sqlite:` URL create its file (and folder) when missing.
fn prepare_sqlite_url(url: &str) -> Result<String, StartError> {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let file = path.split('?').next().unwrap_or_default();
    if file.is_empty() || file == ":memory:" {
        return Err(StartError::NoSqliteFile);
    }
    if let Some(parent) = std::path::Path::new(file).parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|source| StartError::File { path: parent.display().to_string(), source })?;
    }
    create_private_file(file)?;
    Ok(if path.contains("mode=") {
        format!("sqlite://{path}")
    } else if path.contains('?') {
        format!("sqlite://{path}&mode=rwc")
    } else {
        format!("sqlite://{path}?mode=rwc")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rotation answered to a browser survives a power loss: every commit is synced.
    #[tokio::test]
    async fn sqlite_commits_are_durable() {
        let dir = std::env::temp_dir().join(format!("lanyard-durable-{}", std::process::id()));
        let store = Store::connect(&format!("sqlite://{}/durable.db", dir.display())).await.unwrap();
        let (journal,): (String,) = sqlx::query_as("PRAGMA journal_mode").fetch_one(&store.pool).await.unwrap();
        let (synchronous,): (i64,) = sqlx::query_as("PRAGMA synchronous").fetch_one(&store.pool).await.unwrap();
        assert_eq!((journal.as_str(), synchronous), ("wal", 2), "WAL with synchronous = FULL");
        drop(store);
        std::fs::remove_dir_all(dir).ok();
    }

    #[tokio::test]
    async fn prune_removes_old_history_in_batches_and_keeps_the_recent() {
        let dir = std::env::temp_dir().join(format!("lanyard-prune-{}", std::process::id()));
        let store = Store::connect(&format!("sqlite://{}/prune.db", dir.display())).await.unwrap();
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500)
             INSERT INTO lanyard_auth_events (at, kind) SELECT 100, 'login' FROM n",
        )
        .execute(&store.pool)
        .await
        .unwrap();
        sqlx::query("INSERT INTO lanyard_auth_events (at, kind) VALUES (5000, 'login')")
            .execute(&store.pool)
            .await
            .unwrap();

        let before = super::prune::PruneBefore { history: 1_000, changes: 1_000, attempts: 1_000 };
        assert_eq!(store.prune(before).await.unwrap(), 2_500, "three batches");
        let (left,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM lanyard_auth_events").fetch_one(&store.pool).await.unwrap();
        assert_eq!(left, 1);
        drop(store);
        std::fs::remove_dir_all(dir).ok();
    }

    #[tokio::test]
    async fn a_new_sqlite_file_is_private_to_its_owner() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = std::env::temp_dir().join(format!("lanyard-private-{}", std::process::id()));
        let store = Store::connect(&format!("sqlite://{}/private.db", dir.display())).await.unwrap();
        store.setting_or_insert("probe", "x").await.unwrap();
        for name in ["private.db", "private.db-wal"] {
            let mode = std::fs::metadata(dir.join(name)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{name}");
        }
        drop(store);
        std::fs::remove_dir_all(dir).ok();
    }
}
