//! The host's own pages, server function and axum handler: a home page; `/hello`, which greets
//! the signed-in user inside lanyard's protected frame, from `GET /api/hello`; and `GET
//! /hello.txt`, the same greeting from a plain axum handler.

use lanyard::api::Authenticated;
use lanyard::contract::ErrorBody;
use lanyard::ui::DataPage;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

#[component]
pub fn Home() -> impl IntoView {
    view! {
        <main class="page narrow">
            <h1>"Host"</h1>
            <p><a href="/hello">"Say hello"</a>" · "<a href="/signin">"Sign in"</a></p>
        </main>
    }
}

/// The answer of `GET /api/hello`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Greeting {
    pub hello: String,
}

/// `{"hello": "<email>"}` to a signed-in user; lanyard's 401 body without a bearer.
#[server(prefix = "/api", endpoint = "hello", input = GetUrl, client = Authenticated)]
pub async fn hello() -> Result<Greeting, ErrorBody> {
    let user = lanyard::api::user().await?;
    Ok(Greeting { hello: user.email })
}

/// `/hello`, inside lanyard's protected frame (`DataPage`): restored first, then greeted.
#[component]
pub fn Hello() -> impl IntoView {
    view! { <DataPage title="Hello" load=hello render=greeting/> }
}

fn greeting(greeting: Greeting) -> AnyView {
    view! { <p class="card greeting">"Hello, "{greeting.hello}</p> }.into_any()
}

/// The host's own axum routes, given to lanyard's router so that their handlers sit behind its
/// layers and can read the signed-in user.
#[cfg(feature = "ssr")]
pub fn routes() -> axum::Router<LeptosOptions> {
    axum::Router::new().route("/hello.txt", axum::routing::get(hello_text))
}

/// `Hello, <email>` as plain text to a signed-in user; lanyard's 401 body without a bearer.
#[cfg(feature = "ssr")]
async fn hello_text(lanyard::server::SignedIn(user): lanyard::server::SignedIn) -> String {
    format!("Hello, {}", user.email)
}
