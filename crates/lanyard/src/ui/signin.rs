//! `/signin`: the sign-in form.

use crate::contract::MfaRequired;
use crate::paths::next_from_query;
use crate::session::{self, FirstStep};
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
        second_step: RwSignal::new(None),
        finished: RwSignal::new(false),
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

    // Signed in (by a password, a second step or a passkey): on to `next`, the page the user came
    // for, or home.
    let (navigate, location) = (use_navigate(), use_location());
    Effect::new(move |_| {
        if form.finished.get() {
            let next = next_from_query(&location.search.get_untracked()).unwrap_or_else(|| "/".into());
            navigate(&next, Default::default());
        }
    });
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if form.pending.get_untracked() {
            return;
        }
        form.pending.set(true);
        form.problem.set(None);
        leptos::task::spawn_local(submit(form));
    };

    let SignInForm { email, password, remember_me, problem, pending, unverified, second_step, .. } = form;
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
            {move || second_step.get().map(|required| second_step_form(required, form))}
            <form class="card" method="post" action="" on:submit=on_submit hidden=move || second_step.get().is_some()>
                <super::recovery::EmailField field=email_field email/>
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
                {passkey_sign_in(form, hydrated)}
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
    /// The second factor asked for after a right password (SPEC §11), in place of the form.
    second_step: RwSignal<Option<MfaRequired>>,
    /// Signed in: the page goes on to `next`.
    finished: RwSignal<bool>,
}

/// Sends the password: signed in, or the second factor is asked for next.
async fn submit(form: SignInForm) {
    let outcome =
        session::sign_in(form.email.get_untracked(), form.password.get_untracked(), form.remember_me.get_untracked())
            .await;
    form.pending.set(false);
    match outcome {
        Ok(FirstStep::SignedIn(_)) => form.finished.set(true),
        Ok(FirstStep::SecondFactor(required)) => form.second_step.set(Some(required)),
        Err(error) => {
            form.unverified.set(error.error == Some(crate::contract::ErrorCode::EmailNotVerified));
            form.problem.set(Some(session::describe(&error)));
        }
    }
}

/// The second step, in place of the form; when its five minutes ran out, the form again.
#[cfg(feature = "mfa")]
fn second_step_form(required: MfaRequired, form: SignInForm) -> impl IntoView {
    let expired = move |_| {
        form.second_step.set(None);
        form.problem.set(Some("This sign-in has expired. Enter your password again.".into()));
    };
    view! { <super::second_step::SecondStep required on_signed_in=move |_| form.finished.set(true) on_expired=expired/> }
}

#[cfg(not(feature = "mfa"))]
fn second_step_form(_required: MfaRequired, form: SignInForm) -> impl IntoView {
    form.problem.set(Some("This account signs in with a second factor, which this app does not offer.".into()));
    form.second_step.set(None);
}

/// "Sign in with a passkey", under the password's button.
#[cfg(feature = "mfa")]
fn passkey_sign_in(form: SignInForm, hydrated: RwSignal<bool>) -> impl IntoView {
    view! {
        <super::second_step::PasskeySignIn
            remember_me=form.remember_me
            problem=form.problem
            on_signed_in=move |_| form.finished.set(true)
            disabled=Signal::derive(move || !hydrated.get())
        />
    }
}

#[cfg(not(feature = "mfa"))]
fn passkey_sign_in(_form: SignInForm, _hydrated: RwSignal<bool>) {}
