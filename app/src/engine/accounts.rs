//! Accounts and users: creation (operator CLI) and the demo seed.

use super::error::{AuthError, AuthResult};
use super::passwords::check_policy;
use super::Engine;
use crate::contract::Role;

/// The account a user joins when the operator names none.
pub const DEFAULT_ACCOUNT: &str = "default";
pub const DEMO_ACCOUNT: &str = "demo";
pub const DEMO_PASSWORD: &str = "lanyard-demo";
pub const DEMO_USERS: [(&str, Role); 3] = [
    ("owner@example.com", Role::Owner),
    ("admin@example.com", Role::Admin),
    ("viewer@example.com", Role::Viewer),
];

impl Engine {
    /// Creates a user in `account` (created, active with an active plan, if new).
    pub async fn create_user(&self, email: &str, password: &str, role: Role, account: &str) -> AuthResult<String> {
        if !email.contains('@') || email.trim().len() > 254 {
            return Err(AuthError::BadRequest(format!("{email:?} is not an email address")));
        }
        check_policy(password, email).map_err(|message| AuthError::BadRequest(message.into()))?;
        let now = self.now();
        let account_id = self.store.ensure_account(account, now).await?;
        let hash = self.passwords.hash(password).await?;
        self.store
            .insert_user(email, &hash, role, Some(&account_id), now)
            .await?
            .ok_or_else(|| AuthError::BadRequest(format!("a user with the email {email} exists already")))
    }

    /// Seeds the demo account on an empty database; returns whether it did.
    pub async fn seed_demo(&self) -> AuthResult<bool> {
        if self.store.user_count().await? > 0 {
            return Ok(false);
        }
        for (email, role) in DEMO_USERS {
            self.create_user(email, DEMO_PASSWORD, role, DEMO_ACCOUNT).await?;
        }
        Ok(true)
    }
}
