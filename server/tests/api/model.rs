//! A model-based test of the promise: random sequences of what users, their tabs and an operator do
//! (sign-in, refresh with the newest or the previous token, two refreshes at once on two instances,
//! sign-outs, revocation, password changes (some whose answer is lost), another user signing in in
//! a device's browser, suspension, plan changes, clock steps past the grace
//! window, an access-token lifetime and a session lifetime, instance restarts) run against two real
//! instances on one database, beside a model of what SPEC §1 says must happen. After every step:
//!
//! - P1: a session has ended exactly when the model says, with the model's code;
//! - P2: once an ending has committed, neither instance accepts that session's tokens;
//! - P3: a client that uses only what it was last given (or the token before it, within the rule of
//!   SPEC §1) is never signed out: every such call is answered as the model says;
//! - P4: a session has at most one unused refresh token.
//!
//! `LANYARD_MODEL_CASES` sets the number of cases per database (default 32).

use crate::helpers::{Answer, Db, PASSWORD, TestApp, TestDb, eventually, spawn_on};
use lanyard::contract::{AccountStatus, LogoutCode, PlanStatus};
use lanyard::engine::{AccountChange, Policy};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

const EMAIL: &str = "ada@example.com";
/// A user of another account, who signs in in one of the devices' browsers.
const OTHER_EMAIL: &str = "bob@example.com";
const OTHER_PASSWORD: &str = "another long passphrase";
const MAX_DEVICES: usize = 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Instance {
    First,
    Second,
}

#[derive(Clone, Debug)]
enum Op {
    SignIn,
    Refresh {
        device: usize,
        on: Instance,
        previous: bool,
    },
    /// The same token on both instances at once (two tabs, round-robin).
    RefreshTwice {
        device: usize,
    },
    Me {
        device: usize,
        on: Instance,
    },
    SignOut {
        device: usize,
    },
    LogoutAll {
        device: usize,
        keep_current: bool,
    },
    Revoke {
        device: usize,
        target: usize,
    },
    /// A password change; with `answer_lost`, the change commits and its answer (the new cookie and
    /// access token) never reaches the device.
    ChangePassword {
        device: usize,
        answer_lost: bool,
    },
    /// Another user signs in in the device's browser, so the cookie its tabs share is now theirs.
    AnotherUserSignsInHere {
        device: usize,
    },
    Account(AccountStatus),
    Plan(PlanStatus),
    Advance(i64),
    Restart(Instance),
}

fn op() -> impl Strategy<Value = Op> {
    let device = 0..MAX_DEVICES;
    let on = prop_oneof![Just(Instance::First), Just(Instance::Second)];
    prop_oneof![
        3 => Just(Op::SignIn),
        6 => (device.clone(), on.clone(), any::<bool>())
            .prop_map(|(device, on, previous)| Op::Refresh { device, on, previous }),
        2 => device.clone().prop_map(|device| Op::RefreshTwice { device }),
        4 => (device.clone(), on.clone()).prop_map(|(device, on)| Op::Me { device, on }),
        1 => device.clone().prop_map(|device| Op::SignOut { device }),
        1 => (device.clone(), any::<bool>()).prop_map(|(device, keep_current)| Op::LogoutAll { device, keep_current }),
        1 => (device.clone(), device.clone()).prop_map(|(device, target)| Op::Revoke { device, target }),
        1 => (device.clone(), any::<bool>()).prop_map(|(device, answer_lost)| Op::ChangePassword { device, answer_lost }),
        1 => device.prop_map(|device| Op::AnotherUserSignsInHere { device }),
        1 => prop_oneof![Just(AccountStatus::Suspended), Just(AccountStatus::Active)].prop_map(Op::Account),
        1 => prop_oneof![Just(PlanStatus::Inactive), Just(PlanStatus::Active)].prop_map(Op::Plan),
        3 => {
            let policy = Policy::default();
            prop_oneof![Just(1), Just(policy.refresh_grace + 1), Just(policy.access_ttl), Just(policy.session_ttl)]
                .prop_map(Op::Advance)
        },
        1 => on.prop_map(Op::Restart),
    ]
}

/// One browser (its tabs share the cookie) as the model sees it.
#[derive(Clone, Debug)]
struct Device {
    session_id: String,
    access: String,
    access_expires_at: i64,
    newest: String,
    /// The token before `newest`, retired by a rotation or a password change: its successor is the
    /// device's newest token, which the device has not used, so SPEC §1 answers it again with that.
    previous: Option<String>,
    expires_at: i64,
    ended: Option<LogoutCode>,
}

/// What SPEC §1 says the world is.
#[derive(Debug)]
struct Model {
    now: i64,
    password: &'static str,
    suspended: bool,
    plan_active: bool,
    devices: Vec<Device>,
}

impl Model {
    /// What the next call of a device's session meets, judged in the guard's order; ends the session
    /// in the model where the call ends it.
    fn judge(&mut self, device: usize) -> Result<(), LogoutCode> {
        let (now, suspended) = (self.now, self.suspended);
        let device = &mut self.devices[device];
        if let Some(code) = device.ended {
            return Err(code);
        }
        let ending = if now >= device.expires_at {
            LogoutCode::SessionExpired
        } else if suspended {
            LogoutCode::AccountSuspended
        } else {
            return Ok(());
        };
        device.ended = Some(ending);
        Err(ending)
    }

    /// Ends every session not ended yet but `except` with `code`; returns how many.
    fn end_others(&mut self, except: Option<usize>, code: LogoutCode) -> u64 {
        let mut ended = 0;
        for (index, device) in self.devices.iter_mut().enumerate() {
            if Some(index) != except && device.ended.is_none() {
                device.ended = Some(code);
                ended += 1;
            }
        }
        ended
    }
}

/// The two instances on one database, and their database.
struct World {
    db: Arc<TestDb>,
    first: TestApp,
    second: TestApp,
    model: Model,
}

impl World {
    async fn start(db: Db) -> Self {
        let db = Arc::new(TestDb::create(db).await);
        let first = following(spawn_on(db.clone(), |_| {}).await).await;
        let second = following(spawn_on(db.clone(), |_| {}).await).await;
        first.create_user(EMAIL).await;
        let other = first.engine.create_user(OTHER_EMAIL, PASSWORD, lanyard::contract::Role::Owner, "elsewhere").await;
        other.expect("the other user is created");
        let now = first.clock_now();
        let model = Model { now, password: PASSWORD, suspended: false, plan_active: true, devices: Vec::new() };
        Self { db, first, second, model }
    }

    fn app(&self, on: Instance) -> &TestApp {
        match on {
            Instance::First => &self.first,
            Instance::Second => &self.second,
        }
    }

    async fn run(&mut self, op: &Op) {
        let before: Vec<Option<LogoutCode>> = self.model.devices.iter().map(|d| d.ended).collect();
        match *op {
            Op::SignIn => self.sign_in().await,
            Op::Refresh { device, on, previous } => self.refresh(device, on, previous).await,
            Op::RefreshTwice { device } => self.refresh_twice(device).await,
            Op::Me { device, on } => self.me(device, on).await,
            Op::SignOut { device } => self.sign_out(device).await,
            Op::LogoutAll { device, keep_current } => self.logout_all(device, keep_current).await,
            Op::Revoke { device, target } => self.revoke(device, target).await,
            Op::ChangePassword { device, answer_lost } => self.change_password(device, answer_lost).await,
            Op::AnotherUserSignsInHere { device } => self.another_user_signs_in_here(device).await,
            Op::Account(status) => self.change_account(AccountChange::Status(status)).await,
            Op::Plan(plan) => self.change_account(AccountChange::Plan(plan)).await,
            Op::Advance(secs) => {
                self.first.clock.advance(secs);
                self.second.clock.advance(secs);
                self.model.now += secs;
            }
            Op::Restart(on) => self.restart(on).await,
        }
        self.check(&before).await;
    }

    fn device(&self, device: usize) -> Option<usize> {
        (device < self.model.devices.len()).then_some(device)
    }

    async fn sign_in(&mut self) {
        if self.model.devices.len() >= MAX_DEVICES {
            return;
        }
        let body = json!({ "email": EMAIL, "password": self.model.password, "remember_me": false });
        let answer = self.first.post("/api/auth/login", body).await;
        if self.model.suspended {
            expect_ending(&answer, LogoutCode::AccountSuspended, "sign-in to a suspended account");
            return;
        }
        assert_eq!(answer.status, 200, "sign-in: {:?}", answer.body);
        self.model.devices.push(Device {
            session_id: answer.body["session_id"].as_str().unwrap().to_owned(),
            access: answer.access_token(),
            access_expires_at: answer.body["access_expires_at"].as_i64().unwrap(),
            newest: answer.refresh_cookie().unwrap(),
            previous: None,
            expires_at: self.model.now + Policy::default().session_ttl,
            ended: None,
        });
    }

    /// Refreshes with the device's newest token, or the one before it where SPEC §1 answers it.
    async fn refresh(&mut self, device: usize, on: Instance, previous: bool) {
        let Some(index) = self.device(device) else { return };
        let device = self.model.devices[index].clone();
        let presented = match (previous, &device.previous) {
            (false, _) => device.newest.clone(),
            (true, Some(token)) => token.clone(),
            (true, None) => return,
        };
        let answer = self.app(on).refresh_with(&presented).await;
        if let Err(code) = self.model.judge(index) {
            return expect_ending(&answer, code, "refresh");
        }
        assert_eq!(answer.status, 200, "refresh ({}): {:?}", if previous { "previous" } else { "newest" }, answer.body);
        let cookie = answer.refresh_cookie().unwrap();
        let model = &mut self.model.devices[index];
        if previous {
            assert_eq!(cookie, model.newest, "a replay is answered with the token that followed");
        } else {
            model.previous = Some(std::mem::replace(&mut model.newest, cookie));
        }
        model.access = answer.access_token();
        model.access_expires_at = answer.body["access_expires_at"].as_i64().unwrap();
    }

    async fn refresh_twice(&mut self, device: usize) {
        let Some(index) = self.device(device) else { return };
        let newest = self.model.devices[index].newest.clone();
        let (one, two) = tokio::join!(self.first.refresh_with(&newest), self.second.refresh_with(&newest));
        if let Err(code) = self.model.judge(index) {
            expect_ending(&one, code, "refresh on the first instance");
            return expect_ending(&two, code, "refresh on the second instance");
        }
        for answer in [&one, &two] {
            assert_eq!(answer.status, 200, "two refreshes at once: {:?}", answer.body);
        }
        assert_eq!(one.refresh_cookie(), two.refresh_cookie(), "one successor for both");
        let model = &mut self.model.devices[index];
        model.previous = Some(std::mem::replace(&mut model.newest, one.refresh_cookie().unwrap()));
        model.access = one.access_token();
        model.access_expires_at = one.body["access_expires_at"].as_i64().unwrap();
    }

    /// The device's access token, refreshed first where it has expired (as the client does).
    async fn access(&mut self, index: usize) -> Option<String> {
        if self.model.now >= self.model.devices[index].access_expires_at {
            self.refresh(index, Instance::First, false).await;
        }
        let device = &self.model.devices[index];
        device.ended.is_none().then(|| device.access.clone())
    }

    async fn me(&mut self, device: usize, on: Instance) {
        let Some(index) = self.device(device) else { return };
        let Some(access) = self.access(index).await else { return };
        let answer = self.app(on).get_with_token("/api/auth/me", &access).await;
        match self.model.judge(index) {
            Err(code) => expect_ending(&answer, code, "me"),
            Ok(()) if !self.model.plan_active => {
                assert_eq!(answer.status, 402, "a lapsed plan refuses and keeps the session: {:?}", answer.body);
            }
            Ok(()) => assert_eq!(answer.status, 200, "me: {:?}", answer.body),
        }
    }

    async fn sign_out(&mut self, device: usize) {
        let Some(index) = self.device(device) else { return };
        let device = self.model.devices[index].clone();
        let request = self.first.http.post(self.first.url("/api/auth/logout")).bearer_auth(&device.access);
        let request = request.header("cookie", format!("lanyard_refresh={}", device.newest));
        let answer = self.first.send(request.json(&json!({}))).await;
        assert_eq!(answer.status, 200, "sign-out is idempotent: {:?}", answer.body);
        let model = &mut self.model.devices[index];
        model.ended = model.ended.or(Some(LogoutCode::ManualLogout));
    }

    async fn logout_all(&mut self, device: usize, keep_current: bool) {
        let Some(index) = self.device(device) else { return };
        let Some(access) = self.access(index).await else { return };
        let body = json!({ "keep_current": keep_current });
        let answer = self.second.post_with_token("/api/auth/logout_all", &access, body).await;
        if let Err(code) = self.model.judge(index) {
            return expect_ending(&answer, code, "logout_all");
        }
        assert_eq!(answer.status, 200, "logout_all: {:?}", answer.body);
        let ended = if keep_current {
            self.model.end_others(Some(index), LogoutCode::LogoutOtherDevice)
        } else {
            self.model.end_others(None, LogoutCode::LogoutAll)
        };
        assert_eq!(answer.body["ended"], ended, "the count of sessions this call ended");
    }

    async fn revoke(&mut self, device: usize, target: usize) {
        let (Some(index), Some(target)) = (self.device(device), self.device(target)) else { return };
        let Some(access) = self.access(index).await else { return };
        let body = json!({ "session_id": self.model.devices[target].session_id });
        let answer = self.first.post_with_token("/api/auth/sessions/revoke", &access, body).await;
        if let Err(code) = self.model.judge(index) {
            return expect_ending(&answer, code, "revoke");
        }
        assert_eq!(answer.status, 200, "revoke: {:?}", answer.body);
        let code = if target == index { LogoutCode::ManualLogout } else { LogoutCode::LogoutOtherDevice };
        let model = &mut self.model.devices[target];
        model.ended = model.ended.or(Some(code));
    }

    async fn change_password(&mut self, device: usize, answer_lost: bool) {
        let Some(index) = self.device(device) else { return };
        let Some(access) = self.access(index).await else { return };
        let new_password = if self.model.password == PASSWORD { OTHER_PASSWORD } else { PASSWORD };
        let body = json!({ "current_password": self.model.password, "new_password": new_password });
        let answer = self.second.post_with_token("/api/auth/password", &access, body).await;
        if let Err(code) = self.model.judge(index) {
            return expect_ending(&answer, code, "password change");
        }
        assert_eq!(answer.status, 200, "password change: {:?}", answer.body);
        self.model.password = new_password;
        self.model.end_others(Some(index), LogoutCode::PasswordChanged);
        let model = &mut self.model.devices[index];
        if answer_lost {
            // The device still holds the token that was live at the change: its next refresh is
            // answered with the new chain's first token (SPEC §3), however late.
            model.previous = None;
            return;
        }
        let cookie = answer.refresh_cookie().unwrap();
        model.previous = Some(std::mem::replace(&mut model.newest, cookie));
        model.access = answer.access_token();
        model.access_expires_at = answer.body["access_expires_at"].as_i64().unwrap();
    }

    /// Another user signs in in the device's browser (SPEC §4 "Endings belong to one session"): the
    /// device's tab refreshes with the cookie, now the other user's, and is answered for that user;
    /// it ends its own session with its bearer as SESSION_USER_MISMATCH, which keeps the other
    /// user's cookie, and the other user's session carries on.
    async fn another_user_signs_in_here(&mut self, device: usize) {
        let Some(index) = self.device(device) else { return };
        let held = &self.model.devices[index];
        // An ending the model already knows of, or one the next call would record, comes first.
        if held.ended.is_some() || self.model.now >= held.expires_at || self.model.suspended {
            return;
        }
        let access = held.access.clone();
        let other = self.first.sign_in(OTHER_EMAIL).await;
        let answered = self.second.refresh_with(&other.refresh).await;
        assert_eq!(answered.status, 200, "the other user's refresh: {:?}", answered.body);
        assert_eq!(answered.header("x-session-user"), Some(other.user_id.as_str()), "answered for the other user");
        let shared_cookie = answered.refresh_cookie().unwrap();
        let request = self
            .first
            .http
            .post(self.first.url("/api/auth/logout"))
            .bearer_auth(&access)
            .header("cookie", format!("lanyard_refresh={shared_cookie}"));
        let signed_out = self.first.send(request.json(&json!({ "reason": "SESSION_USER_MISMATCH" }))).await;
        assert_eq!(signed_out.status, 200, "the mismatched tab's sign-out: {:?}", signed_out.body);
        assert_eq!(signed_out.set_cookie(), None, "the other user's cookie is kept");
        self.model.devices[index].ended = Some(LogoutCode::SessionUserMismatch);
        let carries_on = self.second.refresh_with(&shared_cookie).await;
        assert_eq!(carries_on.status, 200, "the other user carries on: {:?}", carries_on.body);
        let me = self.first.get_with_token("/api/auth/me", &carries_on.access_token()).await;
        assert_eq!(me.status, 200, "{:?}", me.body);
    }

    /// An operator's change on the first instance; the test waits until the second has applied it
    /// (its change feed), as P2 allows it a moment.
    async fn change_account(&mut self, change: AccountChange) {
        let seen = self.second.engine.changes_applied();
        self.first.engine.change_account(EMAIL, change).await.expect("the account changes");
        match change {
            AccountChange::Status(status) => self.model.suspended = status == AccountStatus::Suspended,
            AccountChange::Plan(plan) => self.model.plan_active = plan == PlanStatus::Active,
        }
        let second = &self.second;
        let applied = eventually(Duration::from_secs(5), || async { second.engine.changes_applied() > seen }).await;
        assert!(applied, "the second instance never learnt of the account change");
    }

    async fn restart(&mut self, on: Instance) {
        let fresh = following(spawn_on(self.db.clone(), |_| {}).await).await;
        fresh.clock.advance(self.model.now - fresh.clock_now());
        drop(std::mem::replace(
            match on {
                Instance::First => &mut self.first,
                Instance::Second => &mut self.second,
            },
            fresh,
        ));
        // The sweep a starting instance runs, here on its real clock, at once.
        self.app(on).engine.sweep_expired().await.expect("the sweep runs");
        for device in &mut self.model.devices {
            if device.ended.is_none() && self.model.now >= device.expires_at {
                device.ended = Some(LogoutCode::SessionExpired);
            }
        }
    }

    /// P1, P2 and P4 after a step (P3 is every assertion of the steps themselves).
    async fn check(&self, before: &[Option<LogoutCode>]) {
        for (index, device) in self.model.devices.iter().enumerate() {
            let (ended_at, reason): (Option<i64>, Option<String>) =
                sqlx::query_as("SELECT ended_at, end_reason FROM lanyard_sessions WHERE id = $1")
                    .bind(&device.session_id)
                    .fetch_one(self.first.engine.database())
                    .await
                    .unwrap();
            match device.ended {
                Some(code) => assert_eq!(reason.as_deref(), Some(code.as_str()), "P1: session {index}"),
                // Past its lifetime and not yet called, a session may or may not have been swept.
                None if self.model.now >= device.expires_at => {
                    assert!(reason.is_none() || reason.as_deref() == Some("SESSION_EXPIRED"), "P1: {reason:?}")
                }
                None => assert_eq!(ended_at, None, "P1: session {index} ended with {reason:?}"),
            }
            let (unused,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM lanyard_refresh_tokens WHERE session_id = $1 AND used_at IS NULL")
                    .bind(&device.session_id)
                    .fetch_one(self.first.engine.database())
                    .await
                    .unwrap();
            assert!(unused <= 1, "P4: session {index} has {unused} unused refresh tokens");

            let newly_ended = device.ended.filter(|_| before.get(index).is_none_or(|was| was.is_none()));
            if let Some(code) = newly_ended {
                for app in [&self.first, &self.second] {
                    let refused = eventually(Duration::from_secs(5), || async {
                        let me = app.get_with_token("/api/auth/me", &device.access).await;
                        me.status == 401 && me.body["logout_reason"] == code.as_str()
                    })
                    .await;
                    assert!(refused, "P2: an instance still accepts session {index} after {code}");
                    expect_ending(&app.refresh_with(&device.newest).await, code, "P2: refresh after the ending");
                }
            }
        }
    }
}

/// The instance, once its change feed is followed (a change committed earlier cannot reach it).
async fn following(app: TestApp) -> TestApp {
    let started = eventually(Duration::from_secs(5), || async { app.engine.changes_applied() > 0 }).await;
    assert!(started, "the instance never started following changes");
    app
}

fn expect_ending(answer: &Answer, code: LogoutCode, what: &str) {
    assert_eq!(answer.status, 401, "{what}: expected {code}, got {:?}", answer.body);
    assert_eq!(answer.body["logout_reason"], code.as_str(), "{what}");
}

fn cases() -> u32 {
    std::env::var("LANYARD_MODEL_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(32)
}

fn run_model(db: Db) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().unwrap();
    let config =
        ProptestConfig { cases: cases(), max_shrink_iters: 200, failure_persistence: None, ..Default::default() };
    let mut runner = TestRunner::new(config);
    runner
        .run(&proptest::collection::vec(op(), 1..24), |ops| {
            runtime.block_on(async {
                let mut world = World::start(db).await;
                for op in &ops {
                    world.run(op).await;
                }
            });
            Ok(())
        })
        .unwrap();
}

#[test]
fn the_model_holds_on_sqlite() {
    run_model(Db::Sqlite);
}

#[test]
fn the_model_holds_on_postgres() {
    run_model(Db::Postgres);
}
