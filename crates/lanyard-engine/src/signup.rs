//! Sign-up and email verification (SPEC §10). With verification required (the default), a sign-up
//! is answered 202 "check your email" at once and the same for every address: the account, the
//! user and the link (or, for an address that has an account, a mail offering sign-in and reset)
//! come after the answer. With verification off, a sign-up signs in at once and a taken address
//! says so (409), which gives up that resistance to enumeration.

use super::attempts::{Flow, Outcome};
use super::error::{AuthError, AuthResult};
use super::input::plain_text;
use super::instance::Engine;
use super::links::{LinkFor, LinkKind};
use super::mail::Letter;
use super::mailer::{MailKind, html_escape};
use super::new_password::new_password;
use super::policy::{RequestMeta, Signup};
use super::sessions::{Issued, SessionRequest};
use super::store::Store;
use super::store::audit::AuthEvent;
use lanyard_contract::credentials::EmailAddress;
use lanyard_contract::{AuditKind, ErrorCode, Role, UserView};
use std::sync::Arc;

/// The longest account name accepted.
const ACCOUNT_NAME_MAX_CHARS: usize = 100;

/// How a sign-up was answered.
#[derive(Debug)]
pub enum SignedUp {
    /// Verification is required: a link is on its way (or, for a taken address, a note).
    CheckYourEmail,
    /// Verification is off: the new user is signed in.
    SignedIn(Box<(Issued, UserView)>),
}

/// What a sign-up asks for, checked.
struct Application {
    email: String,
    password: String,
    account_name: String,
}

impl Engine {
    /// Signs up (SPEC §10): a new account named `account_name` (default: the email's local part)
    /// with the new user as its owner, active, with an active plan. Throttled per email and per
    /// address, every request counted.
    pub async fn sign_up(
        self: &Arc<Self>,
        email: &str,
        password: &str,
        account_name: Option<&str>,
        meta: &RequestMeta,
    ) -> AuthResult<SignedUp> {
        if self.policy.signup != Signup::Open {
            return Err(AuthError::Forbidden { code: ErrorCode::SignupClosed, message: "Sign-up is closed." });
        }
        let application = check_application(email, password, account_name)?;
        let attempt = self.attempt(Flow::SignUp, &application.email, meta).await?;
        self.settle(attempt, Outcome::Counted).await?;
        if !self.policy.verify_email {
            return self.sign_up_at_once(application, meta).await;
        }
        let (engine, meta) = (self.clone(), meta.clone());
        tokio::spawn(async move {
            if let Err(error) = engine.sign_up_by_mail(application, &meta).await {
                tracing::warn!("a sign-up could not be completed: {error}");
            }
        });
        Ok(SignedUp::CheckYourEmail)
    }
}

fn check_application(email: &str, password: &str, account_name: Option<&str>) -> AuthResult<Application> {
    plain_text("email address", email)?;
    let email = EmailAddress::parse(email).map_err(AuthError::BadRequest)?;
    new_password(password, email.as_str()).map_err(AuthError::Weak)?;
    let account_name = match account_name.map(str::trim).filter(|name| !name.is_empty()) {
        Some(name) => plain_text("account name", name)?.to_owned(),
        None => email.as_str().split('@').next().unwrap_or_default().to_owned(),
    };
    if account_name.chars().count() > ACCOUNT_NAME_MAX_CHARS {
        return Err(AuthError::BadRequest(format!(
            "Use at most {ACCOUNT_NAME_MAX_CHARS} characters for the account name."
        )));
    }
    Ok(Application { email: email.as_str().to_owned(), password: password.to_owned(), account_name })
}

impl Engine {
    /// Verification off: the user and account are made now and signed in; a taken address is 409.
    async fn sign_up_at_once(&self, application: Application, meta: &RequestMeta) -> AuthResult<SignedUp> {
        let taken =
            AuthError::Conflict { code: ErrorCode::EmailTaken, message: "An account already uses this email address." };
        if self.store.user_by_email(&application.email).await?.is_some() {
            return Err(taken);
        }
        let hash = self.passwords.hash(&application.password).await?;
        let account_id = self.new_account(&application.account_name).await?;
        let now = self.now();
        let user_id = self
            .store
            .insert_user(&application.email, &hash, Role::Owner, Some(&account_id), Some(now), now)
            .await?
            .ok_or(taken)?;
        self.accounts.add_member(&account_id, &user_id, Role::Owner).await?;
        let user = self.store.user_by_id(&user_id).await?.ok_or(AuthError::NotFound)?;
        let (account_id, account) = self.account_to_sign_in(&user).await?;
        let request =
            SessionRequest { user_id: &user.id, account_id: &account_id, remember_me: false, device_id: None };
        let mut tx = self.store.write_tx().await?;
        let mut opened = self.open_session(&mut tx, &request, true, now, meta).await?;
        tx.commit().await?;
        for ending in std::mem::take(&mut opened.endings) {
            self.announce(ending, meta);
        }
        Ok(SignedUp::SignedIn(Box::new(self.signed_in(opened, user, account_id, account, now)?)))
    }

    /// Verification required, after the answer: a new address gets its account, its user (not yet
    /// verified) and a verification link; a still unverified one gets the new password and a new
    /// link, which voids the older; a verified one gets a note offering sign-in and reset.
    async fn sign_up_by_mail(&self, application: Application, meta: &RequestMeta) -> AuthResult<()> {
        let now = self.now();
        let existing = self.store.user_by_email(&application.email).await?;
        if let Some(user) = existing.as_ref().filter(|user| user.email_verified_at.is_some()) {
            return self.send_letter(self.existing_account_letter(&user.email, now, meta)).await;
        }
        let hash = self.passwords.hash(&application.password).await?;
        let (user_id, account_name) = match existing {
            Some(user) => {
                let mut tx = self.store.write_tx().await?;
                Store::set_unverified_password(&mut tx, &user.id, &hash).await?;
                tx.commit().await?;
                let account = self.standing(user.account_id.as_deref()).await?;
                (user.id, account.map_or(application.account_name.clone(), |account| account.name))
            }
            None => {
                let account_id = self.new_account(&application.account_name).await?;
                let Some(user_id) = self
                    .store
                    .insert_user(&application.email, &hash, Role::Owner, Some(&account_id), None, now)
                    .await?
                else {
                    return Ok(());
                };
                self.accounts.add_member(&account_id, &user_id, Role::Owner).await?;
                (user_id, application.account_name.clone())
            }
        };
        self.send_verification(&user_id, &application.email, &account_name).await
    }

    /// Makes a verification link for the user and queues its mail.
    async fn send_verification(&self, user_id: &str, email: &str, account_name: &str) -> AuthResult<()> {
        let to = LinkFor { user_id: Some(user_id), email, account_id: None, role: None };
        self.send_link(LinkKind::VerifyEmail, to, |address| Letter {
            kind: MailKind::VerifyEmail,
            to: email,
            subject: "Confirm your email for lanyard".into(),
            text: format!(
                "Welcome to lanyard. To confirm {email} and start using the account {account_name}, open this link \
                 within 24 hours:\n{address}\n\nIf you did not sign up, ignore this message.\n"
            ),
            html: format!(
                "<p>Welcome to lanyard. <a href=\"{address}\">Confirm {email}</a> within 24 hours to start using the \
                 account {account}.</p><p>If you did not sign up, ignore this message.</p>",
                email = html_escape(email),
                account = html_escape(account_name),
            ),
        })
        .await?;
        Ok(())
    }

    /// The note to an address that signed up again although it has an account.
    fn existing_account_letter<'a>(&self, email: &'a str, now: i64, meta: &RequestMeta) -> Letter<'a> {
        let (sign_in, reset) = (self.mail.page("/signin"), self.mail.page("/forgot-password"));
        let device = meta.user_agent.as_deref().unwrap_or("an unknown device");
        let time = super::mailer::mail_time(now);
        Letter {
            kind: MailKind::SignupExisting,
            to: email,
            subject: "You already have a lanyard account".into(),
            text: format!(
                "Someone tried to create a lanyard account for {email} on {time}, from {device}. You already have \
                 one.\n\nSign in: {sign_in}\nForgot your password? {reset}\n\nIf it was not you, ignore this message.\n"
            ),
            html: format!(
                "<p>Someone tried to create a lanyard account for {email} on {time}, from {device}. You already have \
                 one.</p><p><a href=\"{sign_in}\">Sign in</a> or <a href=\"{reset}\">reset your password</a>.</p>\
                 <p>If it was not you, ignore this message.</p>",
                email = html_escape(email),
                device = html_escape(device),
            ),
        }
    }

    /// A new account for a sign-up: named as asked, or, when that name is taken, with a number
    /// after it.
    async fn new_account(&self, name: &str) -> AuthResult<String> {
        let candidates = std::iter::once(name.to_owned())
            .chain((2..10).map(|n| format!("{name} {n}")))
            .chain(std::iter::once(format!("{name} {}", &super::store::new_id()[..6])));
        for candidate in candidates {
            if let Some(id) = self.accounts.create(&candidate).await? {
                return Ok(id);
            }
        }
        Err(AuthError::Internal(format!("no free name for the account {name:?}")))
    }

    /// Confirms an address with its verification link; returns the address.
    pub async fn verify_email(&self, token: &str, meta: &RequestMeta) -> AuthResult<String> {
        let (hash, link) = self.live_link(LinkKind::VerifyEmail, token).await?;
        let user = match &link.user_id {
            Some(id) => self.store.user_by_id(id).await?,
            None => None,
        }
        .ok_or(AuthError::TokenInvalid(lanyard_contract::TokenState::Unknown))?;
        let now = self.now();
        let mut tx = self.store.write_tx().await?;
        if !Store::use_link(&mut tx, &hash, now).await? {
            tx.rollback().await?;
            return Err(self.link_lost(&hash).await);
        }
        Store::verify_user(&mut tx, &user.id, now).await?;
        let event = AuthEvent {
            user_id: Some(&user.id),
            account_id: user.account_id.as_deref(),
            ..self.event(AuditKind::EmailVerified, now, meta)
        };
        Store::record_event(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(user.email)
    }

    /// Sends a new verification link to `email` if it names a user who has not verified it, at most
    /// one a minute; answers at once, the same for every address. Throttled per email and address.
    pub async fn resend_verification(self: &Arc<Self>, email: &str, meta: &RequestMeta) -> AuthResult<()> {
        plain_text("email address", email)?;
        let email = EmailAddress::parse(email).map_err(AuthError::BadRequest)?;
        let attempt = self.attempt(Flow::Resend, email.as_str(), meta).await?;
        self.settle(attempt, Outcome::Counted).await?;
        let (engine, email) = (self.clone(), email.as_str().to_owned());
        tokio::spawn(async move {
            if let Err(error) = engine.resend_if_due(&email).await {
                tracing::warn!("a verification link could not be sent again: {error}");
            }
        });
        Ok(())
    }

    async fn resend_if_due(&self, email: &str) -> AuthResult<()> {
        const AT_MOST_EVERY_SECS: i64 = 60;
        let Some(user) = self.store.user_by_email(email).await?.filter(|user| user.email_verified_at.is_none()) else {
            return Ok(());
        };
        let now = self.now();
        let last = self.store.newest_link_at(&user.id, LinkKind::VerifyEmail.as_str()).await?;
        if last.is_some_and(|at| now - at < AT_MOST_EVERY_SECS) {
            return Ok(());
        }
        let account = self.standing(user.account_id.as_deref()).await?;
        let account_name = account.map(|account| account.name).unwrap_or_default();
        self.send_verification(&user.id, &user.email, &account_name).await
    }
}
