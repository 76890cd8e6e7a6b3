//! Every request gets an id (`X-Request-Id`: the one a trusted-looking client or proxy sent, else a
//! new one, unique across instances) that is echoed in the answer, carried by every log line the request writes (its tracing
//! span) and added to every JSON error body as `request_id`, so a user's report, the access log and
//! an `[AUTO-LOGOUT]` line can be matched. With `LANYARD_ACCESS_LOG=on` each answer is logged at info.

use super::edge::MAX_BODY_BYTES;
use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::{DefaultOnRequest, DefaultOnResponse, TraceLayer};
use tracing::Level;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest request id taken from a request; longer ones, or ones with other than `[A-Za-z0-9._-]`,
/// are replaced (they end up in logs).
const MAX_REQUEST_ID_CHARS: usize = 64;

/// Wraps `router` in the request-id and tracing layers (outermost first: drop an unusable incoming
/// id, set one, echo it, open the request's span, add it to error bodies).
///
/// The span is opened for every request, so it holds only what every line needs, the request id:
/// method and path join it only when the access log writes a line per request (the tracing
/// subscriber formats a span's fields as it opens, whether or not a line is ever written in it).
pub fn traced<S: Clone + Send + Sync + 'static>(router: Router<S>, access_log: bool) -> Router<S> {
    let level = if access_log { Level::INFO } else { Level::DEBUG };
    let trace = TraceLayer::new_for_http()
        .make_span_with(move |request: &Request<Body>| {
            let id = request.extensions().get::<RequestId>().and_then(|id| id.header_value().to_str().ok());
            let id = id.unwrap_or("-");
            match access_log {
                true => tracing::info_span!("request", request_id = id, method = %request.method(), path = %request.uri().path()),
                false => tracing::info_span!("request", request_id = id),
            }
        })
        .on_request(DefaultOnRequest::new().level(Level::DEBUG))
        .on_response(DefaultOnResponse::new().level(level));
    // One `layer` call, so the stack is one service (see `server::router`).
    router.layer(
        ServiceBuilder::new()
            .map_request(drop_unusable_request_id)
            .layer(SetRequestIdLayer::new(REQUEST_ID, ProcessRequestIds::new()))
            .layer(PropagateRequestIdLayer::new(REQUEST_ID))
            .layer(trace)
            .layer(middleware::from_fn(request_id_in_error_bodies)),
    )
}

/// New request ids: this process's random prefix and a counter (`3f9a1c2e5b7d4e60-1a2b`), unique
/// across instances and restarts as a UUID would be, without asking the system for randomness
/// for every request.
#[derive(Clone)]
struct ProcessRequestIds {
    prefix: std::sync::Arc<str>,
    next: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl ProcessRequestIds {
    fn new() -> Self {
        let prefix = uuid::Uuid::new_v4().simple().to_string()[..16].to_owned();
        Self { prefix: prefix.into(), next: Default::default() }
    }
}

impl MakeRequestId for ProcessRequestIds {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        HeaderValue::try_from(format!("{}-{n:x}", self.prefix)).ok().map(RequestId::new)
    }
}

fn usable(id: &HeaderValue) -> bool {
    let id = id.as_bytes();
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID_CHARS
        && id.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn drop_unusable_request_id(mut request: Request) -> Request {
    if request.headers().get_all(REQUEST_ID).iter().count() > 1
        || request.headers().get(REQUEST_ID).is_some_and(|id| !usable(id))
    {
        request.headers_mut().remove(REQUEST_ID);
    }
    request
}

/// Adds `request_id` to a JSON error body (SPEC §2's shape plus this one field).
async fn request_id_in_error_bodies(request: Request, next: Next) -> Response {
    // A copy of the header's shared bytes, not a new string: most answers are no error.
    let id = request.extensions().get::<RequestId>().map(|id| id.header_value().clone());
    let response = next.run(request).await;
    let is_json_error = (response.status().is_client_error() || response.status().is_server_error())
        && response.headers().get(header::CONTENT_TYPE).is_some_and(|t| t.as_bytes().starts_with(b"application/json"));
    let Some(id) = id.filter(|_| is_json_error).and_then(|id| id.to_str().ok().map(str::to_owned)) else {
        return response;
    };
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let Ok(serde_json::Value::Object(mut fields)) = serde_json::from_slice(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    fields.insert("request_id".into(), id.into());
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(serde_json::Value::Object(fields).to_string()))
}
