//! A way back in (SPEC §10): a password reset by email. Asking for a link answers at once and the
//! same for every address; setting the new password ends every other session of the user with
//! PASSWORD_RESET, in the transaction that sets it, and signs this device in.

use super::attempts::{Flow, Outcome};
use super::ending::{Ending, Initiator};
use super::error::{AuthError, AuthResult};
use super::guard::account_refusal;
use super::input::plain_text;
use super::instance::Engine;
use super::links::{LinkFor, LinkKind};
use super::live::Change;
use super::mail::Letter;
use super::mailer::{MailKind, html_escape, mail_time};
use super::new_password::new_password;
use super::policy::RequestMeta;
use super::second_factor::PendingReset;
use super::sessions::{SessionRequest, SignIn};
use super::store::audit::AuthEvent;
use super::store::{Store, Tx};
use lanyard_contract::credentials::EMAIL_MAX_CHARS;
use lanyard_contract::{AuditKind, LogoutCode, TokenState};
use std::sync::Arc;

impl Engine {
    /// Sends a password reset link to `email` if it names a user of an active account, and answers
    /// at once either way: what the request costs and what it answers do not depend on the address
    /// (the lookup, the link and the mail happen after the answer). Throttled per email and per
    /// address, every request counted.
    pub async fn request_password_reset(self: &Arc<Self>, email: &str, meta: &RequestMeta) -> AuthResult<()> {
        plain_text("email address", email)?;
        if email.trim().is_empty() || email.chars().count() > EMAIL_MAX_CHARS {
            return Err(AuthError::BadRequest("Enter your email address.".into()));
        }
        let attempt = self.attempt(Flow::Reset, email, meta).await?;
        self.settle(attempt, Outcome::Counted).await?;
        let (engine, email, meta) = (self.clone(), email.trim().to_owned(), meta.clone());
        tokio::spawn(async move {
            if let Err(error) = engine.send_password_reset(&email, &meta).await {
                tracing::warn!("a password reset link could not be sent: {error}");
            }
        });
        Ok(())
    }

    async fn send_password_reset(&self, email: &str, meta: &RequestMeta) -> AuthResult<()> {
        let Some(user) = self.store.user_by_email(email).await? else { return Ok(()) };
        let account = self.standing(user.account_id.as_deref()).await?;
        if account.is_none_or(|account| account_refusal(account.status).is_some()) {
            return Ok(());
        }
        let now = self.now();
        let device = meta.user_agent.as_deref().unwrap_or("an unknown device");
        let to = LinkFor { user_id: Some(&user.id), email: &user.email, account_id: None, role: None };
        self.send_link(LinkKind::PasswordReset, to, |address| Letter {
            kind: MailKind::PasswordReset,
            to: &user.email,
            subject: "Reset your lanyard password".into(),
            text: format!(
                "Someone asked to reset the password of the lanyard account {email} on {time}, from {device}.\n\n\
                 To choose a new password, open this link within 30 minutes:\n{address}\n\n\
                 The link works once. Setting a new password signs you out everywhere else.\n\
                 If you did not ask for it, ignore this message: your password stays as it is.\n",
                email = user.email,
                time = mail_time(now),
            ),
            html: format!(
                "<p>Someone asked to reset the password of the lanyard account {email} on {time}, from {device}.</p>\
                 <p><a href=\"{address}\">Choose a new password</a> within 30 minutes.</p>\
                 <p>The link works once. Setting a new password signs you out everywhere else. \
                 If you did not ask for it, ignore this message: your password stays as it is.</p>",
                email = html_escape(&user.email),
                time = mail_time(now),
                device = html_escape(device),
            ),
        })
        .await?;
        Ok(())
    }

    /// Sets a new password through a reset link, and signs this device in (`remember_me` false).
    /// The new hash, the used link, the ending of every other session with PASSWORD_RESET and the
    /// new session commit in one transaction, or none of them does (SPEC §4's all-or-nothing rule).
    /// The address counts as verified from now, and the sign-in throttle of the email is cleared.
    /// For a user with a second factor, nothing commits yet: the answer asks for the factor, and
    /// the reset commits with the second step ([`Engine::login_mfa`]).
    pub async fn confirm_password_reset(&self, token: &str, password: &str, meta: &RequestMeta) -> AuthResult<SignIn> {
        let (hash, link) = self.live_link(LinkKind::PasswordReset, token).await?;
        let user = match &link.user_id {
            Some(id) => self.store.user_by_id(id).await?,
            None => None,
        }
        .ok_or(AuthError::TokenInvalid(TokenState::Unknown))?;
        new_password(password, &user.email).map_err(AuthError::Weak)?;
        let (account_id, account) = self.account_to_sign_in(&user).await?;
        let password_hash = self.passwords.hash(password).await?;

        let now = self.now();
        let request =
            SessionRequest { user_id: &user.id, account_id: &account_id, remember_me: false, device_id: None };
        let pending = PendingReset { link_hash: hash.clone(), password_hash: password_hash.clone() };
        if let Some(second_factor) = self.begin_second_step(&request, Some(pending)).await? {
            return Ok(SignIn::SecondFactor(second_factor));
        }
        let mut tx = self.store.write_tx().await?;
        let Some(endings) = self.write_password_reset(&mut tx, &user.id, &hash, &password_hash, now, meta).await?
        else {
            tx.rollback().await?;
            return Err(self.link_lost(&hash).await);
        };
        let mut opened = self.open_session(&mut tx, &request, true, now, meta).await?;
        self.record_password_reset(&mut tx, &user.id, &account_id, &opened.session_id, now, meta).await?;
        tx.commit().await?;
        for ending in endings.into_iter().chain(std::mem::take(&mut opened.endings)) {
            self.announce(ending, meta);
        }
        self.password_reset_committed(&user.id, &user.email).await;
        let (issued, user) = self.signed_in(opened, user, account_id, account, now)?;
        Ok(SignIn::Done(issued, user))
    }

    /// Writes a reset into `tx`: the new hash (the user's row first, as every transaction that
    /// holds a user's and a session's rows), the link used, and the ending of every session of the
    /// user with PASSWORD_RESET, to announce once `tx` commits. `None` when the link was used,
    /// replaced or ran out meanwhile: nothing is to commit.
    pub(crate) async fn write_password_reset(
        &self,
        tx: &mut Tx,
        user_id: &str,
        link_hash: &str,
        password_hash: &str,
        now: i64,
        meta: &RequestMeta,
    ) -> AuthResult<Option<Vec<Ending>>> {
        Store::reset_password(tx, user_id, password_hash, now).await?;
        if !Store::use_link(tx, link_hash, now).await? {
            return Ok(None);
        }
        let mut endings = Vec::new();
        for state in Store::live_sessions_of_user_in(tx, user_id).await? {
            endings.extend(self.write_ending(tx, &state, LogoutCode::PasswordReset, Initiator::Automatic, meta).await?);
        }
        Change::User(user_id.to_owned()).publish(tx, &self.store, now).await?;
        Ok(Some(endings))
    }

    /// Records in `tx` the reset that signed in the session `session_id`.
    pub(crate) async fn record_password_reset(
        &self,
        tx: &mut Tx,
        user_id: &str,
        account_id: &str,
        session_id: &str,
        now: i64,
        meta: &RequestMeta,
    ) -> AuthResult<()> {
        let event = AuthEvent {
            user_id: Some(user_id),
            account_id: Some(account_id),
            session_id: Some(session_id),
            ..self.event(AuditKind::PasswordReset, now, meta)
        };
        Store::record_event(tx, &event).await
    }

    /// Once a reset committed: this instance sees the user's new password at once, and the sign-in
    /// throttle of the email is cleared.
    pub(crate) async fn password_reset_committed(&self, user_id: &str, email: &str) {
        self.live.apply(&Change::User(user_id.to_owned()));
        if let Err(error) = self.clear_attempts(Flow::Password, email).await {
            tracing::warn!("clearing the sign-in throttle after a reset: {error}");
        }
    }
}
