//! The links of SPEC §10: each carries a single-use token of 256 random bits, stored only as its
//! hash, that lives as long as its kind allows, and that a newer link of its kind replaces.

use super::error::{AuthError, AuthResult};
use super::instance::Engine;
use super::mail::Letter;
use super::store::Store;
use super::store::links::{LinkRow, NewLink};
use super::tokens::{hash_refresh_token, looks_like_refresh_token, new_refresh_token};
use lanyard_contract::TokenState;

lanyard_contract::closed_set! {
    /// What a link does.
    pub enum LinkKind {
        /// Confirms a new user's address.
        VerifyEmail = "verify_email",
        /// Sets a new password.
        PasswordReset = "password_reset",
        /// Confirms a new address, from the new address.
        EmailChange = "email_change",
        /// Cancels an email change, from the old address.
        EmailCancel = "email_cancel",
        /// Joins an account.
        Invitation = "invitation",
    }
}

impl LinkKind {
    /// How long a link of this kind works (SPEC §10).
    pub fn lifetime_secs(self) -> i64 {
        const HOUR: i64 = 3_600;
        match self {
            Self::VerifyEmail | Self::EmailChange | Self::EmailCancel => 24 * HOUR,
            Self::PasswordReset => HOUR / 2,
            Self::Invitation => 7 * 24 * HOUR,
        }
    }

    /// The page a link of this kind opens.
    pub fn page(self) -> &'static str {
        match self {
            Self::VerifyEmail => "/verify-email",
            Self::PasswordReset => "/reset-password",
            Self::EmailChange => "/email-change",
            Self::EmailCancel => "/email-cancel",
            Self::Invitation => "/invite",
        }
    }
}

/// A new link's token: what goes in the mail, and what is stored.
struct LinkToken {
    token: String,
    hash: String,
}

impl LinkToken {
    /// A fresh token: 256 random bits, as a refresh token is.
    fn new() -> Self {
        let token = new_refresh_token();
        Self { hash: hash_refresh_token(&token), token }
    }
}

/// Why a stored link no longer works, if it does not.
fn state_of(link: &LinkRow, now: i64) -> Option<TokenState> {
    if link.used_at.is_some() {
        Some(TokenState::Used)
    } else if link.replaced_at.is_some() {
        Some(TokenState::Replaced)
    } else if link.expires_at <= now {
        Some(TokenState::Expired)
    } else {
        None
    }
}

/// Who a link is for: a user, or an invitee (an email, an account and a role).
pub(crate) struct LinkFor<'a> {
    pub user_id: Option<&'a str>,
    pub email: &'a str,
    pub account_id: Option<&'a str>,
    pub role: Option<&'a str>,
}

impl Engine {
    /// Makes a link of `kind` for `to`, and queues the letter `write` makes of the link's address, in
    /// one transaction: a token is stored (hashed) only with its mail, and the mail only with it.
    /// Returns the stored hash, which names the link without revealing it.
    pub(crate) async fn send_link<'a>(
        &self,
        kind: LinkKind,
        to: LinkFor<'a>,
        write: impl FnOnce(&str) -> Letter<'a>,
    ) -> AuthResult<String> {
        let now = self.now();
        let link = LinkToken::new();
        let stored = NewLink {
            hash: &link.hash,
            kind: kind.as_str(),
            user_id: to.user_id,
            email: to.email,
            account_id: to.account_id,
            role: to.role,
            expires_at: now + kind.lifetime_secs(),
        };
        let letter = write(&self.mail.link(kind.page(), &link.token));
        let mut tx = self.store.write_tx().await?;
        Store::insert_link(&mut tx, &stored, now).await?;
        self.queue_letter(&mut tx, letter, now).await?;
        tx.commit().await?;
        self.mail_queued();
        Ok(link.hash)
    }

    /// The live link of `kind` that `token` names, with its hash; otherwise 400 `TOKEN_INVALID`
    /// saying why. A token of another kind is unknown here: a reset link does not verify an address.
    pub(crate) async fn live_link(&self, kind: LinkKind, token: &str) -> AuthResult<(String, LinkRow)> {
        let unknown = AuthError::TokenInvalid(TokenState::Unknown);
        if !looks_like_refresh_token(token) {
            return Err(unknown);
        }
        let hash = hash_refresh_token(token);
        let link = self.store.link(&hash).await?.filter(|link| link.kind == kind.as_str()).ok_or(unknown)?;
        match state_of(&link, self.now()) {
            Some(state) => Err(AuthError::TokenInvalid(state)),
            None => Ok((hash, link)),
        }
    }

    /// Why the link `hash` stopped working since it was read live (another request used it first).
    pub(crate) async fn link_lost(&self, hash: &str) -> AuthError {
        let state = match self.store.link(hash).await {
            Ok(Some(link)) => state_of(&link, self.now()).unwrap_or(TokenState::Used),
            Ok(None) => TokenState::Unknown,
            Err(error) => return error,
        };
        AuthError::TokenInvalid(state)
    }
}
