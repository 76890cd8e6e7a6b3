//! Step-up (SPEC §1): a sensitive action needs a password check within the reauth window, counted
//! from the session's last one (its sign-in, a reauth or a password change), never from its
//! creation. Without one the action is refused with 403 `REAUTH_REQUIRED` and the session is kept;
//! a wrong password is 403 `WRONG_PASSWORD`, throttled like sign-in. The first sensitive action is
//! an admin ending another user's sessions (`admin`).

use super::error::{AuthError, AuthResult};
use super::guard::Principal;
use super::instance::Engine;
use super::policy::RequestMeta;
use super::store::Store;
use lanyard_contract::{AuditKind, ErrorCode};

impl Engine {
    /// Checks the caller's password again; returns until when sensitive actions need no new check.
    pub async fn reauth(&self, principal: &Principal, password: &str, meta: &RequestMeta) -> AuthResult<i64> {
        let entry = self.session_entry(&principal.session_id).await?.ok_or(AuthError::NotFound)?;
        if self.check_session_password(principal, password, meta).await?.is_none() {
            return Err(AuthError::Forbidden { code: ErrorCode::WrongPassword, message: "The password is incorrect." });
        }
        let now = self.now();
        let mut tx = self.store.write_tx().await?;
        Store::set_password_checked(&mut tx, &principal.session_id, now).await?;
        Store::record_event(&mut tx, &self.session_event(AuditKind::Reauthed, now, &entry.state, meta)).await?;
        tx.commit().await?;
        Ok(now + self.policy.reauth_window)
    }

    /// Refuses a sensitive action with `REAUTH_REQUIRED` unless the session's password was checked
    /// within the window. Read from the database, not the live view: a reauth on another instance a
    /// moment ago counts.
    pub async fn require_recent_password(&self, principal: &Principal) -> AuthResult<()> {
        let checked_at = self.store.password_checked_at(&principal.session_id).await?.ok_or(AuthError::NotFound)?;
        if self.now() - checked_at >= self.policy.reauth_window {
            return Err(AuthError::ReauthRequired);
        }
        Ok(())
    }
}
