//! Step-up (SPEC §1, §11): a sensitive action needs a check within the reauth window, counted from
//! the session's last one (its sign-in, a reauth or a password change), never from its creation.
//! The check is the password, or a second factor of the user's: an app's code or a passkey.
//! Without one the action is refused with 403 `REAUTH_REQUIRED` and the session is kept; a wrong
//! password or code is 403 (`WRONG_PASSWORD`, `INVALID_MFA_CODE`), throttled like sign-in.

use super::error::{AuthError, AuthResult};
use super::guard::Principal;
use super::instance::Engine;
use super::policy::RequestMeta;
use super::second_factor::Proven;
use super::store::Store;
use super::totp::WRONG_CODE;
use lanyard_contract::{AuditKind, ErrorCode, MfaProof, Secret};

/// What a reauth checks.
#[derive(Clone, Debug)]
pub enum StepUp {
    /// The password.
    Password(Secret),
    /// A second factor: an app's code or a passkey's assertion.
    Factor(MfaProof),
}

impl Engine {
    /// Checks the caller's password or second factor again; returns until when sensitive actions
    /// need no new check.
    pub async fn reauth(&self, principal: &Principal, check: &StepUp, meta: &RequestMeta) -> AuthResult<i64> {
        let entry = self.session_entry(&principal.session_id).await?.ok_or(AuthError::NotFound)?;
        let proven: Option<Proven> = match check {
            StepUp::Password(password) => {
                if self.check_session_password(principal, password.expose(), meta).await?.is_none() {
                    return Err(AuthError::Forbidden {
                        code: ErrorCode::WrongPassword,
                        message: "The password is incorrect.",
                    });
                }
                None
            }
            StepUp::Factor(proof) => Some(self.prove_signed_in(principal, proof, meta).await?),
        };
        let now = self.now();
        let mut tx = self.store.write_tx().await?;
        if let Some(proven) = &proven
            && !Self::accept(&mut tx, &principal.user.id, proven, now).await?
        {
            tx.rollback().await?;
            return Err(WRONG_CODE);
        }
        Store::set_password_checked(&mut tx, &principal.session_id, now).await?;
        Store::record_event(&mut tx, &self.session_event(AuditKind::Reauthed, now, &entry.state, meta)).await?;
        tx.commit().await?;
        Ok(now + self.policy.reauth_window)
    }

    /// Refuses a sensitive action with `REAUTH_REQUIRED` unless the session's last check was
    /// within the window. Read from the database, not the live view: a reauth on another instance
    /// a moment ago counts.
    pub async fn require_recent_password(&self, principal: &Principal) -> AuthResult<()> {
        let checked_at = self.store.password_checked_at(&principal.session_id).await?.ok_or(AuthError::NotFound)?;
        if self.now() - checked_at >= self.policy.reauth_window {
            return Err(AuthError::ReauthRequired);
        }
        Ok(())
    }
}
