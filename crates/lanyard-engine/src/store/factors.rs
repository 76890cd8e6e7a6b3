//! The second factor's rows (SPEC §11): authenticator apps, recovery codes, passkeys, sign-ins
//! between their two steps and WebAuthn ceremonies under way. The passkey rows are written and
//! read by ceremonies only with the `passkeys` feature; without it they are still counted as
//! factors, so a user who has one is asked for a second factor all the same.
#![cfg_attr(not(feature = "passkeys"), allow(dead_code))]

use super::{Store, Tx};
use crate::error::AuthResult;
use sqlx::FromRow;

/// A user's authenticator app.
#[derive(Clone, Debug, FromRow)]
pub struct TotpRow {
    pub user_id: String,
    /// The secret, sealed under the key `key_id` names.
    pub sealed: String,
    pub key_id: String,
    /// `None` while set up and not yet confirmed by a code.
    pub confirmed_at: Option<i64>,
}

/// A passkey as stored.
#[derive(Clone, Debug, FromRow)]
pub struct PasskeyRow {
    pub id: String,
    pub user_id: String,
    pub user_handle: String,
    pub name: String,
    /// The WebAuthn library's credential, as JSON.
    pub credential: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A sign-in between its two steps.
#[derive(Clone, Debug, FromRow)]
pub struct MfaTokenRow {
    pub user_id: String,
    pub remember_me: i64,
    pub device_id: Option<String>,
    /// A password reset waiting for the second step: its link and the new password's hash.
    pub reset_link_hash: Option<String>,
    pub new_password_hash: Option<String>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// A WebAuthn ceremony under way.
#[derive(Clone, Debug, FromRow)]
pub struct ChallengeRow {
    pub purpose: String,
    pub user_id: Option<String>,
    pub session_id: Option<String>,
    pub mfa_token_hash: Option<String>,
    /// What the WebAuthn library needs to finish it, as JSON.
    pub state: String,
    pub expires_at: i64,
}

/// How many second factors a user has: an app turned on (0 or 1), passkeys, and recovery codes not
/// used yet.
#[derive(Clone, Copy, Debug, FromRow)]
pub struct FactorCounts {
    pub totp: i64,
    pub passkeys: i64,
    pub recovery_codes: i64,
}

impl FactorCounts {
    /// Whether the user has an app or a passkey: recovery codes alone are no factor.
    pub fn any_factor(self) -> bool {
        self.totp > 0 || self.passkeys > 0
    }
}

const FACTOR_COUNTS: &str = "SELECT
    (SELECT COUNT(*) FROM lanyard_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL) AS totp,
    (SELECT COUNT(*) FROM lanyard_passkeys WHERE user_id = $1) AS passkeys,
    (SELECT COUNT(*) FROM lanyard_recovery_codes WHERE user_id = $1 AND used_at IS NULL) AS recovery_codes";

impl Store {
    /// The user's second factors, counted in one statement (every sign-in asks).
    pub async fn factor_counts(&self, user_id: &str) -> AuthResult<FactorCounts> {
        Ok(sqlx::query_as(FACTOR_COUNTS).bind(user_id).fetch_one(&self.pool).await?)
    }

    /// [`Store::factor_counts`], read in `tx`.
    pub async fn factor_counts_in(tx: &mut Tx, user_id: &str) -> AuthResult<FactorCounts> {
        Ok(sqlx::query_as(FACTOR_COUNTS).bind(user_id).fetch_one(tx.conn()).await?)
    }

    pub async fn totp_of(&self, user_id: &str) -> AuthResult<Option<TotpRow>> {
        Ok(sqlx::query_as("SELECT user_id, sealed, key_id, confirmed_at FROM lanyard_totp WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Every authenticator app whose secret is sealed under another key than `key_id`.
    pub async fn totp_sealed_under_other_keys(&self, key_id: &str) -> AuthResult<Vec<TotpRow>> {
        Ok(sqlx::query_as("SELECT user_id, sealed, key_id, confirmed_at FROM lanyard_totp WHERE key_id <> $1")
            .bind(key_id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Keeps a new secret for the user's app, waiting for its first code; false when an app is
    /// confirmed already (it is turned off first).
    pub async fn set_up_totp(&self, user_id: &str, sealed: &str, key_id: &str, now: i64) -> AuthResult<bool> {
        let written = sqlx::query(
            "INSERT INTO lanyard_totp (user_id, sealed, key_id, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (user_id) DO UPDATE SET sealed = excluded.sealed, key_id = excluded.key_id,
                 created_at = excluded.created_at, last_step = NULL
             WHERE lanyard_totp.confirmed_at IS NULL",
        )
        .bind(user_id)
        .bind(sealed)
        .bind(key_id)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(written == 1)
    }

    /// Re-seals a secret read under an earlier key; a no-op when another instance did it first.
    pub async fn reseal_totp(&self, user_id: &str, old_key_id: &str, sealed: &str, key_id: &str) -> AuthResult<()> {
        sqlx::query("UPDATE lanyard_totp SET sealed = $3, key_id = $4 WHERE user_id = $1 AND key_id = $2")
            .bind(user_id)
            .bind(old_key_id)
            .bind(sealed)
            .bind(key_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Accepts the code of `step` in `tx`: only a step newer than every one accepted before, so a
    /// code works once even when two instances see it at the same moment. `confirm` accepts the
    /// first code of an app set up and not yet confirmed, and confirms it.
    pub async fn accept_totp_step(tx: &mut Tx, user_id: &str, step: i64, now: i64, confirm: bool) -> AuthResult<bool> {
        let query = if confirm {
            sqlx::query(
                "UPDATE lanyard_totp SET last_step = $2, confirmed_at = $3
                 WHERE user_id = $1 AND confirmed_at IS NULL AND (last_step IS NULL OR last_step < $2)",
            )
            .bind(user_id)
            .bind(step)
            .bind(now)
        } else {
            sqlx::query(
                "UPDATE lanyard_totp SET last_step = $2
                 WHERE user_id = $1 AND confirmed_at IS NOT NULL AND (last_step IS NULL OR last_step < $2)",
            )
            .bind(user_id)
            .bind(step)
        };
        Ok(query.execute(tx.conn()).await?.rows_affected() == 1)
    }

    /// Removes the user's app in `tx`; false when there was none turned on.
    pub async fn delete_totp(tx: &mut Tx, user_id: &str) -> AuthResult<bool> {
        let deleted = sqlx::query("DELETE FROM lanyard_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL")
            .bind(user_id)
            .execute(tx.conn())
            .await?
            .rows_affected();
        Ok(deleted == 1)
    }

    /// Replaces the user's recovery codes in `tx` with `hashes`.
    pub async fn replace_recovery_codes(tx: &mut Tx, user_id: &str, hashes: &[String], now: i64) -> AuthResult<()> {
        Self::delete_recovery_codes(tx, user_id).await?;
        for hash in hashes {
            sqlx::query("INSERT INTO lanyard_recovery_codes (user_id, hash, created_at) VALUES ($1, $2, $3)")
                .bind(user_id)
                .bind(hash)
                .bind(now)
                .execute(tx.conn())
                .await?;
        }
        Ok(())
    }

    pub async fn delete_recovery_codes(tx: &mut Tx, user_id: &str) -> AuthResult<()> {
        sqlx::query("DELETE FROM lanyard_recovery_codes WHERE user_id = $1").bind(user_id).execute(tx.conn()).await?;
        Ok(())
    }

    /// Uses the recovery code `hash` in `tx`; false when it is unknown or was used.
    pub async fn use_recovery_code(tx: &mut Tx, user_id: &str, hash: &str, now: i64) -> AuthResult<bool> {
        let used = sqlx::query(
            "UPDATE lanyard_recovery_codes SET used_at = $3 WHERE user_id = $1 AND hash = $2 AND used_at IS NULL",
        )
        .bind(user_id)
        .bind(hash)
        .bind(now)
        .execute(tx.conn())
        .await?
        .rows_affected();
        Ok(used == 1)
    }

    /// The user's recovery codes not used yet, as stored.
    pub async fn unused_recovery_codes(&self, user_id: &str) -> AuthResult<Vec<String>> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT hash FROM lanyard_recovery_codes WHERE user_id = $1 AND used_at IS NULL")
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(|(hash,)| hash).collect())
    }

    pub async fn insert_passkey(tx: &mut Tx, row: &PasskeyRow, credential_id: &str) -> AuthResult<()> {
        sqlx::query(
            "INSERT INTO lanyard_passkeys (id, user_id, user_handle, credential_id, name, credential, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&row.id)
        .bind(&row.user_id)
        .bind(&row.user_handle)
        .bind(credential_id)
        .bind(&row.name)
        .bind(&row.credential)
        .bind(row.created_at)
        .execute(tx.conn())
        .await?;
        Ok(())
    }

    const PASSKEY_COLUMNS: &str = "id, user_id, user_handle, name, credential, created_at, last_used_at";

    /// The user's passkeys, oldest first.
    pub async fn passkeys_of(&self, user_id: &str) -> AuthResult<Vec<PasskeyRow>> {
        let sql = format!(
            "SELECT {} FROM lanyard_passkeys WHERE user_id = $1 ORDER BY created_at, id",
            Self::PASSKEY_COLUMNS
        );
        Ok(sqlx::query_as(&sql).bind(user_id).fetch_all(&self.pool).await?)
    }

    /// The passkeys an authenticator's user handle names (a passkey sign-in with no email typed).
    pub async fn passkeys_by_handle(&self, user_handle: &str) -> AuthResult<Vec<PasskeyRow>> {
        let sql = format!("SELECT {} FROM lanyard_passkeys WHERE user_handle = $1", Self::PASSKEY_COLUMNS);
        Ok(sqlx::query_as(&sql).bind(user_handle).fetch_all(&self.pool).await?)
    }

    /// Keeps a passkey's new counter after it signed in, in `tx`.
    pub async fn passkey_used(tx: &mut Tx, id: &str, credential: &str, now: i64) -> AuthResult<()> {
        sqlx::query("UPDATE lanyard_passkeys SET credential = $2, last_used_at = $3 WHERE id = $1")
            .bind(id)
            .bind(credential)
            .bind(now)
            .execute(tx.conn())
            .await?;
        Ok(())
    }

    /// Removes one of the user's passkeys in `tx`; false when the user has none with this id.
    pub async fn delete_passkey(tx: &mut Tx, user_id: &str, id: &str) -> AuthResult<bool> {
        let deleted = sqlx::query("DELETE FROM lanyard_passkeys WHERE user_id = $1 AND id = $2")
            .bind(user_id)
            .bind(id)
            .execute(tx.conn())
            .await?
            .rows_affected();
        Ok(deleted == 1)
    }

    /// Removes every factor of the user in `tx` (an operator's reset); returns how many there were.
    pub async fn delete_factors(tx: &mut Tx, user_id: &str) -> AuthResult<u64> {
        let mut removed = 0;
        for sql in [
            "DELETE FROM lanyard_totp WHERE user_id = $1",
            "DELETE FROM lanyard_passkeys WHERE user_id = $1",
            "DELETE FROM lanyard_recovery_codes WHERE user_id = $1",
        ] {
            removed += sqlx::query(sql).bind(user_id).execute(tx.conn()).await?.rows_affected();
        }
        Ok(removed)
    }

    /// Keeps a sign-in between its two steps, in `tx`.
    pub async fn insert_mfa_token(tx: &mut Tx, hash: &str, row: &MfaTokenRow, now: i64) -> AuthResult<()> {
        sqlx::query(
            "INSERT INTO lanyard_mfa_tokens
                 (hash, user_id, remember_me, device_id, reset_link_hash, new_password_hash, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(hash)
        .bind(&row.user_id)
        .bind(row.remember_me)
        .bind(&row.device_id)
        .bind(&row.reset_link_hash)
        .bind(&row.new_password_hash)
        .bind(now)
        .bind(row.expires_at)
        .execute(tx.conn())
        .await?;
        Ok(())
    }

    pub async fn mfa_token(&self, hash: &str) -> AuthResult<Option<MfaTokenRow>> {
        Ok(sqlx::query_as(
            "SELECT user_id, remember_me, device_id, reset_link_hash, new_password_hash, expires_at, used_at
             FROM lanyard_mfa_tokens WHERE hash = $1",
        )
        .bind(hash)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Consumes a sign-in's token in `tx`; false when it was used or ran out meanwhile.
    pub async fn use_mfa_token(tx: &mut Tx, hash: &str, now: i64) -> AuthResult<bool> {
        let used = sqlx::query(
            "UPDATE lanyard_mfa_tokens SET used_at = $2 WHERE hash = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(hash)
        .bind(now)
        .execute(tx.conn())
        .await?
        .rows_affected();
        Ok(used == 1)
    }

    pub async fn insert_challenge(&self, challenge: &str, row: &ChallengeRow) -> AuthResult<()> {
        sqlx::query(
            "INSERT INTO lanyard_webauthn_challenges
                 (challenge, purpose, user_id, session_id, mfa_token_hash, state, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(challenge)
        .bind(&row.purpose)
        .bind(&row.user_id)
        .bind(&row.session_id)
        .bind(&row.mfa_token_hash)
        .bind(&row.state)
        .bind(row.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Takes a ceremony's challenge: each is answered once.
    pub async fn take_challenge(&self, challenge: &str) -> AuthResult<Option<ChallengeRow>> {
        Ok(sqlx::query_as(
            "DELETE FROM lanyard_webauthn_challenges WHERE challenge = $1
             RETURNING purpose, user_id, session_id, mfa_token_hash, state, expires_at",
        )
        .bind(challenge)
        .fetch_optional(&self.pool)
        .await?)
    }
}
