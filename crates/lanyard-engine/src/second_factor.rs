//! A sign-in's second step (SPEC §11). A right password of a user with an authenticator app or a
//! passkey opens no session: it answers a five-minute token, kept in the database so any instance
//! serves the second step, and consumed only by a second step that succeeds. A wrong code keeps the
//! token usable, is counted like a wrong password, and never ends a session.

use super::attempts::{Flow, Outcome};
use super::error::{AuthError, AuthResult, OperatorError};
use super::guard::Principal;
use super::hooks::Step;
use super::input::plain_text;
use super::instance::Engine;
#[cfg(feature = "passkeys")]
use super::passkeys::{Ceremony, PasskeyUse};
use super::policy::RequestMeta;
use super::recovery_codes::matching_recovery_code;
use super::sessions::{Issued, SessionRequest};
use super::store::audit::AuthEvent;
use super::store::factors::{FactorCounts, MfaTokenRow, PasskeyRow};
use super::store::{Store, Tx};
use super::tokens::{hash_refresh_token, looks_like_refresh_token, new_refresh_token};
use super::totp::WRONG_CODE;
use lanyard_contract::{
    AuditKind, ErrorCode, MfaMethod, MfaProof, MfaRequired, MfaStatus, PasskeyView, Secret, UserView,
};
use std::future::Future;

/// How long a sign-in waits between its two steps.
const MFA_TOKEN_TTL: i64 = 300;

/// A wrong second factor at a sign-in's second step: 401, not an ending; the token stays usable.
const WRONG_CODE_AT_SIGN_IN: AuthError =
    AuthError::Unauthorized { code: ErrorCode::InvalidMfaCode, message: "The code is not valid." };

/// A second step whose token is used, unknown or past its five minutes: the page starts over.
const SIGN_IN_EXPIRED: AuthError = AuthError::Unauthorized {
    code: ErrorCode::MfaTokenExpired,
    message: "This sign-in has expired. Enter your password again.",
};

/// A password reset of a second-factor user, waiting for the second step to commit.
pub(crate) struct PendingReset {
    /// The reset link's hash, used when the reset commits.
    pub link_hash: String,
    /// The new password's hash.
    pub password_hash: String,
}

/// A second factor proven, and what accepting it will write.
pub(crate) enum Proven {
    /// A code of the app, for this 30-second step.
    TotpStep(i64),
    /// A recovery code (as stored).
    RecoveryCode(String),
    /// A passkey, with its new counter.
    #[cfg(feature = "passkeys")]
    Passkey(PasskeyUse),
}

/// A factor the user removes.
#[derive(Clone, Copy, Debug)]
enum Factor<'a> {
    /// The authenticator app.
    App,
    /// The passkey with this id.
    Passkey(&'a str),
}

/// A second step that signed in: the tokens, the user, and after a recovery code how many are left.
#[derive(Debug)]
pub struct SecondStep {
    /// The new session's tokens.
    pub issued: Issued,
    /// The user who signed in.
    pub user: UserView,
    /// Recovery codes left, after a sign-in with one.
    pub recovery_codes_left: Option<u32>,
}

impl Engine {
    /// The user's second factors, in SPEC's order; empty without an app or a passkey (recovery
    /// codes alone are no factor).
    pub(crate) async fn methods_of(&self, user_id: &str) -> AuthResult<Vec<MfaMethod>> {
        let FactorCounts { totp, passkeys, recovery_codes } = self.store.factor_counts(user_id).await?;
        if totp == 0 && passkeys == 0 {
            return Ok(Vec::new());
        }
        let methods =
            [(totp, MfaMethod::Totp), (passkeys, MfaMethod::Passkey), (recovery_codes, MfaMethod::RecoveryCode)];
        Ok(methods.into_iter().filter(|(count, _)| *count > 0).map(|(_, method)| method).collect())
    }

    /// The first step's answer for a user with a second factor, or `None` for one without. The
    /// sign-in (and a waiting reset) is kept under a new token for five minutes.
    pub(crate) async fn begin_second_step(
        &self,
        request: &SessionRequest<'_>,
        reset: Option<PendingReset>,
    ) -> AuthResult<Option<MfaRequired>> {
        let methods = self.methods_of(request.user_id).await?;
        if methods.is_empty() {
            return Ok(None);
        }
        let token = new_refresh_token();
        let hash = hash_refresh_token(&token);
        let now = self.now();
        let (reset_link_hash, new_password_hash) = reset.map(|r| (r.link_hash, r.password_hash)).unzip();
        let row = MfaTokenRow {
            user_id: request.user_id.to_owned(),
            remember_me: i64::from(request.remember_me),
            device_id: request.device_id.map(str::to_owned),
            reset_link_hash,
            new_password_hash,
            expires_at: now + MFA_TOKEN_TTL,
            used_at: None,
        };
        let mut tx = self.store.write_tx().await?;
        Store::insert_mfa_token(&mut tx, &hash, &row, now).await?;
        tx.commit().await?;
        #[cfg(feature = "passkeys")]
        let passkey_options = match methods.contains(&MfaMethod::Passkey) {
            true => {
                let passkeys = self.store.passkeys_of(request.user_id).await?;
                Some(self.passkey_request(Ceremony::SecondStep(&hash), &passkeys).await?)
            }
            false => None,
        };
        #[cfg(not(feature = "passkeys"))]
        let passkey_options = None;
        Ok(Some(MfaRequired { mfa_required: true, mfa_token: token.into(), methods, passkey_options }))
    }

    /// The second step of a sign-in: the first step's token and one factor. It signs in with the
    /// first step's `remember_me` and device, and commits a waiting password reset with the new
    /// session. A wrong factor is 401 `INVALID_MFA_CODE` (throttled, the token kept); a used,
    /// unknown or expired token is 401 `MFA_TOKEN_EXPIRED`.
    pub async fn login_mfa(&self, mfa_token: &str, proof: &MfaProof, meta: &RequestMeta) -> AuthResult<SecondStep> {
        let hash = hash_refresh_token(mfa_token);
        let pending = match looks_like_refresh_token(mfa_token) {
            true => self.store.mfa_token(&hash).await?,
            false => None,
        };
        let now = self.now();
        let pending = pending.filter(|row| row.used_at.is_none() && row.expires_at > now).ok_or(SIGN_IN_EXPIRED)?;
        let user = self.store.user_by_id(&pending.user_id).await?.ok_or(SIGN_IN_EXPIRED)?;
        let (account_id, account) = self.account_to_sign_in(&user).await?;
        let proven =
            self.judge_second_factor(&user.email, meta, self.prove(&user.id, &user.email, proof, &hash)).await?;
        let Some(proven) = proven else {
            self.record_second_factor_failure(&user.id, meta).await;
            return Err(WRONG_CODE_AT_SIGN_IN);
        };

        let request = SessionRequest {
            user_id: &user.id,
            account_id: &account_id,
            remember_me: pending.remember_me != 0,
            device_id: pending.device_id.as_deref(),
        };
        let new_device = self.is_new_device(&request).await?;
        let now = self.now();
        let mut tx = self.store.write_tx().await?;
        if !Store::use_mfa_token(&mut tx, &hash, now).await? {
            tx.rollback().await?;
            return Err(SIGN_IN_EXPIRED);
        }
        if !Self::accept(&mut tx, &user.id, &proven, now).await? {
            tx.rollback().await?;
            return Err(WRONG_CODE_AT_SIGN_IN);
        }
        let reset = pending.reset_link_hash.as_deref().zip(pending.new_password_hash.as_deref());
        let mut endings = Vec::new();
        if let Some((link_hash, password_hash)) = reset {
            let Some(ended) = self.write_password_reset(&mut tx, &user.id, link_hash, password_hash, now, meta).await?
            else {
                tx.rollback().await?;
                return Err(self.link_lost(link_hash).await);
            };
            endings = ended;
        }
        let mut opened = self.open_session(&mut tx, &request, new_device, now, meta).await?;
        if reset.is_some() {
            self.record_password_reset(&mut tx, &user.id, &account_id, &opened.session_id, now, meta).await?;
        }
        if matches!(proven, Proven::RecoveryCode(_)) {
            let event = AuthEvent {
                user_id: Some(&user.id),
                account_id: Some(&account_id),
                session_id: Some(&opened.session_id),
                ..self.event(AuditKind::RecoveryCodeUsed, now, meta)
            };
            Store::record_event(&mut tx, &event).await?;
        }
        self.hooks.reach(Step::SecondStepWritten).await?;
        tx.commit().await?;
        for ending in endings.into_iter().chain(std::mem::take(&mut opened.endings)) {
            self.announce(ending, meta);
        }
        if reset.is_some() {
            self.password_reset_committed(&user.id, &user.email).await;
        }
        let recovery_codes_left = match proven {
            Proven::RecoveryCode(_) => Some(self.store.factor_counts(&user.id).await?.recovery_codes.max(0) as u32),
            _ => None,
        };
        let (issued, user) = self.signed_in(opened, user, account_id, account, now)?;
        Ok(SecondStep { issued, user, recovery_codes_left })
    }

    /// Judges a second factor under its throttle (per email and address, shared by every
    /// instance): a factor that is wrong counts, one that is right clears the count, and a check
    /// that failed on lanyard's side counts nothing.
    pub(crate) async fn judge_second_factor<T>(
        &self,
        email: &str,
        meta: &RequestMeta,
        check: impl Future<Output = AuthResult<Option<T>>>,
    ) -> AuthResult<Option<T>> {
        let attempt = self.attempt(Flow::SecondFactor, email, meta).await?;
        let judged = check.await;
        let outcome = match &judged {
            Ok(Some(_)) => Outcome::Succeeded,
            Ok(None) => Outcome::Counted,
            Err(_) => Outcome::Refunded,
        };
        if let Err(error) = self.settle(attempt, outcome).await {
            tracing::warn!("settling a second-factor attempt: {error}");
        }
        judged
    }

    /// Whether `proof` is one of the user's factors now; `None` for one that is wrong. A passkey's
    /// assertion must answer a challenge of the ceremony `mfa_token_hash` names.
    async fn prove(
        &self,
        user_id: &str,
        email: &str,
        proof: &MfaProof,
        mfa_token_hash: &str,
    ) -> AuthResult<Option<Proven>> {
        match proof {
            MfaProof::Code(code) => self.prove_code(user_id, email, code).await,
            MfaProof::RecoveryCode(code) => {
                let unused = self.store.unused_recovery_codes(user_id).await?;
                Ok(matching_recovery_code(user_id, code.expose(), &unused).cloned().map(Proven::RecoveryCode))
            }
            #[cfg(feature = "passkeys")]
            MfaProof::Credential(credential) => Ok(self
                .passkey_assertion(credential, Ceremony::SecondStep(mfa_token_hash), user_id)
                .await?
                .map(Proven::Passkey)),
            #[cfg(not(feature = "passkeys"))]
            MfaProof::Credential(_) => {
                let _ = mfa_token_hash;
                Ok(None)
            }
        }
    }

    async fn prove_code(&self, user_id: &str, email: &str, code: &Secret) -> AuthResult<Option<Proven>> {
        let Some(row) = self.store.totp_of(user_id).await?.filter(|row| row.confirmed_at.is_some()) else {
            return Ok(None);
        };
        Ok(self.totp_step(&row, email, code.expose()).await?.map(Proven::TotpStep))
    }

    /// A second factor of the signed-in user, for step-up: an app's code or a passkey (a recovery
    /// code is for signing in only). Wrong: 403 `INVALID_MFA_CODE`, throttled, the session kept.
    pub(crate) async fn prove_signed_in(
        &self,
        principal: &Principal,
        proof: &MfaProof,
        meta: &RequestMeta,
    ) -> AuthResult<Proven> {
        let user = &principal.user;
        let judged = match proof {
            MfaProof::Code(code) => {
                self.judge_second_factor(&user.email, meta, self.prove_code(&user.id, &user.email, code)).await?
            }
            #[cfg(feature = "passkeys")]
            MfaProof::Credential(credential) => {
                let assertion = async {
                    let ceremony = Ceremony::Reauth(&principal.session_id);
                    Ok(self.passkey_assertion(credential, ceremony, &user.id).await?.map(Proven::Passkey))
                };
                self.judge_second_factor(&user.email, meta, assertion).await?
            }
            _ => return Err(AuthError::BadRequest("Confirm with your password, a code or a passkey.".into())),
        };
        match judged {
            Some(proven) => Ok(proven),
            None => {
                self.record_second_factor_failure(&user.id, meta).await;
                Err(WRONG_CODE)
            }
        }
    }

    /// Writes what accepting `proven` changes, in `tx`: the app's step, the recovery code used, the
    /// passkey's counter. False when another request used the same code first.
    pub(crate) async fn accept(tx: &mut Tx, user_id: &str, proven: &Proven, now: i64) -> AuthResult<bool> {
        match proven {
            Proven::TotpStep(step) => Store::accept_totp_step(tx, user_id, *step, now, false).await,
            Proven::RecoveryCode(hash) => Store::use_recovery_code(tx, user_id, hash, now).await,
            #[cfg(feature = "passkeys")]
            Proven::Passkey(used) => {
                Store::passkey_used(tx, &used.id, &used.credential, now).await?;
                Ok(true)
            }
        }
    }

    /// Records a wrong second factor in the audit trail; a record that cannot be written fails
    /// nothing.
    async fn record_second_factor_failure(&self, user_id: &str, meta: &RequestMeta) {
        let event = AuthEvent { user_id: Some(user_id), ..self.event(AuditKind::SecondFactorFailed, self.now(), meta) };
        let recorded = async {
            let mut tx = self.store.write_tx().await?;
            Store::record_event(&mut tx, &event).await?;
            tx.commit().await
        };
        if let Err(error) = recorded.await {
            tracing::warn!("recording a wrong second factor: {error}");
        }
    }

    /// The caller's second factors, for the security page.
    pub async fn mfa_status(&self, principal: &Principal) -> AuthResult<MfaStatus> {
        let user_id = &principal.user.id;
        let counts = self.store.factor_counts(user_id).await?;
        let passkeys = self.store.passkeys_of(user_id).await?.into_iter().map(passkey_view).collect();
        Ok(MfaStatus { totp: counts.totp > 0, passkeys, recovery_codes_left: counts.recovery_codes.max(0) as u32 })
    }

    /// The caller's passkeys, oldest first.
    pub async fn passkeys(&self, principal: &Principal) -> AuthResult<Vec<PasskeyView>> {
        Ok(self.store.passkeys_of(&principal.user.id).await?.into_iter().map(passkey_view).collect())
    }

    /// Turns the authenticator app off (a sensitive action). The recovery codes go too unless a
    /// passkey is left. No session ends.
    pub async fn totp_disable(&self, principal: &Principal, meta: &RequestMeta) -> AuthResult<()> {
        self.remove_factor(principal, Factor::App, meta).await
    }

    /// Removes one of the caller's passkeys (a sensitive action); the recovery codes go with the
    /// last factor. No session ends. Another user's passkey is "not found".
    pub async fn delete_passkey(&self, principal: &Principal, id: &str, meta: &RequestMeta) -> AuthResult<()> {
        plain_text("id", id)?;
        self.remove_factor(principal, Factor::Passkey(id), meta).await
    }

    /// Removes one of the caller's factors after the step-up check, the recovery codes with the
    /// last one, and records it; "not found" when the caller has no such factor.
    async fn remove_factor(&self, principal: &Principal, factor: Factor<'_>, meta: &RequestMeta) -> AuthResult<()> {
        self.require_recent_password(principal).await?;
        let user_id = &principal.user.id;
        let entry = self.session_entry(&principal.session_id).await?.ok_or(AuthError::NotFound)?;
        let now = self.now();
        let mut tx = self.store.write_tx().await?;
        let (removed, kind) = match factor {
            Factor::App => (Store::delete_totp(&mut tx, user_id).await?, AuditKind::MfaDisabled),
            Factor::Passkey(id) => (Store::delete_passkey(&mut tx, user_id, id).await?, AuditKind::PasskeyRemoved),
        };
        if !removed {
            tx.rollback().await?;
            return Err(AuthError::NotFound);
        }
        if !Store::factor_counts_in(&mut tx, user_id).await?.any_factor() {
            Store::delete_recovery_codes(&mut tx, user_id).await?;
        }
        Store::record_event(&mut tx, &self.session_event(kind, now, &entry.state, meta)).await?;
        tx.commit().await
    }

    /// Removes every second factor of the user `email` (an operator's `admin mfa reset`, for a user
    /// who lost them all), recorded in the user's security activity. Sessions are kept.
    pub async fn reset_second_factor(&self, email: &str) -> Result<u64, OperatorError> {
        let user = self.store.user_by_email(email).await?.ok_or_else(|| OperatorError::NoSuchUser(email.to_owned()))?;
        let meta = RequestMeta::background();
        let now = self.now();
        let mut tx = self.store.write_tx().await?;
        let removed = Store::delete_factors(&mut tx, &user.id).await?;
        let event = AuthEvent {
            user_id: Some(&user.id),
            account_id: user.account_id.as_deref(),
            ..self.event(AuditKind::MfaReset, now, &meta)
        };
        Store::record_event(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(removed)
    }
}

fn passkey_view(row: PasskeyRow) -> PasskeyView {
    PasskeyView { id: row.id, name: row.name, created_at: row.created_at, last_used_at: row.last_used_at }
}
