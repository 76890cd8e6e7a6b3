//! Accounts and users: the engine's [`Accounts`] (lanyard's own table unless the app gives its
//! own), users' creation (operator CLI) and the demo seed.

use super::directory::{AccountStanding, Accounts};
use super::ending::Initiator;
use super::error::{AuthError, AuthResult, OperatorError};
use super::input::plain_text;
use super::instance::Engine;
use super::live::Change;
use super::new_password::new_password;
use super::policy::RequestMeta;
use super::store::Store;
use super::store::accounts::AccountChange;
use lanyard_contract::credentials::EmailAddress;
use lanyard_contract::{LogoutCode, Role};
use std::sync::Arc;

/// The account a user joins when the operator names none.
pub const DEFAULT_ACCOUNT: &str = "default";

/// The demo account of SPEC §7, seeded by `LANYARD_DEMO` on an empty database so that a person can
/// sign in at once: one user of each role, sharing a password that is printed at start.
pub struct DemoAccount;

impl DemoAccount {
    /// The name of the account the demo users belong to.
    pub const ACCOUNT: &str = "demo";
    /// The password every demo user shares, printed at start so a person can sign in at once.
    pub const PASSWORD: &str = "lanyard-demo";
    /// The demo users, by email: one of each role, so every page can be tried.
    pub const USERS: [(&str, Role); 3] =
        [("owner@example.com", Role::Owner), ("admin@example.com", Role::Admin), ("viewer@example.com", Role::Viewer)];

    /// The lines that tell a person how to sign in: the password, then each user with its role.
    pub fn sign_in_lines() -> Vec<String> {
        let users = Self::USERS.iter().map(|(email, role)| format!("  {email:<22} {}", role.as_str()));
        std::iter::once(format!("demo users (password {:?}):", Self::PASSWORD)).chain(users).collect()
    }
}

impl Engine {
    /// Creates a user in `account` (created, active with an active plan, if new).
    pub async fn create_user(
        &self,
        email: &str,
        password: &str,
        role: Role,
        account: &str,
    ) -> Result<String, OperatorError> {
        for (field, text) in [("email address", email), ("account name", account)] {
            plain_text(field, text)
                .map_err(|_| OperatorError::Invalid(format!("the {field} has control characters")))?;
        }
        let email = EmailAddress::parse(email).map_err(OperatorError::Invalid)?;
        let password = new_password(password, email.as_str()).map_err(OperatorError::Invalid)?;
        let account_id = match self.accounts.named(account).await? {
            Some(id) => id,
            None => match self.accounts.create(account).await? {
                Some(id) => id,
                // Another writer created it meanwhile.
                None => self
                    .accounts
                    .named(account)
                    .await?
                    .ok_or(AuthError::Unavailable("the account was neither found nor created".into()))?,
            },
        };
        let hash = self.passwords.hash(password.expose()).await?;
        let user_id = self
            .store
            .insert_user(email.as_str(), &hash, role, Some(&account_id), Some(self.now()), self.now())
            .await?
            .ok_or_else(|| OperatorError::UserExists(email.as_str().to_owned()))?;
        self.accounts.add_member(&account_id, &user_id, role).await?;
        Ok(user_id)
    }

    /// Seeds the demo account on an empty database; returns whether it did.
    pub async fn seed_demo(&self) -> Result<bool, OperatorError> {
        if self.store.user_count().await? > 0 {
            return Ok(false);
        }
        for (email, role) in DemoAccount::USERS {
            self.create_user(email, DemoAccount::PASSWORD, role, DemoAccount::ACCOUNT).await?;
        }
        Ok(true)
    }
}

impl Engine {
    /// Uses `accounts` in place of lanyard's own accounts table; call it before the engine serves.
    pub fn with_accounts(mut self, accounts: Arc<dyn Accounts>) -> Self {
        self.accounts = accounts;
        self
    }

    /// The standing of the account `account_id`, as the engine's accounts say; `None` for no account.
    pub(crate) async fn standing(&self, account_id: Option<&str>) -> AuthResult<Option<AccountStanding>> {
        match account_id {
            Some(id) => self.accounts.standing(id).await,
            None => Ok(None),
        }
    }

    /// Says that the standing of the account `account_id` changed (in an app's own [`Accounts`]):
    /// every instance judges its sessions' next calls on the new standing.
    pub async fn account_changed(&self, account_id: &str) -> AuthResult<()> {
        let mut tx = self.store.write_tx().await?;
        let change = Change::Account(account_id.to_owned());
        change.publish(&mut tx, &self.store, self.now()).await?;
        tx.commit().await?;
        self.live.apply(&change);
        Ok(())
    }

    /// Sets the status or plan of the account of the user `email` in lanyard's own accounts table.
    /// Sessions are not touched here: the next call of each is judged against the new state, on
    /// every instance.
    pub async fn change_account(&self, email: &str, change: AccountChange) -> Result<String, OperatorError> {
        let account_id = self
            .store
            .user_by_email(email)
            .await?
            .ok_or_else(|| OperatorError::NoSuchUser(email.to_owned()))?
            .account_id
            .ok_or_else(|| OperatorError::NoAccount(email.to_owned()))?;
        let now = self.now();
        let mut tx = self.store.write_tx().await?;
        Store::change_account(&mut tx, &account_id, change).await?;
        let change = Change::Account(account_id.clone());
        change.publish(&mut tx, &self.store, now).await?;
        tx.commit().await?;
        self.live.apply(&change);
        Ok(account_id)
    }

    /// Ends every live session of the user `email` with ADMIN_REVOKED; returns their ids.
    pub async fn revoke_user_sessions(&self, email: &str) -> Result<Vec<String>, OperatorError> {
        let user = self.store.user_by_email(email).await?.ok_or_else(|| OperatorError::NoSuchUser(email.to_owned()))?;
        let meta = RequestMeta::background();
        let mut revoked = Vec::new();
        for state in self.store.live_sessions_of_user(&user.id).await? {
            self.end_session(&state, LogoutCode::AdminRevoked, Initiator::Automatic, &meta).await?;
            revoked.push(state.session_id);
        }
        Ok(revoked)
    }
}
