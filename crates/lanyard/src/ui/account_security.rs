//! `/account/security` (SPEC §11): the user's second factors. "Two-factor authentication": set up
//! an authenticator app (its QR code, the secret as text, the first code), then the recovery codes,
//! shown once with "Copy"; or turn it off. "Passkeys": add one on this device, remove any. Each
//! change that needs a fresh check asks for it in place (step-up), and none ends a session.

use super::protected::Protected;
use crate::contract::{ErrorBody, MfaStatus, Secret, TotpSetup};
use crate::session::{self, factors};
use leptos::prelude::*;

/// What the page says after an action: a success, or a problem (both with role="status").
type Outcome = RwSignal<Option<(bool, String)>>;

/// `/account/security`: the authenticator app and its recovery codes, and the passkeys, each
/// loaded after the session is restored.
#[component]
pub fn AccountSecurity() -> impl IntoView {
    let status = RwSignal::new(None::<MfaStatus>);
    let outcome: Outcome = RwSignal::new(None);
    let reload = move || {
        leptos::task::spawn_local(async move {
            match factors::second_factors().await {
                Ok(now) => status.set(Some(now)),
                Err(error) => outcome.set(Some((false, session::describe(&error)))),
            }
        });
    };
    Effect::new(move |_| reload());
    let recovery_codes = RwSignal::new(None::<Vec<Secret>>);
    view! {
        <Protected>
            <h1>"Account security"</h1>
            <section class="card">
                <h2>"Two-factor authentication"</h2>
                {move || status.get().map(|now| view! {
                    <AuthenticatorApp on=now.totp recovery_codes outcome reload/>
                })}
                {move || recovery_codes.get().map(|codes| view! { <RecoveryCodeList codes/> })}
            </section>
            <section class="card">
                <h2>"Passkeys"</h2>
                {move || status.get().map(|now| view! { <PasskeyList now recovery_codes outcome reload/> })}
            </section>
            <super::pages::OutcomeLine outcome/>
        </Protected>
    }
}

/// The authenticator app: "Set up authenticator app" while off, then its QR code, secret and first
/// code; "Turn off" while on.
#[component]
fn AuthenticatorApp(
    on: bool,
    recovery_codes: RwSignal<Option<Vec<Secret>>>,
    outcome: Outcome,
    reload: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let setup = RwSignal::new(None::<TotpSetup>);
    let code = RwSignal::new(String::new());
    let pending = RwSignal::new(false);
    let start = move |_| {
        act(pending, outcome, reload, async move {
            setup.set(Some(factors::set_up_totp().await?));
            Ok(None)
        })
    };
    let verify = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        act(pending, outcome, reload, async move {
            let typed = code.get_untracked().trim().to_owned();
            code.set(String::new());
            recovery_codes.set(Some(factors::confirm_totp(typed).await?));
            setup.set(None);
            Ok(Some("Two-factor authentication is on.".into()))
        })
    };
    let turn_off = move |_| {
        act(pending, outcome, reload, async move {
            factors::turn_off_totp().await?;
            Ok(Some("Two-factor authentication is off.".into()))
        })
    };
    if on {
        return view! {
            <p>"An authenticator app is on: signing in asks for its code after your password."</p>
            <button type="button" class="secondary" disabled=move || pending.get() on:click=turn_off>"Turn off"</button>
        }
        .into_any();
    }
    view! {
        <Show
            when=move || setup.get().is_some()
            fallback=move || view! {
                <p class="muted">"Signing in will also ask for a code from an app on your phone."</p>
                <button type="button" disabled=move || pending.get() on:click=start>"Set up authenticator app"</button>
            }
        >
            {move || setup.get().map(|started| view! {
                <p>"Scan this QR code with your authenticator app, or type the secret into it."</p>
                <img class="qr" src=svg_data_url(&started.qr_svg) alt="QR code for your authenticator app" width="200" height="200"/>
                <p>"Secret: " <code class="secret">{started.secret.expose().to_owned()}</code></p>
            })}
            <form class="narrow-form" on:submit=verify>
                <label for="totp-code">"Code"</label>
                <input id="totp-code" autocomplete="one-time-code" inputmode="numeric" required bind:value=code/>
                <button type="submit" disabled=move || pending.get()>"Verify"</button>
            </form>
        </Show>
    }
    .into_any()
}

/// The QR code's SVG as an image address (the page's policy allows `data:` images).
fn svg_data_url(svg: &str) -> String {
    let encoded: String = svg
        .chars()
        .map(|c| match c {
            '"' => "'".to_owned(),
            '#' => "%23".to_owned(),
            '<' => "%3C".to_owned(),
            '>' => "%3E".to_owned(),
            '\n' => " ".to_owned(),
            c => c.to_string(),
        })
        .collect();
    format!("data:image/svg+xml,{encoded}")
}

/// New recovery codes, shown once, with "Copy".
#[component]
fn RecoveryCodeList(codes: Vec<Secret>) -> impl IntoView {
    let text = codes.iter().map(Secret::expose).collect::<Vec<_>>().join("\n");
    let copied = RwSignal::new(false);
    let copy = move |_| {
        let text = text.clone();
        leptos::task::spawn_local(async move { copied.set(session::copy_to_clipboard(&text).await) });
    };
    view! {
        <div class="recovery-codes">
            <h3>"Recovery codes"</h3>
            <p>"Keep these somewhere safe. Each signs you in once if you lose your phone or passkey. They are shown only now."</p>
            <ul class="codes">
                {codes.into_iter().map(|code| view! { <li><code>{code.expose().to_owned()}</code></li> }).collect_view()}
            </ul>
            <button type="button" class="secondary" on:click=copy>"Copy"</button>
            {move || copied.get().then(|| view! { <span role="status">" Copied."</span> })}
        </div>
    }
}

/// The user's passkeys, each with "Remove", and "Add a passkey".
#[component]
fn PasskeyList(
    now: MfaStatus,
    recovery_codes: RwSignal<Option<Vec<Secret>>>,
    outcome: Outcome,
    reload: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let pending = RwSignal::new(false);
    let add = move |_| {
        act(pending, outcome, reload, async move {
            let added = factors::add_passkey(String::new()).await?;
            if let Some(codes) = added.recovery_codes {
                recovery_codes.set(Some(codes));
            }
            Ok(Some("Passkey added.".to_owned()))
        })
    };
    let listed = now.passkeys.into_iter().map(|passkey| {
        let id = passkey.id.clone();
        let remove = move |_| {
            let id = id.clone();
            act(pending, outcome, reload, async move {
                factors::remove_passkey(id).await?;
                Ok(Some("Passkey removed.".to_owned()))
            })
        };
        view! {
            <li>
                <span>{passkey.name}" · added " {session::local_time(passkey.created_at)}</span>
                " "
                <button type="button" class="secondary" disabled=move || pending.get() on:click=remove>"Remove"</button>
            </li>
        }
    });
    view! {
        <p class="muted">"A passkey signs you in with this device's screen lock, without a password."</p>
        <ul class="passkeys">{listed.collect_view()}</ul>
        <button type="button" disabled=move || pending.get() on:click=add>"Add a passkey"</button>
    }
}

/// Runs one of the page's actions: its buttons wait meanwhile, and what it came to is said. An
/// action that answers a message changed the factors, and the page reads them again.
fn act(
    pending: RwSignal<bool>,
    outcome: Outcome,
    reload: impl Fn() + 'static,
    action: impl std::future::Future<Output = Result<Option<String>, ErrorBody>> + 'static,
) {
    pending.set(true);
    outcome.set(None);
    leptos::task::spawn_local(async move {
        match action.await {
            Ok(Some(message)) => {
                outcome.set(Some((true, message)));
                reload();
            }
            Ok(None) => {}
            Err(error) => outcome.set(Some((false, session::describe(&error)))),
        }
        pending.set(false);
    });
}
