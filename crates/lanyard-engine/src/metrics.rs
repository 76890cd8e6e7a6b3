//! What an operator watches (SPEC §3, `GET /metrics`): sign-ins and refreshes by outcome, endings by
//! reason, the browsers' logout reports, refresh latency and the live sessions. Each engine keeps
//! its own recorder instead of the process-wide one, so that an instance (and every test's) counts
//! only its own calls; the text is rendered by `metrics-exporter-prometheus`.

use super::error::{AuthError, AuthResult};
use super::mailer::{MailKind, MailOutcome};
use lanyard_contract::LogoutCode;
use metrics::{Key, Label, Level, Metadata, Recorder as _};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder};
use std::time::Duration;

const LOGINS: &str = "lanyard_logins_total";
const REFRESHES: &str = "lanyard_refreshes_total";
const ENDINGS: &str = "lanyard_session_endings_total";
const CLIENT_LOGOUTS: &str = "lanyard_client_logout_events_total";
const REFRESH_DURATION: &str = "lanyard_refresh_duration_seconds";
const LIVE_SESSIONS: &str = "lanyard_live_sessions";
const MAIL: &str = "lanyard_mail_total";

/// Histogram buckets of a refresh, in seconds: from a cached rotation to a database that stalls.
const REFRESH_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

lanyard_contract::closed_set! {
    /// How a sign-in ended. SPEC names the first four; `unavailable` (the database) and `refused` (a
    /// bad request, a closed account) are the rest.
    pub enum LoginOutcome {
        Ok = "ok",
        Invalid = "invalid",
        Throttled = "throttled",
        /// Beyond the hashing queue: refused with 503 before any work.
        Shed = "shed",
        Unavailable = "unavailable",
        Refused = "refused",
        /// A right password of a user with a second factor: the sign-in waits for it.
        SecondFactor = "second_factor",
    }
}

impl LoginOutcome {
    pub fn of<T>(signed_in: &AuthResult<T>) -> Self {
        match signed_in {
            Ok(_) => Self::Ok,
            Err(AuthError::InvalidCredentials) => Self::Invalid,
            Err(AuthError::RateLimited { .. }) => Self::Throttled,
            Err(AuthError::Overloaded) => Self::Shed,
            Err(AuthError::Unavailable(_)) => Self::Unavailable,
            Err(_) => Self::Refused,
        }
    }
}

lanyard_contract::closed_set! {
    /// How a refresh ended. SPEC names the first four; `ended` (the session had ended, or ends now,
    /// for another reason), `unavailable` and `failed` (a bug: a 500) are the rest.
    pub enum RefreshOutcome {
        Rotated = "rotated",
        /// A used token answered again with its successor (SPEC §1's idempotent rule).
        Replayed = "replayed",
        /// A used token outside the rule: the session ended with REFRESH_TOKEN_REUSED.
        Reused = "reused",
        Unknown = "unknown",
        Ended = "ended",
        Unavailable = "unavailable",
        Failed = "failed",
    }
}

impl RefreshOutcome {
    /// The outcome of a refresh that issued nothing.
    pub fn of_refusal(refusal: &AuthError) -> Self {
        match refusal {
            AuthError::Logout { code: LogoutCode::RefreshTokenReused, .. } => Self::Reused,
            AuthError::Logout { code: LogoutCode::TokenRefreshFailed | LogoutCode::NoRefreshToken, .. } => {
                Self::Unknown
            }
            AuthError::Logout { .. } => Self::Ended,
            AuthError::Unavailable(_) | AuthError::Overloaded => Self::Unavailable,
            _ => Self::Failed,
        }
    }
}

pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
}

impl Default for Metrics {
    /// A recorder with every series of SPEC §3 present from the start, at zero for every member of
    /// its label's closed set: an alert on a series that is absent (`absent()`) or on its rate
    /// then works before the first sign-in, refresh or ending.
    fn default() -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(REFRESH_DURATION.into()), REFRESH_BUCKETS)
            .expect("the buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        let metrics = Self { recorder, handle };
        for outcome in LoginOutcome::ALL {
            metrics.counter(LOGINS, "outcome", outcome.as_str()).increment(0);
        }
        for outcome in RefreshOutcome::ALL {
            metrics.counter(REFRESHES, "outcome", outcome.as_str()).increment(0);
        }
        for code in LogoutCode::ALL {
            metrics.counter(ENDINGS, "reason", code.as_str()).increment(0);
            metrics.counter(CLIENT_LOGOUTS, "code", code.as_str()).increment(0);
        }
        for kind in MailKind::ALL {
            for outcome in MailOutcome::ALL {
                metrics.mail_counter(*kind, *outcome).increment(0);
            }
        }
        // Registered with no sample: rendered with a count of 0.
        drop(metrics.recorder.register_histogram(&Key::from_static_name(REFRESH_DURATION), &METADATA));
        metrics
    }
}

static METADATA: Metadata<'static> = Metadata::new(module_path!(), Level::INFO, Some(module_path!()));

impl Metrics {
    /// The counter `name{label="value"}`, registered (at zero) if it was not.
    fn counter(&self, name: &'static str, label: &'static str, value: &'static str) -> metrics::Counter {
        let key = Key::from_parts(name, vec![Label::from_static_parts(label, value)]);
        self.recorder.register_counter(&key, &METADATA)
    }

    fn count(&self, name: &'static str, label: &'static str, value: &'static str) {
        self.counter(name, label, value).increment(1);
    }

    pub fn login(&self, outcome: LoginOutcome) {
        self.count(LOGINS, "outcome", outcome.as_str());
    }

    pub fn refresh(&self, outcome: RefreshOutcome, took: Duration) {
        self.count(REFRESHES, "outcome", outcome.as_str());
        let key = Key::from_static_name(REFRESH_DURATION);
        self.recorder.register_histogram(&key, &METADATA).record(took.as_secs_f64());
    }

    pub fn ending(&self, reason: LogoutCode) {
        self.count(ENDINGS, "reason", reason.as_str());
    }

    pub fn client_logout(&self, code: LogoutCode) {
        self.count(CLIENT_LOGOUTS, "code", code.as_str());
    }

    fn mail_counter(&self, kind: MailKind, outcome: MailOutcome) -> metrics::Counter {
        let labels = vec![
            Label::from_static_parts("kind", kind.as_str()),
            Label::from_static_parts("outcome", outcome.as_str()),
        ];
        self.recorder.register_counter(&Key::from_parts(MAIL, labels), &METADATA)
    }

    pub fn mail(&self, kind: MailKind, outcome: MailOutcome) {
        self.mail_counter(kind, outcome).increment(1);
    }

    /// The Prometheus text, with the live-session gauge set to what the database counts now.
    pub fn render(&self, live_sessions: i64) -> String {
        let key = Key::from_static_name(LIVE_SESSIONS);
        self.recorder.register_gauge(&key, &METADATA).set(live_sessions as f64);
        self.handle.render()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_engine_counts_only_its_own_calls_under_spec_names() {
        let (one, other) = (Metrics::default(), Metrics::default());
        one.login(LoginOutcome::Ok);
        one.login(LoginOutcome::Shed);
        one.refresh(RefreshOutcome::Rotated, Duration::from_millis(3));
        one.ending(LogoutCode::ManualLogout);
        one.client_logout(LogoutCode::IdleTimeout);
        let text = one.render(7);
        for line in [
            r#"lanyard_logins_total{outcome="ok"} 1"#,
            r#"lanyard_logins_total{outcome="shed"} 1"#,
            r#"lanyard_refreshes_total{outcome="rotated"} 1"#,
            r#"lanyard_session_endings_total{reason="MANUAL_LOGOUT"} 1"#,
            r#"lanyard_client_logout_events_total{code="IDLE_TIMEOUT"} 1"#,
            r#"lanyard_refresh_duration_seconds_bucket{le="0.005"} 1"#,
            "lanyard_live_sessions 7",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} is missing from:\n{text}");
        }
        assert!(other.render(0).contains(r#"lanyard_logins_total{outcome="ok"} 0"#), "another engine's is its own");
    }

    #[test]
    fn every_series_is_there_from_the_start_at_zero() {
        let text = Metrics::default().render(0);
        let has = |line: String| assert!(text.lines().any(|l| l == line), "{line} is missing from:\n{text}");
        for outcome in LoginOutcome::ALL {
            has(format!(r#"lanyard_logins_total{{outcome="{outcome}"}} 0"#));
        }
        for outcome in RefreshOutcome::ALL {
            has(format!(r#"lanyard_refreshes_total{{outcome="{outcome}"}} 0"#));
        }
        for code in LogoutCode::ALL {
            has(format!(r#"lanyard_session_endings_total{{reason="{code}"}} 0"#));
            has(format!(r#"lanyard_client_logout_events_total{{code="{code}"}} 0"#));
        }
        for kind in MailKind::ALL {
            for outcome in MailOutcome::ALL {
                has(format!(r#"lanyard_mail_total{{kind="{kind}",outcome="{outcome}"}} 0"#));
            }
        }
        has("lanyard_refresh_duration_seconds_count 0".into());
        has(r#"lanyard_refresh_duration_seconds_bucket{le="+Inf"} 0"#.into());
    }
}
