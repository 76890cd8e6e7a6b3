//! The in-page notices every page can show: the session ended, the API is unreachable, the plan
//! needs attention, the idle countdown, the session's last hour, and sign-ins on new devices. All
//! role="status": the sign-in banner is the page's only alert.

use crate::session::{self, ClientView, NewSignIn};
use leptos::prelude::*;

/// The session's last hour gets a visible warning.
const SESSION_WARNING_SECS: i64 = 3_600;

/// `billing_help` follows the billing notice's words (the app's link to its plan page).
#[component]
pub fn Notices(billing_help: Option<ViewFn>) -> impl IntoView {
    let view = expect_context::<ClientView>();
    let billing_help = billing_help.unwrap_or_default();
    let stay_signed_in = move |_| {
        session::note_activity();
        view.idle_countdown.set(None);
    };
    let session_warning = move || {
        let secs = view.status.get().session_expires_in_secs?;
        (secs > 0 && secs <= SESSION_WARNING_SECS).then(|| format!("Your session ends in {} min", (secs + 59) / 60))
    };
    view! {
        <div class="notices">
            {move || view.ended_notice.get().map(|message| view! {
                <div class="notice ended" role="status"><strong>"Session ended"</strong>" "{message}</div>
            })}
            {move || view.retry_notice.get().map(|message| view! {
                <div class="notice retry" role="status">{message}</div>
            })}
            {move || view.billing_notice.get().map(|message| view! {
                <div class="notice billing" role="status">{message}" "{billing_help.run()}</div>
            })}
            {move || view.idle_countdown.get().map(|secs| view! {
                <div class="notice idle" role="status">
                    {format!("You will be signed out in {secs} s for inactivity.")}" "
                    <button type="button" on:click=stay_signed_in>"Stay signed in"</button>
                </div>
            })}
            {move || session_warning().map(|text| view! { <div class="notice expiry" role="status">{text}</div> })}
            <For
                each=move || view.new_sign_ins.get()
                key=|notice| (notice.session_id.clone(), notice.ended)
                children=|notice| view! { <NewSignInNotice notice/> }
            />
        </div>
    }
}

/// "New sign-in on Chrome, 203.0.113.7" on the user's other sessions (SPEC §4): "Not you? End it"
/// ends that session, then offers the password page.
#[component]
fn NewSignInNotice(notice: NewSignIn) -> impl IntoView {
    let NewSignIn { session_id, device, ended } = notice;
    if ended {
        return view! {
            <div class="notice device" role="status">
                {format!("Signed out the sign-in on {device}.")}" "
                <a href="/account/password">"Change your password"</a>
            </div>
        }
        .into_any();
    }
    let problem = RwSignal::new(None::<String>);
    let end_it = {
        let session_id = session_id.clone();
        move |_| {
            let session_id = session_id.clone();
            leptos::task::spawn_local(async move {
                if let Err(error) = session::disown_sign_in(session_id).await {
                    problem.set(session::problem(&error));
                }
            });
        }
    };
    view! {
        <div class="notice device" role="status">
            {format!("New sign-in on {device}")}" "
            <button type="button" class="danger" on:click=end_it>"Not you? End it"</button>" "
            <button type="button" class="secondary" on:click=move |_| session::dismiss_new_sign_in(&session_id)>"Dismiss"</button>
            {move || problem.get().map(|text| view! { " "<span class="problem">{text}</span> })}
        </div>
    }
    .into_any()
}
