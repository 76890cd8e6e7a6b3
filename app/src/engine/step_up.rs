//! Step-up (SPEC §1): a sensitive action needs a password check within the reauth window, counted
//! from the session's last one (its sign-in, a reauth or a password change), never from its
//! creation. Without one the action is refused with 403 `REAUTH_REQUIRED` and the session is kept;
//! a wrong password is 403 `WRONG_PASSWORD`, throttled like sign-in. The first sensitive action is
//! an admin ending another user's sessions.

use super::ending::Initiator;
use super::error::{AuthError, AuthResult};
use super::guard::{Admin, Principal};
use super::input::plain_text;
use super::instance::Engine;
use super::policy::RequestMeta;
use super::store::Store;
use crate::contract::{AccountUsers, AuditKind, ErrorCode, LogoutCode};

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

    /// The users of the caller's account with their live sessions (`/admin/users`).
    pub async fn account_users(&self, admin: &Admin) -> AuthResult<AccountUsers> {
        let account_id = admin.user.account_id.as_deref().ok_or(AuthError::NotFound)?;
        Ok(AccountUsers { users: self.store.account_users(account_id, self.now()).await? })
    }

    /// Ends every live session of a user of the caller's account with ADMIN_REVOKED, after the
    /// step-up check; a user of another account is "not found". Returns how many ended.
    pub async fn end_user_sessions(&self, admin: &Admin, user_id: &str, meta: &RequestMeta) -> AuthResult<u64> {
        plain_text("user_id", user_id)?;
        self.require_recent_password(admin).await?;
        let same_account = self.store.account_of_user(user_id).await?;
        if same_account.is_none() || same_account != admin.user.account_id {
            return Err(AuthError::NotFound);
        }
        let mut ended = 0;
        for state in self.store.live_sessions_of_user(user_id).await? {
            if self.end_session(&state, LogoutCode::AdminRevoked, Initiator::Automatic, meta).await?
                == LogoutCode::AdminRevoked
            {
                ended += 1;
            }
        }
        Ok(ended)
    }
}
