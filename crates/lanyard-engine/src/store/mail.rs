//! The mail queue: messages written in the transaction that makes what they announce, claimed by
//! one instance at a time, and marked sent, due again or given up.

use super::{Store, Tx, new_id};
use crate::error::AuthResult;
use sqlx::FromRow;

/// A message about to be queued.
#[derive(Clone, Copy, Debug)]
pub struct NewMail<'a> {
    pub kind: &'a str,
    pub recipient: &'a str,
    /// The whole RFC 5322 message.
    pub message: &'a str,
}

/// A queued message claimed for one attempt.
#[derive(Clone, Debug, FromRow)]
pub struct DueMail {
    pub id: String,
    pub kind: String,
    pub recipient: String,
    pub message: String,
    pub created_at: i64,
    /// This attempt's number, from 1.
    pub attempts: i64,
}

impl Store {
    /// Queues `mail` in `tx`, due at once; returns its id.
    pub async fn queue_mail(tx: &mut Tx, mail: &NewMail<'_>, now: i64) -> AuthResult<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO lanyard_mail (id, kind, recipient, message, created_at, next_attempt_at)
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(&id)
        .bind(mail.kind)
        .bind(mail.recipient)
        .bind(mail.message)
        .bind(now)
        .execute(tx.conn())
        .await?;
        Ok(id)
    }

    /// The ids of messages due at `now` that no instance holds, oldest first.
    pub async fn due_mail(&self, now: i64, limit: i64) -> AuthResult<Vec<String>> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT id FROM lanyard_mail
             WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1
               AND (claimed_until IS NULL OR claimed_until < $1)
             ORDER BY next_attempt_at LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Claims the message `id` for one attempt until `until`, counting the attempt; `None` when
    /// another instance claimed it first, or it is no longer due.
    pub async fn claim_mail(&self, id: &str, now: i64, until: i64) -> AuthResult<Option<DueMail>> {
        let mut tx = self.write_tx().await?;
        let claimed = sqlx::query_as(
            "UPDATE lanyard_mail SET claimed_until = $3, attempts = attempts + 1
             WHERE id = $1 AND sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $2
               AND (claimed_until IS NULL OR claimed_until < $2)
             RETURNING id, kind, recipient, message, created_at, attempts",
        )
        .bind(id)
        .bind(now)
        .bind(until)
        .fetch_optional(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(claimed)
    }

    /// Records the message `id` sent (or written) at `now`, and forgets its text.
    pub async fn mail_sent(&self, id: &str, now: i64) -> AuthResult<()> {
        self.finish_mail("UPDATE lanyard_mail SET sent_at = $2, message = NULL WHERE id = $1", id, now).await
    }

    /// Gives the message `id` up at `now`, and forgets its text.
    pub async fn mail_failed(&self, id: &str, now: i64) -> AuthResult<()> {
        self.finish_mail("UPDATE lanyard_mail SET failed_at = $2, message = NULL WHERE id = $1", id, now).await
    }

    /// Makes the message `id` due again at `at`.
    pub async fn mail_due_again(&self, id: &str, at: i64) -> AuthResult<()> {
        self.finish_mail("UPDATE lanyard_mail SET next_attempt_at = $2, claimed_until = NULL WHERE id = $1", id, at)
            .await
    }

    async fn finish_mail(&self, sql: &str, id: &str, at: i64) -> AuthResult<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query(sql).bind(id).bind(at).execute(tx.conn()).await?;
        tx.commit().await
    }
}
