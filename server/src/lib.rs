//! The demo product's server: its configuration and operator CLI, its router (the demo app inside
//! lanyard's), and start-up.

pub mod config;
pub mod logs;
pub mod web;

use config::Config;
use lanyard::engine::{Clock, DemoAccount, Engine};
pub use lanyard::server::Background;
use std::sync::Arc;

/// Connects to the database (migrating it) and builds the engine on `clock`.
pub async fn engine(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Arc<Engine>> {
    Ok(lanyard::server::engine(&config.lanyard, clock).await?)
}

/// The lines printed at start so a person can sign in at once.
pub fn demo_banner(config: &Config) -> String {
    let mut lines = vec![format!("lanyard is listening on http://{}", config.site_addr)];
    if config.seeds_demo() {
        lines.extend(DemoAccount::sign_in_lines());
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use lanyard::engine::ManualClock;

    /// Shutting the background down lets go of the engine: no task keeps polling a stopped instance.
    #[tokio::test]
    async fn background_tasks_stop_at_shutdown() {
        let dir = std::env::temp_dir().join(format!("lanyard-background-{}", std::process::id()));
        let mut config = Config::for_tests(&format!("sqlite://{}/lanyard.db", dir.display()));
        config.secret = Some("a test secret of thirty-two bytes, at least".into());
        let engine = engine(&config, Arc::new(ManualClock::starting_at(1_800_000_000))).await.unwrap();
        let background = Background::start(&engine);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let tasks = ["the change follower", "the hourly sweep", "the mail delivery"];
        assert_eq!(Arc::strong_count(&engine), 1 + tasks.len(), "each task holds the engine while it runs");

        background.shutdown().await;
        assert_eq!(Arc::strong_count(&engine), 1);
        std::fs::remove_dir_all(dir).ok();
    }
}
