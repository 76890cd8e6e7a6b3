//! The request side of the server functions: what a call reads (bearer, cookie, page, IP) and how
//! it answers (status, headers, cookie, error body).

// The server functions' error type is the wire body itself (SPEC §2), returned by value.
#![allow(clippy::result_large_err)]

use super::answer;
use crate::contract::{
    ErrorBody, HEADER_PAGE_PATH, HEADER_SESSION_USER, HEADER_USER_IDLE, LoginAnswer, REFRESH_COOKIE,
    REFRESH_COOKIE_PATH, SignInAnswer,
};
use crate::engine::{Admin, AuthError, AuthResult, Engine, Issued, PlanCheck, Policy, Principal, RequestMeta, SignIn};
use crate::paths::logout_path;
use axum::extract::ConnectInfo;
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::{StatusCode, request::Parts};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The server-function call being served and its signed-in caller, judged in SPEC §2's guard
/// order up to the plan (checked or not, as `plan` says).
pub async fn signed_in(plan: PlanCheck) -> Result<(Call, Principal), ErrorBody> {
    let call = Call::current()?;
    let principal = call.authenticate(plan).await?;
    Ok((call, principal))
}

/// The call being served by an admin page's server function: signed in, the plan checked, then the
/// role (an owner or an admin), last in the guard order.
pub async fn admin() -> Result<(Call, Admin), ErrorBody> {
    let (call, principal) = signed_in(PlanCheck::Required).await?;
    let admin = call.answer(principal.admin())?;
    Ok((call, admin))
}

/// One server-function call: the engine, the request's headers and facts, and its response options.
pub struct Call {
    /// The engine the call is answered by: every rule lives there, the server function only
    /// reads and answers.
    pub engine: Arc<Engine>,
    /// What the engine records of the request (address, user agent, page, idle time), for the
    /// audit trail and the `logout_path` of error bodies.
    pub meta: RequestMeta,
    headers: HeaderMap,
    response: ResponseOptions,
    /// Whether the refresh cookie is `Secure`: configured so, or the request came over TLS.
    cookie_secure: bool,
}

impl Call {
    /// The server-function call being served. Fails only if the server was wired without the
    /// engine context.
    pub fn current() -> Result<Self, ErrorBody> {
        let (Some(engine), Some(parts), Some(response)) =
            (use_context::<Arc<Engine>>(), use_context::<Parts>(), use_context::<ResponseOptions>())
        else {
            return Err(answer::body(&AuthError::Internal("server function called without its context".into()), "/"));
        };
        Ok(Self::new(engine, parts, response))
    }

    /// A call from the request's parts, answering through `response`.
    pub(crate) fn new(engine: Arc<Engine>, parts: Parts, response: ResponseOptions) -> Self {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
        let policy = engine.policy();
        let ip = client_ip(peer, &parts.headers, policy).map(|ip| ip.to_string());
        let cookie_secure =
            policy.cookie_secure || policy.forwarded_over_tls(peer, header_str(&parts.headers, "x-forwarded-proto"));
        let meta = RequestMeta {
            ip,
            user_agent: header_str(&parts.headers, header::USER_AGENT).map(|ua| at_most(ua, 512)),
            page_path: page_path(&parts.headers),
            idle_secs: header_str(&parts.headers, HEADER_USER_IDLE)
                .and_then(|v| v.parse::<i64>().ok())
                .filter(|s| *s >= 0),
        };
        Self { engine, meta, headers: parts.headers, response, cookie_secure }
    }

    /// Turns an engine result into the answer: on error, the status, `Retry-After` and the safe body.
    pub fn answer<T>(&self, result: AuthResult<T>) -> Result<T, ErrorBody> {
        result.map_err(|error| {
            match &error {
                AuthError::Internal(detail) => tracing::error!(path = %self.meta.page_path, "internal error: {detail}"),
                AuthError::Unavailable(detail) => tracing::warn!("database unavailable: {detail}"),
                _ => {}
            }
            self.response.set_status(answer::status(&error));
            if let Some(secs) = answer::retry_after(&error) {
                self.response.insert_header(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            answer::body(&error, &self.meta.page_path)
        })
    }

    /// Authenticates the bearer token and marks the answer with the session's user.
    /// A plan refusal (402) passed authentication too, so it is marked as well.
    pub async fn authenticate(&self, plan: PlanCheck) -> Result<Principal, ErrorBody> {
        let result = self.engine.authenticate(self.bearer(), plan, &self.meta).await;
        match &result {
            Ok(principal) => self.set_session_user(&principal.user.id),
            Err(AuthError::Logout { code, context }) if !code.ends_session() => {
                if let Some(user_id) = &context.user_id {
                    self.set_session_user(user_id);
                }
            }
            Err(_) => {}
        }
        self.answer(result)
    }

    /// The access token of the `Authorization` header, if it holds exactly one bearer
    /// ([`bearer_token`]).
    pub fn bearer(&self) -> Option<&str> {
        bearer_token(&self.headers)
    }

    /// Every refresh cookie the request carries ([`refresh_cookie_values`]): the engine, not the
    /// order of the header, decides which one is live.
    pub(crate) fn refresh_cookies(&self) -> Vec<String> {
        refresh_cookie_values(&self.headers)
    }

    /// Sets the answer's status for a success that is not a plain 200 (the logout event's 204); a
    /// number that is no status leaves 200.
    pub fn set_status(&self, status: u16) {
        self.response.set_status(StatusCode::from_u16(status).unwrap_or(StatusCode::OK));
    }

    /// Token answers are never cached.
    pub fn no_store(&self) {
        self.response.insert_header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }

    fn set_session_user(&self, user_id: &str) {
        if let Ok(value) = HeaderValue::from_str(user_id) {
            self.response.insert_header(HeaderName::from_static(HEADER_SESSION_USER), value);
        }
    }

    /// Everything a login or refresh answer carries besides its body.
    pub(crate) fn set_tokens(&self, issued: &Issued) {
        self.no_store();
        self.set_session_user(&issued.user_id);
        self.set_refresh_cookie(issued.refresh_token.expose(), issued.refresh_max_age());
    }

    /// The answer to a first step (a password, a reset): signed in, with the tokens set, or the
    /// second factor asked for, with no cookie and no `X-Session-User`.
    pub(crate) fn sign_in_answer(&self, signed_in: SignIn) -> SignInAnswer {
        match signed_in {
            SignIn::Done(issued, user) => {
                self.set_tokens(&issued);
                SignInAnswer::SignedIn(LoginAnswer { token: issued.token, user, recovery_codes_left: None })
            }
            SignIn::SecondFactor(required) => {
                self.no_store();
                SignInAnswer::MfaRequired(required)
            }
        }
    }

    /// Expires the refresh cookie in the browser once the session it names has ended (a sign-out,
    /// "Sign out everywhere", this session ended from the sessions page).
    pub(crate) fn clear_refresh_cookie(&self) {
        self.set_refresh_cookie("", 0);
    }

    fn set_refresh_cookie(&self, value: &str, max_age: i64) {
        let cookie = cookie::Cookie::build((REFRESH_COOKIE, value))
            .path(REFRESH_COOKIE_PATH)
            .http_only(true)
            .same_site(cookie::SameSite::Strict)
            .secure(self.cookie_secure)
            .max_age(cookie::time::Duration::seconds(max_age))
            .build();
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            self.response.append_header(header::SET_COOKIE, value);
        }
    }
}

/// Serves a GET server function outside server-function dispatch, for the hottest paths: the
/// same function answers (`call`), with the same JSON body, status and headers, and without the
/// dispatcher's per-call reactive owner, context and copies of the request. The server function
/// stays the typed client's way in, so the two cannot drift apart.
pub(crate) async fn direct<T, F>(
    engine: Arc<Engine>,
    parts: Parts,
    call: impl FnOnce(Call) -> F,
) -> axum::response::Response
where
    T: serde::Serialize,
    F: std::future::Future<Output = Result<T, ErrorBody>>,
{
    let response = ResponseOptions::default();
    let path = parts.uri.path().to_owned();
    let answered = call(Call::new(engine, parts, response.clone())).await;
    let (default_status, body) = match &answered {
        Ok(value) => (StatusCode::OK, serde_json::to_vec(value)),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, serde_json::to_vec(error)),
    };
    let mut answer = axum::response::Response::new(axum::body::Body::from(body.unwrap_or_default()));
    let options = response.0.read().unwrap_or_else(std::sync::PoisonError::into_inner);
    *answer.status_mut() = options.status.unwrap_or(default_status);
    let headers = answer.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if answered.is_err()
        && let Ok(path) = HeaderValue::from_str(&path)
    {
        // What the dispatcher marks its error answers with.
        headers.insert(HeaderName::from_static(leptos::server_fn::error::SERVER_FN_ERROR_HEADER), path);
    }
    for (name, value) in &options.headers {
        headers.append(name, value.clone());
    }
    answer
}

/// The client's address: the peer's, or, when the peer is a trusted proxy, the nearest address in
/// `X-Forwarded-For` that is not itself a trusted proxy (addresses further left can be forged).
pub(crate) fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, policy: &Policy) -> Option<IpAddr> {
    let peer = peer?;
    if !policy.trusts(peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|address| address.trim().parse().ok())
        .collect();
    Some(forwarded.into_iter().rev().find(|ip| !policy.trusts(*ip)).unwrap_or(peer))
}

/// The access token of `Authorization: Bearer <token>`. Two `Authorization` headers are ambiguous and
/// give none (the call is then unauthenticated, 401), as does any other scheme.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let (Some(value), None) = (values.next(), values.next()) else { return None };
    value.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

/// Every `lanyard_refresh` cookie the request carries, in order: a browser can hold stale ones
/// (set for another path or subdomain), and the engine picks the live one.
pub fn refresh_cookie_values(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .filter(|cookie| cookie.name() == REFRESH_COOKIE)
        .map(|cookie| cookie.value().to_owned())
        .collect()
}

fn header_str(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// The page a call came from, for `logout_path`: `X-Page-Path`, else the Referer's path.
pub(crate) fn page_path(headers: &HeaderMap) -> String {
    let from_referer = || {
        let after_scheme = header_str(headers, header::REFERER)?.split_once("://")?.1;
        Some(after_scheme.find('/').map_or("/", |slash| &after_scheme[slash..]))
    };
    let raw = header_str(headers, HEADER_PAGE_PATH).or_else(from_referer).unwrap_or("/");
    logout_path(&at_most(raw, 2048))
}

/// `text`, cut to its first `chars` characters. Every request's user agent and page pass here, and
/// nearly all are shorter than the cut: those are copied whole, not counted character by character.
fn at_most(text: &str, chars: usize) -> String {
    if text.len() <= chars {
        return text.to_owned();
    }
    text.chars().take(chars).collect()
}

/// Sets the status for errors raised by the server-function framework itself (undecodable input).
pub(crate) fn set_status_for_framework_error(bad_input: bool, error: &leptos::server_fn::error::ServerFnErrorErr) {
    if bad_input {
        // The decoder's message can quote the input (a password in the wrong field): never logged.
        tracing::debug!("undecodable request body");
    } else {
        tracing::error!("server function error: {error}");
    }
    if let Some(response) = use_context::<ResponseOptions>() {
        response.set_status(if bad_input { StatusCode::BAD_REQUEST } else { StatusCode::INTERNAL_SERVER_ERROR });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (HeaderName::from_static(k), HeaderValue::from_str(v).unwrap())).collect()
    }

    #[test]
    fn long_texts_are_cut_by_characters_and_short_ones_kept_whole() {
        assert_eq!(at_most("Firefox/128", 512), "Firefox/128");
        assert_eq!(at_most("ééé", 2), "éé", "characters, not bytes");
        assert_eq!(at_most("abc", 3), "abc");
        assert_eq!(at_most(&"x".repeat(600), 512).len(), 512);
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let policy = Policy { trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()], ..Policy::default() };
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let inner_proxy: IpAddr = "10.1.2.3".parse().unwrap();
        let peer: IpAddr = "203.0.113.9".parse().unwrap();
        let forwarded = headers(&[("x-forwarded-for", "1.1.1.1, 198.51.100.7, 10.1.2.3")]);
        assert_eq!(client_ip(Some(peer), &forwarded, &policy), Some(peer));
        assert_eq!(client_ip(Some(proxy), &forwarded, &policy), Some("198.51.100.7".parse().unwrap()));
        assert_eq!(client_ip(Some(proxy), &headers(&[]), &policy), Some(proxy));
        assert!(policy.trusts(inner_proxy), "a range, not one address");
        assert!(policy.forwarded_over_tls(Some(proxy), Some("https")));
        assert!(!policy.forwarded_over_tls(Some(peer), Some("https")), "only a trusted proxy says so");
        assert!(!policy.forwarded_over_tls(Some(proxy), Some("http")));
    }

    #[test]
    fn the_page_path_comes_from_the_header_then_the_referer() {
        assert_eq!(page_path(&headers(&[("x-page-path", "/jobs?x=1")])), "/jobs?x=1");
        assert_eq!(page_path(&headers(&[("referer", "http://127.0.0.1:3000/billing")])), "/billing");
        assert_eq!(page_path(&headers(&[])), "/");
    }

    #[test]
    fn the_sign_in_page_is_never_the_path() {
        assert_eq!(page_path(&headers(&[("x-page-path", "/signin?next=%2Fjobs")])), "/jobs");
        assert_eq!(page_path(&headers(&[("x-page-path", "/signin")])), "/");
        assert_eq!(page_path(&headers(&[("x-page-path", "/signin?next=//evil.example")])), "/");
        assert_eq!(page_path(&headers(&[("x-page-path", "https://evil.example/")])), "/");
    }
}
