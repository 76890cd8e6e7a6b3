//! The frame of every protected page: a neutral "Restoring your session…" until the session is
//! restored in the browser, then the header (the app's navigation, who is signed in, "Sign out")
//! and the page.

use crate::session::{self, AuthStatus, ClientView};
use leptos::prelude::*;

/// The app's links for the protected pages' header (`Lanyard`'s `navigation`).
#[derive(Clone)]
pub(super) struct Navigation(pub(super) Option<ViewFn>);

/// A protected page: `children` render once the session is restored in the browser.
#[component]
pub fn Protected(children: ChildrenFn) -> impl IntoView {
    let view = expect_context::<ClientView>();
    let retry_notice = RwSignal::new(None::<String>);

    Effect::new(move |_| {
        if view.auth.get_untracked() == AuthStatus::Restoring {
            leptos::task::spawn_local(session::restore(retry_notice));
        }
    });
    let sign_out = move |_| leptos::task::spawn_local(session::sign_out());

    let navigation = use_context::<Navigation>().and_then(|navigation| navigation.0);
    move || match view.user() {
        Some(user) => {
            let links = match &navigation {
                Some(links) => links.run(),
                None => view! {
                    <a href="/sessions">"Sessions"</a>
                    <a href="/security">"Security"</a>
                    <a href="/account/password">"Password"</a>
                }
                .into_any(),
            };
            view! {
                <header class="app-header">
                    <a class="brand" href="/">"lanyard"</a>
                    <nav aria-label="Main">{links}</nav>
                    <span class="who">{user.email.clone()}</span>
                    <button type="button" class="secondary" on:click=sign_out>"Sign out"</button>
                </header>
                <main class="page">{children()}</main>
            }
            .into_any()
        }
        None => view! {
            <main class="page restoring">
                <p class="restoring-text">"Restoring your session…"</p>
                {move || retry_notice.get().map(|notice| view! { <p class="notice" role="status">{notice}</p> })}
            </main>
        }
        .into_any(),
    }
}
