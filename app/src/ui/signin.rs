//! `/signin`: the sign-in form.

use super::{Auth, AuthStatus};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;

#[component]
pub fn SignIn() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let remember_me = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    // The form works only once hydrated; before that the button stays disabled so a native submit can
    // never put a password in a URL.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    let navigate = leptos_router::hooks::use_navigate();
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        problem.set(None);
        let navigate = navigate.clone();
        let _ = (&navigate, auth);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            use crate::client::http::CallError;
            let outcome = crate::client::session::sign_in(
                &email.get_untracked(),
                &password.get_untracked(),
                remember_me.get_untracked(),
            )
            .await;
            pending.set(false);
            match outcome {
                Ok(user) => {
                    password.set(String::new());
                    auth.status.set(AuthStatus::SignedIn(user));
                    let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
                    let next = crate::paths::next_from_query(&search).unwrap_or_else(|| "/".into());
                    navigate(&next, Default::default());
                }
                Err(CallError::Refused { body, .. }) => problem.set(Some(
                    body.and_then(|b| b.logout_message.filter(|m| !m.is_empty()).or(b.message))
                        .unwrap_or_else(|| "Sign-in failed.".into()),
                )),
                Err(CallError::Unavailable(_)) => {
                    problem.set(Some("Can't reach lanyard right now. Try again in a moment.".into()))
                }
                Err(CallError::SessionEnded(body)) => problem.set(body.logout_message),
            }
        });
    };

    view! {
        <main class="page narrow signin">
            <h1>"Sign in"</h1>
            <form class="card" method="post" action="" on:submit=on_submit>
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="username" required bind:value=email/>
                <label for="password">"Password"</label>
                <input
                    id="password"
                    name="password"
                    type="password"
                    autocomplete="current-password"
                    required
                    bind:value=password
                />
                <label class="check">
                    <input id="remember_me" type="checkbox" bind:checked=remember_me/>
                    "Keep me logged in for 20 days"
                </label>
                <p class="form-problem" aria-live="polite">{move || problem.get()}</p>
                <button type="submit" disabled=move || !hydrated.get() || pending.get()>"Sign in"</button>
            </form>
        </main>
    }
}
