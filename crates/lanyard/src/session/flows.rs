//! What the pages ask of the session in the browser: start the client, sign in, restore after a
//! page load, sign out, change the password, and the few browser facts the pages show.

use crate::api;
use crate::contract::{
    ErrorBody, InvitationView, LoginAnswer, LogoutAllAnswer, LogoutCode, LogoutEvent, SignInAnswer, SignUpAnswer,
    UserView,
};
use crate::paths::signin_url;
use crate::session::context::{client, current_page};
use crate::session::ending::Ending;
use crate::session::renew::{self, RenewError};
use crate::session::rules::{self, Restore};
use crate::session::view::{AuthStatus, ClientView, FirstStep, ReauthPrompt, StepUpAnswer, describe};
use crate::session::{activity, monitor, storage, tabs, tracker};
use leptos::prelude::*;

/// Starts the client's background work, once per page load.
pub fn start(view: ClientView) {
    if !client().attach(view) {
        return;
    }
    activity::start();
    tabs::listen(tracker::on_tab_message);
    client().set_step_up(std::rc::Rc::new(|| Box::pin(step_up())));
    monitor::start();
    if let Some(window) = web_sys::window() {
        gloo_events::EventListener::new(&window, "pageshow", |event| {
            let persisted = js_sys::Reflect::get(event, &"persisted".into()).ok().and_then(|p| p.as_bool());
            if persisted == Some(true) {
                check_restored_page();
            }
        })
        .forget();
    }
}

/// A page restored from the back/forward cache shows what it showed when it was left, however long
/// ago, and its timers and messages stood still meanwhile: it hides what it shows of the session and
/// restores the session again (a refresh from the cookie, then the user), as after a page load
/// (SPEC §4 "Endings belong to one session").
fn check_restored_page() {
    let Some(view) = client().view() else { return };
    if !matches!(view.auth.get_untracked(), AuthStatus::SignedIn(_)) {
        return;
    }
    view.auth.set(AuthStatus::Restoring);
    leptos::task::spawn_local(restore(view.retry_notice));
}

/// Step-up (SPEC §2, §11): shows the dialog, which asks for the password or, for a user with a
/// second factor, offers a code or a passkey instead, and confirms what the user gives with
/// `/api/auth/reauth`, as often as they try; true once confirmed, false when they cancel. A wrong
/// password or code is said in the dialog and never signs anyone out.
async fn step_up() -> bool {
    let Some(view) = client().view() else { return false };
    let prompt = ReauthPrompt { problem: None, ..factors_for_step_up().await };
    view.reauth.set(Some(prompt.clone()));
    let confirmed = loop {
        let Some(answer) = client().step_up_answer().await else { break false };
        let confirmed = match answer {
            StepUpAnswer::Password(password) => api::reauth(Some(password.into()), None, None).await,
            StepUpAnswer::Code(code) => api::reauth(None, Some(code.into()), None).await,
            StepUpAnswer::Passkey => reauth_by_passkey().await,
        };
        match confirmed {
            Ok(_) => break true,
            Err(error) => view.reauth.set(Some(ReauthPrompt { problem: Some(describe(&error)), ..prompt.clone() })),
        }
    };
    view.reauth.set(None);
    confirmed
}

/// Which second factors the step-up dialog may offer: none when they cannot be read (the password
/// always works).
#[cfg(feature = "mfa")]
async fn factors_for_step_up() -> ReauthPrompt {
    match api::factors::second_factors().await {
        Ok(status) => ReauthPrompt { totp: status.totp, passkey: !status.passkeys.is_empty(), problem: None },
        Err(_) => ReauthPrompt::default(),
    }
}

#[cfg(not(feature = "mfa"))]
async fn factors_for_step_up() -> ReauthPrompt {
    ReauthPrompt::default()
}

/// Step-up by passkey: the server's options, the browser's prompt, the assertion confirmed.
#[cfg(feature = "mfa")]
async fn reauth_by_passkey() -> Result<crate::contract::ReauthAnswer, ErrorBody> {
    let options = api::factors::reauth_start().await?;
    let credential = super::webauthn::get(&options).await.map_err(|problem| passkey_problem(&problem))?;
    api::reauth(None, None, Some(credential)).await
}

#[cfg(not(feature = "mfa"))]
async fn reauth_by_passkey() -> Result<crate::contract::ReauthAnswer, ErrorBody> {
    Err(ErrorBody::plain(crate::contract::ErrorCode::BadRequest, "Passkeys are not offered here."))
}

/// A passkey the browser could not use, as an answer the pages describe like the server's.
#[cfg(feature = "mfa")]
pub(super) fn passkey_problem(problem: &str) -> ErrorBody {
    ErrorBody::plain(crate::contract::ErrorCode::InvalidMfaCode, problem)
}

/// "Not you? End it" on a new-device notice, "This wasn't me" on the security page: ends that
/// session (LOGOUT_OTHER_DEVICE), and a notice about it stays, now offering the password page.
pub async fn disown_sign_in(session_id: String) -> Result<(), ErrorBody> {
    api::revoke_session(session_id.clone()).await?;
    storage::see_sign_in(&session_id);
    if let Some(view) = client().view() {
        view.new_sign_ins
            .update(|shown| shown.iter_mut().filter(|n| n.session_id == session_id).for_each(|n| n.ended = true));
    }
    Ok(())
}

/// Hides a new-device notice here and in this browser's other tabs from now on.
pub fn dismiss_new_sign_in(session_id: &str) {
    storage::see_sign_in(session_id);
    if let Some(view) = client().view() {
        view.new_sign_ins.update(|shown| shown.retain(|n| n.session_id != session_id));
    }
}

/// The step-up dialog's answer: what the user gave, or `None` when they cancelled.
pub fn answer_reauth(answer: Option<StepUpAnswer>) {
    client().answer_step_up(answer);
}

/// Signs in; a refusal (wrong credentials, suspended account, throttling) comes back as the
/// answer's error body, and `describe` words it. A user with a second factor is asked for it next.
pub async fn sign_in(email: String, password: String, remember_me: bool) -> Result<FirstStep, ErrorBody> {
    let answer = api::login(email, password.into(), remember_me, Some(storage::device_id())).await?;
    Ok(first_step(answer))
}

/// Where a first step's answer leaves the sign-in: held, or waiting for the second factor.
fn first_step(answer: SignInAnswer) -> FirstStep {
    match answer {
        SignInAnswer::SignedIn(signed_in) => FirstStep::SignedIn(hold(signed_in)),
        SignInAnswer::MfaRequired(required) => FirstStep::SecondFactor(required),
    }
}

/// Holds the session a sign-in (or a password reset) just opened in this tab.
pub(super) fn hold(answer: LoginAnswer) -> UserView {
    // A sign-out still pending from before was for the earlier session; it never ends this one.
    storage::drop_sign_out();
    renew::keep(answer.token, answer.user.id.clone());
    if let Some(view) = client().view() {
        view.auth.set(AuthStatus::SignedIn(answer.user.clone()));
    }
    answer.user
}

/// Signs up; with verification off the new user is signed in here, as a sign-in does.
pub async fn sign_up(email: String, password: String, account_name: Option<String>) -> Result<SignUpAnswer, ErrorBody> {
    let answer = api::signup::sign_up(email, password.into(), account_name).await?;
    if let SignUpAnswer::SignedIn(signed_in) = &answer {
        hold(signed_in.clone());
    }
    Ok(answer)
}

/// Confirms an address with its link's token; returns the address.
pub async fn verify_email(token: String) -> Result<String, ErrorBody> {
    Ok(api::signup::verify_email(token.into()).await?.email)
}

/// Sends the verification link again; the answer is the same whatever the address.
pub async fn resend_verification(email: String) -> Result<(), ErrorBody> {
    api::signup::resend_verification(email).await.map(drop)
}

/// What an invitation link offers; `Err` says, in words, why it does not work.
pub async fn invitation(token: String) -> Result<InvitationView, String> {
    api::invitations::invitation(token.into()).await.map_err(|error| link_problem(&error))
}

/// Joins the inviting account and holds the session it opens, as a sign-in does.
pub async fn accept_invitation(token: String, password: String) -> Result<UserView, String> {
    let answer = api::invitations::accept_invitation(token.into(), password.into()).await;
    answer.map(hold).map_err(|error| link_problem(&error))
}

/// Why a link's call failed, in words: the token's state, or the answer's problem.
fn link_problem(error: &ErrorBody) -> String {
    error.token_state.map_or_else(|| describe(error), |state| state.message().to_owned())
}

/// Asks for a password reset link for `email`; the answer is the same whatever the address.
pub async fn request_password_reset(email: String) -> Result<(), ErrorBody> {
    api::recovery::request_password_reset(email).await.map(drop)
}

/// Sets a new password with a reset link's token, and holds the session it opens, as a sign-in does;
/// for a user with a second factor, the reset waits for it.
pub async fn reset_password(token: String, new_password: String) -> Result<FirstStep, ErrorBody> {
    let answer = api::recovery::confirm_password_reset(token.into(), new_password.into()).await?;
    Ok(first_step(answer))
}

/// The token of the link that opened this page, taken from its address, which is then replaced by
/// the bare path (`history.replaceState`): no later call, history entry or `next=` carries it.
pub fn take_link_token() -> Option<String> {
    let window = web_sys::window()?;
    let location = window.location();
    let search = location.search().ok()?;
    let token = crate::paths::link_token(&search)?;
    let bare = crate::paths::without_link_token(&format!("{}{search}", location.pathname().ok()?));
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&bare));
    }
    Some(token)
}

/// Restores the session after a page load. No hint and no session: straight to sign-in, silently. A
/// hint whose restore is answered 401: a logout with the server's reason. Anything else is not a
/// failed restore (a 5xx, a lost network, and with a hint also a 403 or another refusal): the page
/// keeps waiting with a notice and retries with backoff. A sign-out the server never confirmed is
/// finished first, if the browser still holds the session it was for.
pub async fn restore(retry_notice: RwSignal<Option<String>>) {
    let Some(view) = client().view() else { return };
    if let Some(pending) = storage::pending_sign_out() {
        if storage::hint().is_some_and(|hint| hint.session_id == pending) {
            finish_sign_out(pending, retry_notice).await;
            return;
        }
        storage::drop_sign_out();
    }
    let mut delay_ms = rules::FIRST_BACKOFF_MS;
    loop {
        let had_session = storage::hint().is_some();
        match restore_once(had_session).await {
            Restore::User(user) => {
                retry_notice.set(None);
                client().learn_user(&user.id);
                view.auth.set(AuthStatus::SignedIn(user));
                return;
            }
            Restore::Retry(status) => {
                let seconds = delay_ms / 1_000;
                retry_notice.set(Some(match status {
                    Some(status) => {
                        format!("lanyard refused to renew your session ({status}); retrying in {seconds} s.")
                    }
                    None => format!("Can't reach lanyard right now; retrying in {seconds} s."),
                }));
                pause(delay_ms).await;
                delay_ms = rules::next_backoff(delay_ms);
            }
            Restore::Ended(Some(ending)) if had_session => {
                view.auth.set(AuthStatus::SignedOut);
                tracker::logout(*ending);
                return;
            }
            Restore::Ended(_) => {
                tracker::forget();
                view.auth.set(AuthStatus::SignedOut);
                if let Some(window) = web_sys::window() {
                    let _ = window.location().replace(&signin_url(&current_page()));
                }
                return;
            }
            Restore::Left => {
                view.auth.set(AuthStatus::SignedOut);
                return;
            }
        }
    }
}

/// One attempt: a refresh from the cookie, then the user, each judged by `rules`.
async fn restore_once(had_session: bool) -> Restore {
    match renew::refresh().await {
        Ok(_) => rules::restore_with_user(api::me().await, had_session),
        Err(RenewError::Ended(ending)) => Restore::Ended(Some(Box::new(ending))),
        Err(RenewError::Failed(answer)) => rules::restore_after_refresh(answer.reply(), had_session),
    }
}

/// Signs out this device: the server ends the session, and the tracker records MANUAL_LOGOUT.
pub async fn sign_out() {
    let notice = client().view().map_or_else(|| RwSignal::new(None), |view| view.retry_notice);
    let Some(session) = client().session_ids().or_else(storage::hinted_session) else {
        tracker::logout(Ending::local(LogoutCode::ManualLogout, &current_page()));
        return;
    };
    storage::remember_sign_out(&session.session_id);
    finish_sign_out(session.session_id, notice).await;
}

/// Sends the sign-out of `session_id` until the server has recorded it: while it cannot (a 5xx, a
/// lost network) the session still lives and the cookie is kept, so the user is told and it is sent
/// again, also after a reload. Any other answer means there is nothing left to end. It is sent only
/// while this browser still holds that session: a sign-in since (here or in another tab) drops it,
/// and the session it made is never ended by it.
async fn finish_sign_out(session_id: String, notice: RwSignal<Option<String>>) {
    let mut delay_ms = rules::FIRST_BACKOFF_MS;
    loop {
        let still_held = storage::pending_sign_out().as_ref() == Some(&session_id)
            && client().session_ids().is_none_or(|held| held.session_id == session_id);
        if !still_held {
            notice.set(None);
            return;
        }
        match api::logout(None).await {
            Err(error) if rules::worth_retrying(&error) => {
                notice.set(Some(format!(
                    "Signing out… lanyard can't be reached; trying again in {} s.",
                    delay_ms / 1_000
                )));
                pause(delay_ms).await;
                delay_ms = rules::next_backoff(delay_ms);
            }
            _ => break,
        }
    }
    notice.set(None);
    storage::drop_sign_out();
    tracker::logout(Ending::local(LogoutCode::ManualLogout, &current_page()));
}

/// Signs out every other session (`keep_current`), or every session including this one.
pub async fn sign_out_all(keep_current: bool) -> Result<LogoutAllAnswer, ErrorBody> {
    let answer = api::logout_all(keep_current).await?;
    if !keep_current {
        tracker::logout(Ending::local(LogoutCode::LogoutAll, &current_page()));
    }
    Ok(answer)
}

/// Changes the password; this session carries on with the new token, the others end.
/// The call takes the cross-tab refresh lock: it replaces the refresh cookie, so a refresh in another
/// tab must not race it (a refresh the call itself needs runs at once, under the same hold). A call
/// that failed without a refusal may have changed the password with its answer lost: the tab then
/// refreshes at once, still under the lock, and so holds the new chain if the change happened (the
/// server answers the token of before the change with the new chain's first).
pub async fn change_password(current_password: String, new_password: String) -> Result<(), ErrorBody> {
    let changed = renew::replacing_cookie(async move {
        let changed = api::change_password(current_password.into(), new_password.into()).await;
        match &changed {
            Ok(token) => renew::keep(token.clone(), client().signed_in_user().unwrap_or_default()),
            Err(error) if error.is_transient() => match renew::refresh().await {
                Ok(_) => {
                    if let Some(view) = client().view() {
                        view.retry_notice.set(None);
                    }
                }
                Err(RenewError::Ended(ending)) => tracker::logout(ending),
                Err(RenewError::Failed(_)) => {}
            },
            Err(_) => {}
        }
        changed
    })
    .await;
    changed.map(|_| ())
}

/// What a field holds now, typed or filled in by a password manager before the page was ready
/// (SPEC §4 "Nothing typed is lost to hydration"); `None` before the field exists.
pub fn field_text(field: &NodeRef<leptos::html::Input>) -> Option<String> {
    field.get_untracked().map(|input| input.value())
}

/// Whether a checkbox is ticked now, as [`field_text`] reads a field.
pub fn field_checked(field: &NodeRef<leptos::html::Input>) -> Option<bool> {
    field.get_untracked().map(|input| input.checked())
}

/// Notes user activity now ("Stay signed in").
pub fn note_activity() {
    activity::note_activity();
}

/// Now, in Unix seconds on the server's clock as this browser knows it.
pub fn server_now() -> i64 {
    client().server_now() as i64
}

/// This tab's id, which its reason objects carry (SPEC §4) and the debug panel shows, so an
/// ending can be traced to the tab where it happened.
pub fn tab_id() -> String {
    client().tab_id.clone()
}

/// The logout history, newest first.
pub fn logout_history() -> Vec<LogoutEvent> {
    storage::history()
}

/// The reason the sign-in banner shows, taken (cleared) from storage.
pub fn take_logout_reason() -> Option<LogoutEvent> {
    storage::take_reason()
}

/// A Unix time as the user's browser writes dates.
pub fn local_time(at: i64) -> String {
    let time = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64 * 1_000.0));
    String::from(time.to_locale_string("en-GB", &wasm_bindgen::JsValue::UNDEFINED))
}

/// Waits `ms` milliseconds.
pub async fn pause(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

/// Logs `text` to the console under `label`.
pub fn console_log(label: &str, text: &str) {
    web_sys::console::log_2(&label.into(), &text.into());
}

/// Puts `text` on the clipboard; false if the browser refused.
pub async fn copy_to_clipboard(text: &str) -> bool {
    let Some(window) = web_sys::window() else { return false };
    let written = window.navigator().clipboard().write_text(text);
    wasm_bindgen_futures::JsFuture::from(written).await.is_ok()
}
