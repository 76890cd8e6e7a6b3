//! A way back in (SPEC §10): `/forgot-password` asks for a reset link, `/reset-password` sets a
//! new password with it. What goes wrong is said with role="status" (the banner on `/signin` stays
//! the only role="alert"), and a link that no longer works offers a new one. As on `/signin`, the
//! buttons wait for hydration (a native submit would put the field in a URL) and what was typed
//! before then is kept.

use crate::contract::{MfaRequired, TokenState};
use crate::credentials::{PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS, password_rule};
use crate::session::{self, FirstStep};
use leptos::html::Input;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

/// A field's text, followed as it changes and read once the page is hydrated, so that what was
/// typed (or filled in) while the page loaded is kept; and whether the page is hydrated.
pub(super) fn typed_field() -> (NodeRef<Input>, RwSignal<String>, RwSignal<bool>) {
    let (field, text, hydrated) = (NodeRef::new(), RwSignal::new(String::new()), RwSignal::new(false));
    Effect::new(move |_| {
        if let Some(typed) = session::field_text(&field) {
            text.set(typed);
        }
        hydrated.set(true);
    });
    (field, text, hydrated)
}

/// The "Email" field of the pages that start from an address (sign-in, sign-up, a reset link), with
/// its label; what was typed before hydration is kept (see [`typed_field`]).
#[component]
pub(super) fn EmailField(
    /// The field, read once hydrated.
    field: NodeRef<Input>,
    /// What the field holds.
    email: RwSignal<String>,
) -> impl IntoView {
    view! {
        <label for="email">"Email"</label>
        <input
            id="email"
            name="email"
            type="email"
            autocomplete="username"
            required
            node_ref=field
            on:input=move |event| email.set(event_target_value(&event))
        />
    }
}

/// A new password's field (its label is the page's), with the rule the server enforces stated
/// under it; what was typed before hydration is kept (see [`typed_field`]).
#[component]
pub(super) fn NewPasswordField(
    /// The field's id, which its label names.
    id: &'static str,
    /// The field, read once hydrated.
    field: NodeRef<Input>,
    /// What the field holds.
    password: RwSignal<String>,
) -> impl IntoView {
    view! {
        <input
            id=id
            type="password"
            autocomplete="new-password"
            required
            minlength=PASSWORD_MIN_CHARS
            maxlength=PASSWORD_MAX_CHARS
            node_ref=field
            on:input=move |event| password.set(event_target_value(&event))
        />
        <p class="muted">{password_rule()}</p>
    }
}

/// "Check your email", once a request that mails a link was answered: `note` says what is on its
/// way.
#[component]
pub(super) fn CheckYourEmail(note: &'static str) -> impl IntoView {
    view! {
        <div class="card" role="status">
            <h2>"Check your email"</h2>
            <p>{note}</p>
        </div>
    }
}

/// `/forgot-password`: the email, then "Check your email", whatever the address (the answer does
/// not say whether it has an account).
#[component]
pub fn ForgotPassword() -> impl IntoView {
    let (email_field, email, hydrated) = typed_field();
    let sent = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        pending.set(true);
        problem.set(None);
        leptos::task::spawn_local(async move {
            let asked = session::request_password_reset(email.get_untracked()).await;
            pending.set(false);
            match asked {
                Ok(()) => sent.set(true),
                Err(error) => problem.set(Some(session::describe(&error))),
            }
        });
    };
    view! {
        <main class="page narrow signin">
            <h1>"Reset your password"</h1>
            <Show
                when=move || sent.get()
                fallback=move || view! {
                    <form class="card" method="post" action="" on:submit=on_submit>
                        <EmailField field=email_field email/>
                        <button type="submit" disabled=move || !hydrated.get() || pending.get()>"Send reset link"</button>
                        <p class="problem" role="status">{move || problem.get()}</p>
                    </form>
                }
            >
                <CheckYourEmail note="If an account uses that address, a link to set a new password is on its way. It works once, for 30 minutes."/>
            </Show>
            <p><A href="/signin">"Back to sign in"</A></p>
        </main>
    }
}

/// `/reset-password?token=…`: the page takes the token from its address, and drops it from there,
/// before any call; then the new password. Set, this device is signed in and goes home; every other
/// session of the user has ended.
#[component]
pub fn ResetPassword() -> impl IntoView {
    let token = RwSignal::new(None::<String>);
    Effect::new(move |_| token.set(session::take_link_token()));
    let (password_field, password, hydrated) = typed_field();
    let problem = RwSignal::new(None::<String>);
    let dead_link = RwSignal::new(None::<TokenState>);
    let pending = RwSignal::new(false);
    // The reset of a second-factor user waits for the factor (SPEC §11), asked in place.
    let second_step = RwSignal::new(None::<MfaRequired>);
    let finished = RwSignal::new(false);
    let navigate = use_navigate();
    Effect::new({
        let navigate = navigate.clone();
        move |_| {
            if finished.get() {
                navigate("/", Default::default());
            }
        }
    });
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(link) = token.get_untracked() else {
            dead_link.set(Some(TokenState::Unknown));
            return;
        };
        pending.set(true);
        problem.set(None);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            let reset = session::reset_password(link, password.get_untracked()).await;
            pending.set(false);
            match reset {
                Ok(FirstStep::SignedIn(_)) => navigate("/", Default::default()),
                Ok(FirstStep::SecondFactor(required)) => second_step.set(Some(required)),
                Err(error) => match error.token_state {
                    Some(state) => dead_link.set(Some(state)),
                    None => problem.set(Some(session::describe(&error))),
                },
            }
        });
    };
    view! {
        <main class="page narrow signin">
            <h1>"Set a new password"</h1>
            <Show
                when=move || dead_link.get().is_none()
                fallback=move || view! {
                    <div class="card" role="status">
                        <p>{move || dead_link.get().map(TokenState::message)}</p>
                        <p><A href="/forgot-password">"Send a new link"</A></p>
                    </div>
                }
            >
                {move || second_step.get().map(|required| reset_second_step(required, second_step, finished, problem))}
                <form class="card" method="post" action="" on:submit=on_submit.clone() hidden=move || second_step.get().is_some()>
                    <label for="new-password">"New password"</label>
                    <NewPasswordField id="new-password" field=password_field password/>
                    <p class="muted">"Setting it signs you out everywhere else."</p>
                    <button type="submit" disabled=move || !hydrated.get() || pending.get()>"Set new password"</button>
                    <p class="problem" role="status">{move || problem.get()}</p>
                </form>
            </Show>
        </main>
    }
}

/// The second step of a reset, in place of the form; when its five minutes ran out, the form again
/// (the link is still unused).
#[cfg(feature = "mfa")]
fn reset_second_step(
    required: MfaRequired,
    second_step: RwSignal<Option<MfaRequired>>,
    finished: RwSignal<bool>,
    problem: RwSignal<Option<String>>,
) -> impl IntoView {
    let expired = move |_| {
        second_step.set(None);
        problem.set(Some("This took too long. Enter your new password again.".into()));
    };
    view! { <super::second_step::SecondStep required on_signed_in=move |_| finished.set(true) on_expired=expired/> }
}

#[cfg(not(feature = "mfa"))]
fn reset_second_step(
    _required: MfaRequired,
    second_step: RwSignal<Option<MfaRequired>>,
    _finished: RwSignal<bool>,
    problem: RwSignal<Option<String>>,
) {
    second_step.set(None);
    problem.set(Some("This account signs in with a second factor, which this app does not offer.".into()));
}
