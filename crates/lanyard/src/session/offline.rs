//! The session's face in the server build, where no page runs its effects or handlers: the same
//! names as the browser's `flows`, doing nothing, so the pages compile unchanged in both builds.

use crate::contract::{ErrorBody, ErrorCode, InvitationView, LogoutAllAnswer, LogoutEvent, SignUpAnswer, UserView};
use crate::session::view::{ClientView, FirstStep, StepUpAnswer};
use leptos::html::Input;
use leptos::prelude::{NodeRef, RwSignal};

fn not_in_the_browser() -> ErrorBody {
    ErrorBody::plain(ErrorCode::Internal, "Session calls are made from the browser.")
}

/// Starts the client once per page load; no client runs on the server.
pub fn start(_view: ClientView) {}

/// Signs in; refused on the server, which holds no tab's token.
pub async fn sign_in(_email: String, _password: String, _remember_me: bool) -> Result<FirstStep, ErrorBody> {
    Err(not_in_the_browser())
}

/// What an invitation link offers; the server renders the page without calling.
pub async fn invitation(_token: String) -> Result<InvitationView, String> {
    Err(not_in_the_browser().message.unwrap_or_default())
}

/// Joins an account; refused on the server, where no page submits a form.
pub async fn accept_invitation(_token: String, _password: String) -> Result<UserView, String> {
    Err(not_in_the_browser().message.unwrap_or_default())
}

/// Signs up; refused on the server, where no page submits a form.
pub async fn sign_up(
    _email: String,
    _password: String,
    _account_name: Option<String>,
) -> Result<SignUpAnswer, ErrorBody> {
    Err(not_in_the_browser())
}

/// Confirms an address; refused on the server, where no page runs its effects.
pub async fn verify_email(_token: String) -> Result<String, ErrorBody> {
    Err(not_in_the_browser())
}

/// Sends the verification link again; refused on the server, where no page submits a form.
pub async fn resend_verification(_email: String) -> Result<(), ErrorBody> {
    Err(not_in_the_browser())
}

/// Asks for a password reset link; refused on the server, where no page submits a form.
pub async fn request_password_reset(_email: String) -> Result<(), ErrorBody> {
    Err(not_in_the_browser())
}

/// Sets a new password with a reset link; refused on the server, where no page submits a form.
pub async fn reset_password(_token: String, _new_password: String) -> Result<FirstStep, ErrorBody> {
    Err(not_in_the_browser())
}

/// The token of the link that opened the page; the server renders the page without reading it.
pub fn take_link_token() -> Option<String> {
    None
}

/// Restores the session after a page load; the server has none to restore (the access token
/// lives only in the tab), so the protected frame renders "Restoring your session…" there.
pub async fn restore(_retry_notice: RwSignal<Option<String>>) {}

/// Signs out this device; nothing is signed in on the server.
pub async fn sign_out() {}

/// Signs out every session, or every other one; refused on the server, which holds no tab's token.
pub async fn sign_out_all(_keep_current: bool) -> Result<LogoutAllAnswer, ErrorBody> {
    Err(not_in_the_browser())
}

/// Changes the password; refused on the server, which holds no tab's token.
pub async fn change_password(_current_password: String, _new_password: String) -> Result<(), ErrorBody> {
    Err(not_in_the_browser())
}

/// Notes user activity ("Stay signed in"); no user acts on the server.
pub fn note_activity() {}

/// No field exists on the server.
pub fn field_text(_field: &NodeRef<Input>) -> Option<String> {
    None
}

/// Whether a checkbox is ticked; no field exists on the server.
pub fn field_checked(_field: &NodeRef<Input>) -> Option<bool> {
    None
}

/// The password dialog's answer; no dialog waits on the server.
pub fn answer_reauth(_answer: Option<StepUpAnswer>) {}

/// Ends a sign-in the user does not recognise ("This wasn't me"); refused on the server, which
/// holds no tab's token.
pub async fn disown_sign_in(_session_id: String) -> Result<(), ErrorBody> {
    Err(not_in_the_browser())
}

/// Hides a new-device notice; the server renders none.
pub fn dismiss_new_sign_in(_session_id: &str) {}

/// Nothing time-dependent is rendered on the server.
pub fn server_now() -> i64 {
    0
}

/// This tab's id; empty on the server, which renders for no tab.
pub fn tab_id() -> String {
    String::new()
}

/// The logout history, newest first; empty on the server, which cannot read the browser's
/// storage.
pub fn logout_history() -> Vec<LogoutEvent> {
    Vec::new()
}

/// The reason the sign-in banner shows; none on the server, since it is kept in the browser's
/// storage.
pub fn take_logout_reason() -> Option<LogoutEvent> {
    None
}

/// A Unix time as the user's browser writes dates; on the server, the number itself, since the
/// server knows neither the user's locale nor their time zone.
pub fn local_time(at: i64) -> String {
    at.to_string()
}

/// Never resolves: nothing on the server waits for the browser's timers.
pub async fn pause(_ms: u32) {
    std::future::pending::<()>().await
}

/// Logs to the browser's console; the server has none.
pub fn console_log(_label: &str, _text: &str) {}

/// Puts `text` on the clipboard; false on the server, which has no clipboard.
pub async fn copy_to_clipboard(_text: &str) -> bool {
    false
}

/// The second factor's calls (SPEC §11), refused on the server, where no page submits a form.
#[cfg(feature = "mfa")]
pub mod factors {
    use crate::contract::{ErrorBody, MfaStatus, PasskeyAdded, Secret, TotpSetup, UserView};
    use crate::session::offline::not_in_the_browser;
    use crate::session::view::SecondFactor;

    /// A sign-in's second step.
    pub async fn second_step(_token: Secret, _factor: SecondFactor) -> Result<(UserView, Option<u32>), ErrorBody> {
        Err(not_in_the_browser())
    }

    /// Signs in with a passkey alone.
    pub async fn passkey_sign_in(_remember_me: bool) -> Result<UserView, ErrorBody> {
        Err(not_in_the_browser())
    }

    /// The signed-in user's second factors.
    pub async fn second_factors() -> Result<MfaStatus, ErrorBody> {
        Err(not_in_the_browser())
    }

    /// Starts setting up an authenticator app.
    pub async fn set_up_totp() -> Result<TotpSetup, ErrorBody> {
        Err(not_in_the_browser())
    }

    /// Turns the app on with its first code.
    pub async fn confirm_totp(_code: String) -> Result<Vec<Secret>, ErrorBody> {
        Err(not_in_the_browser())
    }

    /// Turns the authenticator app off.
    pub async fn turn_off_totp() -> Result<(), ErrorBody> {
        Err(not_in_the_browser())
    }

    /// Adds a passkey on this device.
    pub async fn add_passkey(_name: String) -> Result<PasskeyAdded, ErrorBody> {
        Err(not_in_the_browser())
    }

    /// Removes one of the user's passkeys.
    pub async fn remove_passkey(_id: String) -> Result<(), ErrorBody> {
        Err(not_in_the_browser())
    }
}
