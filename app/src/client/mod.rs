//! The browser side of sessions (hydrate build only): the in-memory token, the call wrapper with its
//! never-logout rules, tabs, the token monitor, the activity and logout trackers.

pub mod activity;
pub mod http;
pub mod monitor;
pub mod session;
pub mod storage;
pub mod tabs;
pub mod tokens;
pub mod tracker;

use crate::ui::state::ClientView;
use std::cell::Cell;

thread_local! {
    static VIEW: Cell<Option<ClientView>> = const { Cell::new(None) };
}

/// The signals the client updates; set once by [`start`].
pub fn view() -> Option<ClientView> {
    VIEW.with(Cell::get)
}

/// Starts the client's background work, once per page load.
pub fn start(view: ClientView) {
    if VIEW.with(|slot| slot.replace(Some(view))).is_some() {
        return;
    }
    activity::start();
    tabs::listen(tracker::on_tab_message);
    monitor::start();
}
