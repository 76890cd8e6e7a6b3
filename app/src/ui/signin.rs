//! `/signin`: the sign-in form.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

#[component]
pub fn SignIn() -> impl IntoView {
    let form = SignInForm {
        email: RwSignal::new(String::new()),
        password: RwSignal::new(String::new()),
        remember_me: RwSignal::new(false),
        problem: RwSignal::new(None),
        pending: RwSignal::new(false),
    };
    // The form works only once hydrated; before that the button stays disabled so a native submit can
    // never put a password in a URL.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    #[cfg(feature = "hydrate")]
    let (auth, navigate) = (expect_context::<super::Auth>(), leptos_router::hooks::use_navigate());
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if form.pending.get_untracked() {
            return;
        }
        form.pending.set(true);
        form.problem.set(None);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(submit(form, auth, navigate.clone()));
    };

    let SignInForm { email, password, remember_me, problem, pending } = form;
    view! {
        <main class="page narrow signin">
            <super::banner::LogoutBanner/>
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

/// The form's state.
#[derive(Clone, Copy)]
struct SignInForm {
    email: RwSignal<String>,
    password: RwSignal<String>,
    remember_me: RwSignal<bool>,
    /// Why the last attempt failed, in words for the user.
    problem: RwSignal<Option<String>>,
    pending: RwSignal<bool>,
}

/// Signs in and goes to the page the user came for (`next`), else the dashboard.
#[cfg(feature = "hydrate")]
async fn submit(form: SignInForm, auth: super::Auth, navigate: impl Fn(&str, leptos_router::NavigateOptions)) {
    use crate::client::http::CallError;
    let outcome = crate::client::session::sign_in(
        &form.email.get_untracked(),
        &form.password.get_untracked(),
        form.remember_me.get_untracked(),
    )
    .await;
    form.pending.set(false);
    let problem = match outcome {
        Ok(user) => {
            form.password.set(String::new());
            auth.status.set(super::AuthStatus::SignedIn(user));
            let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
            navigate(&crate::paths::next_from_query(&search).unwrap_or_else(|| "/".into()), Default::default());
            return;
        }
        Err(CallError::Refused { body, .. }) => body
            .and_then(|b| b.logout_message.filter(|m| !m.is_empty()).or(b.message))
            .unwrap_or_else(|| "Sign-in failed.".into()),
        Err(CallError::Unavailable { .. }) => crate::ui::state::UNREACHABLE.into(),
        Err(CallError::SessionEnded(ending)) => ending.message,
    };
    form.problem.set(Some(problem));
}
