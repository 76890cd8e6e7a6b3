//! The lanyard instances of a phase: each serves in this process on a port of its own, kept across
//! restarts so the proxy finds a restarted instance at the address it had; the configuration that
//! gives them the soak's short access tokens and its signing secrets; and the statement run on the
//! PostgreSQL server to create and drop the soak's database.

use crate::{ACCESS_TTL, DEADLINE, SECRETS};
use anyhow::Context as _;
use lanyard::engine::SystemClock;
use server::Background;
use server::config::Config;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;

pub(crate) async fn admin_sql(url: &str, statement: &str) -> anyhow::Result<()> {
    use sqlx::Connection as _;
    let mut conn = sqlx::PgConnection::connect(url).await.with_context(|| format!("connecting to {url}"))?;
    sqlx::query(statement).execute(&mut conn).await?;
    Ok(())
}

/// One lanyard instance serving on a fixed port, so a restart comes back at the same address.
pub(crate) struct Instance {
    stop: Option<oneshot::Sender<()>>,
    serving: Option<tokio::task::JoinHandle<()>>,
    background: Option<Background>,
}

pub(crate) fn config(url: &str, port: u16, secret: usize, previous: Option<usize>) -> Config {
    let mut config = Config::for_tests(url);
    config.site_addr = SocketAddr::from(([127, 0, 0, 1], port));
    config.access_ttl = ACCESS_TTL;
    config.secret = Some(SECRETS[secret].into());
    config.secret_previous = previous.map(|p| SECRETS[p].into()).into_iter().collect();
    config.site_root = "target/site".into();
    config
}

impl Instance {
    pub(crate) async fn start(config: &Config) -> anyhow::Result<Self> {
        let engine = server::engine(config, Arc::new(SystemClock)).await?;
        let background = Background::start(&engine);
        let listener = tokio::net::TcpListener::bind(config.site_addr).await?;
        let router = server::web::router(engine, config);
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = tokio::spawn(async move {
            let service = router.into_make_service_with_connect_info::<SocketAddr>();
            let _ = axum::serve(listener, service).with_graceful_shutdown(async { drop(stopped.await) }).await;
        });
        Ok(Self { stop: Some(stop), serving: Some(serving), background: Some(background) })
    }

    /// Stops gracefully: calls in flight are answered, then the background tasks end.
    pub(crate) async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(serving) = self.serving.take() {
            let _ = tokio::time::timeout(DEADLINE, serving).await;
        }
        if let Some(background) = self.background.take() {
            background.shutdown().await;
        }
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}
