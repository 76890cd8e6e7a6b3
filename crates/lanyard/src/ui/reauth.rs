//! Step-up's dialog (SPEC §2, §5, §11): shown in place while a sensitive action waits for a fresh
//! check, so nobody leaves the page or is signed out. It asks for the password; a user with a
//! second factor may give an authentication code or use a passkey instead. Confirm sends what was
//! given, Cancel gives the action up (it fails with its 403, the session kept).

use crate::session::{self, ClientView, StepUpAnswer};
use leptos::prelude::*;

#[component]
pub fn ReauthDialog() -> impl IntoView {
    let view = expect_context::<ClientView>();
    let typed = RwSignal::new(String::new());
    // Whether the field takes an authentication code instead of the password.
    let by_code = RwSignal::new(false);
    let confirm = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let text = typed.get_untracked();
        session::answer_reauth(Some(if by_code.get_untracked() {
            StepUpAnswer::Code(text.trim().to_owned())
        } else {
            StepUpAnswer::Password(text)
        }));
        typed.set(String::new());
    };
    let cancel = move |_| {
        typed.set(String::new());
        by_code.set(false);
        session::answer_reauth(None);
    };
    let switch = move |_| {
        typed.set(String::new());
        by_code.update(|code| *code = !*code);
    };
    move || {
        view.reauth.get().map(|prompt| {
            view! {
                <div class="dialog-backdrop">
                    <div class="card dialog" role="dialog" aria-modal="true" aria-labelledby="reauth-title">
                        <h2 id="reauth-title">"Confirm your password"</h2>
                        <p class="muted">"This action needs your password again. You stay signed in."</p>
                        <form on:submit=confirm>
                            <Show
                                when=move || by_code.get()
                                fallback=move || view! {
                                    <label>
                                        "Password"
                                        <input type="password" name="password" autocomplete="current-password"
                                            required=true autofocus=true bind:value=typed/>
                                    </label>
                                }
                            >
                                <label>
                                    "Authentication code"
                                    <input name="code" autocomplete="one-time-code" inputmode="numeric" required=true
                                        autofocus=true bind:value=typed/>
                                </label>
                            </Show>
                            {prompt.problem.map(|problem| view! { <p class="problem" role="status">{problem}</p> })}
                            <div class="actions">
                                <button type="submit">"Confirm"</button>
                                {prompt.passkey.then(|| view! {
                                    <button type="button" class="secondary"
                                        on:click=move |_| session::answer_reauth(Some(StepUpAnswer::Passkey))>"Use a passkey"</button>
                                })}
                                <button type="button" class="secondary" on:click=cancel>"Cancel"</button>
                            </div>
                            {prompt.totp.then(|| view! {
                                <button type="button" class="link" on:click=switch>
                                    {move || if by_code.get() { "Use your password" } else { "Use an authentication code" }}
                                </button>
                            })}
                        </form>
                    </div>
                </div>
            }
        })
    }
}
