//! What an owner or admin may do with their account: see it at a glance, list its users, and end
//! a user's sessions. Every call takes the [`Admin`] proof, which only the role check makes
//! (`Principal::admin`), so none can be reached without it.

use super::ending::Initiator;
use super::error::{AuthError, AuthResult};
use super::guard::Admin;
use super::input::plain_text;
use super::instance::Engine;
use super::policy::RequestMeta;
use super::store::accounts::AccountCounts;
use lanyard_contract::{AccountUsers, AdminOverview, LogoutCode};

impl Engine {
    /// The account at a glance, for the admin page.
    pub async fn admin_overview(&self, admin: &Admin) -> AuthResult<AdminOverview> {
        let account_id = admin.user.account_id.clone().ok_or(AuthError::NotFound)?;
        let AccountCounts { active_sessions, users } = self.store.account_counts(&account_id, self.now()).await?;
        Ok(AdminOverview { account_id, account_name: admin.user.account_name.clone(), users, active_sessions })
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
