//! The frame of every protected page: a neutral "Restoring your session…" until the session is
//! restored in the browser, then the header and the page.

use super::Auth;
use leptos::prelude::*;

#[component]
pub fn Protected(children: ChildrenFn) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let retry_notice = RwSignal::new(None::<String>);

    #[cfg(feature = "hydrate")]
    {
        let navigate = leptos_router::hooks::use_navigate();
        Effect::new(move |_| {
            if auth.status.get_untracked() == super::AuthStatus::Restoring {
                let navigate = navigate.clone();
                leptos::task::spawn_local(restore(auth, retry_notice, navigate));
            }
        });
    }

    let sign_out = move |_| {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            crate::client::session::sign_out().await;
            auth.status.set(super::AuthStatus::SignedOut);
            leptos_router::hooks::use_navigate()("/signin", Default::default());
        });
    };

    move || match auth.user() {
        Some(user) => view! {
            <header class="app-header">
                <a class="brand" href="/">"lanyard"</a>
                <span class="who">{user.email.clone()}</span>
                <button type="button" class="secondary" on:click=sign_out>"Sign out"</button>
            </header>
            <main class="page">{children()}</main>
        }
        .into_any(),
        None => view! {
            <main class="page restoring">
                <p class="restoring-text">"Restoring your session…"</p>
                {move || retry_notice.get().map(|notice| view! { <p class="notice" role="status">{notice}</p> })}
            </main>
        }
        .into_any(),
    }
}

/// Restores the session; a 5xx or network failure is not a failed restore: it retries with backoff.
#[cfg(feature = "hydrate")]
async fn restore(auth: Auth, retry_notice: RwSignal<Option<String>>, navigate: impl Fn(&str, leptos_router::NavigateOptions)) {
    use super::AuthStatus;
    use crate::client::http::{CallError, current_page};
    use crate::client::session;
    let mut delay_ms = 1_000;
    loop {
        match session::restore().await {
            Ok(user) => {
                retry_notice.set(None);
                auth.status.set(AuthStatus::SignedIn(user));
                return;
            }
            Err(CallError::Unavailable(_)) | Err(CallError::Refused { status: 429, .. }) => {
                retry_notice.set(Some(format!("Can't reach lanyard right now; retrying in {} s.", delay_ms / 1_000)));
                gloo_timers::future::TimeoutFuture::new(delay_ms).await;
                delay_ms = (delay_ms * 2).min(30_000);
            }
            Err(_) => {
                session::forget();
                auth.status.set(AuthStatus::SignedOut);
                navigate(&crate::paths::signin_url(&current_page()), Default::default());
                return;
            }
        }
    }
}
