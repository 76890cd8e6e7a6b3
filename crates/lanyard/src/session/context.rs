//! The browser client's one piece of state: the token (in memory only, never in storage), the
//! signals the UI shows, and the plain values the UI must not see. It is the app's only
//! `thread_local!`: WASM runs on one thread, and server functions' transports, which are static,
//! need it without a reactive owner.

use crate::contract::TokenInfo;
use crate::session::ending::SessionIds;
use crate::session::view::{ClientView, StepUpAnswer};
use std::cell::{Cell, RefCell};
use wasm_bindgen::prelude::wasm_bindgen;

/// The token answer, the id of the user it was issued to, and when this tab got it.
#[derive(Clone, Debug)]
pub struct Held {
    pub token: TokenInfo,
    pub user_id: String,
    /// Server clock minus browser clock, in seconds: countdowns use the server's clock.
    pub clock_offset: f64,
    /// Server time of this token's refresh (or sign-in).
    pub received_at: i64,
}

/// What the token monitor remembers between ticks.
#[derive(Default)]
pub struct MonitorState {
    pub refreshing: Cell<bool>,
    /// Browser time before which no refresh is retried (after a 5xx, a gateway's refusal or a
    /// network failure).
    pub retry_at: Cell<f64>,
    /// Seconds between the last failed refresh and the next try; doubles with every failure.
    pub retry_delay: Cell<f64>,
    pub last_confirm: Cell<f64>,
}

/// Asks the user for their password and confirms it with the server; true once confirmed. Set by
/// `flows` at start, since confirming is a typed call of `api`, which the transport below it must
/// not import.
pub type StepUp = std::rc::Rc<dyn Fn() -> futures::future::LocalBoxFuture<'static, bool>>;

pub struct Client {
    view: Cell<Option<ClientView>>,
    held: RefCell<Option<Held>>,
    /// A tab logs out once; later endings (other calls failing, broadcasts) are the same logout.
    leaving: Cell<bool>,
    /// This tab's id (`crypto.randomUUID()`).
    pub tab_id: String,
    /// This tab's last user activity, or another tab's as heard here, on [`monotonic_ms`]'s clock.
    pub last_activity_ms: Cell<f64>,
    pub channel: RefCell<Option<web_sys::BroadcastChannel>>,
    /// Whether a call that replaces the refresh cookie (a password change) holds the refresh lock
    /// in this tab now (`renew::replacing_cookie`).
    pub replacing_cookie: Cell<bool>,
    pub monitor: MonitorState,
    step_up: RefCell<Option<StepUp>>,
    /// Where the step-up dialog's answer goes (`None`: cancelled).
    password_reply: RefCell<Option<futures::channel::oneshot::Sender<Option<StepUpAnswer>>>>,
}

thread_local! {
    static CLIENT: &'static Client = Box::leak(Box::new(Client {
        view: Cell::new(None),
        held: RefCell::new(None),
        leaving: Cell::new(false),
        tab_id: new_uuid(),
        last_activity_ms: Cell::new(monotonic_ms()),
        channel: RefCell::new(None),
        replacing_cookie: Cell::new(false),
        monitor: MonitorState::default(),
        step_up: RefCell::new(None),
        password_reply: RefCell::new(None),
    }));
}

/// The client of this page.
pub fn client() -> &'static Client {
    CLIENT.with(|client| *client)
}

/// A random UUID from the browser (no random-number crate in the WASM build).
pub fn new_uuid() -> String {
    web_sys::window().and_then(|w| w.crypto().ok()).map(|c| c.random_uuid()).unwrap_or_default()
}

#[wasm_bindgen]
extern "C" {
    /// `performance.now()`: web-sys has it only behind a feature this crate does not need otherwise.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// Milliseconds on this tab's monotonic clock: it only moves forward, whatever the wall clock does,
/// and means nothing in another tab.
pub fn monotonic_ms() -> f64 {
    performance_now()
}

/// The browser's clock in Unix seconds.
pub fn browser_now() -> f64 {
    js_sys::Date::now() / 1_000.0
}

impl Client {
    /// Connects the UI's signals; true the first time (the client starts once per page load).
    pub fn attach(&self, view: ClientView) -> bool {
        self.view.replace(Some(view)).is_none()
    }

    /// The UI's signals, once attached.
    pub fn view(&self) -> Option<ClientView> {
        self.view.get()
    }

    pub fn held(&self) -> Option<Held> {
        self.held.borrow().clone()
    }

    /// The user this tab holds a token for; unknown (None) after a restore whose answer lacked
    /// `X-Session-User`, until an answer names them.
    pub fn signed_in_user(&self) -> Option<String> {
        self.held.borrow().as_ref().map(|held| held.user_id.clone()).filter(|user| !user.is_empty())
    }

    /// Names the user of the token held, if it was not known.
    pub fn learn_user(&self, user_id: &str) {
        if let Some(held) = self.held.borrow_mut().as_mut().filter(|held| held.user_id.is_empty()) {
            held.user_id = user_id.to_owned();
        }
    }

    /// The session this tab holds, and its user (empty while unknown).
    pub fn session_ids(&self) -> Option<SessionIds> {
        self.held
            .borrow()
            .as_ref()
            .map(|held| SessionIds { session_id: held.token.session_id.clone(), user_id: held.user_id.clone() })
    }

    pub fn access_token(&self) -> Option<String> {
        self.held.borrow().as_ref().map(|held| held.token.access_token.expose().to_owned())
    }

    pub fn hold(&self, token: TokenInfo, user_id: String) {
        let clock_offset = token.server_time as f64 - browser_now();
        let received_at = token.server_time;
        *self.held.borrow_mut() = Some(Held { token, user_id, clock_offset, received_at });
    }

    pub fn drop_token(&self) {
        *self.held.borrow_mut() = None;
    }

    /// Marks this tab as leaving; true only for the first ending.
    pub fn begin_leaving(&self) -> bool {
        !self.leaving.replace(true)
    }

    pub fn set_step_up(&self, step_up: StepUp) {
        *self.step_up.borrow_mut() = Some(step_up);
    }

    /// Runs the step-up (the password dialog and the reauth); false when there is none or the user
    /// cancels.
    pub async fn step_up(&self) -> bool {
        let step_up = self.step_up.borrow().clone();
        match step_up {
            Some(step_up) => step_up().await,
            None => false,
        }
    }

    /// Waits for the step-up dialog's answer; a dialog asked again replaces the earlier wait.
    pub async fn step_up_answer(&self) -> Option<StepUpAnswer> {
        let (reply, answer) = futures::channel::oneshot::channel();
        *self.password_reply.borrow_mut() = Some(reply);
        answer.await.ok().flatten()
    }

    /// The step-up dialog's answer: what the user gave, or `None` when they cancelled.
    pub fn answer_step_up(&self, answer: Option<StepUpAnswer>) {
        if let Some(reply) = self.password_reply.borrow_mut().take() {
            let _ = reply.send(answer);
        }
    }

    /// Now on the server's clock (the browser's when signed out).
    pub fn server_now(&self) -> f64 {
        browser_now() + self.held.borrow().as_ref().map_or(0.0, |held| held.clock_offset)
    }
}

/// The page this tab shows (path and query, never a link's token), for `X-Page-Path` and endings.
pub fn current_page() -> String {
    let location = web_sys::window().map(|w| w.location());
    let path = location.as_ref().and_then(|l| l.pathname().ok()).unwrap_or_else(|| "/".into());
    let search = location.as_ref().and_then(|l| l.search().ok()).unwrap_or_default();
    crate::paths::without_link_token(&format!("{path}{search}"))
}
