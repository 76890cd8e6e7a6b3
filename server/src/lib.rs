//! The lanyard server: configuration, the HTTP router around the Leptos app, and start-up.

pub mod config;
pub mod web;

use app::engine::accounts::{DEMO_ACCOUNT, DEMO_PASSWORD, DEMO_USERS};
use app::engine::clock::{Clock, SystemClock};
use app::engine::store::Store;
use app::engine::{AuthError, AuthResult, Engine};
use config::Config;
use std::sync::Arc;

/// Connects to the database (migrating it) and builds the engine on `clock`.
pub async fn engine(config: &Config, clock: Arc<dyn Clock>) -> AuthResult<Arc<Engine>> {
    let policy = config.policy().map_err(AuthError::BadRequest)?;
    let store = Store::connect(&config.database_url).await?;
    Ok(Arc::new(Engine::new(store, clock, policy, config.secret.clone()).await?))
}

/// The engine on the system clock, with the demo account seeded when configured and the
/// background work running: following other processes' changes, and the hourly sweep.
pub async fn start(config: &Config) -> AuthResult<Arc<Engine>> {
    let engine = engine(config, Arc::new(SystemClock)).await?;
    if config.seeds_demo() && engine.seed_demo().await? {
        tracing::info!("seeded the demo account {DEMO_ACCOUNT:?}");
    }
    run_background(&engine);
    Ok(engine)
}

/// Spawns what a serving engine does besides answering requests.
pub fn run_background(engine: &Arc<Engine>) {
    tokio::spawn(engine.clone().follow_changes());
    tokio::spawn(engine.clone().keep_house());
}

/// The lines printed at start so a person can sign in at once.
pub fn demo_banner(config: &Config) -> String {
    let mut lines = vec![format!("lanyard is listening on http://{}", config.site_addr)];
    if config.seeds_demo() {
        lines.push(format!("demo users (password {DEMO_PASSWORD:?}):"));
        lines.extend(DEMO_USERS.iter().map(|(email, role)| format!("  {email:<22} {}", role.as_str())));
    }
    lines.join("\n")
}
