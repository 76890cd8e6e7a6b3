//! One API call on the wire, as plain values: the server functions' generated code builds an
//! [`ApiRequest`] (so it can be sent again after a refresh), [`exchange`] sends it with the headers
//! every call carries and a deadline, and hands back an [`ApiResponse`] whose error body always
//! decodes. [`Plain`] is the server-function client for the calls that carry credentials rather
//! than a bearer (sign-in, refresh, sign-out): their answers go to the caller as they come.

use crate::contract::{ErrorBody, ErrorCode, HEADER_PAGE_PATH, HEADER_SESSION_USER, HEADER_USER_IDLE};
use crate::session::activity;
use crate::session::context::{client, current_page};
use crate::session::rules::{Reply, lanyard_error};
use futures::Stream;
use http::Method;
use leptos::server_fn::Bytes;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::request::ClientReq;
use leptos::server_fn::response::ClientRes;
use std::future::Future;

pub use crate::session::rules::DEADLINE_MS;

/// A call's request: method, URL, content types and body.
#[derive(Clone, Debug)]
pub struct ApiRequest {
    /// The HTTP method, as the server function's input encoding gives it (GET for `GetUrl`, POST
    /// for `Json`).
    pub method: Method,
    /// The server function's path, with the query of a GET call's arguments.
    pub url: String,
    content_type: String,
    accepts: String,
    body: Option<String>,
}

impl ApiRequest {
    /// The server path of the call, without its query.
    pub fn path(&self) -> &str {
        self.url.split('?').next().unwrap_or_default()
    }
}

/// What came back: nothing at all, or a status, the session-user header and the body text.
#[derive(Clone, Debug)]
pub enum Exchange {
    /// No answer: the request could not be built or sent, the deadline passed, or the body was cut
    /// off. The detail goes into the error body's message.
    Lost(String),
    /// An answer arrived, whoever wrote it.
    Answered {
        /// The HTTP status.
        status: u16,
        /// `X-Session-User`: the user the server answered for, which the rules compare with the
        /// tab's (SESSION_USER_MISMATCH).
        session_user: Option<String>,
        /// The body as it came, for the server function's decoder.
        text: String,
        /// lanyard's error body, for an error answer that carries one ([`lanyard_error`]); `None`
        /// for a success and for anything a gateway or proxy wrote.
        error: Option<ErrorBody>,
    },
}

impl Exchange {
    /// The answer as the rules see it.
    pub fn reply(&self) -> Reply<'_> {
        match self {
            Self::Lost(_) => Reply::Lost,
            Self::Answered { status, session_user, error, .. } => {
                Reply::Answered { status: *status, body: error.as_ref(), session_user: session_user.as_deref() }
            }
        }
    }

    /// The HTTP status, if an answer arrived.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Lost(_) => None,
            Self::Answered { status, .. } => Some(*status),
        }
    }

    /// lanyard's error body, if the answer carried one: the ending's words and context come from
    /// it.
    pub fn error(&self) -> Option<&ErrorBody> {
        match self {
            Self::Lost(_) => None,
            Self::Answered { error, .. } => error.as_ref(),
        }
    }

    /// The answer for the server function's decoder. An error answer always carries an
    /// [`ErrorBody`]: the API's own, or one made from what arrived, so a proxy's HTML page or a lost
    /// network reaches the caller as a code, never as a decoding failure.
    pub fn into_response(self) -> ApiResponse {
        match self {
            Self::Lost(detail) => {
                ApiResponse::error(503, &ErrorBody::plain(ErrorCode::Unreachable, &format!("no answer: {detail}")))
            }
            Self::Answered { status, text, error, .. } => match (status, error) {
                (200..=399, _) => ApiResponse { status, body: text },
                (_, Some(error)) => ApiResponse::error(status, &error),
                (_, None) => ApiResponse::error(
                    status,
                    &ErrorBody::plain(
                        ErrorCode::UnreadableAnswer,
                        &format!("an answer the API did not write ({status})"),
                    ),
                ),
            },
        }
    }
}

/// A call's answer as the server function's decoder reads it.
#[derive(Clone, Debug)]
pub struct ApiResponse {
    status: u16,
    body: String,
}

impl ApiResponse {
    /// An error answer with `body`, for what the client decides in place of the server's answer
    /// (an ending, a lost network, a gateway's refusal), so the caller still decodes an
    /// [`ErrorBody`].
    pub fn error(status: u16, body: &ErrorBody) -> Self {
        Self { status, body: serde_json::to_string(body).unwrap_or_default() }
    }
}

/// Sends `request` once, with the bearer (if this tab holds a token), `X-Page-Path` and
/// `X-User-Idle`, and waits at most [`DEADLINE_MS`].
pub async fn exchange(request: &ApiRequest) -> Exchange {
    let abort = web_sys::AbortController::new().ok();
    let mut builder = gloo_net::http::RequestBuilder::new(&request.url)
        .method(request.method.clone())
        .header("Content-Type", &request.content_type)
        .header("Accept", &request.accepts)
        .header(HEADER_PAGE_PATH, &current_page())
        .header(HEADER_USER_IDLE, &activity::idle_secs().to_string())
        .abort_signal(abort.as_ref().map(|a| a.signal()).as_ref());
    if let Some(token) = client().access_token() {
        builder = builder.header("Authorization", &format!("Bearer {token}"));
    }
    let built = match &request.body {
        Some(body) => builder.body(body.clone()),
        None => builder.build(),
    };
    let built = match built {
        Ok(built) => built,
        Err(error) => return Exchange::Lost(error.to_string()),
    };
    // Dropping the timer (when the answer comes first) cancels it.
    let _deadline = abort.map(|abort| gloo_timers::callback::Timeout::new(DEADLINE_MS, move || abort.abort()));
    let response = match built.send().await {
        Ok(response) => response,
        Err(error) => return Exchange::Lost(error.to_string()),
    };
    let status = response.status();
    let session_user = response.headers().get(HEADER_SESSION_USER);
    let text = match response.text().await {
        Ok(text) => text,
        Err(error) => return Exchange::Lost(format!("the answer was cut off: {error}")),
    };
    let error = (status >= 400).then(|| lanyard_error(&text)).flatten();
    Exchange::Answered { status, session_user, text, error }
}

fn unsupported<E: FromServerFnError>(what: &str) -> E {
    E::from_server_fn_error(ServerFnErrorErr::Request(format!("{what} is not used by lanyard's API")))
}

impl<E: FromServerFnError> ClientReq<E> for ApiRequest {
    type FormData = ();

    fn try_new_req_query(
        path: &str,
        content_type: &str,
        accepts: &str,
        query: &str,
        method: Method,
    ) -> Result<Self, E> {
        let url = if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") };
        Ok(Self { method, url, content_type: content_type.into(), accepts: accepts.into(), body: None })
    }

    fn try_new_req_text(
        path: &str,
        content_type: &str,
        accepts: &str,
        body: String,
        method: Method,
    ) -> Result<Self, E> {
        Ok(Self {
            method,
            url: path.into(),
            content_type: content_type.into(),
            accepts: accepts.into(),
            body: Some(body),
        })
    }

    fn try_new_req_bytes(
        path: &str,
        content_type: &str,
        accepts: &str,
        body: Bytes,
        method: Method,
    ) -> Result<Self, E> {
        let body = String::from_utf8(body.to_vec()).map_err(|_| unsupported::<E>("a binary body"))?;
        Self::try_new_req_text(path, content_type, accepts, body, method)
    }

    fn try_new_req_form_data(_: &str, _: &str, _: &str, _: (), _: Method) -> Result<Self, E> {
        Err(unsupported("form data"))
    }

    fn try_new_req_multipart(_: &str, _: &str, _: (), _: Method) -> Result<Self, E> {
        Err(unsupported("multipart"))
    }

    fn try_new_req_streaming(
        _: &str,
        _: &str,
        _: &str,
        _: impl Stream<Item = Bytes> + Send + 'static,
        _: Method,
    ) -> Result<Self, E> {
        Err(unsupported("a streaming body"))
    }
}

impl<E: FromServerFnError + Send> ClientRes<E> for ApiResponse {
    fn try_into_string(self) -> impl Future<Output = Result<String, E>> + Send {
        std::future::ready(Ok(self.body))
    }

    fn try_into_bytes(self) -> impl Future<Output = Result<Bytes, E>> + Send {
        std::future::ready(Ok(Bytes::from(self.body)))
    }

    fn try_into_stream(self) -> Result<impl Stream<Item = Result<Bytes, Bytes>> + Send + Sync + 'static, E> {
        Ok(futures::stream::iter([Ok(Bytes::from(self.body))]))
    }

    fn status(&self) -> u16 {
        self.status
    }

    fn status_text(&self) -> String {
        String::new()
    }

    fn location(&self) -> String {
        String::new()
    }

    fn has_redirect(&self) -> bool {
        false
    }
}

/// Declares a server-function client whose requests go through `$send`; websockets and spawning
/// are the browser client's.
macro_rules! api_client {
    ($(#[$meta:meta])* $name:ident, $send:path) => {
        $(#[$meta])*
        pub struct $name;

        impl<E, IS, OS> ::leptos::server_fn::client::Client<E, IS, OS> for $name
        where
            E: ::leptos::server_fn::error::FromServerFnError + Send + Sync,
            IS: ::leptos::server_fn::error::FromServerFnError + Send + Sync,
            OS: ::leptos::server_fn::error::FromServerFnError + Send + Sync,
        {
            type Request = $crate::session::wire::ApiRequest;
            type Response = $crate::session::wire::ApiResponse;

            fn send(request: Self::Request) -> impl ::std::future::Future<Output = Result<Self::Response, E>> + Send {
                ::send_wrapper::SendWrapper::new(async move { Ok($send(request).await) })
            }

            #[allow(clippy::type_complexity)]
            fn open_websocket(
                path: &str,
            ) -> impl ::std::future::Future<
                Output = Result<
                    (impl ::futures::Stream<Item = Result<::leptos::server_fn::Bytes, ::leptos::server_fn::Bytes>> + Send + 'static, impl ::futures::Sink<::leptos::server_fn::Bytes> + Send + 'static),
                    E,
                >,
            > + Send {
                <::leptos::server_fn::client::browser::BrowserClient as ::leptos::server_fn::client::Client<E, IS, OS>>::open_websocket(path)
            }

            fn spawn(future: impl ::std::future::Future<Output = ()> + Send + 'static) {
                <::leptos::server_fn::client::browser::BrowserClient as ::leptos::server_fn::client::Client<E, IS, OS>>::spawn(future)
            }
        }
    };
}
pub(crate) use api_client;

async fn send_plain(request: ApiRequest) -> ApiResponse {
    exchange(&request).await.into_response()
}

api_client!(
    /// The client of the credential calls: one exchange, the answer as it came.
    Plain,
    send_plain
);
