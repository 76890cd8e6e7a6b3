//! How lanyard's mail leaves (SPEC §10): the settings, the SMTP connection, the outbox folder,
//! and the closed sets a message is counted by. What is sent, and when, is `mail`'s.

use super::store::mail::DueMail;
use lanyard_contract::Secret;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::Notify;

lanyard_contract::closed_set! {
    /// What a message is for: its file name in the outbox and its metric label (SPEC §10).
    pub enum MailKind {
        /// A new address's verification link.
        VerifyEmail = "verify_email",
        /// A sign-up with an address that has an account: sign in, or reset the password.
        SignupExisting = "signup_existing",
        /// A password reset link.
        PasswordReset = "password_reset",
        /// An email change's confirmation link, to the new address.
        EmailChange = "email_change",
        /// An email change's notice to the old address, with a link that cancels it.
        EmailChangeNotice = "email_change_notice",
        /// An invitation into an account.
        Invitation = "invitation",
    }
}

lanyard_contract::closed_set! {
    /// What became of one attempt to deliver a message (SPEC §10).
    pub enum MailOutcome {
        /// Written into the outbox folder.
        Written = "written",
        /// Accepted by the SMTP server.
        Sent = "sent",
        /// Not delivered; it is tried again later.
        Retried = "retried",
        /// Not delivered, and given up: the last attempt failed.
        Failed = "failed",
    }
}

/// Attempts to deliver a message, the first included: it is retried three times, 1, 4 and 10
/// minutes after it was first tried (SPEC §10: at least 3 times over 10 minutes).
pub(crate) const ATTEMPTS: i64 = 4;
pub(crate) const RETRY_AFTER_SECS: [i64; 3] = [60, 180, 360];
/// How long an instance holds a message it is delivering: past the SMTP timeout.
pub(crate) const CLAIM_SECS: i64 = 120;
/// Messages delivered per pass.
pub(crate) const BATCH: i64 = 20;

/// How lanyard sends mail (SPEC §10's settings).
#[derive(Clone, Debug)]
pub struct MailSettings {
    /// The site's address in links (`LANYARD_PUBLIC_URL`), without a trailing slash.
    pub public_url: String,
    /// The sender (`LANYARD_MAIL_FROM`), e.g. `lanyard <no-reply@localhost>`.
    pub from: String,
    /// How messages leave.
    pub delivery: Delivery,
}

/// How messages leave.
#[derive(Clone, Debug)]
pub enum Delivery {
    /// Every message is written as `<unix-time>-<kind>-<id>.eml` into this folder
    /// (`LANYARD_MAIL_OUTBOX`): the development default, read as a mailbox would be.
    Outbox(PathBuf),
    /// Sent by SMTP (`LANYARD_SMTP_URL`).
    Smtp(SmtpUrl),
}

impl MailSettings {
    /// The development default: an outbox in `data/outbox`, links to `public_url`.
    pub fn outbox(public_url: &str) -> Self {
        Self {
            public_url: public_url.trim_end_matches('/').to_owned(),
            from: "lanyard <no-reply@localhost>".into(),
            delivery: Delivery::Outbox(PathBuf::from("data/outbox")),
        }
    }

    /// The settings, checked: the sender must be a mailbox, the public URL an http(s) URL.
    pub fn checked(self) -> Result<Self, String> {
        self.from.parse::<Mailbox>().map_err(|error| format!("LANYARD_MAIL_FROM is not a mailbox: {error}"))?;
        let url = url::Url::parse(&self.public_url).map_err(|error| format!("LANYARD_PUBLIC_URL: {error}"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err("LANYARD_PUBLIC_URL must be an http:// or https:// URL".into());
        }
        Ok(Self { public_url: self.public_url.trim_end_matches('/').to_owned(), ..self })
    }
}

/// How an SMTP connection is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// `smtp://`: STARTTLS, required.
    StartTls,
    /// `smtps://`: TLS from the first byte.
    Tls,
    /// `smtp://…?tls=none`: in the clear, accepted only to a loopback host.
    None,
}

/// `LANYARD_SMTP_URL`, read: `smtp://user:pass@host:587` (STARTTLS), `smtps://user:pass@host:465`
/// (TLS), `smtp://host:25?tls=none` (loopback only).
#[derive(Clone)]
pub struct SmtpUrl {
    /// The server's host name or address.
    pub host: String,
    /// Its port: 587 for STARTTLS and 465 for TLS unless given; 25 in the clear.
    pub port: u16,
    /// How the connection is secured.
    pub security: SmtpSecurity,
    user: Option<(String, Secret)>,
}

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let user = self.user.as_ref().map(|(name, _)| name.as_str());
        write!(f, "SmtpUrl({:?}, {}:{}, user {user:?})", self.security, self.host, self.port)
    }
}

impl SmtpUrl {
    /// Reads the URL; `Err` says what is wrong with it, never quoting the password.
    ///
    /// ```
    /// use lanyard_engine::{SmtpSecurity, SmtpUrl};
    /// let url = SmtpUrl::parse("smtp://mailer:s%40cret@mail.example.com").unwrap();
    /// assert_eq!((url.host.as_str(), url.port, url.security), ("mail.example.com", 587, SmtpSecurity::StartTls));
    /// assert!(SmtpUrl::parse("smtp://mail.example.com:25?tls=none").is_err(), "in the clear only on loopback");
    /// assert!(SmtpUrl::parse("smtp://127.0.0.1:2525?tls=none").is_ok());
    /// ```
    pub fn parse(text: &str) -> Result<Self, String> {
        let url = url::Url::parse(text).map_err(|error| format!("LANYARD_SMTP_URL is not a URL: {error}"))?;
        let host = match url.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(host) => host.to_string(),
            None => return Err("LANYARD_SMTP_URL names no host".into()),
        };
        let tls = url.query_pairs().find(|(key, _)| key == "tls").map(|(_, value)| value.into_owned());
        let (security, default_port) = match (url.scheme(), tls.as_deref()) {
            ("smtps", None) => (SmtpSecurity::Tls, 465),
            ("smtp", None | Some("required")) => (SmtpSecurity::StartTls, 587),
            ("smtp", Some("none")) => (SmtpSecurity::None, 25),
            ("smtp" | "smtps", Some(other)) => return Err(format!("LANYARD_SMTP_URL: unknown tls={other}")),
            (scheme, _) => return Err(format!("LANYARD_SMTP_URL must be smtp:// or smtps://, not {scheme}://")),
        };
        let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
        if security == SmtpSecurity::None && !loopback {
            return Err("LANYARD_SMTP_URL: tls=none is accepted only to a loopback host".into());
        }
        let decode = |text: &str| percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned();
        let user = (!url.username().is_empty())
            .then(|| (decode(url.username()), Secret::from(decode(url.password().unwrap_or("")))));
        Ok(Self { host, port: url.port().unwrap_or(default_port), security, user })
    }

    fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
        let tls = || TlsParameters::new(self.host.clone()).map_err(|error| format!("TLS to {}: {error}", self.host));
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host)
            .port(self.port)
            .timeout(Some(Duration::from_secs(30)));
        builder = match self.security {
            SmtpSecurity::StartTls => builder.tls(Tls::Required(tls()?)),
            SmtpSecurity::Tls => builder.tls(Tls::Wrapper(tls()?)),
            SmtpSecurity::None => builder.tls(Tls::None),
        };
        if let Some((name, password)) = &self.user {
            builder = builder.credentials(Credentials::new(name.clone(), password.expose().to_owned()));
        }
        Ok(builder.build())
    }
}

/// The engine's mail: its settings, its SMTP connection pool, and the signal that wakes the
/// delivery when a message is queued.
pub(crate) struct Mailer {
    pub(crate) settings: MailSettings,
    pub(crate) from: Mailbox,
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    pub(crate) queued: Notify,
}

impl Mailer {
    pub(crate) fn new(settings: MailSettings) -> Result<Self, String> {
        let settings = settings.checked()?;
        let from = settings.from.parse::<Mailbox>().map_err(|error| error.to_string())?;
        let smtp = match &settings.delivery {
            Delivery::Smtp(url) => Some(url.transport()?),
            Delivery::Outbox(_) => None,
        };
        Ok(Self { settings, from, smtp, queued: Notify::new() })
    }

    /// The address of the page `path` on the site.
    pub(crate) fn page(&self, path: &str) -> String {
        format!("{}{path}", self.settings.public_url)
    }

    /// The link to `path` on the site, with `token` in its query.
    pub(crate) fn link(&self, path: &str, token: &str) -> String {
        format!("{}{path}?token={token}", self.settings.public_url)
    }

    /// Delivers one message: written into the outbox, or sent.
    pub(crate) async fn deliver(&self, mail: &DueMail) -> Result<MailOutcome, String> {
        match (&self.settings.delivery, &self.smtp) {
            (_, Some(smtp)) => {
                let to = mail.recipient.parse::<lettre::Address>().map_err(|error| error.to_string())?;
                let envelope = lettre::address::Envelope::new(Some(self.from.email.clone()), vec![to])
                    .map_err(|e| e.to_string())?;
                smtp.send_raw(&envelope, mail.message.as_bytes()).await.map_err(|error| error.to_string())?;
                Ok(MailOutcome::Sent)
            }
            (Delivery::Outbox(folder), None) => {
                let name = format!("{}-{}-{}.eml", mail.created_at, mail.kind, mail.id);
                let (folder, message) = (folder.clone(), mail.message.clone());
                let path = tokio::task::spawn_blocking(move || write_into(&folder, &name, &message))
                    .await
                    .map_err(|error| error.to_string())?
                    .map_err(|error| error.to_string())?;
                // The file's name, never its link: the log must not hold a token.
                tracing::info!(kind = %mail.kind, "mail written to the outbox: {}", path.display());
                Ok(MailOutcome::Written)
            }
            (Delivery::Smtp(_), None) => Err("no SMTP transport".into()),
        }
    }
}

/// Writes `message` into `folder` as `name`, whole or not at all (a reader never sees half).
fn write_into(folder: &std::path::Path, name: &str, message: &str) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(folder)?;
    let partial = folder.join(format!(".{name}.partial"));
    std::fs::write(&partial, message)?;
    let path = folder.join(name);
    std::fs::rename(&partial, &path)?;
    Ok(path)
}

/// Escapes text for the HTML part of a message.
pub(crate) fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A moment as a message states it: `2026-12-07 20:17 UTC`.
pub(crate) fn mail_time(at: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp(at).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!("{} {:02}:{:02} UTC", at.date(), at.hour(), at.minute())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_say_how_the_connection_is_secured() {
        let tls = SmtpUrl::parse("smtps://mailer:pa%3Ass@mail.example.com").unwrap();
        assert_eq!((tls.port, tls.security), (465, SmtpSecurity::Tls));
        assert_eq!(
            tls.user.as_ref().map(|(name, password)| (name.as_str(), password.expose())),
            Some(("mailer", "pa:ss"))
        );
        assert!(!format!("{tls:?}").contains("pa:ss"), "the password stays out of logs");
        assert_eq!(SmtpUrl::parse("smtp://mail.example.com:2587?tls=required").unwrap().port, 2587);
        assert!(SmtpUrl::parse("smtp://[::1]:25?tls=none").is_ok());
        assert!(SmtpUrl::parse("smtp://localhost?tls=none").is_ok());
        for wrong in
            ["http://mail.example.com", "smtp://mail.example.com?tls=maybe", "smtp://10.0.0.1?tls=none", "mail"]
        {
            assert!(SmtpUrl::parse(wrong).is_err(), "{wrong}");
        }
    }

    #[test]
    fn the_settings_are_checked() {
        assert!(
            MailSettings::outbox("http://localhost:3000/").checked().unwrap().public_url == "http://localhost:3000"
        );
        assert!(
            MailSettings { from: "not a mailbox".into(), ..MailSettings::outbox("http://localhost") }
                .checked()
                .is_err()
        );
        assert!(MailSettings::outbox("ftp://localhost").checked().is_err());
    }

    #[test]
    fn moments_and_html_are_written_for_people() {
        assert_eq!(mail_time(1_800_000_000), "2027-01-15 08:00 UTC");
        assert_eq!(html_escape(r#"<b>"Firefox" & co</b>"#), "&lt;b&gt;&quot;Firefox&quot; &amp; co&lt;/b&gt;");
    }
}
