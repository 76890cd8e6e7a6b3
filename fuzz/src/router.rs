//! F6 and F7, every body's decoding and the whole router: any method, path, credentials, headers and
//! body against the real server on a SQLite file, with a signed-in user whose live tokens the input
//! may use. Whatever arrives, the answer is never a 5xx and never carries the live tokens back.

use crate::json::{Json, Key, object};
use arbitrary::{Arbitrary, Unstructured};
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderName, HeaderValue, Method, Request, header};
use lanyard::contract::Role;
use lanyard::engine::{Engine, ManualClock, RequestMeta, SignIn};
use server::config::Config;
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock, Mutex};
use tower::ServiceExt as _;

pub const EMAIL: &str = "fuzz@example.com";
pub const PASSWORD: &str = "the fuzz user's password";

#[derive(Arbitrary, Debug)]
enum Path {
    Known(u8),
    KnownWithQuery(u8, String),
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Verb {
    Post,
    Get,
    Other(String),
}

/// What the request carries as a credential: nothing, the user's live one, any text, or the live
/// one beside any text (a stale second cookie, a second `Authorization` header).
#[derive(Arbitrary, Debug)]
enum Credential {
    Absent,
    Live,
    Text(String),
    LiveAnd(String),
}

#[derive(Arbitrary, Debug)]
enum Payload {
    Fields(Vec<(Key, Json)>),
    Value(Json),
    Bytes(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum Named {
    ContentType,
    Origin,
    Referer,
    PagePath,
    UserIdle,
    ForwardedFor,
    ForwardedProto,
    UserAgent,
    Other(String),
}

#[derive(Arbitrary, Debug)]
struct Call {
    verb: Verb,
    path: Path,
    cookie: Credential,
    bearer: Credential,
    json: bool,
    headers: Vec<(Named, String)>,
    payload: Payload,
}

/// The user's tokens as the last answer left them.
#[derive(Clone)]
struct Live {
    refresh: String,
    access: String,
}

struct Harness {
    runtime: tokio::runtime::Runtime,
    router: Router,
    engine: Arc<Engine>,
    clock: ManualClock,
    /// The user's password hash, put back when a call changed the password.
    password_hash: String,
    live: Mutex<Option<Live>>,
    /// Every page and server function the router serves (`server::web::named_paths`).
    routes: Vec<String>,
}

static HARNESS: LazyLock<Harness> = LazyLock::new(Harness::start);

/// The harness's own calls come from an address no fuzzed request claims, so the sign-in throttle
/// the fuzzer fills never refuses them.
fn harness_meta() -> RequestMeta {
    RequestMeta { ip: Some("192.0.2.1".into()), user_agent: None, page_path: "/".into(), idle_secs: None }
}

impl Harness {
    fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("lanyard-fuzz-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let mut config = Config::for_tests(&format!("sqlite://{}/lanyard.db", dir.display()));
        config.secret = Some(crate::SECRET.into());
        // Forwarded headers from the input are believed, so their parsing is fuzzed too.
        config.trusted_proxies = vec!["127.0.0.0/8".into()];
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let clock = ManualClock::starting_at(crate::NOW);
        let (engine, password_hash) = runtime.block_on(async {
            let engine = server::engine(&config, Arc::new(clock.clone())).await.expect("the engine starts");
            engine.create_user(EMAIL, PASSWORD, Role::Owner, "fuzz").await.expect("the user is created");
            let hash: String = sqlx::query_scalar("SELECT password_hash FROM lanyard_users WHERE email = ?")
                .bind(EMAIL)
                .fetch_one(engine.database())
                .await
                .expect("the user's hash");
            (engine, hash)
        });
        let router = server::web::router(engine.clone(), &config);
        let routes = server::web::named_paths();
        Self { runtime, router, engine, clock, password_hash, live: Mutex::new(None), routes }
    }

    /// Live tokens for the next call: the refresh of the ones the last call left (answered again
    /// with the successor when that call rotated them), else a new sign-in.
    async fn live(&self) -> Live {
        let previous = self.live.lock().unwrap().clone();
        let meta = harness_meta();
        let refreshed = match &previous {
            Some(live) => self.engine.refresh(&[live.refresh.as_str()], &meta).await.ok(),
            None => None,
        };
        let issued = match refreshed {
            Some(issued) => issued,
            None => match self.engine.login(EMAIL, PASSWORD, false, None, &meta).await.map(SignIn::session) {
                Ok(Some((issued, _))) => issued,
                _ => {
                    sqlx::query("UPDATE lanyard_users SET password_hash = ? WHERE email = ?")
                        .bind(&self.password_hash)
                        .bind(EMAIL)
                        .execute(self.engine.database())
                        .await
                        .expect("the password is put back");
                    let signed_in =
                        self.engine.login(EMAIL, PASSWORD, false, None, &meta).await.expect("the user signs in");
                    signed_in.session().expect("the user has no second factor").0
                }
            },
        };
        let live = Live {
            refresh: issued.refresh_token.expose().to_owned(),
            access: issued.token.access_token.expose().to_owned(),
        };
        *self.live.lock().unwrap() = Some(live.clone());
        live
    }
}

fn credential_values(credential: &Credential, live: &str) -> Vec<String> {
    match credential {
        Credential::Absent => vec![],
        Credential::Live => vec![live.to_owned()],
        Credential::Text(text) => vec![text.clone()],
        Credential::LiveAnd(text) => vec![text.clone(), live.to_owned()],
    }
}

fn request(call: &Call, live: &Live, routes: &[String]) -> Option<Request<Body>> {
    let route = |index: &u8| &routes[usize::from(*index) % routes.len()];
    let uri = match &call.path {
        Path::Known(index) => route(index).clone(),
        Path::KnownWithQuery(index, query) => format!("{}?{query}", route(index)),
        Path::Other(path) => path.clone(),
    };
    let method = match &call.verb {
        Verb::Post => Method::POST,
        Verb::Get => Method::GET,
        Verb::Other(name) => Method::from_bytes(name.as_bytes()).ok()?,
    };
    let body = match &call.payload {
        Payload::Fields(fields) => serde_json::to_vec(&object(fields)).ok()?,
        Payload::Value(value) => serde_json::to_vec(&value.to_value()).ok()?,
        Payload::Bytes(bytes) => bytes.clone(),
    };
    let mut builder = Request::builder().method(method).uri(uri);
    if call.json {
        builder = builder.header(header::CONTENT_TYPE, "application/json");
    }
    for value in credential_values(&call.cookie, &live.refresh) {
        builder = builder.header(header::COOKIE, format!("{}={value}", lanyard::contract::REFRESH_COOKIE));
    }
    for value in credential_values(&call.bearer, &live.access) {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {value}"));
    }
    for (name, value) in &call.headers {
        let name = match name {
            Named::ContentType => header::CONTENT_TYPE,
            Named::Origin => header::ORIGIN,
            Named::Referer => header::REFERER,
            Named::PagePath => HeaderName::from_static(lanyard::contract::HEADER_PAGE_PATH),
            Named::UserIdle => HeaderName::from_static(lanyard::contract::HEADER_USER_IDLE),
            Named::ForwardedFor => HeaderName::from_static("x-forwarded-for"),
            Named::ForwardedProto => HeaderName::from_static("x-forwarded-proto"),
            Named::UserAgent => header::USER_AGENT,
            Named::Other(name) => HeaderName::from_bytes(name.as_bytes()).ok()?,
        };
        builder = builder.header(name, HeaderValue::from_str(value).ok()?);
    }
    let mut request = builder.body(Body::from(body)).ok()?;
    request.extensions_mut().insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40_000))));
    Some(request)
}

pub fn router(data: &[u8]) {
    let Ok(call) = Call::arbitrary_take_rest(Unstructured::new(data)) else { return };
    let harness = &*HARNESS;
    harness.runtime.block_on(async {
        // A minute per call: throttle windows roll, and no token outlives the clock.
        harness.clock.advance(60);
        let live = harness.live().await;
        let Some(request) = request(&call, &live, &harness.routes) else { return };
        let response = harness.router.clone().oneshot(request).await.expect("the router is infallible");
        let status = response.status();
        let headers = format!("{:?}", response.headers());
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("the body is read");
        let body = String::from_utf8_lossy(&body);
        assert!(!status.is_server_error(), "{status} for {call:?}: {body}");
        for (name, token) in [("refresh", &live.refresh), ("access", &live.access)] {
            assert!(!body.contains(token.as_str()), "the live {name} token came back in the body of {call:?}");
            assert!(!headers.contains(token.as_str()), "the live {name} token came back in a header of {call:?}");
        }
    });
}
