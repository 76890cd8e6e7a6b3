//! The single-use tokens of SPEC §10's links, stored as hashes.

use super::{Store, Tx};
use crate::error::AuthResult;
use sqlx::FromRow;

/// A link's token about to be stored.
#[derive(Clone, Copy, Debug)]
pub struct NewLink<'a> {
    pub hash: &'a str,
    pub kind: &'a str,
    pub user_id: Option<&'a str>,
    /// Where the link was sent.
    pub email: &'a str,
    /// An invitation's account and role.
    pub account_id: Option<&'a str>,
    pub role: Option<&'a str>,
    pub expires_at: i64,
}

/// A stored link's token.
#[derive(Clone, Debug, FromRow)]
pub struct LinkRow {
    pub kind: String,
    pub user_id: Option<String>,
    /// Where the link was sent.
    pub email: String,
    /// An invitation's account and role.
    pub account_id: Option<String>,
    pub role: Option<String>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub replaced_at: Option<i64>,
}

impl Store {
    /// Stores a link's token in `tx`, replacing the unused ones of its kind for the same user (or,
    /// for a link without a user, the same email and account).
    pub async fn insert_link(tx: &mut Tx, link: &NewLink<'_>, now: i64) -> AuthResult<()> {
        let replace = match link.user_id {
            Some(user_id) => sqlx::query(
                "UPDATE lanyard_link_tokens SET replaced_at = $1
                 WHERE kind = $2 AND user_id = $3 AND used_at IS NULL AND replaced_at IS NULL",
            )
            .bind(now)
            .bind(link.kind)
            .bind(user_id),
            None => sqlx::query(
                "UPDATE lanyard_link_tokens SET replaced_at = $1
                 WHERE kind = $2 AND email = $3 AND account_id = $4 AND used_at IS NULL AND replaced_at IS NULL",
            )
            .bind(now)
            .bind(link.kind)
            .bind(link.email)
            .bind(link.account_id),
        };
        replace.execute(tx.conn()).await?;
        sqlx::query(
            "INSERT INTO lanyard_link_tokens (hash, kind, user_id, email, account_id, role, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(link.hash)
        .bind(link.kind)
        .bind(link.user_id)
        .bind(link.email)
        .bind(link.account_id)
        .bind(link.role)
        .bind(now)
        .bind(link.expires_at)
        .execute(tx.conn())
        .await?;
        Ok(())
    }

    /// When the newest link of `kind` for the user was made.
    pub async fn newest_link_at(&self, user_id: &str, kind: &str) -> AuthResult<Option<i64>> {
        let (newest,): (Option<i64>,) =
            sqlx::query_as("SELECT MAX(created_at) FROM lanyard_link_tokens WHERE user_id = $1 AND kind = $2")
                .bind(user_id)
                .bind(kind)
                .fetch_one(&self.pool)
                .await?;
        Ok(newest)
    }

    pub async fn link(&self, hash: &str) -> AuthResult<Option<LinkRow>> {
        Ok(sqlx::query_as(
            "SELECT kind, user_id, email, account_id, role, expires_at, used_at, replaced_at
             FROM lanyard_link_tokens WHERE hash = $1",
        )
        .bind(hash)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Voids the user's unused links of `kind` in `tx` (a cancelled email change).
    pub async fn void_links(tx: &mut Tx, user_id: &str, kind: &str, now: i64) -> AuthResult<()> {
        sqlx::query(
            "UPDATE lanyard_link_tokens SET replaced_at = $3
             WHERE user_id = $1 AND kind = $2 AND used_at IS NULL AND replaced_at IS NULL",
        )
        .bind(user_id)
        .bind(kind)
        .bind(now)
        .execute(tx.conn())
        .await?;
        Ok(())
    }

    /// Marks the token `hash` used in `tx`; false when it was used, replaced or expired meanwhile
    /// (another request won the race), so a link works once.
    pub async fn use_link(tx: &mut Tx, hash: &str, now: i64) -> AuthResult<bool> {
        let used = sqlx::query(
            "UPDATE lanyard_link_tokens SET used_at = $2
             WHERE hash = $1 AND used_at IS NULL AND replaced_at IS NULL AND expires_at > $2",
        )
        .bind(hash)
        .bind(now)
        .execute(tx.conn())
        .await?
        .rows_affected();
        Ok(used == 1)
    }
}
