//! Invitations (SPEC §10): an owner or an admin invites an address into their account with a role
//! (an admin may invite admins and viewers, an owner any role), a sensitive action; the link lets
//! the invitee see the account, then join it with a password of their own, signed in at once.
//! Invitations work whatever `LANYARD_SIGNUP` says.

use super::attempts::{Flow, Outcome};
use super::error::{AuthError, AuthResult};
use super::guard::Admin;
use super::input::plain_text;
use super::instance::Engine;
use super::links::{LinkFor, LinkKind};
use super::mail::Letter;
use super::mailer::{MailKind, html_escape};
use super::new_password::new_password;
use super::policy::RequestMeta;
use super::sessions::{Issued, SessionRequest};
use super::store::Store;
use lanyard_contract::credentials::EmailAddress;
use lanyard_contract::{ErrorCode, InvitationSent, InvitationView, NO_PERMISSION, Role, TokenState, UserView};

impl Engine {
    /// Invites `email` into the caller's account as `role`; a newer invitation of the same address
    /// to the same account voids the older. The role is checked before the step-up.
    pub async fn invite(&self, admin: &Admin, email: &str, role: Role) -> AuthResult<InvitationSent> {
        if role == Role::Owner && admin.user.role != Role::Owner {
            return Err(AuthError::Forbidden { code: ErrorCode::Forbidden, message: NO_PERMISSION });
        }
        self.require_recent_password(admin).await?;
        plain_text("email address", email)?;
        let email = EmailAddress::parse(email).map_err(AuthError::BadRequest)?;
        let account_id = admin.user.account_id.clone().ok_or(AuthError::NotFound)?;
        let account_name = admin.user.account_name.clone().unwrap_or_default();
        let (to, inviter) = (email.as_str(), admin.user.email.as_str());
        let link = LinkFor { user_id: None, email: to, account_id: Some(&account_id), role: Some(role.as_str()) };
        let kind = LinkKind::Invitation;
        let expires_at = self.now() + kind.lifetime_secs();
        let id = self
            .send_link(kind, link, |address| Letter {
                kind: MailKind::Invitation,
                to,
                subject: format!("{inviter} invites you to {account_name} on lanyard"),
                text: format!(
                    "{inviter} invites you to join the account {account_name} on lanyard as {role}.\n\n\
                     To join, open this link within 7 days and choose a password:\n{address}\n\n\
                     If you do not know {inviter}, ignore this message.\n"
                ),
                html: format!(
                    "<p>{inviter} invites you to join the account {account} on lanyard as {role}.</p>\
                     <p><a href=\"{address}\">Join {account}</a> within 7 days.</p>\
                     <p>If you do not know {inviter}, ignore this message.</p>",
                    inviter = html_escape(inviter),
                    account = html_escape(&account_name),
                ),
            })
            .await?;
        Ok(InvitationSent { id, email: to.to_owned(), expires_at })
    }

    /// What an invitation link offers: the address, the account and the role. Lookups are
    /// throttled per link and per address, like sign-in failures.
    pub async fn invitation(&self, token: &str, meta: &RequestMeta) -> AuthResult<InvitationView> {
        let attempt = self.attempt(Flow::Invitation, token, meta).await?;
        self.settle(attempt, Outcome::Counted).await?;
        let (_, link) = self.live_link(LinkKind::Invitation, token).await?;
        let (account_id, role) = invited(&link)?;
        let account = self.standing(Some(&account_id)).await?.ok_or(AuthError::TokenInvalid(TokenState::Unknown))?;
        Ok(InvitationView { email: link.email, account_name: account.name, role })
    }

    /// Joins the inviting account as a new user with the invitation's role, signed in at once (the
    /// link proved the address). 409 `EMAIL_TAKEN` when the address has a user already.
    pub async fn accept_invitation(
        &self,
        token: &str,
        password: &str,
        meta: &RequestMeta,
    ) -> AuthResult<(Issued, UserView)> {
        let taken =
            AuthError::Conflict { code: ErrorCode::EmailTaken, message: "An account already uses this email address." };
        let (hash, link) = self.live_link(LinkKind::Invitation, token).await?;
        let (account_id, role) = invited(&link)?;
        new_password(password, &link.email).map_err(AuthError::Weak)?;
        if self.store.user_by_email(&link.email).await?.is_some() {
            return Err(taken);
        }
        let password_hash = self.passwords.hash(password).await?;
        let now = self.now();
        let user_id = self
            .store
            .insert_user(&link.email, &password_hash, role, Some(&account_id), Some(now), now)
            .await?
            .ok_or(taken)?;
        self.accounts.add_member(&account_id, &user_id, role).await?;
        let user = self.store.user_by_id(&user_id).await?.ok_or(AuthError::NotFound)?;
        let (account_id, account) = self.account_to_sign_in(&user).await?;
        let request =
            SessionRequest { user_id: &user.id, account_id: &account_id, remember_me: false, device_id: None };
        let mut tx = self.store.write_tx().await?;
        if !Store::use_link(&mut tx, &hash, now).await? {
            tx.rollback().await?;
            return Err(self.link_lost(&hash).await);
        }
        let mut opened = self.open_session(&mut tx, &request, true, now, meta).await?;
        tx.commit().await?;
        for ending in std::mem::take(&mut opened.endings) {
            self.announce(ending, meta);
        }
        self.signed_in(opened, user, account_id, account, now)
    }
}

/// The account and role an invitation link names.
fn invited(link: &super::store::links::LinkRow) -> AuthResult<(String, Role)> {
    let unknown = || AuthError::TokenInvalid(TokenState::Unknown);
    let account_id = link.account_id.clone().ok_or_else(unknown)?;
    let role = link.role.as_deref().and_then(Role::parse).ok_or_else(unknown)?;
    Ok((account_id, role))
}
