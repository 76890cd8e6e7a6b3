//! Every request gets an id (`X-Request-Id`: the one a trusted-looking client or proxy sent, else a
//! new UUID) that is echoed in the answer, carried by every log line the request writes (its tracing
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
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::{DefaultOnRequest, DefaultOnResponse, TraceLayer};
use tracing::Level;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest request id taken from a request; longer ones, or ones with other than `[A-Za-z0-9._-]`,
/// are replaced (they end up in logs).
const MAX_REQUEST_ID_CHARS: usize = 64;

/// Wraps `router` in the request-id and tracing layers (outermost first: drop an unusable incoming
/// id, set one, echo it, open the request's span, add it to error bodies).
pub fn traced<S: Clone + Send + Sync + 'static>(router: Router<S>, access_log: bool) -> Router<S> {
    let level = if access_log { Level::INFO } else { Level::DEBUG };
    let trace = TraceLayer::new_for_http()
        .make_span_with(|request: &Request<Body>| {
            let id = request.extensions().get::<RequestId>().and_then(|id| id.header_value().to_str().ok());
            tracing::info_span!("request", request_id = id.unwrap_or("-"), method = %request.method(), path = %request.uri().path())
        })
        .on_request(DefaultOnRequest::new().level(Level::DEBUG))
        .on_response(DefaultOnResponse::new().level(level));
    // One `layer` call, so the stack is one service (see `server::router`).
    router.layer(
        ServiceBuilder::new()
            .map_request(drop_unusable_request_id)
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(PropagateRequestIdLayer::new(REQUEST_ID))
            .layer(trace)
            .layer(middleware::from_fn(request_id_in_error_bodies)),
    )
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
    let id = request.extensions().get::<RequestId>().and_then(|id| id.header_value().to_str().ok()).map(str::to_owned);
    let response = next.run(request).await;
    let is_json_error = (response.status().is_client_error() || response.status().is_server_error())
        && response.headers().get(header::CONTENT_TYPE).is_some_and(|t| t.as_bytes().starts_with(b"application/json"));
    let Some(id) = id.filter(|_| is_json_error) else { return response };
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
