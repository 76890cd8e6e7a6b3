//! The signed-in user in an app's own axum handlers: [`SignedIn`], an extractor judged exactly as
//! lanyard's server functions are, whose answers carry `X-Session-User` like theirs.

use super::edge::SessionUserSlot;
use crate::api::serve::Call;
use crate::contract::{HEADER_SESSION_USER, UserView};
use crate::engine::{Engine, PlanCheck};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use leptos_axum::ResponseOptions;
use std::sync::Arc;

/// The signed-in user of the request: the bearer judged in SPEC §2's guard order, the plan checked.
/// Without a session (or with a refused one) the handler never runs, and the answer is lanyard's
/// 401 or 402 body, which lanyard's transport understands. The handler's answer carries
/// `X-Session-User`. It works on routes given to [`Server::router_with`](super::Server::router_with).
///
/// ```no_run
/// use lanyard::server::SignedIn;
///
/// async fn hello(SignedIn(user): SignedIn) -> String {
///     format!("Hello, {}", user.email)
/// }
/// let routes: axum::Router<leptos::config::LeptosOptions> =
///     axum::Router::new().route("/hello.txt", axum::routing::get(hello));
/// ```
pub struct SignedIn(pub UserView);

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Response> {
        let Some(engine) = parts.extensions.get::<Arc<Engine>>().cloned() else {
            return Err(super::edge::json_error(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                crate::contract::ErrorCode::Internal,
                "This route is outside lanyard's router.",
            ));
        };
        let answer = ResponseOptions::default();
        let call = Call::new(engine, parts.clone(), answer.clone());
        let judged = call.authenticate(PlanCheck::Required).await;
        let answered = answer.0.read().map(|parts| parts.clone()).unwrap_or_default();
        let session_user = answered.headers.get(HEADER_SESSION_USER).cloned();
        if let (Some(user), Some(slot)) = (&session_user, parts.extensions.get::<SessionUserSlot>()) {
            slot.set(user.clone());
        }
        match judged {
            Ok(principal) => Ok(Self(principal.user)),
            Err(body) => {
                let status = answered.status.unwrap_or(axum::http::StatusCode::UNAUTHORIZED);
                let mut response = (status, axum::Json(body)).into_response();
                response.headers_mut().extend(answered.headers);
                Err(response)
            }
        }
    }
}
