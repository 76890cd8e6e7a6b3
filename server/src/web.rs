//! The demo's router: its pages and server functions inside lanyard's router (lanyard's own
//! routes and layers around them, `lanyard::server::router`).

use crate::config::Config;
use app::{App, shell};
use axum::Router;
use lanyard::engine::Engine;
use leptos_axum::generate_route_list;
use std::sync::Arc;

/// Everything the demo serves: its pages, its and lanyard's server functions, and lanyard's own
/// routes (`/healthz`, `/readyz`, `/metrics` with `LANYARD_METRICS=on`).
pub fn router(engine: Arc<Engine>, config: &Config) -> Router {
    lanyard::server::router(engine, &config.lanyard, config.leptos_options(), App, shell, Router::new())
}

/// Every path the router serves by name, sorted: the pages and the server functions (the fuzzer
/// sends its calls there, so a new page or call is fuzzed without a list to keep).
pub fn named_paths() -> Vec<String> {
    let pages = generate_route_list(App).into_iter().map(|route| route.path().to_owned());
    let calls = leptos::server_fn::axum::server_fn_paths().map(|(path, _)| path.to_owned());
    let mut paths: Vec<String> = pages.chain(calls).collect();
    paths.sort();
    paths.dedup();
    paths
}

#[cfg(test)]
mod tests {
    use super::named_paths;

    /// The fuzzer's paths come from the router itself: pages and server functions alike.
    #[test]
    fn the_named_paths_hold_every_page_and_server_function() {
        let paths = named_paths();
        for path in ["/", "/signin", "/security", "/admin/users", "/api/auth/login", "/api/auth/me", "/api/jobs/status"]
        {
            assert!(paths.iter().any(|named| named == path), "{path} is not in {paths:?}");
        }
        assert!(paths.windows(2).all(|pair| pair[0] < pair[1]), "sorted, once each");
    }
}
