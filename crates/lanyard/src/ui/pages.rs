//! The password page, and what every data page shares: loading API data once the
//! session is restored, with refusals shown in place.

use super::protected::Protected;
use crate::contract::ErrorBody;
use crate::credentials::{PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS, password_rule};
use crate::session::{self, problem};
use leptos::prelude::*;
use std::future::Future;

/// What a page shows while its data is on the way (or while the tab leaves after an ending).
pub fn loading() -> AnyView {
    view! { <p class="muted">"Loading…"</p> }.into_any()
}

/// An API answer on a page: `render` for the data; a refusal or an unreachable API in words, in
/// place (a 403 or 402 never signs anyone out).
pub fn shown<T>(answer: Result<T, ErrorBody>, render: impl FnOnce(T) -> AnyView) -> AnyView {
    match answer {
        Ok(value) => render(value),
        Err(error) => match problem(&error) {
            Some(message) => view! { <p class="problem">{message}</p> }.into_any(),
            None => loading(),
        },
    }
}

/// A protected page that shows one API answer, loaded once the session is restored.
#[component]
pub fn DataPage<T, Fut>(
    /// The page's heading.
    title: &'static str,
    /// The call that loads the answer, usually a server function; it runs only in the browser,
    /// once the session is restored, since only the tab holds the token.
    load: fn() -> Fut,
    /// What the page shows of the answer; a refusal is shown in words instead ([`shown`]).
    render: fn(T) -> AnyView,
) -> impl IntoView
where
    T: Clone + 'static,
    Fut: Future<Output = Result<T, ErrorBody>> + 'static,
{
    view! {
        <Protected>
            <h1>{title}</h1>
            <Answer load render/>
        </Protected>
    }
}

/// `load`'s answer, rendered by `render` (a child of the protected frame, so it loads only once the
/// session is restored).
#[component]
fn Answer<T, Fut>(load: fn() -> Fut, render: fn(T) -> AnyView) -> impl IntoView
where
    T: Clone + 'static,
    Fut: Future<Output = Result<T, ErrorBody>> + 'static,
{
    let data = LocalResource::new(load);
    view! {
        <Suspense fallback=loading>
            {move || data.get().map(|answer| shown(answer, render))}
        </Suspense>
    }
}

/// `/account/password`, "Change password": the current password, then a new one. This session
/// carries on with a new token and the user's other sessions end; the page states the password rule
/// the server enforces, and a refusal (a wrong current password, a weak new one) is said in place.
#[component]
pub fn Password() -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let outcome = RwSignal::new(None::<(bool, String)>);
    let pending = RwSignal::new(false);
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        pending.set(true);
        leptos::task::spawn_local(async move {
            let result = session::change_password(current.get_untracked(), new.get_untracked()).await;
            pending.set(false);
            outcome.set(Some(match result {
                Ok(()) => {
                    current.set(String::new());
                    new.set(String::new());
                    (true, "Password changed. Your other sessions were signed out.".into())
                }
                Err(error) => (false, session::describe(&error)),
            }));
        });
    };
    view! {
        <Protected>
            <h1>"Change password"</h1>
            <form class="card narrow-form" on:submit=on_submit>
                <label for="current-password">"Current password"</label>
                <input id="current-password" type="password" autocomplete="current-password" required bind:value=current/>
                <label for="new-password">"New password"</label>
                <input
                    id="new-password"
                    type="password"
                    autocomplete="new-password"
                    required
                    minlength=PASSWORD_MIN_CHARS
                    maxlength=PASSWORD_MAX_CHARS
                    bind:value=new
                />
                <p class="muted">{password_rule()}</p>
                <button type="submit" disabled=move || pending.get()>"Change password"</button>
                <OutcomeLine outcome/>
            </form>
        </Protected>
    }
}

/// What a form's last action came to, said with role="status": a success, or the problem (the bool
/// says which); nothing before the first.
#[component]
pub fn OutcomeLine(outcome: RwSignal<Option<(bool, String)>>) -> impl IntoView {
    move || {
        outcome.get().map(|(ok, message)| {
            view! { <p class=if ok { "success" } else { "problem" } role="status">{message}</p> }
        })
    }
}
