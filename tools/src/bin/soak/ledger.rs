//! The ledger: what the soak itself did, recorded before it is done, so that every ending a browser
//! meets can be judged explained or a false logout. Beside it the figures the soak counts and the
//! world a phase's browsers share: the proxy's address, the ledger, the figures, and the window in
//! which a restart or a rotation may explain a failed refresh.

use crate::DISTURBANCE;
use crate::proxy::Proxy;
use lanyard::contract::LogoutCode;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// An ending the soak caused: from when, and until when (open while the cause lasts), it explains
/// an ending with `code`.
#[derive(Clone, Copy, Debug)]
struct Cause {
    code: LogoutCode,
    from: Instant,
    until: Option<Instant>,
}

#[derive(Default)]
pub(crate) struct Ledger {
    /// Per user, what the soak did to them.
    causes: Mutex<BTreeMap<String, Vec<Cause>>>,
    pub(crate) endings: Mutex<Vec<EndingSeen>>,
}

#[derive(Clone, Debug)]
pub(crate) struct EndingSeen {
    pub(crate) code: LogoutCode,
    pub(crate) explained: bool,
}

impl Ledger {
    pub(crate) fn cause(&self, user: &str, code: LogoutCode, until: Option<Instant>) {
        let cause = Cause { code, from: Instant::now(), until };
        self.causes.lock().unwrap().entry(user.to_owned()).or_default().push(cause);
    }

    pub(crate) fn close(&self, user: &str, code: LogoutCode) {
        let now = Instant::now();
        if let Some(causes) = self.causes.lock().unwrap().get_mut(user) {
            for cause in causes.iter_mut().filter(|c| c.code == code && c.until.is_none()) {
                // The client notices at its next call, a few seconds later at most.
                cause.until = Some(now + Duration::from_secs(5));
            }
        }
    }

    pub(crate) fn explains(&self, user: &str, code: LogoutCode, at: Instant) -> bool {
        self.causes.lock().unwrap().get(user).is_some_and(|causes| {
            causes.iter().any(|c| c.code == code && c.from <= at && c.until.is_none_or(|until| at <= until))
        })
    }

    pub(crate) fn ended(&self, user: &str, code: LogoutCode) -> bool {
        let explained = self.explains(user, code, Instant::now());
        if !explained {
            eprintln!("soak: FALSE LOGOUT of {user}: {code}");
        }
        self.endings.lock().unwrap().push(EndingSeen { code, explained });
        explained
    }
}

#[derive(Default)]
pub(crate) struct Figures {
    pub(crate) calls: Mutex<BTreeMap<String, u64>>,
    pub(crate) refresh_ok: AtomicU64,
    pub(crate) refresh_ok_disturbed: AtomicU64,
    pub(crate) refresh_failed_undisturbed: AtomicU64,
    pub(crate) refresh_failed_disturbed: AtomicU64,
    pub(crate) refresh_ms: Mutex<Vec<f64>>,
    pub(crate) sign_ins: AtomicU64,
    /// Password changes whose answer the browser never read.
    pub(crate) password_changes_lost: AtomicU64,
}

impl Figures {
    pub(crate) fn count(&self, outcome: &str) {
        *self.calls.lock().unwrap().entry(outcome.to_owned()).or_default() += 1;
    }
}

pub(crate) struct World {
    pub(crate) base: String,
    pub(crate) http: reqwest::Client,
    pub(crate) proxy: Arc<Proxy>,
    pub(crate) ledger: Ledger,
    pub(crate) figures: Figures,
    pub(crate) next_call: AtomicU64,
    /// Until when a failure may be a restart's or a rotation's doing.
    pub(crate) disturbed_until: Mutex<Instant>,
    pub(crate) running: AtomicBool,
}

impl World {
    pub(crate) fn disturb(&self) {
        *self.disturbed_until.lock().unwrap() = Instant::now() + DISTURBANCE;
    }

    pub(crate) fn disturbed(&self) -> bool {
        Instant::now() <= *self.disturbed_until.lock().unwrap()
    }
}
