//! lanyard's pages and components, for an app to place in its own routes and layout: the
//! document ([`Document`]), lanyard's part of every page ([`Lanyard`]: the client's state, the
//! notices, the step-up dialog, the debug panel), the protected frame ([`Protected`]) and the
//! pages (sign-in with its banner, sessions, security, password, the account's users).
//!
//! Everything here renders the same on the server and in the first client render; browser work
//! happens only in effects and event handlers, through `crate::session`.

#[cfg(feature = "mfa")]
mod account_security;
mod admin;
mod banner;
mod debug_panel;
mod email;
mod invite;
mod notices;
mod pages;
mod protected;
mod reauth;
mod recovery;
#[cfg(feature = "mfa")]
mod second_step;
mod security;
mod sessions;
mod settings;
mod signin;
mod signup;

#[cfg(feature = "mfa")]
pub use account_security::AccountSecurity;
pub use admin::{AdminUsers, Table};
pub use email::{ChangeEmail, EmailCancel, EmailChange};
pub use invite::Invite;
pub use pages::{DataPage, Password, loading, shown};
pub use protected::Protected;
pub use recovery::{ForgotPassword, ResetPassword};
pub use security::Security;
pub use sessions::Sessions;
pub use settings::UiSettings;
use settings::{DEBUG_PANEL_META, SIGNUP_META, debug_panel_enabled};
pub use signin::SignIn;
pub use signup::{SignUp, VerifyEmail};

use crate::session::{self, ClientView};
use leptos::prelude::*;
use leptos_meta::MetaTags;

/// The HTML document around an app: lanyard's head (the Content-Security-Policy with the hydration
/// script's nonce, the debug panel's setting for the browser, the hydration scripts) and
/// `children`, the app, as the body. An app's shell is this around its root component.
#[component]
pub fn Document(
    /// The app's Leptos options: the hydration scripts' names and paths, and under `cargo leptos
    /// watch` the reload port the Content-Security-Policy must allow.
    options: LeptosOptions,
    /// The app, rendered as the body.
    children: Children,
) -> impl IntoView {
    #[cfg(feature = "ssr")]
    set_content_security_policy(&options);
    let UiSettings { debug_panel, signup_open } = use_context::<UiSettings>().unwrap_or_default();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name=DEBUG_PANEL_META content=if debug_panel { "on" } else { "off" }/>
                <meta name=SIGNUP_META content=if signup_open { "on" } else { "off" }/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                // No favicon file to fetch: an empty data URL keeps the console free of 404s.
                <link rel="icon" href="data:,"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>{children()}</body>
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
    let reload = std::env::var_os("LEPTOS_WATCH").map(|_| reload_source(options)).unwrap_or_default();
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         style-src-attr 'unsafe-inline'; img-src 'self' data:; connect-src 'self'{reload}; \
         frame-ancestors 'none'; object-src 'none'; base-uri 'none'; form-action 'self'"
    );
    if let Ok(value) = axum::http::HeaderValue::from_str(&policy) {
        response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
    }
}

/// What `connect-src` adds under `cargo leptos watch`: its reload script opens a websocket to the
/// page's own host name (`localhost`, an address or a LAN name alike) on the reload port the browser
/// sees, so the source names the port and the scheme and lets the host be the page's.
#[cfg(feature = "ssr")]
fn reload_source(options: &LeptosOptions) -> String {
    let port = options.reload_external_port.unwrap_or(options.reload_port);
    let scheme = match options.reload_ws_protocol {
        leptos::config::ReloadWSProtocol::WS => "ws",
        leptos::config::ReloadWSProtocol::WSS => "wss",
    };
    format!(" {scheme}://*:{port}")
}

/// lanyard's pages at their SPEC paths, mounted by one element inside an app's `<Routes>`:
/// `/signin` (with the logout banner), `/sessions`, `/security`, `/account/password`,
/// `/admin/users`, `/forgot-password`, `/reset-password`, sign-up, verification, email change,
/// invitations, and `/account/security` (the second factor, with the `mfa` feature).
#[component(transparent)]
pub fn LanyardRoutes() -> impl leptos_router::MatchNestedRoutes + Clone {
    use leptos_router::components::Route;
    use leptos_router::{StaticSegment, path};
    view! {
        <Route path=StaticSegment("signin") view=SignIn/>
        <Route path=StaticSegment("sessions") view=Sessions/>
        <Route path=StaticSegment("security") view=Security/>
        <Route path=path!("/account/password") view=Password/>
        <Route path=path!("/admin/users") view=AdminUsers/>
        <Route path=StaticSegment("forgot-password") view=ForgotPassword/>
        <Route path=StaticSegment("reset-password") view=ResetPassword/>
        <Route path=StaticSegment("signup") view=SignUp/>
        <Route path=StaticSegment("verify-email") view=VerifyEmail/>
        <Route path=path!("/account/email") view=ChangeEmail/>
        <Route path=StaticSegment("email-change") view=EmailChange/>
        <Route path=StaticSegment("email-cancel") view=EmailCancel/>
        <Route path=StaticSegment("invite") view=Invite/>
        <Route path=path!("/account/security") view=account_security_page/>
    }
    .into_inner()
}

/// `/account/security`: the second factor's page with the `mfa` feature, else nothing there.
fn account_security_page() -> impl IntoView {
    #[cfg(feature = "mfa")]
    return view! { <AccountSecurity/> };
    #[cfg(not(feature = "mfa"))]
    view! { <main class="page"><p>"Two-factor authentication is not offered here."</p></main> }
}

/// lanyard's part of every page, around `children` (the app's routes): it provides the client's
/// state, starts the session after hydration, and renders the in-page notices and the step-up
/// dialog before the routes and the debug panel (Ctrl+Shift+D) after them. Place it inside the
/// app's `<Router>`.
#[component]
pub fn Lanyard(
    /// The links in the header of every protected page; without them, lanyard's own pages.
    #[prop(optional, into)]
    navigation: Option<ViewFn>,
    /// What follows the billing notice's words after a 402: the app's way to its plan page.
    #[prop(optional, into)]
    billing_help: Option<ViewFn>,
    /// The app's routes.
    children: Children,
) -> impl IntoView {
    let view = ClientView::new(debug_panel_enabled());
    provide_context(view);
    provide_context(protected::Navigation(navigation));
    Effect::new(move |_| session::start(view));
    view! {
        <notices::Notices billing_help/>
        <reauth::ReauthDialog/>
        {children()}
        {view.debug_panel.then(|| view! { <debug_panel::DebugPanel/> })}
    }
    .into_any()
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn the_reload_socket_is_allowed_on_the_pages_host_and_the_port_the_browser_sees() {
        let options = LeptosOptions::builder().output_name("lanyard").reload_port(3001).build();
        assert_eq!(reload_source(&options), " ws://*:3001");
        let proxied = LeptosOptions::builder()
            .output_name("lanyard")
            .reload_port(3001)
            .reload_external_port(Some(8443))
            .reload_ws_protocol(leptos::config::ReloadWSProtocol::WSS)
            .build();
        assert_eq!(reload_source(&proxied), " wss://*:8443");
    }
}
