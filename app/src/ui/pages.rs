//! Small pages (billing, password) and what every data page shares: loading API data once the
//! session is restored, with refusals shown in place (a 403 or 402 never signs anyone out).

use super::protected::Protected;
use super::{Auth, AuthStatus};
use crate::contract::{BillingStatus, ErrorBody};
use leptos::prelude::*;
use serde::de::DeserializeOwned;

/// The state of data a page loads (filled in the browser only).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Debug, PartialEq)]
pub enum Loaded<T> {
    Loading,
    Ready(T),
    /// Refused or unavailable, in words for the user; the session is kept.
    Problem(String),
}

/// Renders the loading and problem states the same way on every page, and `ready` for the data.
pub fn render_loaded<T>(loaded: Loaded<T>, ready: impl FnOnce(T) -> AnyView) -> AnyView {
    match loaded {
        Loaded::Loading => view! { <p class="muted">"Loading…"</p> }.into_any(),
        Loaded::Problem(message) => view! { <p class="problem">{message}</p> }.into_any(),
        Loaded::Ready(value) => ready(value),
    }
}

/// What a refusal tells the user.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn refusal_message(status: u16, body: Option<&ErrorBody>) -> String {
    match status {
        403 => "You don't have permission to view this page.".into(),
        402 => body
            .and_then(|b| b.logout_message.clone())
            .unwrap_or_else(|| "Your plan needs attention — see Billing.".into()),
        _ => body.and_then(|b| b.message.clone()).unwrap_or_else(|| format!("The request was refused ({status}).")),
    }
}

/// Loads `path` (GET) into `target` whenever `reload` changes, once the session is restored.
pub fn load_when_signed_in<T>(path: impl Fn() -> String + 'static, target: RwSignal<Loaded<T>>, reload: RwSignal<u32>)
where
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    let auth = expect_context::<Auth>();
    Effect::new(move |_| {
        reload.track();
        if !matches!(auth.status.get(), AuthStatus::SignedIn(_)) {
            return;
        }
        let path = path();
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            use crate::client::http::{CallError, Method, call};
            target.set(match call::<T>(Method::Get, &path, &()).await {
                Ok(value) => Loaded::Ready(value),
                Err(CallError::Refused { status, body }) => Loaded::Problem(refusal_message(status, body.as_ref())),
                Err(CallError::Unavailable { .. }) => Loaded::Problem(super::state::UNREACHABLE.into()),
                Err(CallError::SessionEnded(_)) => Loaded::Loading,
            });
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (path, target);
    });
}

/// A protected page that shows one API answer, with loading and problems shown alike everywhere.
#[component]
pub fn DataPage<T>(title: &'static str, path: &'static str, render: fn(T) -> AnyView) -> impl IntoView
where
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    let data = RwSignal::new(Loaded::<T>::Loading);
    load_when_signed_in(move || path.to_owned(), data, RwSignal::new(0));
    view! {
        <Protected>
            <h1>{title}</h1>
            {move || render_loaded(data.get(), render)}
        </Protected>
    }
}

#[component]
pub fn Billing() -> impl IntoView {
    view! { <DataPage title="Billing" path="/api/billing/status" render=billing_card/> }
}

fn billing_card(billing: BillingStatus) -> AnyView {
    view! {
        <div class="card">
            <p>"Account: "<strong>{billing.account_name.unwrap_or_default()}</strong></p>
            <p>"Plan status: "<strong class="plan-status">{billing.plan_status.clone()}</strong></p>
            {(billing.plan_status != "active").then(|| view! {
                <p class="muted">"Features that need a plan are paused; your session is unaffected."</p>
            })}
        </div>
    }
    .into_any()
}

#[component]
pub fn Password() -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let outcome = RwSignal::new(None::<(bool, String)>);
    let pending = RwSignal::new(false);
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        pending.set(true);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let result = crate::client::session::change_password(&current.get_untracked(), &new.get_untracked()).await;
            pending.set(false);
            outcome.set(Some(match result {
                Ok(()) => {
                    current.set(String::new());
                    new.set(String::new());
                    (true, "Password changed. Your other sessions were signed out.".into())
                }
                Err(message) => (false, message),
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
                <input id="new-password" type="password" autocomplete="new-password" required minlength="8" maxlength="128" bind:value=new/>
                <p class="muted">"8 to 128 characters, not your email address."</p>
                <button type="submit" disabled=move || pending.get()>"Change password"</button>
                {move || outcome.get().map(|(ok, message)| view! {
                    <p class=if ok { "success" } else { "problem" } role="status">{message}</p>
                })}
            </form>
        </Protected>
    }
}
