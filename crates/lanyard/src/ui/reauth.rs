//! Step-up's password dialog (SPEC §2, §5): shown in place while a sensitive action waits for a
//! fresh password check, so nobody leaves the page or is signed out. Confirm sends the password,
//! Cancel gives the action up (it fails with its 403, the session kept).

use crate::session::{self, ClientView};
use leptos::prelude::*;

#[component]
pub fn ReauthDialog() -> impl IntoView {
    let view = expect_context::<ClientView>();
    let password = RwSignal::new(String::new());
    let confirm = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        session::answer_reauth(Some(password.get_untracked()));
        password.set(String::new());
    };
    let cancel = move |_| {
        password.set(String::new());
        session::answer_reauth(None);
    };
    move || {
        view.reauth.get().map(|prompt| {
            view! {
                <div class="dialog-backdrop">
                    <div class="card dialog" role="dialog" aria-modal="true" aria-labelledby="reauth-title">
                        <h2 id="reauth-title">"Confirm your password"</h2>
                        <p class="muted">"This action needs your password again. You stay signed in."</p>
                        <form on:submit=confirm>
                            <label>
                                "Password"
                                <input type="password" name="password" autocomplete="current-password" required=true
                                    autofocus=true bind:value=password/>
                            </label>
                            {prompt.problem.map(|problem| view! { <p class="problem" role="status">{problem}</p> })}
                            <div class="actions">
                                <button type="submit">"Confirm"</button>
                                <button type="button" class="secondary" on:click=cancel>"Cancel"</button>
                            </div>
                        </form>
                    </div>
                </div>
            }
        })
    }
}
