//! The session's face in the server build, where no page runs its effects or handlers: the same
//! names as the browser's `flows`, doing nothing, so the pages compile unchanged in both builds.

use crate::contract::{ErrorBody, ErrorCode, LogoutAllAnswer, LogoutEvent, UserView};
use crate::session::view::ClientView;
use leptos::html::Input;
use leptos::prelude::{NodeRef, RwSignal};

fn not_in_the_browser() -> ErrorBody {
    ErrorBody::plain(ErrorCode::Internal, "Session calls are made from the browser.")
}

pub fn start(_view: ClientView) {}

pub async fn sign_in(_email: String, _password: String, _remember_me: bool) -> Result<UserView, ErrorBody> {
    Err(not_in_the_browser())
}

pub async fn restore(_retry_notice: RwSignal<Option<String>>) {}

pub async fn sign_out() {}

pub async fn sign_out_all(_keep_current: bool) -> Result<LogoutAllAnswer, ErrorBody> {
    Err(not_in_the_browser())
}

pub async fn change_password(_current_password: String, _new_password: String) -> Result<(), ErrorBody> {
    Err(not_in_the_browser())
}

pub fn note_activity() {}

/// No field exists on the server.
pub fn field_text(_field: &NodeRef<Input>) -> Option<String> {
    None
}

pub fn field_checked(_field: &NodeRef<Input>) -> Option<bool> {
    None
}

pub fn answer_reauth(_password: Option<String>) {}

pub async fn disown_sign_in(_session_id: String) -> Result<(), ErrorBody> {
    Err(not_in_the_browser())
}

pub fn dismiss_new_sign_in(_session_id: &str) {}

/// Nothing time-dependent is rendered on the server.
pub fn server_now() -> i64 {
    0
}

pub fn tab_id() -> String {
    String::new()
}

pub fn logout_history() -> Vec<LogoutEvent> {
    Vec::new()
}

pub fn take_logout_reason() -> Option<LogoutEvent> {
    None
}

pub fn local_time(at: i64) -> String {
    at.to_string()
}

/// Never resolves: nothing on the server waits for the browser's timers.
pub async fn pause(_ms: u32) {
    std::future::pending::<()>().await
}

pub fn console_log(_label: &str, _text: &str) {}

pub async fn copy_to_clipboard(_text: &str) -> bool {
    false
}
