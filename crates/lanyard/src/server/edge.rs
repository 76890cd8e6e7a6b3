//! What every answer of a lanyard app passes: the body cap, the Origin check, JSON answers for
//! unknown API paths and methods, the security headers; and the operator's routes outside the API
//! (SPEC §3: `/healthz`, `/readyz`, `/metrics`).

use crate::api::answer;
use crate::api::invitations::AcceptInvitation;
use crate::api::recovery::ConfirmPasswordReset;
use crate::api::serve::client_ip;
use crate::api::signup::SignUp;
use crate::api::{ChangePassword, Login, Reauth, Refresh};
use crate::contract::{ErrorBody, ErrorCode, HEADER_SESSION_USER};
use crate::engine::{Engine, Flow};
use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::config::LeptosOptions;
use leptos::server_fn::ServerFn;
use std::sync::Arc;

/// Largest accepted API body (SPEC §3): anything bigger is refused before any work.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The routes outside the API (SPEC §3): liveness, readiness and metrics. They take no credentials,
/// so they say nothing about any user.
pub(super) fn operations(engine: Arc<Engine>, metrics: bool) -> Router<LeptosOptions> {
    let router = Router::new()
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .route("/readyz", axum::routing::get(readiness))
        .route("/metrics", axum::routing::get(metrics_text));
    router.layer(axum::Extension(Operations { engine, metrics }))
}

/// `/metrics` alone, for `LANYARD_METRICS_ADDR`'s listener.
pub fn metrics_router(engine: Arc<Engine>) -> Router {
    let router = Router::new().route("/metrics", axum::routing::get(metrics_text));
    router.layer(axum::Extension(Operations { engine, metrics: true }))
}

#[derive(Clone)]
struct Operations {
    engine: Arc<Engine>,
    metrics: bool,
}

/// 200 when this instance can serve (the database answers and other instances' changes are being
/// followed), else 503 with Retry-After; the body says which part is missing.
async fn readiness(axum::Extension(ops): axum::Extension<Operations>) -> Response {
    let readiness = ops.engine.readiness().await;
    let status = if readiness.ready() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let mut response = (status, axum::Json(readiness)).into_response();
    if !readiness.ready() {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

async fn metrics_text(axum::Extension(ops): axum::Extension<Operations>) -> Response {
    if !ops.metrics {
        return json_error(StatusCode::NOT_FOUND, ErrorCode::NotFound, "Metrics are off (LANYARD_METRICS).");
    }
    match ops.engine.metrics_text().await {
        Ok(text) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response(),
        Err(error) => {
            tracing::warn!("rendering the metrics: {error}");
            json_error(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::ServiceUnavailable, "The database is unavailable.")
        }
    }
}

/// The JSON error body of SPEC §2 for answers the server functions never see.
pub fn json_error(status: StatusCode, error: ErrorCode, message: &str) -> Response {
    (status, axum::Json(ErrorBody::plain(error, message))).into_response()
}

/// Every call passes here, once (one middleware, not several: each would copy the services
/// inside it on every request). Refusals come first ([`refusal`]); the answer then gets HSTS when
/// the request arrived over TLS, which lanyard only sees through a trusted proxy's
/// `X-Forwarded-Proto: https` (it does not terminate TLS itself).
pub(super) async fn gate(
    axum::extract::State(engine): axum::extract::State<Arc<Engine>>,
    mut request: Request<Body>,
    next: Next,
) -> Response {
    let peer = request.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
    let proto = request.headers().get("x-forwarded-proto").and_then(|proto| proto.to_str().ok());
    let over_tls = engine.policy().forwarded_over_tls(peer, proto);
    // An app's own handlers reach the engine through `SignedIn`, which names the session's user
    // in the slot for the answer.
    let session_user = SessionUserSlot::default();
    request.extensions_mut().insert(engine.clone());
    request.extensions_mut().insert(session_user.clone());
    let mut response = match refusal(&request, over_tls).or_else(|| admission(&engine, &request, peer)) {
        Some(refused) => refused,
        None => {
            let response = next.run(request).await;
            if response.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_json(&response) {
                too_large()
            } else {
                response
            }
        }
    };
    if let Some(user) = session_user.0.get().filter(|_| !response.headers().contains_key(HEADER_SESSION_USER)) {
        response.headers_mut().insert(HEADER_SESSION_USER, user.clone());
    }
    if over_tls {
        response
            .headers_mut()
            .insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    response
}

/// Where [`SignedIn`](super::SignedIn) leaves the session's user for the answer's
/// `X-Session-User` (SPEC §3), which an app's handler does not set itself.
#[derive(Clone, Default)]
pub(super) struct SessionUserSlot(Arc<std::sync::OnceLock<HeaderValue>>);

impl SessionUserSlot {
    /// Names the session's user; the first name wins.
    pub(super) fn set(&self, user: HeaderValue) {
        let _ = self.0.set(user);
    }
}

/// A request target without a path gets 400. On the API, bodies over the cap get 413 before they
/// are read, a POST whose `Origin` is another origin's gets 403 (the refresh cookie must not be
/// usable cross-site), and a refresh with a query string gets 400 before its cookie is read (a
/// token is only ever read from the cookie; one in a URL would sit in logs and histories).
fn refusal(request: &Request<Body>, over_tls: bool) -> Option<Response> {
    // An authority-form target (`CONNECT host:port`, also accepted after other methods) names no
    // path: lanyard is no proxy, and the page renderer would panic on it.
    if request.uri().path_and_query().is_none() {
        return Some(json_error(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, "The request target must be a path."));
    }
    if !request.uri().path().starts_with("/api/") {
        return None;
    }
    let declared_length = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared_length.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        return Some(too_large());
    }
    if request.method() == Method::POST && !same_origin(request, over_tls) {
        return Some(json_error(
            StatusCode::FORBIDDEN,
            ErrorCode::OriginMismatch,
            "Cross-site requests are not accepted.",
        ));
    }
    if request.uri().path() == Refresh::PATH && request.uri().query().is_some() {
        return Some(json_error(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "A refresh takes no query parameters: the refresh token is only read from its cookie.",
        ));
    }
    None
}

/// The calls that check a password, which a flooding address must not reach (SPEC §9).
const PASSWORD_PATHS: [&str; 6] =
    [Login::PATH, Reauth::PATH, ChangePassword::PATH, ConfirmPasswordReset::PATH, SignUp::PATH, AcceptInvitation::PATH];

/// A POST that would check a password is refused before its body is read when its address was
/// refused by the shared throttle lately (429), or the hashing queue is full (503): a flood costs
/// no more than this check ([`Engine::admits`]).
fn admission(engine: &Engine, request: &Request<Body>, peer: Option<std::net::IpAddr>) -> Option<Response> {
    if request.method() != Method::POST || !PASSWORD_PATHS.contains(&request.uri().path()) {
        return None;
    }
    let ip = client_ip(peer, request.headers(), engine.policy()).map(|ip| ip.to_string());
    let refused = engine.admits(Flow::Password, ip.as_deref()).err()?;
    let mut response = (answer::status(&refused), axum::Json(answer::body(&refused, "/"))).into_response();
    if let Some(secs) = answer::retry_after(&refused) {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    Some(response)
}

/// The 413 answer. The body is left unread, so the connection cannot carry another request: the
/// answer says so, and a client does not send its next request on a connection that is closing.
fn too_large() -> Response {
    let mut response =
        json_error(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge, "The request body is too large.");
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// A request without `Origin` comes from a non-browser client (browsers send it on every POST);
/// with one, it must be the origin the request was sent to: its scheme (`https` only when a trusted
/// proxy says the request came over TLS, since lanyard does not terminate TLS) and its host.
fn same_origin(request: &Request<Body>, over_tls: bool) -> bool {
    let Some(origin) = request.headers().get(header::ORIGIN) else { return true };
    let scheme = if over_tls { "https" } else { "http" };
    let host = request.headers().get(header::HOST).and_then(|h| h.to_str().ok());
    let origin = origin.to_str().ok().and_then(|o| o.split_once("://"));
    matches!((origin, host), (Some((origin_scheme, origin_host)), Some(host))
        if origin_scheme.eq_ignore_ascii_case(scheme) && origin_host.eq_ignore_ascii_case(host))
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}
