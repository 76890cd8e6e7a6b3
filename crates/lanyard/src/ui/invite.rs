//! `/invite?token=…` (SPEC §10): the invitation the link carries (the account, the address, the
//! role), then a password to join with. The token leaves the address before any call.

use super::recovery::{NewPasswordField, typed_field};
use crate::contract::InvitationView;
use crate::session;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

/// `/invite`: "Join".
#[component]
pub fn Invite() -> impl IntoView {
    let token = RwSignal::new(None::<String>);
    let invitation = RwSignal::new(None::<Result<InvitationView, String>>);
    Effect::new(move |_| {
        let taken = session::take_link_token();
        token.set(taken.clone());
        leptos::task::spawn_local(async move {
            let shown = match taken {
                Some(token) => session::invitation(token).await,
                None => Err(crate::contract::TokenState::Unknown.message().to_owned()),
            };
            invitation.set(Some(shown));
        });
    });
    let (password_field, password, hydrated) = typed_field();
    let problem = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let navigate = use_navigate();
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(link) = token.get_untracked() else { return };
        pending.set(true);
        problem.set(None);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            let joined = session::accept_invitation(link, password.get_untracked()).await;
            pending.set(false);
            match joined {
                Ok(_) => navigate("/", Default::default()),
                Err(error) => problem.set(Some(error)),
            }
        });
    };
    view! {
        <main class="page narrow signin">
            {move || match invitation.get() {
                None => view! { <h1>"Invitation"</h1> }.into_any(),
                Some(Ok(shown)) => view! {
                    <h1>{format!("Join {}", shown.account_name)}</h1>
                    <p>{format!("{} is invited as {}.", shown.email, shown.role)}</p>
                }
                .into_any(),
                Some(Err(problem)) => view! {
                    <h1>"Invitation"</h1>
                    <p class="problem" role="status">{problem}</p>
                    <p>"Ask whoever invited you for a new invitation."</p>
                }
                .into_any(),
            }}
            <form class="card" method="post" action="" on:submit=on_submit>
                <label for="password">"Password"</label>
                <NewPasswordField id="password" field=password_field password/>
                <button type="submit" disabled=move || !hydrated.get() || pending.get()>"Join"</button>
                <p class="problem" role="status">{move || problem.get()}</p>
            </form>
            <p><A href="/signin">"Already have an account? Sign in"</A></p>
        </main>
    }
}
