//! The change feed: how one process tells the others that a guard verdict may have changed.
//!
//! A change is a row of `changes`, written in the transaction that makes it. On SQLite the other
//! processes poll that table (its ids commit in order, since SQLite has one writer); on PostgreSQL a
//! NOTIFY, delivered on commit, carries it as well. A listener that reconnects may have missed
//! notifications, so it reports a gap.

use super::{Dialect, Store, Tx};
use crate::engine::error::AuthResult;
use std::time::Duration;

/// The NOTIFY channel of changes on PostgreSQL.
const CHANNEL: &str = "lanyard_changes";

/// How often a SQLite process looks for other processes' changes (SPEC §6: ~250 ms).
const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// How long to wait before reading the feed again after it failed.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// What the feed delivers: a change by its kind and subject, or word that some may have been missed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FeedEvent {
    Change { kind: String, subject: String },
    Gap,
}

impl Store {
    /// Records a change in `tx`; other processes learn of it once `tx` commits.
    pub async fn publish_change(&self, tx: &mut Tx, kind: &str, subject: &str, now: i64) -> AuthResult<()> {
        sqlx::query("INSERT INTO changes (at, kind, subject) VALUES ($1, $2, $3)")
            .bind(now)
            .bind(kind)
            .bind(subject)
            .execute(tx.conn())
            .await?;
        if self.dialect == Dialect::Postgres {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(format!("{kind}:{subject}"))
                .execute(tx.conn())
                .await?;
        }
        Ok(())
    }

    /// Hands every change other processes make to `deliver`, from now until the future is dropped.
    pub async fn follow_changes(&self, deliver: impl FnMut(FeedEvent)) {
        match self.dialect {
            Dialect::Sqlite => self.poll_changes(deliver).await,
            Dialect::Postgres => self.listen_for_changes(deliver).await,
        }
    }

    async fn poll_changes(&self, mut deliver: impl FnMut(FeedEvent)) {
        let mut last_seen = loop {
            match self.latest_change_id().await {
                Ok(id) => break id,
                Err(error) => {
                    tracing::warn!("reading the change sequence: {error}");
                    tokio::time::sleep(RETRY_AFTER).await;
                }
            }
        };
        loop {
            tokio::time::sleep(POLL_INTERVAL).await;
            match self.changes_after(last_seen).await {
                Ok(changes) => {
                    for (id, kind, subject) in changes {
                        last_seen = last_seen.max(id);
                        deliver(FeedEvent::Change { kind, subject });
                    }
                }
                Err(error) => tracing::warn!("polling changes: {error}"),
            }
        }
    }

    async fn listen_for_changes(&self, mut deliver: impl FnMut(FeedEvent)) {
        loop {
            let listener = async {
                let mut listener = sqlx::postgres::PgListener::connect(&self.url).await?;
                listener.listen(CHANNEL).await?;
                Ok::<_, sqlx::Error>(listener)
            };
            let mut listener = match listener.await {
                Ok(listener) => listener,
                Err(error) => {
                    tracing::warn!("listening for changes: {error}");
                    tokio::time::sleep(RETRY_AFTER).await;
                    continue;
                }
            };
            // Anything may have changed while no one was listening.
            deliver(FeedEvent::Gap);
            loop {
                match listener.try_recv().await {
                    Ok(Some(notification)) => deliver(match notification.payload().split_once(':') {
                        Some((kind, subject)) => FeedEvent::Change { kind: kind.into(), subject: subject.into() },
                        None => FeedEvent::Gap,
                    }),
                    // The connection dropped: notifications may be lost; the next `try_recv` reconnects.
                    Ok(None) => deliver(FeedEvent::Gap),
                    Err(error) => {
                        tracing::warn!("change listener failed: {error}");
                        deliver(FeedEvent::Gap);
                        break;
                    }
                }
            }
        }
    }

    async fn latest_change_id(&self) -> AuthResult<i64> {
        let (id,): (Option<i64>,) = sqlx::query_as("SELECT MAX(id) FROM changes").fetch_one(&self.pool).await?;
        Ok(id.unwrap_or(0))
    }

    async fn changes_after(&self, id: i64) -> AuthResult<Vec<(i64, String, String)>> {
        Ok(sqlx::query_as("SELECT id, kind, subject FROM changes WHERE id > $1 ORDER BY id")
            .bind(id)
            .fetch_all(&self.pool)
            .await?)
    }
}
