//! A minimal app on lanyard: its own home page and `/hello`, and lanyard's pages (sign-in,
//! sessions, security, password, the account's users), mounted by one element.

pub mod pages;

use lanyard::ui::{Document, Lanyard, LanyardRoutes};
use leptos::prelude::*;
use leptos_meta::{Stylesheet, provide_meta_context};
use leptos_router::StaticSegment;
use leptos_router::components::{Route, Router, Routes};

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/lanyard.css"/>
        <Router>
            <Lanyard>
                <Routes fallback=|| "Not found.">
                    <Route path=StaticSegment("") view=pages::Home/>
                    <Route path=StaticSegment("hello") view=pages::Hello/>
                    <LanyardRoutes/>
                </Routes>
            </Lanyard>
        </Router>
    }
}

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! { <Document options><App/></Document> }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
