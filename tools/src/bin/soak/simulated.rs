//! The simulated browsers: several tabs sharing one cookie and, by broadcast, one access token,
//! one refresh at a time under a lock with a deadline. They decide with the pure client rules of
//! `lanyard::session::rules`, so that they end a session exactly when the real client would, and many
//! of them cost little. Every ending a browser meets goes to the ledger, which judges it.

use crate::ledger::World;
use crate::proxy::SOAK_CALL;
use crate::{ACCESS_TTL, DEADLINE, PASSWORD};
use lanyard::contract::{ErrorBody, HEADER_SESSION_USER, LogoutCode, REFRESH_COOKIE, TokenInfo};
use lanyard::session::rules::{self, CallKind, Reply, Verdict};
use rand::Rng;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Mutex as AsyncMutex;

/// What a browser holds: the cookie its tabs share, and the access token they share by broadcast.
#[derive(Default)]
pub(crate) struct Held {
    cookie: Option<String>,
    access: Option<String>,
    access_expires_at: i64,
    user_id: Option<String>,
}

pub(crate) struct Browser {
    pub(crate) email: String,
    pub(crate) held: Mutex<Held>,
    pub(crate) lock: AsyncMutex<()>,
}

/// The refresh cookie an answer sets, as the browser's cookie jar would keep it.
fn refresh_cookie(response: &reqwest::Response) -> Option<String> {
    let set = response.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok());
    set.filter_map(|v| v.split(';').next()?.strip_prefix(REFRESH_COOKIE)?.strip_prefix('=')).next().map(str::to_owned)
}

/// One answer as the client rules see it.
struct Answered {
    status: u16,
    session_user: Option<String>,
    set_cookie: Option<String>,
    text: String,
}

impl Answered {
    /// lanyard's error body, as the browser reads it: a gateway's page or JSON is none.
    fn error(&self) -> Option<ErrorBody> {
        (self.status >= 300).then(|| rules::lanyard_error(&self.text)).flatten()
    }
}

enum Renewed {
    Ok,
    Ended(LogoutCode),
    Failed,
}

impl Browser {
    async fn send(&self, world: &World, method: reqwest::Method, path: &str) -> (u64, Option<Answered>) {
        let call = world.next_call.fetch_add(1, Ordering::Relaxed);
        let (access, cookie) = {
            let held = self.held.lock().unwrap();
            (held.access.clone(), held.cookie.clone())
        };
        let mut request = world.http.request(method, format!("{}{path}", world.base)).header(SOAK_CALL, call);
        request = request.header("origin", &world.base).header("x-page-path", "/").header("x-user-idle", "0");
        if let Some(access) = access.filter(|_| path != "/api/auth/refresh") {
            request = request.bearer_auth(access);
        }
        if let Some(cookie) = cookie.filter(|_| path.starts_with("/api/auth/")) {
            request = request.header("cookie", format!("{REFRESH_COOKIE}={cookie}"));
        }
        let request = if path.starts_with("/api/auth/") && path != "/api/auth/sessions" {
            request.json(&serde_json::json!({}))
        } else {
            request
        };
        let Ok(response) = request.send().await else { return (call, None) };
        let status = response.status().as_u16();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let session_user = header(HEADER_SESSION_USER);
        let set_cookie = refresh_cookie(&response);
        let Ok(text) = response.text().await else { return (call, None) };
        (call, Some(Answered { status, session_user, set_cookie, text }))
    }

    fn reply<'a>(answer: &'a Option<Answered>, error: &'a Option<ErrorBody>) -> Reply<'a> {
        match answer {
            None => Reply::Lost,
            Some(a) => {
                Reply::Answered { status: a.status, body: error.as_ref(), session_user: a.session_user.as_deref() }
            }
        }
    }

    fn signed_in_user(&self) -> Option<String> {
        self.held.lock().unwrap().user_id.clone()
    }

    /// One refresh at a time across this browser's tabs; a tab that waited finds the token another
    /// tab got. The lock is waited for at most the call deadline.
    async fn refresh(&self, world: &World, before: Option<String>) -> Renewed {
        let _guard = tokio::time::timeout(DEADLINE, self.lock.lock()).await.ok();
        if self.held.lock().unwrap().access != before {
            return Renewed::Ok;
        }
        let started = Instant::now();
        let (call, answer) = self.send(world, reqwest::Method::POST, "/api/auth/refresh").await;
        let error = answer.as_ref().and_then(Answered::error);
        let signed_in = self.signed_in_user();
        match rules::classify(CallKind::Refresh, Self::reply(&answer, &error), signed_in.as_deref(), 0) {
            Verdict::Answer => {
                let answer = answer.expect("an answer");
                let Ok(token) = serde_json::from_str::<TokenInfo>(&answer.text) else { return Renewed::Failed };
                let mut held = self.held.lock().unwrap();
                held.access = Some(token.access_token.expose().to_owned());
                held.access_expires_at = token.access_expires_at;
                if let Some(cookie) = answer.set_cookie {
                    held.cookie = Some(cookie);
                }
                if held.user_id.is_none() {
                    held.user_id = answer.session_user;
                }
                // A refresh the proxy delayed says nothing about lanyard: it counts only undisturbed.
                if world.proxy.was_disturbed(call) {
                    world.figures.refresh_ok_disturbed.fetch_add(1, Ordering::Relaxed);
                } else {
                    world.figures.refresh_ok.fetch_add(1, Ordering::Relaxed);
                    world.figures.refresh_ms.lock().unwrap().push(started.elapsed().as_secs_f64() * 1_000.0);
                }
                Renewed::Ok
            }
            Verdict::Ended(code, _) => Renewed::Ended(code),
            _ => {
                let disturbed = world.proxy.was_disturbed(call) || world.disturbed();
                let counter = if disturbed {
                    &world.figures.refresh_failed_disturbed
                } else {
                    eprintln!(
                        "soak: a refresh of {} failed outside any injected fault: {:?}",
                        self.email,
                        answer.as_ref().map(|a| (a.status, a.text.chars().take(200).collect::<String>()))
                    );
                    &world.figures.refresh_failed_undisturbed
                };
                counter.fetch_add(1, Ordering::Relaxed);
                Renewed::Failed
            }
        }
    }

    /// One authenticated call with the client's rules: renew and retry at most twice; an ending is
    /// the browser's logout.
    async fn call(&self, world: &World, path: &str) -> Option<LogoutCode> {
        let mut renewals = 0;
        loop {
            let access = self.held.lock().unwrap().access.clone();
            let (_, answer) = self.send(world, reqwest::Method::GET, path).await;
            let error = answer.as_ref().and_then(Answered::error);
            let signed_in = self.signed_in_user();
            let verdict =
                rules::classify(CallKind::Authenticated, Self::reply(&answer, &error), signed_in.as_deref(), renewals);
            world.figures.count(&format!("{verdict:?}"));
            match verdict {
                Verdict::RefreshThenRetry => match self.refresh(world, access).await {
                    Renewed::Ok => renewals += 1,
                    Renewed::Ended(code) => return Some(code),
                    Renewed::Failed => return None,
                },
                Verdict::Ended(code, _) => return Some(code),
                _ => return None,
            }
        }
    }

    /// Signs in (again), retrying what the proxy or a restart disturbs, and waiting out a suspension.
    pub(crate) async fn sign_in(&self, world: &World) {
        while world.running.load(Ordering::Relaxed) {
            let body = serde_json::json!({ "email": self.email, "password": PASSWORD, "remember_me": false });
            let request = world.http.post(format!("{}/api/auth/login", world.base)).header("origin", &world.base);
            if let Ok(response) = request.json(&body).send().await {
                let cookie = refresh_cookie(&response);
                if response.status() == 200
                    && let (Some(cookie), Ok(answer)) =
                        (cookie, response.json::<lanyard::contract::LoginAnswer>().await)
                {
                    *self.held.lock().unwrap() = Held {
                        cookie: Some(cookie),
                        access: Some(answer.token.access_token.expose().to_owned()),
                        access_expires_at: answer.token.access_expires_at,
                        user_id: Some(answer.user.id),
                    };
                    world.figures.sign_ins.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Changes the password (to the same one, so a later sign-in still works) and loses the
    /// answer: the browser keeps the cookie and access token it had, as when the connection breaks
    /// after the change committed, and its next refresh comes only after the grace window, as
    /// after a laptop's sleep. The session is the user's own and must go on (SPEC §3, §4).
    pub(crate) async fn change_password_losing_the_answer(&self, world: &World) {
        let _guard = tokio::time::timeout(DEADLINE, self.lock.lock()).await.ok();
        let body = serde_json::json!({ "current_password": PASSWORD, "new_password": PASSWORD });
        let Some(access) = self.held.lock().unwrap().access.clone() else { return };
        let request = world.http.post(format!("{}/api/auth/password", world.base)).header("origin", &world.base);
        let request = request.header(SOAK_CALL, world.next_call.fetch_add(1, Ordering::Relaxed));
        drop(request.bearer_auth(access).json(&body).send().await);
        world.figures.password_changes_lost.fetch_add(1, Ordering::Relaxed);
        // The refresh lock is held past the server's grace window (10 s): no tab refreshes before.
        tokio::time::sleep(Duration::from_secs(11)).await;
    }

    /// Another user signs in in this browser: the cookie its tabs share is now theirs, while the
    /// tabs still hold this user's access token. The next refresh is answered for the other user,
    /// and this user's session ends as SESSION_USER_MISMATCH (SPEC §4), which the ledger expects.
    pub(crate) async fn another_user_signs_in_here(&self, world: &World, other: &str) {
        if self.held.lock().unwrap().access.is_none() {
            return;
        }
        let body = serde_json::json!({ "email": other, "password": PASSWORD, "remember_me": false });
        let request = world.http.post(format!("{}/api/auth/login", world.base)).header("origin", &world.base);
        let Ok(response) = request.json(&body).send().await else { return };
        let Some(cookie) = refresh_cookie(&response).filter(|_| response.status() == 200) else { return };
        world.ledger.cause(&self.email, LogoutCode::SessionUserMismatch, None);
        self.held.lock().unwrap().cookie = Some(cookie);
    }

    /// A tab answered for another user ends its own session with its bearer, as the browser does,
    /// keeping the other user's cookie.
    async fn end_own_session(&self, world: &World) {
        let Some(access) = self.held.lock().unwrap().access.clone() else { return };
        let request = world.http.post(format!("{}/api/auth/logout", world.base)).header("origin", &world.base);
        let body = serde_json::json!({ "reason": "SESSION_USER_MISMATCH" });
        drop(request.bearer_auth(access).json(&body).send().await);
    }

    async fn ended(&self, world: &World, code: LogoutCode) {
        world.ledger.ended(&self.email, code);
        if code == LogoutCode::SessionUserMismatch {
            world.ledger.close(&self.email, code);
            self.end_own_session(world).await;
        }
        *self.held.lock().unwrap() = Held::default();
        tokio::time::sleep(Duration::from_millis(500)).await;
        self.sign_in(world).await;
    }

    /// A tab: calls now and then; the first tab also watches the token's expiry, as the monitor does.
    pub(crate) async fn tab(self: Arc<Self>, world: Arc<World>, monitor: bool) {
        while world.running.load(Ordering::Relaxed) {
            let pause = rand::rng().random_range(300..1_500);
            tokio::time::sleep(Duration::from_millis(pause)).await;
            if self.held.lock().unwrap().access.is_none() {
                continue;
            }
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
            let (access, expires_at) = {
                let held = self.held.lock().unwrap();
                (held.access.clone(), held.access_expires_at)
            };
            let ending = if monitor && expires_at - now <= (ACCESS_TTL / 5).max(1) {
                match self.refresh(&world, access).await {
                    Renewed::Ended(code) => Some(code),
                    Renewed::Ok | Renewed::Failed => None,
                }
            } else {
                let path = if rand::rng().random_range(0..4) == 0 { "/api/auth/sessions" } else { "/api/auth/me" };
                self.call(&world, path).await
            };
            if let Some(code) = ending {
                // One tab notices; the others share the ending (the broadcast).
                if self.held.lock().unwrap().access.is_some() {
                    self.ended(&world, code).await;
                }
            }
        }
    }
}
