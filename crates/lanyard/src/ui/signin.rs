//! `/signin`: the sign-in form.

use crate::paths::next_from_query;
use crate::session;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_location, use_navigate};

/// `/signin`: the banner saying why the last session ended (once), then the form; a success goes to
/// `next`, the page the user came for, or home. The button waits for hydration, so a native submit
/// can never put the password in a URL, and what was typed before then is kept (SPEC §4 "Nothing
/// typed is lost to hydration").
#[component]
pub fn SignIn() -> impl IntoView {
    let form = SignInForm {
        email: RwSignal::new(String::new()),
        password: RwSignal::new(String::new()),
        remember_me: RwSignal::new(false),
        problem: RwSignal::new(None),
        pending: RwSignal::new(false),
        unverified: RwSignal::new(false),
    };
    // The form works only once hydrated; before that the button stays disabled so a native submit can
    // never put a password in a URL. What the fields hold by then (typed, or filled in by a password
    // manager, while the page loaded) is kept: the fields are not bound to the signals, which
    // hydration would write into them, but read once hydrated and followed as they change.
    let hydrated = RwSignal::new(false);
    let (email_field, password_field, remember_field) = (NodeRef::new(), NodeRef::new(), NodeRef::new());
    Effect::new(move |_| {
        if let Some(text) = session::field_text(&email_field) {
            form.email.set(text);
        }
        if let Some(text) = session::field_text(&password_field) {
            form.password.set(text);
        }
        if let Some(checked) = session::field_checked(&remember_field) {
            form.remember_me.set(checked);
        }
        hydrated.set(true);
    });

    let (navigate, location) = (use_navigate(), use_location());
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if form.pending.get_untracked() {
            return;
        }
        form.pending.set(true);
        form.problem.set(None);
        let next = next_from_query(&location.search.get_untracked()).unwrap_or_else(|| "/".into());
        leptos::task::spawn_local(submit(form, next, navigate.clone()));
    };

    let SignInForm { email, password, remember_me, problem, pending, unverified } = form;
    let resent = RwSignal::new(false);
    let resend = move |_| {
        leptos::task::spawn_local(async move {
            resent.set(session::resend_verification(email.get_untracked()).await.is_ok());
        });
    };
    view! {
        <main class="page narrow signin">
            <super::banner::LogoutBanner/>
            <h1>"Sign in"</h1>
            <form class="card" method="post" action="" on:submit=on_submit>
                <label for="email">"Email"</label>
                <input
                    id="email"
                    name="email"
                    type="email"
                    autocomplete="username"
                    required
                    node_ref=email_field
                    on:input=move |event| email.set(event_target_value(&event))
                />
                <label for="password">"Password"</label>
                <input
                    id="password"
                    name="password"
                    type="password"
                    autocomplete="current-password"
                    required
                    node_ref=password_field
                    on:input=move |event| password.set(event_target_value(&event))
                />
                <label class="check">
                    <input
                        id="remember_me"
                        type="checkbox"
                        node_ref=remember_field
                        on:change=move |event| remember_me.set(event_target_checked(&event))
                    />
                    "Keep me logged in for 20 days"
                </label>
                <p class="form-problem" aria-live="polite">{move || problem.get()}</p>
                <button type="submit" disabled=move || !hydrated.get() || pending.get()>"Sign in"</button>
            </form>
            {move || unverified.get().then(|| view! {
                <p class="card" role="status">
                    {move || resent.get().then_some("Check your email: a new link is on its way. ")}
                    <button type="button" on:click=resend>"Resend the link"</button>
                </p>
            })}
            <p class="signin-links">
                <A href="/forgot-password">"Forgot password?"</A>
                {super::settings::signup_open().then(|| view! { " · " <A href="/signup">"Create account"</A> })}
            </p>
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
    /// Whether the last attempt was refused as EMAIL_NOT_VERIFIED: the page offers the link again.
    unverified: RwSignal<bool>,
}

/// Signs in and goes to `next`, the page the user came for.
async fn submit(form: SignInForm, next: String, navigate: impl Fn(&str, leptos_router::NavigateOptions)) {
    let outcome =
        session::sign_in(form.email.get_untracked(), form.password.get_untracked(), form.remember_me.get_untracked())
            .await;
    form.pending.set(false);
    match outcome {
        Ok(_) => navigate(&next, Default::default()),
        Err(error) => {
            form.unverified.set(error.error == Some(crate::contract::ErrorCode::EmailNotVerified));
            form.problem.set(Some(session::describe(&error)));
        }
    }
}
