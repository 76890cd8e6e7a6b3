//! The demo product, an app built on lanyard as any other would be: its pages (the dashboard, a
//! long job, the plan, the admin overview and charts), their server functions and answers, and the
//! app that places lanyard's pages beside them. Compiled twice: with `ssr` inside the server
//! binary, which serves [`App`] through [`shell`], and with `hydrate` as the WASM.

pub mod api;
mod charts;
#[cfg(feature = "ssr")]
mod jobs;
mod pages;
pub mod wire;

use lanyard::session::ClientView;
use lanyard::ui::{self, Document, Lanyard};
use leptos::prelude::*;
use leptos_meta::{Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{StaticSegment, path};

/// The whole HTML document the server renders for every page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! { <Document options><App/></Document> }
}

/// The demo's root: lanyard around its routes, with its navigation and its billing page.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/lanyard.css"/>
        <Title text="lanyard"/>
        <Router>
            <Lanyard navigation=navigation billing_help=|| view! { <a href="/billing">"Open Billing"</a> }>
                <Routes fallback=NotFound>
                    <ui::LanyardRoutes/>
                    <Route path=StaticSegment("") view=pages::Dashboard/>
                    <Route path=StaticSegment("jobs") view=pages::Jobs/>
                    <Route path=StaticSegment("admin") view=charts::Admin/>
                    <Route path=path!("/admin/logouts") view=charts::AdminLogouts/>
                    <Route path=path!("/admin/sessions") view=charts::AdminSessions/>
                    <Route path=StaticSegment("billing") view=pages::Billing/>
                </Routes>
            </Lanyard>
        </Router>
    }
}

/// The links in the header of every protected page; "Admin" for owners and admins only.
fn navigation() -> impl IntoView {
    let is_admin = expect_context::<ClientView>().user().is_some_and(|user| user.role.is_admin());
    view! {
        <a href="/">"Dashboard"</a>
        <a href="/sessions">"Sessions"</a>
        <a href="/security">"Security"</a>
        <a href="/jobs">"Jobs"</a>
        {is_admin.then(|| view! { <a href="/admin">"Admin"</a> })}
        <a href="/billing">"Billing"</a>
        <a href="/account/password">"Password"</a>
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
