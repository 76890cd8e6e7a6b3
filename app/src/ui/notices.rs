//! The in-page notices every page can show: the session ended, the API is unreachable, the plan
//! needs attention, the idle countdown, and the session's last hour. All role="status": the sign-in
//! banner is the page's only alert.

use crate::session::{self, ClientView};
use leptos::prelude::*;

/// The session's last hour gets a visible warning.
const SESSION_WARNING_SECS: i64 = 3_600;

#[component]
pub fn Notices() -> impl IntoView {
    let view = expect_context::<ClientView>();
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
                <div class="notice billing" role="status">
                    {message}" "<a href="/billing">"Open Billing"</a>
                </div>
            })}
            {move || view.idle_countdown.get().map(|secs| view! {
                <div class="notice idle" role="status">
                    {format!("You will be signed out in {secs} s for inactivity.")}" "
                    <button type="button" on:click=stay_signed_in>"Stay signed in"</button>
                </div>
            })}
            {move || session_warning().map(|text| view! { <div class="notice expiry" role="status">{text}</div> })}
        </div>
    }
}
