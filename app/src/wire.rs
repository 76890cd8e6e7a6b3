//! The demo's own answers: the plan as the billing page shows it, and a job's progress.

use lanyard::contract::PlanStatus;
use serde::{Deserialize, Serialize};

/// The answer of `/api/billing/status`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BillingStatus {
    pub plan_status: PlanStatus,
    pub account_name: Option<String>,
}

/// A simulated long-running job and its progress.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobView {
    pub id: String,
    pub started_at: i64,
    pub duration_secs: i64,
    /// 0–100.
    pub progress: u8,
    pub done: bool,
}
