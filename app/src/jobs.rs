//! Simulated long-running jobs: the demo of work that outlives an access token. They are kept in
//! this process's memory, and each belongs to the user who started it.

use super::wire::JobView;
use lanyard::engine::{AuthError, AuthResult};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

const DEFAULT_JOB_SECS: i64 = 20;
const MAX_JOB_SECS: i64 = 3_600;
/// Jobs kept per process; the oldest go first.
const MAX_JOBS: usize = 10_000;

struct Job {
    user_id: String,
    started_at: i64,
    duration_secs: i64,
}

/// This process's jobs.
pub static JOBS: LazyLock<Jobs> = LazyLock::new(Jobs::default);

#[derive(Default)]
pub struct Jobs {
    running: Mutex<HashMap<String, Job>>,
}

impl Job {
    fn view(&self, id: &str, now: i64) -> JobView {
        let elapsed = (now - self.started_at).clamp(0, self.duration_secs);
        JobView {
            id: id.to_owned(),
            started_at: self.started_at,
            duration_secs: self.duration_secs,
            progress: (elapsed * 100 / self.duration_secs) as u8,
            done: elapsed >= self.duration_secs,
        }
    }
}

impl Jobs {
    /// Starts a job of `seconds` (default 20) for `user_id`.
    pub fn start(&self, user_id: &str, seconds: Option<i64>, now: i64) -> AuthResult<JobView> {
        let duration_secs = seconds.unwrap_or(DEFAULT_JOB_SECS);
        if !(1..=MAX_JOB_SECS).contains(&duration_secs) {
            return Err(AuthError::BadRequest(format!("seconds must be between 1 and {MAX_JOB_SECS}")));
        }
        let id = uuid::Uuid::new_v4().simple().to_string();
        let job = Job { user_id: user_id.to_owned(), started_at: now, duration_secs };
        let view = job.view(&id, now);
        let mut running = self.running.lock().expect("jobs lock");
        if running.len() >= MAX_JOBS {
            let oldest = running.iter().min_by_key(|(_, job)| job.started_at).map(|(id, _)| id.clone());
            oldest.map(|id| running.remove(&id));
        }
        running.insert(id, job);
        Ok(view)
    }

    /// A job's progress; another user's job is "not found".
    pub fn status(&self, user_id: &str, id: &str, now: i64) -> AuthResult<JobView> {
        let running = self.running.lock().expect("jobs lock");
        let job = running.get(id).filter(|job| job.user_id == user_id).ok_or(AuthError::NotFound)?;
        Ok(job.view(id, now))
    }
}
