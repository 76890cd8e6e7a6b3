//! The demo's server functions: the plan (`billing/status`), the simulated jobs, and the admin
//! overview and charts. They are built like lanyard's own: the same client, the same error body
//! and the same guard helpers (`serve`), at SPEC §3's paths.

use super::wire::{self, JobView};
use lanyard::api::Authenticated;
use lanyard::contract::{self, ErrorBody, LogoutReport, SessionHealth};
use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, Json};

#[cfg(feature = "ssr")]
use super::jobs::JOBS;
#[cfg(feature = "ssr")]
use lanyard::{api::serve, engine::PlanCheck};

/// The account's plan; answered even when the plan has lapsed, so the billing page can say so.
#[server(prefix = "/api", endpoint = "billing/status", input = GetUrl, client = Authenticated)]
pub async fn billing_status() -> Result<wire::BillingStatus, ErrorBody> {
    let (_, principal) = serve::signed_in(PlanCheck::Skipped).await?;
    Ok(wire::BillingStatus { plan_status: principal.plan, account_name: principal.user.account_name })
}

/// Starts a simulated job of `seconds` (default 20).
#[server(prefix = "/api", endpoint = "jobs/start", input = Json, client = Authenticated)]
pub async fn start_job(#[server(default)] seconds: Option<i64>) -> Result<JobView, ErrorBody> {
    let (call, principal) = serve::signed_in(PlanCheck::Required).await?;
    call.answer(JOBS.start(&principal.user.id, seconds, call.engine.now()))
}

/// A job's progress; another user's job is "not found".
#[server(prefix = "/api", endpoint = "jobs/status", input = GetUrl, client = Authenticated)]
pub async fn job_status(id: String) -> Result<JobView, ErrorBody> {
    let (call, principal) = serve::signed_in(PlanCheck::Required).await?;
    call.answer(JOBS.status(&principal.user.id, &id, call.engine.now()))
}

/// The account at a glance; admins and owners only.
#[server(prefix = "/api", endpoint = "admin/overview", input = GetUrl, client = Authenticated)]
pub async fn admin_overview() -> Result<contract::AdminOverview, ErrorBody> {
    let (call, admin) = serve::admin().await?;
    call.answer(call.engine.admin_overview(&admin).await)
}

/// The account's session endings by reason and day; admins and owners only.
#[server(prefix = "/api", endpoint = "admin/logouts", input = GetUrl, client = Authenticated)]
pub async fn admin_logouts(#[server(default)] days: Option<i64>) -> Result<LogoutReport, ErrorBody> {
    let (call, admin) = serve::admin().await?;
    let account_id = admin.user.account_id.as_deref();
    call.answer(call.engine.logout_report(account_id, days.unwrap_or(7)).await)
}

/// The account's refreshes by outcome, session lengths and remember-me use per day; admins and
/// owners only.
#[server(prefix = "/api", endpoint = "admin/session_health", input = GetUrl, client = Authenticated)]
pub async fn admin_session_health(#[server(default)] days: Option<i64>) -> Result<SessionHealth, ErrorBody> {
    let (call, admin) = serve::admin().await?;
    let account_id = admin.user.account_id.as_deref();
    call.answer(call.engine.session_health(account_id, days.unwrap_or(7)).await)
}
