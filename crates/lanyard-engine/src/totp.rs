//! Authenticator apps (SPEC §11): TOTP codes of RFC 6238 (SHA-1, six digits, 30-second steps, one
//! step either side accepted), each accepted once per user. The secret is sealed in the database
//! under a key derived from the signing secret, and re-sealed under the current key when it is read
//! under an earlier one.

use super::error::{AuthError, AuthResult, StartError};
use super::guard::Principal;
use super::instance::Engine;
use super::policy::RequestMeta;
use super::recovery_codes::renew_recovery_codes;
use super::store::Store;
use super::store::factors::TotpRow;
use lanyard_contract::{AuditKind, ErrorCode, RecoveryCodes, TotpSetup};
use totp_rs::{Algorithm, TOTP};

/// The issuer an authenticator app shows beside the account.
const ISSUER: &str = "lanyard";
const STEP_SECS: i64 = 30;
const DIGITS: usize = 6;
/// Random bytes in a new secret (160 bits, as RFC 4226 recommends).
const SECRET_BYTES: usize = 20;

/// A wrong code where a signed-in session sends one: 403, the session kept.
pub(crate) const WRONG_CODE: AuthError =
    AuthError::Forbidden { code: ErrorCode::InvalidMfaCode, message: "The code is not valid." };

fn totp(secret: Vec<u8>, email: &str) -> AuthResult<TOTP> {
    TOTP::new(Algorithm::SHA1, DIGITS, 1, STEP_SECS as u64, secret, Some(ISSUER.into()), email.into())
        .map_err(|error| AuthError::Internal(format!("an authenticator app's secret: {error}")))
}

/// Whether two codes are equal, in time that does not depend on where they differ.
fn same_code(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

impl Engine {
    /// Starts setting up an authenticator app (a sensitive action): a new secret, kept sealed and
    /// waiting for its first code; 409 when an app is turned on already.
    pub async fn totp_setup(&self, principal: &Principal) -> AuthResult<TotpSetup> {
        self.require_recent_password(principal).await?;
        let secret: [u8; SECRET_BYTES] = rand::random();
        let app = totp(secret.to_vec(), &principal.user.email)?;
        let (sealed, key_id) = self.keys.seal(&principal.user.id, &secret);
        if !self.store.set_up_totp(&principal.user.id, &sealed, key_id, self.now()).await? {
            return Err(AuthError::Conflict {
                code: ErrorCode::MfaAlreadyEnabled,
                message: "An authenticator app is turned on already; turn it off first.",
            });
        }
        let uri = app.get_url();
        let qr = qrcode::QrCode::new(uri.as_bytes())
            .map_err(|error| AuthError::Internal(format!("drawing the QR code: {error}")))?;
        let qr_svg = qr.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).build();
        Ok(TotpSetup { secret: app.get_secret_base32().into(), otpauth_uri: uri.into(), qr_svg })
    }

    /// Turns the app set up by [`Engine::totp_setup`] on with its first code, and gives the user ten
    /// new recovery codes. A wrong code is 403 `INVALID_MFA_CODE`, throttled like a wrong password.
    pub async fn totp_confirm(
        &self,
        principal: &Principal,
        code: &str,
        meta: &RequestMeta,
    ) -> AuthResult<RecoveryCodes> {
        let user = &principal.user;
        let row = self.store.totp_of(&user.id).await?.filter(|row| row.confirmed_at.is_none());
        let Some(row) = row else {
            return Err(AuthError::BadRequest("Set up an authenticator app first.".into()));
        };
        let step = self
            .judge_second_factor(&user.email, meta, async { self.totp_step(&row, &user.email, code).await })
            .await?;
        let now = self.now();
        let entry = self.session_entry(&principal.session_id).await?.ok_or(AuthError::NotFound)?;
        let mut tx = self.store.write_tx().await?;
        if !Store::accept_totp_step(&mut tx, &user.id, step.ok_or(WRONG_CODE)?, now, true).await? {
            tx.rollback().await?;
            return Err(WRONG_CODE);
        }
        let recovery_codes = renew_recovery_codes(&mut tx, &user.id, now).await?;
        Store::record_event(&mut tx, &self.session_event(AuditKind::MfaEnabled, now, &entry.state, meta)).await?;
        tx.commit().await?;
        Ok(RecoveryCodes { recovery_codes })
    }

    /// The step whose code `code` is for the app `row`, within one step of now; `None` for a code
    /// that is no code of the app's now. Whether it was accepted before is for the store to say.
    pub(crate) async fn totp_step(&self, row: &TotpRow, email: &str, code: &str) -> AuthResult<Option<i64>> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(None);
        }
        let app = totp(self.open_totp(row).await?, email)?;
        let now_step = self.now() / STEP_SECS;
        let step =
            (now_step - 1..=now_step + 1).find(|step| same_code(&app.generate((step * STEP_SECS) as u64), &code));
        Ok(step)
    }

    /// The app's secret, re-sealed under the current key when it was sealed under an earlier one.
    async fn open_totp(&self, row: &TotpRow) -> AuthResult<Vec<u8>> {
        let secret = self.keys.open(&row.user_id, &row.sealed, &row.key_id).ok_or_else(|| {
            AuthError::Internal(format!("the authenticator app of user {} is sealed under no key held", row.user_id))
        })?;
        if row.key_id != self.keys.current_id() {
            self.reseal(row, &secret).await?;
        }
        Ok(secret)
    }

    async fn reseal(&self, row: &TotpRow, secret: &[u8]) -> AuthResult<()> {
        let (sealed, key_id) = self.keys.seal(&row.user_id, secret);
        self.store.reseal_totp(&row.user_id, &row.key_id, &sealed, key_id).await
    }

    /// At start: re-seals every app secret sealed under an earlier key, and refuses to start when
    /// one opens under no key held (a third rotation would otherwise lock its user out unseen).
    pub(crate) async fn reseal_factor_secrets(&self) -> Result<usize, StartError> {
        let stale =
            self.store.totp_sealed_under_other_keys(self.keys.current_id()).await.map_err(StartError::Settings)?;
        for row in &stale {
            let Some(secret) = self.keys.open(&row.user_id, &row.sealed, &row.key_id) else {
                return Err(StartError::UnreadableFactor(format!(
                    "the authenticator app of user {} is sealed under a signing secret not given",
                    row.user_id
                )));
            };
            self.reseal(row, &secret).await.map_err(StartError::Settings)?;
        }
        Ok(stale.len())
    }
}

/// What an authenticator app shows at `at` (Unix seconds) for a base32 secret: the tests compute
/// codes as an app would.
#[cfg(feature = "test-hooks")]
pub fn code_at(secret_base32: &str, at: i64) -> String {
    let secret = totp_rs::Secret::Encoded(secret_base32.into()).to_bytes().expect("a base32 secret");
    totp(secret, "test@example.com").expect("a valid secret").generate(at as u64)
}
