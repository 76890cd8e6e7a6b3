//! A sign-in's second step, asked in place on `/signin` and `/reset-password` (SPEC §11): label
//! "Authentication code" and "Verify", the link "Use a recovery code", and "Use a passkey" when the
//! user has one. A wrong code or a closed passkey prompt is said with role="status" and the same
//! step tries again; a step whose five minutes ran out goes back to the password.

use crate::contract::{ErrorCode, MfaMethod, MfaRequired};
use crate::session::{self, SecondFactor};
use leptos::prelude::*;

/// What the field takes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Asked {
    /// A code of the authenticator app.
    Code,
    /// A recovery code.
    RecoveryCode,
    /// Nothing typed: a passkey-only user, until they ask for a recovery code.
    Nothing,
}

/// The second step of the sign-in `required` began. `on_signed_in` runs once signed in;
/// `on_expired` once the step's token is no longer good (the page asks for the password again).
#[component]
pub fn SecondStep(
    required: MfaRequired,
    #[prop(into)] on_signed_in: Callback<()>,
    #[prop(into)] on_expired: Callback<()>,
) -> impl IntoView {
    let has = |method| required.methods.contains(&method);
    let (totp, recovery) = (has(MfaMethod::Totp), has(MfaMethod::RecoveryCode));
    let passkey = required.passkey_options.clone().filter(|_| has(MfaMethod::Passkey));
    let asked = RwSignal::new(if totp { Asked::Code } else { Asked::Nothing });
    let token = StoredValue::new(required.mfa_token);
    let code = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);

    let send = move |factor: SecondFactor| {
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        problem.set(None);
        leptos::task::spawn_local(async move {
            let signed_in = session::factors::second_step(token.get_value(), factor).await;
            pending.set(false);
            match signed_in {
                Ok(_) => on_signed_in.run(()),
                Err(error) if error.error == Some(ErrorCode::MfaTokenExpired) => on_expired.run(()),
                Err(error) => {
                    code.set(String::new());
                    problem.set(Some(session::describe(&error)));
                }
            }
        });
    };
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let typed = code.get_untracked().trim().to_owned();
        match asked.get_untracked() {
            Asked::Code => send(SecondFactor::Code(typed)),
            Asked::RecoveryCode => send(SecondFactor::RecoveryCode(typed)),
            Asked::Nothing => {}
        }
    };
    let switch = move |to: Asked| {
        move |event: leptos::ev::MouseEvent| {
            event.prevent_default();
            code.set(String::new());
            problem.set(None);
            asked.set(to);
        }
    };
    let use_passkey = passkey.map(|options| {
        let options = StoredValue::new(options);
        view! {
            <button type="button" class="secondary" disabled=move || pending.get()
                on:click=move |_| send(SecondFactor::Passkey(options.get_value()))>"Use a passkey"</button>
        }
    });
    view! {
        <form class="card second-step" on:submit=on_submit>
            <p class="muted">"Your account has two-factor authentication. Confirm it's you to finish signing in."</p>
            <Show when=move || asked.get() != Asked::Nothing>
                <label for="mfa-code">
                    {move || if asked.get() == Asked::RecoveryCode { "Recovery code" } else { "Authentication code" }}
                </label>
                <input
                    id="mfa-code"
                    name="mfa-code"
                    autocomplete="one-time-code"
                    inputmode=move || if asked.get() == Asked::Code { "numeric" } else { "text" }
                    required
                    autofocus
                    bind:value=code
                />
                <button type="submit" disabled=move || pending.get()>"Verify"</button>
            </Show>
            {use_passkey}
            <p class="problem" role="status">{move || problem.get()}</p>
            <p class="signin-links">
                {recovery.then(|| view! {
                    <Show when=move || asked.get() != Asked::RecoveryCode>
                        <a href="#recovery-code" on:click=switch(Asked::RecoveryCode)>"Use a recovery code"</a>
                    </Show>
                })}
                {totp.then(|| view! {
                    <Show when=move || asked.get() != Asked::Code>
                        <a href="#authentication-code" on:click=switch(Asked::Code)>"Use an authentication code"</a>
                    </Show>
                })}
            </p>
        </form>
    }
}

/// "Sign in with a passkey" on `/signin`: a passkey alone, no email typed, counts as both factors.
/// `on_signed_in` runs once signed in; a refusal is said through `problem`.
#[component]
pub fn PasskeySignIn(
    remember_me: RwSignal<bool>,
    problem: RwSignal<Option<String>>,
    #[prop(into)] on_signed_in: Callback<()>,
    #[prop(into)] disabled: Signal<bool>,
) -> impl IntoView {
    let pending = RwSignal::new(false);
    let sign_in = move |_| {
        pending.set(true);
        problem.set(None);
        leptos::task::spawn_local(async move {
            let signed_in = session::factors::passkey_sign_in(remember_me.get_untracked()).await;
            pending.set(false);
            match signed_in {
                Ok(_) => on_signed_in.run(()),
                Err(error) => problem.set(Some(session::describe(&error))),
            }
        });
    };
    view! {
        <button type="button" class="secondary passkey-sign-in" disabled=move || disabled.get() || pending.get()
            on:click=sign_in>"Sign in with a passkey"</button>
    }
}
