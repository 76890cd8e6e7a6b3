//! Pages and components. Everything here renders the same on the server and in the first client
//! render; browser work happens only in effects and event handlers (see `crate::client`).

mod dashboard;
mod protected;
mod signin;

use crate::contract::UserView;
use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::StaticSegment;
use leptos_router::components::{Route, Router, Routes};

/// Where the session stands in this tab.
#[derive(Clone, Debug, PartialEq)]
pub enum AuthStatus {
    /// Not yet known: the server render and the first client render of a protected page.
    Restoring,
    SignedIn(UserView),
    SignedOut,
}

/// The session state every component reads; provided once by [`App`].
#[derive(Clone, Copy)]
pub struct Auth {
    pub status: RwSignal<AuthStatus>,
}

impl Auth {
    pub fn user(&self) -> Option<UserView> {
        match self.status.get() {
            AuthStatus::SignedIn(user) => Some(user),
            _ => None,
        }
    }
}

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    set_content_security_policy(&options);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                // No favicon file to fetch: an empty data URL keeps the console free of 404s.
                <link rel="icon" href="data:,"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The page's Content-Security-Policy: only this origin's scripts, and the hydration script by its
/// per-response nonce; WASM compilation allowed; no framing, plugins or `<base>`.
#[cfg(feature = "ssr")]
fn set_content_security_policy(options: &LeptosOptions) {
    let (Some(nonce), Some(response)) = (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>())
    else {
        return;
    };
    // `cargo leptos watch` reloads the page through a websocket on the reload port.
    let reload = std::env::var_os("LEPTOS_WATCH")
        .map(|_| format!(" ws://{}:{}", options.site_addr.ip(), options.reload_port))
        .unwrap_or_default();
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         style-src-attr 'unsafe-inline'; img-src 'self' data:; connect-src 'self'{reload}; \
         frame-ancestors 'none'; object-src 'none'; base-uri 'none'; form-action 'self'"
    );
    if let Ok(value) = axum::http::HeaderValue::from_str(&policy) {
        response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(Auth { status: RwSignal::new(AuthStatus::Restoring) });

    view! {
        <Stylesheet id="leptos" href="/pkg/lanyard.css"/>
        <Title text="lanyard"/>
        <Router>
            <Routes fallback=NotFound>
                <Route path=StaticSegment("signin") view=signin::SignIn/>
                <Route path=StaticSegment("") view=dashboard::Dashboard/>
            </Routes>
        </Router>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="page narrow">
            <h1>"Page not found"</h1>
            <p><a href="/">"Go to the dashboard"</a></p>
        </main>
    }
}
