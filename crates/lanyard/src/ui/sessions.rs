//! `/sessions`: the user's devices, ending them, and the recently ended ones with their reasons.

use super::pages::{loading, shown};
use super::protected::Protected;
use crate::api;
use crate::contract::{ErrorBody, SessionView, SessionsAnswer};
use crate::session;
use leptos::prelude::*;

/// `/sessions`, "Your sessions": the user's live sessions ("End session" on every other one, "Sign
/// out other devices", "Sign out everywhere") and those ended in the last 30 days with their
/// reasons. Until the server has recorded an ending nothing is signed out, and the page says so.
#[component]
pub fn Sessions() -> impl IntoView {
    view! {
        <Protected>
            <h1>"Your sessions"</h1>
            <SessionLists/>
        </Protected>
    }
}

/// The lists, loaded once the session is restored and again after every change.
#[component]
fn SessionLists() -> impl IntoView {
    let list = LocalResource::new(api::sessions);
    // Why the last ending asked for here did not happen: until the server has recorded an ending,
    // nothing is signed out (and this browser keeps its session), so the user is told to try again.
    let problem = RwSignal::new(None::<String>);
    let not_ended = move |outcome: Result<(), ErrorBody>| {
        problem.set(
            outcome.err().as_ref().and_then(session::problem).map(|text| format!("Nothing was signed out. {text}")),
        );
    };
    let end_session = move |session_id: String| {
        leptos::task::spawn_local(async move {
            not_ended(api::revoke_session(session_id).await);
            list.refetch();
        });
    };
    let sign_out_all = move |keep_current: bool| {
        leptos::task::spawn_local(async move {
            not_ended(session::sign_out_all(keep_current).await.map(|_| ()));
            list.refetch();
        });
    };
    view! {
            <div class="actions">
                <button type="button" class="secondary" on:click=move |_| sign_out_all(true)>"Sign out other devices"</button>
                <button type="button" class="danger" on:click=move |_| sign_out_all(false)>"Sign out everywhere"</button>
            </div>
            {move || problem.get().map(|text| view! { <p class="problem" role="status">{text}</p> })}
            <Suspense fallback=loading>
            {move || list.get().map(|answer| shown(answer, |answer: SessionsAnswer| {
                    let now = session::server_now();
                    view! {
                        <ul class="session-list">
                            {answer.active.into_iter().map(|session| {
                                let id = session.id.clone();
                                view! {
                                    <li class="card session">
                                        <SessionFacts session=session.clone() now=now/>
                                        {if session.current {
                                            view! { <span class="badge">"This device"</span> }.into_any()
                                        } else {
                                            view! {
                                                <button type="button" class="secondary" on:click=move |_| end_session(id.clone())>
                                                    "End session"
                                                </button>
                                            }.into_any()
                                        }}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                        <h2>"Recently ended"</h2>
                        {answer.ended.is_empty().then(|| view! { <p class="muted">"None in the last 30 days."</p> })}
                        <ul class="session-list ended">
                            {answer.ended.into_iter().map(|session| {
                                let reason = session.end_reason.map(|code| code.message()).unwrap_or("Ended.");
                                view! {
                                    <li class="card session">
                                        <SessionFacts session=session.clone() now=now/>
                                        <p class="end-reason">{reason}</p>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }))}
            </Suspense>
    }
}

#[component]
fn SessionFacts(session: SessionView, now: i64) -> impl IntoView {
    let device = session.user_agent.as_deref().map(session::browser_name).unwrap_or("Unknown device");
    view! {
        <div class="facts">
            <strong>{device}</strong>
            <span class="muted">{session.ip.unwrap_or_default()}</span>
            <span class="muted">{format!("signed in {}", ago(now, session.created_at))}</span>
            {match session.ended_at {
                Some(at) => format!("ended {}", ago(now, at)),
                None => format!("active {}", ago(now, session.last_active_at)),
            }}
        </div>
    }
}

/// "3 min ago" and the like.
pub fn ago(now: i64, at: i64) -> String {
    let secs = (now - at).max(0);
    match secs {
        0..60 => "just now".into(),
        60..3_600 => format!("{} min ago", secs / 60),
        3_600..86_400 => format!("{} h ago", secs / 3_600),
        _ => format!("{} d ago", secs / 86_400),
    }
}
