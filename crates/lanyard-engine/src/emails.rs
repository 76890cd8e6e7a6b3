//! Changing the address (SPEC §10): the password confirms the request, a link to the new address
//! confirms the change, and a notice to the old address carries a link that cancels it (and undoes
//! it if it was already confirmed). Sessions are kept throughout.

use super::error::{AuthError, AuthResult};
use super::guard::Principal;
use super::input::plain_text;
use super::instance::Engine;
use super::links::{LinkFor, LinkKind};
use super::live::Change;
use super::mail::Letter;
use super::mailer::{MailKind, html_escape, mail_time};
use super::policy::RequestMeta;
use super::store::audit::AuthEvent;
use super::store::{Store, Tx};
use lanyard_contract::credentials::{EmailAddress, email_key};
use lanyard_contract::{AuditKind, ErrorCode, TokenState};

const TAKEN: AuthError =
    AuthError::Conflict { code: ErrorCode::EmailTaken, message: "An account already uses this email address." };

impl Engine {
    /// Asks to change the caller's address to `new_email`: 403 `WRONG_PASSWORD` (throttled like
    /// sign-in) unless `password` is theirs, 409 `EMAIL_TAKEN` when another user has the address.
    pub async fn request_email_change(
        &self,
        principal: &Principal,
        new_email: &str,
        password: &str,
        meta: &RequestMeta,
    ) -> AuthResult<()> {
        plain_text("email address", new_email)?;
        let new = EmailAddress::parse(new_email).map_err(AuthError::BadRequest)?;
        let Some(user) = self.check_session_password(principal, password, meta).await? else {
            return Err(AuthError::Forbidden { code: ErrorCode::WrongPassword, message: "The password is incorrect." });
        };
        if email_key(new.as_str()) == email_key(&user.email) {
            return Err(AuthError::BadRequest("That is already your address.".into()));
        }
        if self.store.user_by_email(new.as_str()).await?.is_some() {
            return Err(TAKEN);
        }
        let now = self.now();
        let (old, new) = (user.email.as_str(), new.as_str());
        let to_new = LinkFor { user_id: Some(&user.id), email: new, account_id: None, role: None };
        self.send_link(LinkKind::EmailChange, to_new, |address| Letter {
            kind: MailKind::EmailChange,
            to: new,
            subject: "Confirm your new email for lanyard".into(),
            text: format!(
                "To make {new} the address of your lanyard account (now {old}), open this link within 24 hours:\n\
                 {address}\n\nIf you did not ask for it, ignore this message.\n"
            ),
            html: format!(
                "<p><a href=\"{address}\">Make {new} the address of your lanyard account</a> (now {old}) within 24 \
                 hours.</p><p>If you did not ask for it, ignore this message.</p>",
                new = html_escape(new),
                old = html_escape(old),
            ),
        })
        .await?;
        let device = meta.user_agent.as_deref().unwrap_or("an unknown device");
        let to_old = LinkFor { user_id: Some(&user.id), email: old, account_id: None, role: None };
        self.send_link(LinkKind::EmailCancel, to_old, |address| Letter {
            kind: MailKind::EmailChangeNotice,
            to: old,
            subject: "Your lanyard email is being changed".into(),
            text: format!(
                "On {time}, from {device}, someone signed in to your lanyard account asked to change its address \
                 from {old} to {new}.\n\nIf it was not you, cancel the change (this works for 24 hours, even once \
                 it is confirmed):\n{address}\n",
                time = mail_time(now),
            ),
            html: format!(
                "<p>On {time}, from {device}, someone signed in to your lanyard account asked to change its address \
                 from {old} to {new}.</p><p>If it was not you, <a href=\"{address}\">cancel the change</a> (this \
                 works for 24 hours, even once it is confirmed).</p>",
                time = mail_time(now),
                device = html_escape(device),
                old = html_escape(old),
                new = html_escape(new),
            ),
        })
        .await?;
        Ok(())
    }

    /// Confirms a change with the link sent to the new address; returns the new address. 409
    /// `EMAIL_TAKEN` when another user took it meanwhile.
    pub async fn confirm_email_change(&self, token: &str, meta: &RequestMeta) -> AuthResult<String> {
        let (hash, link) = self.live_link(LinkKind::EmailChange, token).await?;
        let user_id = link.user_id.ok_or(AuthError::TokenInvalid(TokenState::Unknown))?;
        let now = self.now();
        let mut tx = self.store.write_tx().await?;
        if !Store::set_email(&mut tx, &user_id, &link.email).await? {
            tx.rollback().await?;
            return Err(TAKEN);
        }
        if !Store::use_link(&mut tx, &hash, now).await? {
            tx.rollback().await?;
            return Err(self.link_lost(&hash).await);
        }
        self.commit_email_change(tx, &user_id, now, meta).await?;
        Ok(link.email)
    }

    /// Cancels a change with the link of the notice to the old address: a pending change's link no
    /// longer works, and a confirmed change is undone.
    pub async fn cancel_email_change(&self, token: &str, meta: &RequestMeta) -> AuthResult<()> {
        let (hash, link) = self.live_link(LinkKind::EmailCancel, token).await?;
        let user_id = link.user_id.ok_or(AuthError::TokenInvalid(TokenState::Unknown))?;
        let user = self.store.user_by_id(&user_id).await?.ok_or(AuthError::TokenInvalid(TokenState::Unknown))?;
        let now = self.now();
        let mut tx = self.store.write_tx().await?;
        let changed = email_key(&user.email) != email_key(&link.email);
        if changed && !Store::set_email(&mut tx, &user_id, &link.email).await? {
            tx.rollback().await?;
            return Err(TAKEN);
        }
        if !Store::use_link(&mut tx, &hash, now).await? {
            tx.rollback().await?;
            return Err(self.link_lost(&hash).await);
        }
        Store::void_links(&mut tx, &user_id, LinkKind::EmailChange.as_str(), now).await?;
        if changed { self.commit_email_change(tx, &user_id, now, meta).await } else { tx.commit().await }
    }

    /// Commits a new address written in `tx`, with its event and the change every instance follows
    /// (a session's user shows the new address at its next call).
    async fn commit_email_change(&self, mut tx: Tx, user_id: &str, now: i64, meta: &RequestMeta) -> AuthResult<()> {
        let account_id = self.store.account_of_user(user_id).await?;
        let event = AuthEvent {
            user_id: Some(user_id),
            account_id: account_id.as_deref(),
            ..self.event(AuditKind::EmailChanged, now, meta)
        };
        Store::record_event(&mut tx, &event).await?;
        let change = Change::User(user_id.to_owned());
        change.publish(&mut tx, &self.store, now).await?;
        tx.commit().await?;
        self.live.apply(&change);
        Ok(())
    }
}
