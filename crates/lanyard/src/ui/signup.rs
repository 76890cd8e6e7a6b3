//! Creating an account (SPEC §10): `/signup` asks for the email, a password and the account's
//! name, then says "Check your email" (or, with verification off, signs in); `/verify-email`
//! confirms the address with the link's token, which it drops from its address first.

use super::recovery::{CheckYourEmail, EmailField, NewPasswordField, typed_field};
use crate::contract::{SignUpAnswer, TokenState};
use crate::session;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

/// `/signup`: "Create account".
#[component]
pub fn SignUp() -> impl IntoView {
    let (email_field, email, hydrated) = typed_field();
    let (password_field, password, _) = typed_field();
    let (account_field, account_name, _) = typed_field();
    let sent = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let navigate = use_navigate();
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        pending.set(true);
        problem.set(None);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            let name = Some(account_name.get_untracked()).filter(|name| !name.trim().is_empty());
            let answer = session::sign_up(email.get_untracked(), password.get_untracked(), name).await;
            pending.set(false);
            match answer {
                Ok(SignUpAnswer::CheckYourEmail(_)) => sent.set(true),
                Ok(SignUpAnswer::SignedIn(_)) => navigate("/", Default::default()),
                Err(error) => problem.set(Some(session::describe(&error))),
            }
        });
    };
    view! {
        <main class="page narrow signin">
            <h1>"Create account"</h1>
            <Show
                when=move || sent.get()
                fallback=move || view! {
                    <form class="card" method="post" action="" on:submit=on_submit.clone()>
                        <EmailField field=email_field email/>
                        <label for="password">"Password"</label>
                        <NewPasswordField id="password" field=password_field password/>
                        <label for="account-name">"Account name"</label>
                        <input
                            id="account-name"
                            type="text"
                            autocomplete="organization"
                            node_ref=account_field
                            on:input=move |event| account_name.set(event_target_value(&event))
                        />
                        <button type="submit" disabled=move || !hydrated.get() || pending.get()>"Create account"</button>
                        <p class="problem" role="status">{move || problem.get()}</p>
                    </form>
                }
            >
                <CheckYourEmail note="A link to confirm your address is on its way. It works once, for 24 hours."/>
            </Show>
            <p><A href="/signin">"Back to sign in"</A></p>
        </main>
    }
}

/// `/verify-email?token=…`: confirms the address as soon as the page runs, then offers sign-in.
#[component]
pub fn VerifyEmail() -> impl IntoView {
    let outcome = RwSignal::new(None::<Result<String, String>>);
    Effect::new(move |_| {
        let Some(token) = session::take_link_token() else {
            outcome.set(Some(Err(TokenState::Unknown.message().to_owned())));
            return;
        };
        leptos::task::spawn_local(async move {
            let verified = session::verify_email(token).await;
            outcome.set(Some(verified.map_err(|error| match error.token_state {
                Some(state) => state.message().to_owned(),
                None => session::describe(&error),
            })));
        });
    });
    view! {
        <main class="page narrow signin">
            {move || match outcome.get() {
                None => view! { <h1>"Confirming your email…"</h1> }.into_any(),
                Some(Ok(email)) => view! {
                    <h1>"Email verified"</h1>
                    <p role="status">{format!("{email} is confirmed.")}</p>
                    <p><A href="/signin">"Sign in"</A></p>
                }
                .into_any(),
                Some(Err(problem)) => view! {
                    <h1>"Email not verified"</h1>
                    <p class="problem" role="status">{problem}</p>
                    <p><A href="/signin">"Sign in"</A>", where a new link can be sent."</p>
                }
                .into_any(),
            }}
        </main>
    }
}
