//! Mail (SPEC §10): what lanyard sends a user. A message is queued in the database in the
//! transaction that makes what it announces (a link's token), so none is lost and the request that
//! caused it never waits on a mail server; the background work of some instance delivers it
//! ([`Engine::deliver_mail`]), retried with backoff and counted (`lanyard_mail_total{kind,
//! outcome}`). How it leaves is `mailer`'s.

use super::error::{AuthError, AuthResult};
use super::instance::Engine;
use super::mailer::{ATTEMPTS, BATCH, CLAIM_SECS, MailKind, MailOutcome, MailSettings, Mailer, RETRY_AFTER_SECS};
use super::store::mail::NewMail;
use super::store::{Store, Tx};
use lettre::Message;
use lettre::message::{Mailbox, MultiPart};
use std::sync::Arc;
use std::time::Duration;

/// A message to a user, before it is queued: plain text and the same in HTML.
pub(crate) struct Letter<'a> {
    pub kind: MailKind,
    pub to: &'a str,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Engine {
    /// Uses `settings` for mail in place of the default (the outbox in `data/outbox`, links to
    /// `http://localhost:3000`); call it before the engine serves.
    pub fn with_mail(mut self, settings: MailSettings) -> Result<Self, String> {
        self.mail = Mailer::new(settings)?;
        Ok(self)
    }

    /// Where mail goes, for the start-up log and the operator.
    pub fn mail_settings(&self) -> &MailSettings {
        &self.mail.settings
    }

    /// Queues `letter` in `tx`; once `tx` commits, [`Engine::mail_queued`] wakes the delivery. A
    /// letter that cannot be made into a message (an address lettre refuses) is counted as failed
    /// and logged, and the transaction goes on: mail never fails the request that caused it.
    pub(crate) async fn queue_letter(&self, tx: &mut Tx, letter: Letter<'_>, now: i64) -> AuthResult<()> {
        let message = match self.compose(&letter) {
            Ok(message) => message,
            Err(error) => {
                tracing::error!(kind = %letter.kind, "a message could not be made: {error}");
                self.metrics.mail(letter.kind, MailOutcome::Failed);
                return Ok(());
            }
        };
        let mail = NewMail { kind: letter.kind.as_str(), recipient: letter.to, message: &message };
        Store::queue_mail(tx, &mail, now).await?;
        Ok(())
    }

    /// Queues `letter` on its own, and wakes the delivery.
    pub(crate) async fn send_letter(&self, letter: Letter<'_>) -> AuthResult<()> {
        let now = self.now();
        let mut tx = self.store.write_tx().await?;
        self.queue_letter(&mut tx, letter, now).await?;
        tx.commit().await?;
        self.mail_queued();
        Ok(())
    }

    /// Wakes the delivery: a message was queued and committed.
    pub(crate) fn mail_queued(&self) {
        self.mail.queued.notify_one();
    }

    fn compose(&self, letter: &Letter<'_>) -> Result<String, String> {
        let to = letter.to.parse::<Mailbox>().map_err(|error| error.to_string())?;
        let message = Message::builder()
            .from(self.mail.from.clone())
            .to(to)
            .subject(letter.subject.clone())
            .multipart(MultiPart::alternative_plain_html(letter.text.clone(), letter.html.clone()))
            .map_err(|error| error.to_string())?;
        String::from_utf8(message.formatted()).map_err(|error| error.to_string())
    }

    /// Delivers queued mail until the process ends: at once when a message is queued here, and
    /// every second for what other instances queued and what is due again.
    pub async fn deliver_mail(self: Arc<Self>) {
        loop {
            if let Err(error) = self.deliver_due().await {
                tracing::warn!("delivering mail: {error}");
            }
            tokio::select! {
                () = self.mail.queued.notified() => {}
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }

    /// Delivers the messages due now that no other instance holds; returns how many were tried.
    pub async fn deliver_due(&self) -> AuthResult<usize> {
        let now = self.now();
        let mut tried = 0;
        for id in self.store.due_mail(now, BATCH).await? {
            let Some(mail) = self.store.claim_mail(&id, now, now + CLAIM_SECS).await? else { continue };
            tried += 1;
            let kind = MailKind::parse(&mail.kind)
                .ok_or_else(|| AuthError::Internal(format!("mail of kind {}", mail.kind)))?;
            match self.mail.deliver(&mail).await {
                Ok(outcome) => {
                    self.store.mail_sent(&mail.id, self.now()).await?;
                    self.metrics.mail(kind, outcome);
                }
                Err(error) if mail.attempts < ATTEMPTS => {
                    let wait = RETRY_AFTER_SECS[(mail.attempts - 1) as usize];
                    tracing::warn!(kind = %kind, attempt = mail.attempts, "mail not delivered, trying again in {wait} s: {error}");
                    self.store.mail_due_again(&mail.id, self.now() + wait).await?;
                    self.metrics.mail(kind, MailOutcome::Retried);
                }
                Err(error) => {
                    tracing::error!(kind = %kind, attempts = mail.attempts, "mail not delivered, given up: {error}");
                    self.store.mail_failed(&mail.id, self.now()).await?;
                    self.metrics.mail(kind, MailOutcome::Failed);
                }
            }
        }
        Ok(tried)
    }
}
