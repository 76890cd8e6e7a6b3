//! The host's server: lanyard started from the environment, its router around the host's app.

use lanyard::server::{Server, Settings};
use leptos::config::LeptosOptions;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let lanyard = Server::start(Settings::from_env()?).await?;
    let site_root = std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/host-site".into());
    let options = LeptosOptions::builder().output_name("lanyard").site_root(site_root).build();
    let router = lanyard.router_with(options, host::App, host::shell, host::pages::routes());
    let listener = tokio::net::TcpListener::bind(lanyard.settings().site_addr).await?;
    println!("host is listening on http://{}", lanyard.settings().site_addr);
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service).with_graceful_shutdown(stopped()).await?;
    lanyard.shutdown().await;
    Ok(())
}

/// Ctrl-C or SIGTERM.
async fn stopped() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let terminated = async move {
        match terminate.as_mut() {
            Some(signal) => drop(signal.recv().await),
            None => std::future::pending().await,
        }
    };
    tokio::select! { _ = tokio::signal::ctrl_c() => {}, () = terminated => {} }
}
