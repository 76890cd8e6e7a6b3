//! The throttles of SPEC §9, held across instances: an attempt of a throttled flow is counted in
//! the database before it is judged, against what every instance counted, so N instances give an
//! attacker no more tries than one and a restart forgets nothing. This process remembers which
//! addresses the database refused, until their window frees a slot: a flood from one address is
//! then refused without a round trip, before its body is read (`Engine::admits`).

use super::error::{AuthError, AuthResult};
use super::instance::Engine;
use super::policy::RequestMeta;
use super::store::attempts::{Limit, NewAttempt, Refused};
use lanyard_contract::credentials::email_key;

/// The flows SPEC §9 throttles, each counted apart, per subject (an email) and per address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Wrong passwords: sign-in, reauth, a password change's current password. Counted per email
    /// and address, so a guesser elsewhere cannot lock the owner out, and per address.
    Password,
    /// Requests for a password reset link: every one counts, per email and per address (SPEC §10).
    Reset,
    /// Sign-ups, counted as reset requests are.
    SignUp,
    /// Requests to send a verification link again, counted as reset requests are.
    Resend,
    /// Invitation lookups: per link and per address, every one counted.
    Invitation,
    /// Wrong codes and refused passkeys of a second factor (SPEC §11), counted as wrong passwords
    /// are, per email and address.
    SecondFactor,
}

impl Flow {
    fn name(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::Reset => "reset",
            Self::SignUp => "signup",
            Self::Resend => "resend",
            Self::Invitation => "invitation",
            Self::SecondFactor => "second_factor",
        }
    }

    /// Whether the per-subject limit counts the subject's attempts from one address only.
    fn per_subject_and_address(self) -> bool {
        matches!(self, Self::Password | Self::SecondFactor)
    }
}

/// An attempt counted against its flow's limits until [`Engine::settle`] says what became of it.
#[must_use = "an attempt is settled: counted, refunded or succeeded"]
pub(crate) struct Attempt {
    flow: Flow,
    id: String,
    /// The keyed hashes the database holds.
    subject: String,
    address: String,
}

/// What became of an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// It counts against the limits (a wrong password).
    Counted,
    /// It does not count: nothing was learned (the check itself failed).
    Refunded,
    /// It succeeded: it, and the subject's earlier attempts from this address, no longer count.
    Succeeded,
}

impl Engine {
    /// Counts an attempt of `flow` for `subject` from the caller's address; 429 past either limit
    /// (a refused attempt is not counted).
    pub(crate) async fn attempt(&self, flow: Flow, subject: &str, meta: &RequestMeta) -> AuthResult<Attempt> {
        let now = self.now();
        let address = meta.address();
        if let Some(retry_after) = self.refused_addresses.retry_after(flow.name(), &address, now) {
            return Err(AuthError::RateLimited { retry_after: retry_after as u64 });
        }
        let subject = self.keys.throttle_key(&email_key(subject));
        let hashed_address = self.keys.throttle_key(&address);
        let record = NewAttempt { flow: flow.name(), subject: &subject, address: &hashed_address, at: now };
        let window = self.policy.login_window;
        let limits = [
            Limit {
                max: self.policy.login_max_failures_per_ip,
                subject: None,
                address: Some(&hashed_address),
                since: now - window,
            },
            Limit {
                max: self.policy.login_max_failures,
                subject: Some(&subject),
                address: flow.per_subject_and_address().then_some(hashed_address.as_str()),
                since: now - window,
            },
        ];
        match self.store.reserve_attempt(&record, &limits).await? {
            Ok(id) => Ok(Attempt { flow, id, subject, address: hashed_address }),
            Err(Refused { limit, oldest }) => {
                let until = oldest.map_or(now + 1, |oldest| oldest + window).max(now + 1);
                if limit == 0 {
                    self.refused_addresses.refuse(flow.name(), &address, until, now);
                }
                Err(AuthError::RateLimited { retry_after: (until - now) as u64 })
            }
        }
    }

    /// Records what became of `attempt`.
    pub(crate) async fn settle(&self, attempt: Attempt, outcome: Outcome) -> AuthResult<()> {
        match outcome {
            Outcome::Counted => Ok(()),
            Outcome::Refunded => self.store.remove_attempt(&attempt.id).await,
            Outcome::Succeeded => {
                self.store.clear_attempts(attempt.flow.name(), &attempt.subject, Some(&attempt.address)).await
            }
        }
    }

    /// Forgets every attempt of `flow` for `subject`, from every address (a password reset clears
    /// the sign-in throttle of its email).
    pub(crate) async fn clear_attempts(&self, flow: Flow, subject: &str) -> AuthResult<()> {
        let subject = self.keys.throttle_key(&email_key(subject));
        self.store.clear_attempts(flow.name(), &subject, None).await
    }

    /// Whether a request of `flow` from `ip` is admitted to be read at all: not when the database
    /// refused its address lately (429, with the seconds to wait), nor when more passwords wait to
    /// be hashed than the queue holds (503). Checked before the body is parsed, so a flood costs no
    /// more than this.
    pub fn admits(&self, flow: Flow, ip: Option<&str>) -> AuthResult<()> {
        let address = super::throttle::address_key(ip.unwrap_or("-"));
        if let Some(retry_after) = self.refused_addresses.retry_after(flow.name(), &address, self.now()) {
            return Err(AuthError::RateLimited { retry_after: retry_after as u64 });
        }
        if self.passwords.is_full() {
            return Err(AuthError::Overloaded);
        }
        Ok(())
    }
}
