//! lanyard in an axum server (feature `ssr`): its settings, the engine started on them with its
//! background work, and the router around an app's Leptos pages and server functions, with
//! lanyard's own routes and layers.
//!
//! An app starts a [`Server`] once, serves [`Server::router`] around its own `App` and `shell`,
//! and stops it with [`Server::shutdown`] after the listener:
//!
//! ```no_run
//! # use leptos::prelude::*;
//! # fn app() -> impl IntoView { () }
//! # fn shell(_: LeptosOptions) -> impl IntoView { () }
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let lanyard = lanyard::server::Server::start(lanyard::server::Settings::from_env()?).await?;
//! let options = LeptosOptions::builder().output_name("host").build();
//! let router = lanyard.router(options, app, shell);
//! let listener = tokio::net::TcpListener::bind(lanyard.settings().site_addr).await?;
//! axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await?;
//! lanyard.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod edge;
mod extract;
mod requests;
mod settings;

pub use edge::{MAX_BODY_BYTES, json_error, metrics_router};
pub use extract::SignedIn;
pub use settings::{DemoSeed, MIN_SECRET_BYTES, Settings, SettingsError, SignupMode, Switch, Verification};

use crate::api::{Me, serve, signed_in_user};
use crate::engine::{self, Accounts, Clock, Delivery, DemoAccount, Engine, OperatorError, SystemClock};
use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_axum::{LeptosRoutes, generate_route_list_with_exclusions};
use std::sync::Arc;
use tokio::task::JoinSet;
use tower::ServiceBuilder;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;

/// Why lanyard could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The settings are invalid ([`SettingsError`] says which).
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The database could not be opened or migrated (its URL without the password).
    #[error("opening the database {url}")]
    Database {
        /// The database URL with its password replaced, so the message can be logged.
        url: String,
        /// What the engine met while connecting or migrating.
        source: engine::StartError,
    },
    /// `LANYARD_DEMO` asked for the demo account and it could not be written.
    #[error("seeding the demo account: {0}")]
    Seed(OperatorError),
    /// `LANYARD_METRICS_ADDR` could not be bound: the metrics were asked for on an address of their
    /// own, so lanyard does not start without them.
    #[error("listening for metrics on {addr}")]
    MetricsListener {
        /// The address of `LANYARD_METRICS_ADDR`.
        addr: std::net::SocketAddr,
        /// Why binding it failed (in use, not this host's, not permitted).
        source: std::io::Error,
    },
}

/// lanyard started in a process: the engine on its settings, and its background work.
pub struct Server {
    engine: Arc<Engine>,
    settings: Settings,
    background: Background,
}

impl Server {
    /// Opens the database (migrating it), seeds the demo account when `LANYARD_DEMO` says so, and
    /// starts the background work: following other instances' changes, the hourly sweep, and the
    /// metrics listener of `LANYARD_METRICS_ADDR`.
    pub async fn start(settings: Settings) -> Result<Self, ServeError> {
        let engine = connect(&settings, Arc::new(SystemClock)).await?;
        Self::start_on(engine, settings).await
    }

    /// [`Server::start`] with the app's own [`Accounts`] in place of lanyard's accounts table.
    pub async fn start_with_accounts(settings: Settings, accounts: Arc<dyn Accounts>) -> Result<Self, ServeError> {
        let engine = connect(&settings, Arc::new(SystemClock)).await?.with_accounts(accounts);
        Self::start_on(engine, settings).await
    }

    async fn start_on(engine: Engine, settings: Settings) -> Result<Self, ServeError> {
        let engine = Arc::new(engine);
        if let Delivery::Outbox(folder) = &engine.mail_settings().delivery {
            tracing::info!("mail goes to the outbox {} (LANYARD_SMTP_URL is not set)", folder.display());
            if !settings.site_addr.ip().is_loopback() {
                tracing::warn!("no mail leaves this server: set LANYARD_SMTP_URL (docs/DEPLOY.md)");
            }
        }
        if settings.seeds_demo() && engine.seed_demo().await.map_err(ServeError::Seed)? {
            tracing::info!("seeded the demo account {:?}", DemoAccount::ACCOUNT);
        }
        let mut background = Background::start(&engine);
        if let Some(addr) = settings.metrics_addr {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|source| ServeError::MetricsListener { addr, source })?;
            let metrics = metrics_router(engine.clone());
            background.tasks.spawn(async move {
                if let Err(error) = axum::serve(listener, metrics).await {
                    tracing::error!("serving the metrics: {error}");
                }
            });
        }
        Ok(Self { engine, settings, background })
    }

    /// The engine this server runs, for an app that builds its router itself ([`router`]) or calls
    /// the engine directly.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// The settings the server started on, e.g. `site_addr` for the app's listener.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The whole router of an app: its Leptos pages and server functions (`app`, rendered in
    /// `shell`), lanyard's routes (the direct `me`, JSON 404s on `/api`, `/healthz`, `/readyz`,
    /// `/metrics`), and lanyard's layers around all of it. Serve it with
    /// `into_make_service_with_connect_info::<SocketAddr>()`: lanyard reads the client's address.
    pub fn router<A, AV, SV>(&self, options: LeptosOptions, app: A, shell: fn(LeptosOptions) -> SV) -> Router
    where
        A: Fn() -> AV + Clone + Send + Sync + 'static,
        AV: IntoView + 'static,
        SV: IntoView + 'static,
    {
        self.router_with(options, app, shell, Router::new())
    }

    /// [`Server::router`] with the app's own axum `routes` inside lanyard's layers, where their
    /// handlers read the signed-in user with [`SignedIn`].
    pub fn router_with<A, AV, SV>(
        &self,
        options: LeptosOptions,
        app: A,
        shell: fn(LeptosOptions) -> SV,
        routes: Router<LeptosOptions>,
    ) -> Router
    where
        A: Fn() -> AV + Clone + Send + Sync + 'static,
        AV: IntoView + 'static,
        SV: IntoView + 'static,
    {
        router(self.engine.clone(), &self.settings, options, app, shell, routes)
    }

    /// Stops the background work and closes the database, after the last request.
    pub async fn shutdown(self) {
        self.background.shutdown().await;
        if let Err(error) = self.engine.close().await {
            tracing::warn!("closing the database: {error}");
        }
    }
}

/// Connects to the database (migrating it) and builds the engine on `clock`, shared and ready to
/// serve (see [`connect`] for an engine to adjust first).
pub async fn engine(settings: &Settings, clock: Arc<dyn Clock>) -> Result<Arc<Engine>, ServeError> {
    Ok(Arc::new(connect(settings, clock).await?))
}

/// Connects to the database (migrating it) and builds the engine on `clock`, before it is shared:
/// an app sets its own accounts here ([`Engine::with_accounts`]). It also names what the server does
/// with a body the server-function framework cannot decode (400, not 500), once per process rather
/// than on every call.
pub async fn connect(settings: &Settings, clock: Arc<dyn Clock>) -> Result<Engine, ServeError> {
    crate::contract::on_framework_error(serve::set_status_for_framework_error);
    let policy = settings.policy()?;
    let mail = settings.mail()?;
    let engine = Engine::connect(&settings.database_url, clock, policy, settings.signing_secrets()?)
        .await
        .map_err(|source| ServeError::Database { url: settings.redacted_database_url(), source })?;
    Ok(engine.with_mail(mail).map_err(SettingsError::Mail)?)
}

/// What a serving engine does besides answering requests: following other processes' changes, the
/// hourly sweep, and delivering the mail queue. The tasks stop when this is shut down or dropped, so a stopped (or restarted)
/// instance leaves nothing running behind it.
pub struct Background {
    tasks: JoinSet<()>,
}

impl Background {
    /// Starts following other processes' changes, the hourly sweep and the mail delivery on
    /// `engine`: what
    /// [`Server::start`] runs, and what a caller that builds its own engine (a test on its own
    /// clock) starts beside it.
    pub fn start(engine: &Arc<Engine>) -> Self {
        let mut tasks = JoinSet::new();
        tasks.spawn(engine.clone().follow_changes());
        tasks.spawn(engine.clone().keep_house());
        tasks.spawn(engine.clone().deliver_mail());
        Self { tasks }
    }

    /// Stops the tasks and waits until they are gone.
    pub async fn shutdown(mut self) {
        self.tasks.shutdown().await;
    }
}

/// What every server function's context holds: the engine and the pages' settings. An app that
/// builds its own router calls this in its context closure.
pub fn provide(engine: &Arc<Engine>, settings: &Settings) {
    provide_context(engine.clone());
    provide_context(settings.ui());
}

/// The paths an app's route list leaves to lanyard: `me` is answered outside server-function
/// dispatch, by its own route.
pub fn excluded_paths() -> Vec<String> {
    vec![Me::PATH.to_owned()]
}

/// [`Server::router_with`] on an engine of the caller's (a test's, on its own clock).
pub fn router<A, AV, SV>(
    engine: Arc<Engine>,
    settings: &Settings,
    options: LeptosOptions,
    app: A,
    shell: fn(LeptosOptions) -> SV,
    routes: Router<LeptosOptions>,
) -> Router
where
    A: Fn() -> AV + Clone + Send + Sync + 'static,
    AV: IntoView + 'static,
    SV: IntoView + 'static,
{
    let pages = generate_route_list_with_exclusions(app, Some(excluded_paths()));
    let operations = edge::operations(engine.clone(), settings.metrics_on_site());
    let engine_for_gate = engine.clone();
    let me_engine = engine.clone();
    // A service, not a handler: a handler would get a copy of the router's state on every call.
    let me = tower::service_fn(move |request: Request<Body>| {
        let engine = me_engine.clone();
        async move { Ok::<_, std::convert::Infallible>(serve::direct(engine, request.into_parts().0, signed_in_user).await) }
    });
    let api = Router::new().route(
        "/api/{*rest}",
        axum::routing::any(|| async {
            json_error(StatusCode::NOT_FOUND, crate::contract::ErrorCode::NotFound, "No such API path.")
        }),
    );
    let context_settings = settings.clone();
    let routes = Router::new()
        .leptos_routes_with_context(&options, pages, move || provide(&engine, &context_settings), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .route(Me::PATH, axum::routing::get_service(me))
        .merge(routes)
        .merge(api)
        .merge(operations)
        .method_not_allowed_fallback(|| async {
            json_error(
                StatusCode::METHOD_NOT_ALLOWED,
                crate::contract::ErrorCode::MethodNotAllowed,
                "This path does not take that method.",
            )
        })
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(options);
    // The layers wrap the whole router, in one service: `Router::layer` on the routes themselves
    // would wrap each route, and each `layer` call boxes what it wraps, so every layer would copy
    // the route, its state and the layers inside it on every request. Outermost first.
    let edge = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::if_not_present(
            axum::http::header::X_CONTENT_TYPE_OPTIONS,
            axum::http::HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            axum::http::header::REFERRER_POLICY,
            axum::http::HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(axum::middleware::from_fn_with_state(engine_for_gate, edge::gate))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES));
    let router = Router::new().fallback_service(routes).layer(edge);
    requests::traced(router, settings.access_log == Switch::On)
}
