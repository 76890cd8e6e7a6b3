//! The fault-injecting proxy in front of the instances: it answers a share of API calls with 403,
//! 402, 500 or 503 or a gateway's 401 page, drops connections, delays answers and cuts answers
//! after the server committed them, and remembers which calls it disturbed so that a failure can
//! be matched to the fault that caused it.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::response::Response;
use rand::Rng;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the proxy does to one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Fault {
    Forbidden,
    PaymentRequired,
    ServerError,
    Unavailable,
    Dropped,
    Delayed,
    CutAfterCommit,
    /// A gateway in front of lanyard (an SSO proxy, a captive portal) answers 401 with its own page.
    Gateway,
}

impl Fault {
    const ALL: [Fault; 8] = [
        Fault::Forbidden,
        Fault::PaymentRequired,
        Fault::ServerError,
        Fault::Unavailable,
        Fault::Dropped,
        Fault::Delayed,
        Fault::CutAfterCommit,
        Fault::Gateway,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Fault::Forbidden => "403",
            Fault::PaymentRequired => "402",
            Fault::ServerError => "500",
            Fault::Unavailable => "503",
            Fault::Dropped => "dropped connection",
            Fault::Delayed => "delayed answer",
            Fault::CutAfterCommit => "answer cut after commit",
            Fault::Gateway => "a gateway's 401 page",
        }
    }
}

/// The header a simulated client numbers its calls with, so a failure can be matched to a fault.
pub(crate) const SOAK_CALL: &str = "x-soak-call";

pub(crate) struct Proxy {
    pub(crate) upstreams: Vec<u16>,
    pub(crate) next: AtomicUsize,
    pub(crate) http: reqwest::Client,
    pub(crate) fault_percent: u32,
    pub(crate) injected: Mutex<BTreeMap<Fault, u64>>,
    /// Calls (by `x-soak-call`) the proxy disturbed.
    pub(crate) disturbed: Mutex<std::collections::HashSet<u64>>,
}

impl Proxy {
    fn pick_fault(&self, path: &str) -> Option<Fault> {
        if !path.starts_with("/api/") || path == "/api/auth/logout_event" {
            return None;
        }
        let mut rng = rand::rng();
        (rng.random_range(0..100) < self.fault_percent).then(|| Fault::ALL[rng.random_range(0..Fault::ALL.len())])
    }

    fn note(&self, fault: Fault, call: Option<u64>) {
        *self.injected.lock().unwrap().entry(fault).or_default() += 1;
        if let Some(call) = call {
            self.disturbed.lock().unwrap().insert(call);
        }
    }

    pub(crate) fn was_disturbed(&self, call: u64) -> bool {
        self.disturbed.lock().unwrap().contains(&call)
    }

    /// Sends the call to an upstream, the next one if an instance is down (as a load balancer would).
    async fn forward(&self, request: Request) -> Result<reqwest::Response, reqwest::Error> {
        let (parts, body) = request.into_parts();
        let body = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let mut last_error = None;
        for _ in 0..self.upstreams.len() * 2 {
            let upstream = self.upstreams[self.next.fetch_add(1, Ordering::Relaxed) % self.upstreams.len()];
            let mut outgoing = self.http.request(parts.method.clone(), format!("http://127.0.0.1:{upstream}{path}"));
            for (name, value) in &parts.headers {
                if name != "content-length" && name != "connection" {
                    outgoing = outgoing.header(name, value);
                }
            }
            match outgoing.body(body.clone()).send().await {
                Ok(response) => return Ok(response),
                Err(error) if error.is_connect() => {
                    last_error = Some(error);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => return Err(error),
            }
        }
        Err(last_error.expect("at least one attempt"))
    }
}

fn refusal(status: u16, body: serde_json::Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("a response")
}

/// What an SSO gateway in front of lanyard answers: its own sign-in page, with 401.
fn gateway_sign_in_page() -> Response {
    Response::builder()
        .status(401)
        .header("content-type", "text/html")
        .header("www-authenticate", "Bearer realm=\"gateway\"")
        .body(Body::from("<html><body><h1>Sign in to continue</h1></body></html>"))
        .expect("a response")
}

/// An answer whose body breaks off: the client sees the connection fail.
fn broken() -> Response {
    let failing = futures::stream::once(async { Err::<Bytes, std::io::Error>(std::io::Error::other("soak: cut")) });
    Response::builder().status(200).body(Body::from_stream(failing)).expect("a response")
}

pub(crate) async fn serve_proxied(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
    let call = request.headers().get(SOAK_CALL).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    let fault = proxy.pick_fault(request.uri().path());
    if let Some(fault) = fault {
        proxy.note(fault, call);
    }
    let plain =
        |code: &str, message: &str| serde_json::json!({ "error": code, "message": message, "logout_reason": null });
    match fault {
        Some(Fault::Forbidden) => return refusal(403, plain("FORBIDDEN", "the proxy refused")),
        Some(Fault::PaymentRequired) => {
            return refusal(402, serde_json::json!({ "logout_reason": "PLAN_INACTIVE", "logout_message": "proxy" }));
        }
        Some(Fault::ServerError) => return refusal(500, plain("INTERNAL", "the proxy failed")),
        Some(Fault::Unavailable) => return refusal(503, plain("SERVICE_UNAVAILABLE", "the proxy is busy")),
        Some(Fault::Dropped) => return broken(),
        Some(Fault::Gateway) => return gateway_sign_in_page(),
        Some(Fault::Delayed) => {
            let delay = Duration::from_millis(rand::rng().random_range(500..4_000));
            tokio::time::sleep(delay).await;
        }
        Some(Fault::CutAfterCommit) | None => {}
    }
    let Ok(upstream) = proxy.forward(request).await else {
        return refusal(502, plain("SERVICE_UNAVAILABLE", "no instance answers"));
    };
    let status = upstream.status();
    let headers = upstream.headers().clone();
    let Ok(body) = upstream.bytes().await else { return broken() };
    if fault == Some(Fault::CutAfterCommit) {
        return broken();
    }
    let mut response = Response::builder().status(status);
    for (name, value) in &headers {
        if name != "content-length" && name != "transfer-encoding" && name != "connection" {
            response = response.header(name, value);
        }
    }
    response.body(Body::from(body)).expect("a response")
}
