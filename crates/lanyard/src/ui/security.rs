//! `/security`, "Security activity" (SPEC §5): the user's own sign-ins (new devices marked),
//! password changes and confirmations, blocked refresh-token reuse and every ending with its message,
//! 30 days, newest first. "This wasn't me" on another live session's sign-in ends it and takes the
//! user to the password page.

use super::pages::{loading, shown};
use super::protected::Protected;
use crate::api;
use crate::contract::{ActivityAnswer, ActivityEvent, ActivityKind};
use crate::session;
use leptos::prelude::*;

/// `/security`, "Security activity" (SPEC §5): the user's own sign-ins, password changes and
/// confirmations, blocked refresh-token reuse and endings of the last 30 days, newest first, so they
/// can spot a sign-in that was not theirs; "This wasn't me" ends it and takes them to the password
/// page.
#[component]
pub fn Security() -> impl IntoView {
    view! {
        <Protected>
            <h1>"Security activity"</h1>
            <p class="page-links">
                <a href="/account/password">"Change password"</a>
                {cfg!(feature = "mfa").then(|| view! {
                    " · " <a href="/account/security">"Two-factor authentication and passkeys"</a>
                })}
            </p>
            <ActivityList/>
        </Protected>
    }
}

#[component]
fn ActivityList() -> impl IntoView {
    let activity = LocalResource::new(|| api::activity(None));
    let problem = RwSignal::new(None::<String>);
    let navigate = leptos_router::hooks::use_navigate();
    let not_me = move |session_id: String| {
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match session::disown_sign_in(session_id).await {
                Ok(()) => navigate("/account/password", Default::default()),
                Err(error) => problem.set(session::problem(&error)),
            }
        });
    };
    view! {
        {move || problem.get().map(|text| view! { <p class="problem" role="status">{text}</p> })}
        <Suspense fallback=loading>
            {move || activity.get().map(|answer| {
                let not_me = not_me.clone();
                shown(answer, move |answer: ActivityAnswer| {
                    view! {
                        {answer.events.is_empty().then(|| view! { <p class="muted">"Nothing in the last 30 days."</p> })}
                        <ul class="activity">
                            {answer.events.into_iter().map(|event| {
                                let not_me = not_me.clone();
                                let disown = (matches!(event.kind, ActivityKind::SignedIn | ActivityKind::NewDevice)
                                    && event.live && !event.current)
                                    .then(|| event.session_id.clone())
                                    .flatten();
                                view! {
                                    <li class="card activity-line">
                                        <time>{session::local_time(event.at)}</time>
                                        <strong>{what_happened(&event)}</strong>
                                        <span class="muted">{session::device_label(event.user_agent.as_deref(), event.ip.as_deref())}</span>
                                        {event.current.then(|| view! { <span class="badge">"This device"</span> })}
                                        {disown.map(|id| view! {
                                            <button type="button" class="danger" on:click=move |_| not_me(id.clone())>
                                                "This wasn't me"
                                            </button>
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }
                    .into_any()
                })
            })}
        </Suspense>
    }
}

/// What a line says happened (SPEC §5's words).
fn what_happened(event: &ActivityEvent) -> String {
    match event.kind {
        ActivityKind::SignedIn => "Signed in".into(),
        ActivityKind::NewDevice => "New device".into(),
        ActivityKind::PasswordChanged => "Password changed".into(),
        ActivityKind::PasswordReset => "Password reset".into(),
        ActivityKind::EmailVerified => "Email verified".into(),
        ActivityKind::EmailChanged => "Email changed".into(),
        ActivityKind::MfaEnabled => "Two-factor authentication turned on".into(),
        ActivityKind::MfaDisabled => "Two-factor authentication turned off".into(),
        ActivityKind::PasskeyAdded => "Passkey added".into(),
        ActivityKind::PasskeyRemoved => "Passkey removed".into(),
        ActivityKind::RecoveryCodeUsed => "Recovery code used".into(),
        ActivityKind::MfaReset => "Second factor reset by an administrator".into(),
        ActivityKind::Reauth => "Password confirmed".into(),
        ActivityKind::ReuseBlocked => "Suspicious refresh blocked".into(),
        ActivityKind::SessionEnded => {
            format!("Session ended: {}", event.reason.map_or("Ended.", |code| code.message()))
        }
    }
}
