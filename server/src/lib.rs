//! The lanyard server: configuration, the HTTP router around the Leptos app, and start-up.

pub mod config;
mod requests;
pub mod web;

use anyhow::Context as _;
use config::Config;
use lanyard::engine::{Clock, DemoAccount, Engine, SystemClock};
use std::sync::Arc;
use tokio::task::JoinSet;

/// Connects to the database (migrating it) and builds the engine on `clock`.
pub async fn engine(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Arc<Engine>> {
    let policy = config.policy()?;
    let engine = Engine::connect(&config.database_url, clock, policy, config.signing_secrets()?)
        .await
        .with_context(|| format!("opening the database {}", config.redacted_database_url()))?;
    Ok(Arc::new(engine))
}

/// The engine on the system clock, with the demo account seeded when configured.
pub async fn start(config: &Config) -> anyhow::Result<Arc<Engine>> {
    let engine = engine(config, Arc::new(SystemClock)).await?;
    if config.seeds_demo() && engine.seed_demo().await.context("seeding the demo account")? {
        tracing::info!("seeded the demo account {:?}", DemoAccount::ACCOUNT);
    }
    Ok(engine)
}

/// What a serving engine does besides answering requests: following other processes' changes, and
/// the hourly sweep. The tasks stop when this is shut down or dropped, so a stopped (or restarted)
/// instance leaves nothing running behind it.
pub struct Background {
    tasks: JoinSet<()>,
}

impl Background {
    pub fn start(engine: &Arc<Engine>) -> Self {
        let mut tasks = JoinSet::new();
        tasks.spawn(engine.clone().follow_changes());
        tasks.spawn(engine.clone().keep_house());
        Self { tasks }
    }

    /// Stops the tasks and waits until they are gone.
    pub async fn shutdown(mut self) {
        self.tasks.shutdown().await;
    }
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
        assert_eq!(Arc::strong_count(&engine), 3, "each task holds the engine while it runs");

        background.shutdown().await;
        assert_eq!(Arc::strong_count(&engine), 1);
        std::fs::remove_dir_all(dir).ok();
    }
}
