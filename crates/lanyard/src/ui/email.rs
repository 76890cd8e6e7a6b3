//! Changing the address (SPEC §10): `/account/email` asks for it, `/email-change` confirms it from
//! the link to the new address, `/email-cancel` cancels it from the notice to the old one. The link
//! pages drop their token from the address before their call, and say the outcome in words.

use super::protected::Protected;
use crate::api::email::{cancel_email_change, change_email, confirm_email_change};
use crate::contract::{ErrorBody, TokenState};
use crate::session;
use leptos::prelude::*;
use leptos_router::components::A;

/// `/account/email`, "Change email": the new address and the password.
#[component]
pub fn ChangeEmail() -> impl IntoView {
    let new_email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let outcome = RwSignal::new(None::<(bool, String)>);
    let pending = RwSignal::new(false);
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        pending.set(true);
        leptos::task::spawn_local(async move {
            let asked = change_email(new_email.get_untracked(), password.get_untracked().into()).await;
            pending.set(false);
            password.set(String::new());
            outcome.set(Some(match asked {
                Ok(_) => (true, "Check your new address: a link to confirm it is on its way.".into()),
                Err(error) => (false, session::describe(&error)),
            }));
        });
    };
    view! {
        <Protected>
            <h1>"Change email"</h1>
            <form class="card narrow-form" on:submit=on_submit>
                <label for="new-email">"New email"</label>
                <input id="new-email" type="email" autocomplete="email" required bind:value=new_email/>
                <label for="email-password">"Password"</label>
                <input id="email-password" type="password" autocomplete="current-password" required bind:value=password/>
                <p class="muted">"The change is made once you open the link we send to the new address; your current address gets a notice with a link that cancels it."</p>
                <button type="submit" disabled=move || pending.get()>"Change email"</button>
                <super::pages::OutcomeLine outcome/>
            </form>
        </Protected>
    }
}

/// A link page's outcome: what happened, or why the link did not work.
fn link_outcome<T>(answer: Result<T, ErrorBody>, done: impl FnOnce(T) -> String) -> Result<String, String> {
    answer.map(done).map_err(|error| match error.token_state {
        Some(state) => state.message().to_owned(),
        None => session::describe(&error),
    })
}

/// What a link page does with its token: the outcome in words, or why the link did not work.
type LinkAct = fn(String) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<String, String>>>>;

/// A page opened from a link: it takes the token, calls `act` with it once, and says the outcome.
#[component]
fn LinkPage(title: &'static str, act: LinkAct) -> impl IntoView {
    let outcome = RwSignal::new(None::<Result<String, String>>);
    Effect::new(move |_| match session::take_link_token() {
        Some(token) => leptos::task::spawn_local(async move { outcome.set(Some(act(token).await)) }),
        None => outcome.set(Some(Err(TokenState::Unknown.message().to_owned()))),
    });
    view! {
        <main class="page narrow signin">
            <h1>{title}</h1>
            {move || match outcome.get() {
                None => view! { <p>"One moment…"</p> }.into_any(),
                Some(Ok(done)) => view! { <p class="success" role="status">{done}</p> }.into_any(),
                Some(Err(problem)) => view! { <p class="problem" role="status">{problem}</p> }.into_any(),
            }}
            <p><A href="/">"Continue"</A></p>
        </main>
    }
}

/// `/email-change?token=…`: confirms the new address.
#[component]
pub fn EmailChange() -> impl IntoView {
    view! {
        <LinkPage title="Change email" act=|token| Box::pin(async move {
            link_outcome(confirm_email_change(token.into()).await, |changed| format!("Your email is now {}.", changed.email))
        })/>
    }
}

/// `/email-cancel?token=…`: cancels the change (and undoes it if it was confirmed).
#[component]
pub fn EmailCancel() -> impl IntoView {
    view! {
        <LinkPage title="Change email" act=|token| Box::pin(async move {
            link_outcome(cancel_email_change(token.into()).await, |()| "The change was cancelled: your email stays as it was.".into())
        })/>
    }
}
