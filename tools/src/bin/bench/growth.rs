//! Cost as the data grows: rows added straight into the database (as months of use would leave
//! them), and sessions made live in the server's view by a `me` call each.

use crate::load::{Figures, Worker};
use lanyard::engine::Keys;
use sqlx::AnyPool;

/// Adds rows to `lanyard_refresh_tokens` (used tokens of one ended session) and `lanyard_auth_events` until each
/// holds at least `rows` rows. On SQLite the write-ahead log is then folded into the file, as it
/// would have been long since for history this old.
pub async fn grow(pool: &AnyPool, sqlite: bool, rows: i64) {
    sqlx::query(
        "INSERT INTO lanyard_sessions (id, user_id, account_id, created_at, last_active_at, expires_at, ended_at, end_reason)
         SELECT 'bench-history', user_id, account_id, created_at, created_at, created_at, created_at, 'USER_LOGOUT'
         FROM lanyard_sessions WHERE id <> 'bench-history' ORDER BY created_at LIMIT 1
         ON CONFLICT (id) DO NOTHING",
    )
    .execute(pool)
    .await
    .expect("the history's session");
    for (table, insert) in [
        (
            "lanyard_refresh_tokens",
            "INSERT INTO lanyard_refresh_tokens (hash, session_id, issued_at, used_at, origin)
             SELECT 'history-' || ($1 + i), 'bench-history', 0, 0, 'rotation' FROM n",
        ),
        (
            "lanyard_auth_events",
            "INSERT INTO lanyard_auth_events (at, kind, user_id, session_id) SELECT $2, 'refresh', NULL, 'bench-history' FROM n",
        ),
    ] {
        let (have,): (i64,) =
            sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(pool).await.expect("a count");
        let missing = rows - have;
        if missing <= 0 {
            continue;
        }
        let statement =
            format!("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $3) {insert}");
        sqlx::query(&statement)
            .bind(have)
            .bind(now())
            .bind(missing)
            .execute(pool)
            .await
            .unwrap_or_else(|e| panic!("growing {table}: {e}"));
    }
    if sqlite {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(pool).await.expect("a checkpoint");
    }
}

/// Adds `count` live sessions of the benchmark's user and returns a worker per session, each with
/// an access token signed with the servers' secret.
pub async fn live_sessions(pool: &AnyPool, base: &str, secret: &str, count: i64) -> Vec<Worker> {
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
         INSERT INTO lanyard_sessions (id, user_id, account_id, created_at, last_active_at, expires_at)
         SELECT 'bench-live-' || i, s.user_id, s.account_id, s.created_at, s.last_active_at, s.expires_at
         FROM n, (SELECT * FROM lanyard_sessions WHERE ended_at IS NULL ORDER BY created_at LIMIT 1) s",
    )
    .bind(count)
    .execute(pool)
    .await
    .expect("live sessions");
    let rows: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT id, user_id, expires_at FROM lanyard_sessions WHERE id LIKE 'bench-live-%'")
            .fetch_all(pool)
            .await
            .expect("the live sessions");
    let keys = Keys::with_previous(secret, &[]);
    let now = now();
    rows.into_iter()
        .map(|(session_id, user_id, expires_at)| {
            let access =
                keys.sign_access(&user_id, &session_id, now, expires_at.min(now + 3_600)).expect("an access token");
            Worker { base: base.to_owned(), session: Some(crate::load::Session { access, refresh: String::new() }) }
        })
        .collect()
}

/// Calls `me` once with every worker's token, 32 at a time, so that each session enters the view.
pub async fn touch_all(workers: Vec<Worker>) -> Figures {
    use futures::StreamExt;
    let client = reqwest::Client::new();
    let started = std::time::Instant::now();
    let results: Vec<bool> = futures::stream::iter(workers)
        .map(|worker| {
            let client = client.clone();
            async move {
                let Some(session) = worker.session else { return false };
                let request = client.get(format!("{}/api/auth/me", worker.base)).bearer_auth(session.access);
                request.send().await.is_ok_and(|r| r.status() == 200)
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let ok = results.iter().filter(|ok| **ok).count();
    Figures {
        workers: Vec::new(),
        ok,
        failed: results.len() - ok,
        elapsed: started.elapsed(),
        latencies: Vec::new(),
        cores: None,
    }
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}
