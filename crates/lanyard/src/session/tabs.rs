//! Tabs of one browser: the channel they talk on, and the lock that lets one refresh at a time.

use crate::contract::{LogoutEvent, TokenInfo};
use crate::session::context::client;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::{BroadcastChannel, MessageEvent};

const CHANNEL: &str = "lanyard";
/// The Web Lock every tab takes before refreshing.
pub const REFRESH_LOCK: &str = "lanyard-refresh";

/// What tabs tell each other.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TabMessage {
    /// A tab refreshed: the others take the new access token instead of asking the server.
    Tokens { token: TokenInfo, user_id: String },
    /// A tab's session ended: every tab that holds that session ends with the same reason.
    LoggedOut { event: LogoutEvent },
    /// A tab saw user activity this many milliseconds ago (a duration: tabs share no clock).
    Active { idle_ms: f64 },
}

/// Opens the channel and hands every message from other tabs to `on_message`.
pub fn listen(on_message: impl Fn(TabMessage) + 'static) {
    let Ok(channel) = BroadcastChannel::new(CHANNEL) else { return };
    let handler = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        if let Some(message) = event.data().as_string().and_then(|text| serde_json::from_str(&text).ok()) {
            on_message(message);
        }
    });
    channel.set_onmessage(Some(handler.as_ref().unchecked_ref()));
    // The handler lives as long as the page.
    handler.forget();
    *client().channel.borrow_mut() = Some(channel);
}

pub fn broadcast(message: &TabMessage) {
    let Ok(text) = serde_json::to_string(message) else { return };
    if let Some(channel) = client().channel.borrow().as_ref() {
        let _ = channel.post_message(&JsValue::from_str(&text));
    }
}

#[wasm_bindgen]
extern "C" {
    /// `navigator.locks.request(name, options, callback)`: web-sys has it only behind an unstable flag.
    #[wasm_bindgen(js_namespace = ["navigator", "locks"], js_name = request, catch)]
    fn lock_request(name: &str, options: &JsValue, callback: &js_sys::Function) -> Result<js_sys::Promise, JsValue>;
}

/// Runs `work` while holding the Web Lock `name`, across every tab of this origin. A tab that waits
/// longer than `wait_ms` for it (another tab froze, or never lets go) runs `work` without it, as it
/// does without Web Locks (very old browsers): the server's idempotent refresh keeps that safe.
pub async fn with_lock<T: 'static>(
    name: &str,
    wait_ms: u32,
    work: impl std::future::Future<Output = T> + 'static,
) -> T {
    let result: Rc<RefCell<Option<T>>> = Rc::default();
    let work = Rc::new(RefCell::new(Some(Box::pin(work))));
    let (slot, pending) = (result.clone(), work.clone());
    let callback = Closure::once_into_js(move |_lock: JsValue| -> js_sys::Promise {
        wasm_bindgen_futures::future_to_promise(async move {
            let work = pending.borrow_mut().take();
            if let Some(work) = work {
                let value = work.await;
                *slot.borrow_mut() = Some(value);
            }
            Ok(JsValue::UNDEFINED)
        })
    });
    // Aborting a request that was granted does nothing; one still waiting is withdrawn.
    let give_up = web_sys::AbortController::new().ok();
    let options = js_sys::Object::new();
    if let Some(controller) = &give_up {
        let _ = js_sys::Reflect::set(&options, &"signal".into(), &controller.signal());
    }
    let _timer = give_up.map(|controller| gloo_timers::callback::Timeout::new(wait_ms, move || controller.abort()));
    if let Ok(promise) = lock_request(name, &options, callback.unchecked_ref()) {
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
    let done = result.borrow_mut().take();
    if let Some(value) = done {
        return value;
    }
    let work = work.borrow_mut().take().expect("the work runs once");
    work.await
}
