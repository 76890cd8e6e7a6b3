//! The demo's pages: the dashboard (`/`), a job that outlives an access token (`/jobs`), and the
//! plan (`/billing`, where the billing notice links).

use super::api;
use super::wire::{BillingStatus, JobView};
use lanyard::contract::PlanStatus;
use lanyard::session::{self, ClientView, describe};
use lanyard::ui::{DataPage, Protected};
use leptos::prelude::*;

/// `/`: who is signed in, and in which account.
#[component]
pub fn Dashboard() -> impl IntoView {
    let view = expect_context::<ClientView>();
    view! {
        <Protected>
            <h1>"Dashboard"</h1>
            <p>"Signed in as " <strong class="user-email">{move || view.user().map(|u| u.email)}</strong></p>
            <p class="muted">
                {move || view.user().and_then(|u| u.account_name).map(|name| format!("Account: {name}"))}
            </p>
        </Protected>
    }
}

#[component]
pub fn Billing() -> impl IntoView {
    view! { <DataPage title="Billing" load=api::billing_status render=billing_card/> }
}

fn billing_card(billing: BillingStatus) -> AnyView {
    view! {
        <div class="card">
            <p>"Account: "<strong>{billing.account_name.unwrap_or_default()}</strong></p>
            <p>"Plan status: "<strong class="plan-status">{billing.plan_status.as_str()}</strong></p>
            {(billing.plan_status != PlanStatus::Active).then(|| view! {
                <p class="muted">"Features that need a plan are paused; your session is unaffected."</p>
            })}
        </div>
    }
    .into_any()
}

/// `/jobs`: a job that runs longer than an access token lives, polled until it finishes.
#[component]
pub fn Jobs() -> impl IntoView {
    let job = RwSignal::new(None::<JobView>);
    let problem = RwSignal::new(None::<String>);
    let start = move |_| {
        problem.set(None);
        leptos::task::spawn_local(run_job(job, problem));
    };
    let running = move || job.get().is_some_and(|j| !j.done);
    view! {
        <Protected>
            <h1>"Jobs"</h1>
            <p class="muted">"A simulated job that outlives the access token: the session keeps it going."</p>
            <button type="button" on:click=start disabled=running>"Start job"</button>
            {move || job.get().map(|job| view! {
                <div class="job card">
                    <div
                        class="progress"
                        role="progressbar"
                        aria-label="Job progress"
                        aria-valuemin="0"
                        aria-valuemax="100"
                        aria-valuenow=job.progress.to_string()
                    >
                        <div class="progress-fill" style=format!("width: {}%", job.progress)></div>
                    </div>
                    <p>{if job.done { "Job finished".to_owned() } else { format!("{} %", job.progress) }}</p>
                </div>
            })}
            {move || problem.get().map(|message| view! { <p class="problem" role="status">{message}</p> })}
        </Protected>
    }
}

/// Starts a job and polls it every second; a failed poll is retried, never a reason to stop.
async fn run_job(job: RwSignal<Option<JobView>>, problem: RwSignal<Option<String>>) {
    let started = match api::start_job(None).await {
        Ok(started) => started,
        Err(error) if error.ends_session() => return,
        Err(error) if error.is_transient() => {
            return problem.set(Some("The job could not be started; try again.".into()));
        }
        Err(error) => return problem.set(Some(describe(&error))),
    };
    let id = started.id.clone();
    job.set(Some(started));
    loop {
        session::pause(1_000).await;
        match api::job_status(id.clone()).await {
            Ok(status) => {
                let done = status.done;
                job.set(Some(status));
                if done {
                    return;
                }
            }
            Err(error) if error.ends_session() => return,
            Err(_) => {}
        }
    }
}
