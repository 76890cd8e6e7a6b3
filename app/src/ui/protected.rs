//! The frame of every protected page: a neutral "Restoring your session…" until the session is
//! restored in the browser, then the header, the navigation and the page.

use super::{Auth, AuthStatus};
use crate::contract::Role;
use leptos::prelude::*;

#[component]
pub fn Protected(children: ChildrenFn) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let retry_notice = RwSignal::new(None::<String>);

    Effect::new(move |_| {
        if auth.status.get_untracked() == AuthStatus::Restoring {
            #[cfg(feature = "hydrate")]
            leptos::task::spawn_local(restore(auth, retry_notice));
        }
    });

    let sign_out = move |_| {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(crate::client::session::sign_out());
    };

    move || match auth.user() {
        Some(user) => {
            let is_admin = matches!(user.role, Role::Owner | Role::Admin);
            view! {
                <header class="app-header">
                    <a class="brand" href="/">"lanyard"</a>
                    <nav aria-label="Main">
                        <a href="/">"Dashboard"</a>
                        <a href="/sessions">"Sessions"</a>
                        <a href="/jobs">"Jobs"</a>
                        {is_admin.then(|| view! { <a href="/admin">"Admin"</a> })}
                        <a href="/billing">"Billing"</a>
                        <a href="/account/password">"Password"</a>
                    </nav>
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

/// Restores the session. No hint and no session: straight to sign-in, silently. A hint whose restore
/// is refused: a logout with the server's reason. A 5xx or network failure is not a failed restore:
/// the page keeps waiting and retries with backoff.
#[cfg(feature = "hydrate")]
async fn restore(auth: Auth, retry_notice: RwSignal<Option<String>>) {
    use crate::client::http::{CallError, current_page};
    use crate::client::{session, storage, tracker};
    let mut delay_ms = 1_000;
    loop {
        let had_session = storage::hint().is_some();
        match session::restore().await {
            Ok(user) => {
                retry_notice.set(None);
                auth.status.set(AuthStatus::SignedIn(user));
                return;
            }
            Err(CallError::Unavailable { .. }) | Err(CallError::Refused { status: 429, .. }) => {
                retry_notice.set(Some(format!("Can't reach lanyard right now; retrying in {} s.", delay_ms / 1_000)));
                gloo_timers::future::TimeoutFuture::new(delay_ms).await;
                delay_ms = (delay_ms * 2).min(30_000);
            }
            Err(CallError::SessionEnded(ending)) if had_session => {
                auth.status.set(AuthStatus::SignedOut);
                tracker::logout(ending);
                return;
            }
            Err(_) => {
                session::forget();
                auth.status.set(AuthStatus::SignedOut);
                if let Some(window) = web_sys::window() {
                    let _ = window.location().replace(&crate::paths::signin_url(&current_page()));
                }
                return;
            }
        }
    }
}
