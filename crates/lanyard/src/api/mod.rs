//! The server functions, at the stable paths of SPEC §3. Each is thin: read the request, call the
//! engine, answer; all the rules live in the engine. The bodies exist only in the server build.

#[cfg(feature = "ssr")]
pub(crate) mod answer;
pub mod credentials;
pub mod email;
#[cfg(feature = "mfa")]
pub mod factors;
pub mod invitations;
pub mod recovery;
#[cfg(feature = "ssr")]
pub mod serve;
pub mod signup;

pub use credentials::{Login, Logout, LogoutEvent, Refresh, login, logout, logout_event, refresh};

use crate::contract::{self, ErrorBody, LogoutAllAnswer, Secret, SessionsAnswer, TokenInfo, UserView};
use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, Json};

/// The client every server function that needs the bearer names (`client = Authenticated`): in
/// the browser, lanyard's transport, which adds the bearer, refreshes and retries, and applies
/// SPEC §4's rules, so the call never signs anyone out by accident. The server never sends a call
/// and names the stock client only because every server function must name one.
#[cfg(feature = "hydrate")]
pub use crate::session::transport::Authenticated;
#[cfg(not(feature = "hydrate"))]
pub use leptos::server_fn::client::browser::BrowserClient as Authenticated;

#[cfg(feature = "ssr")]
use crate::engine::PlanCheck;

/// The signed-in user. Every page load and session check asks it, so the server answers it
/// outside server-function dispatch (`serve::direct`), with the same [`signed_in_user`].
#[server(prefix = "/api", endpoint = "auth/me", input = GetUrl, client = Authenticated)]
pub async fn me() -> Result<UserView, ErrorBody> {
    user().await
}

/// The signed-in user of the server function being served, for an app's own server functions:
/// the bearer judged in SPEC §2's guard order, the plan checked, and the answer marked with
/// `X-Session-User`. A refusal is lanyard's body (401, 402), which its transport understands.
///
/// ```no_run
/// # use leptos::prelude::*;
/// # use lanyard::contract::ErrorBody;
/// #[server(prefix = "/api", endpoint = "hello", client = lanyard::api::Authenticated)]
/// pub async fn hello() -> Result<String, ErrorBody> {
///     Ok(format!("Hello, {}", lanyard::api::user().await?.email))
/// }
/// ```
#[cfg(feature = "ssr")]
pub async fn user() -> Result<UserView, ErrorBody> {
    signed_in_user(serve::Call::current()?).await
}

/// The answer of [`me`].
#[cfg(feature = "ssr")]
pub async fn signed_in_user(call: serve::Call) -> Result<UserView, ErrorBody> {
    let principal = call.authenticate(PlanCheck::Required).await?;
    Ok(principal.user)
}

/// Signs out every session of the user, or every other one (`keep_current`).
#[server(prefix = "/api", endpoint = "auth/logout_all", input = Json, client = Authenticated)]
pub async fn logout_all(
    /// Keep this session ("Sign out other devices"); without it, this one ends too and its refresh
    /// cookie is cleared.
    #[server(default)]
    keep_current: bool,
) -> Result<LogoutAllAnswer, ErrorBody> {
    let (call, principal) = serve::signed_in(PlanCheck::Skipped).await?;
    if !keep_current {
        call.clear_refresh_cookie();
    }
    let ended = call.answer(call.engine.logout_all(&principal, keep_current, &call.meta).await)?;
    Ok(LogoutAllAnswer { ended })
}

/// The user's live sessions and those ended in the last 30 days.
#[server(prefix = "/api", endpoint = "auth/sessions", input = GetUrl, client = Authenticated)]
pub async fn sessions() -> Result<SessionsAnswer, ErrorBody> {
    let (call, principal) = serve::signed_in(PlanCheck::Skipped).await?;
    call.answer(call.engine.sessions(&principal).await)
}

/// Ends one of the user's sessions.
#[server(prefix = "/api", endpoint = "auth/sessions/revoke", input = Json, client = Authenticated)]
pub async fn revoke_session(
    /// One of the user's own sessions; when it is this one, the refresh cookie is cleared too.
    session_id: String,
) -> Result<(), ErrorBody> {
    let (call, principal) = serve::signed_in(PlanCheck::Skipped).await?;
    if session_id == principal.session_id {
        call.clear_refresh_cookie();
    }
    call.answer(call.engine.revoke(&principal, &session_id, &call.meta).await)
}

/// Changes the password; the answer carries a new refresh cookie for this session.
#[server(prefix = "/api", endpoint = "auth/password", input = Json, client = Authenticated)]
pub async fn change_password(
    /// The password now, checked first; a wrong one is refused (403 WRONG_PASSWORD) and the session
    /// is kept.
    current_password: Secret,
    /// The new password, held to the rule of `credentials::NewPassword`, which the page states.
    new_password: Secret,
) -> Result<TokenInfo, ErrorBody> {
    let (call, principal) = serve::signed_in(PlanCheck::Skipped).await?;
    let issued = call.answer(
        call.engine.change_password(&principal, current_password.expose(), new_password.expose(), &call.meta).await,
    )?;
    call.set_tokens(&issued);
    Ok(issued.token)
}

/// Confirms the password, or a second factor, for step-up: sensitive actions need no new check
/// until `reauth_until`. Exactly one of `password`, `code` and `credential` is sent.
#[server(prefix = "/api", endpoint = "auth/reauth", input = Json, client = Authenticated)]
pub async fn reauth(
    /// The user's password, typed into the step-up dialog.
    #[server(default)]
    password: Option<Secret>,
    /// A code of the user's authenticator app (SPEC §11).
    #[server(default)]
    code: Option<Secret>,
    /// A passkey's assertion, answering `/api/auth/reauth/start`'s options.
    #[server(default)]
    credential: Option<serde_json::Value>,
) -> Result<contract::ReauthAnswer, ErrorBody> {
    use crate::engine::{AuthError, StepUp};
    let (call, principal) = serve::signed_in(PlanCheck::Skipped).await?;
    let check = call.answer(match (password, code, credential) {
        (Some(password), None, None) => Ok(StepUp::Password(password)),
        (None, Some(code), None) => Ok(StepUp::Factor(contract::MfaProof::Code(code))),
        (None, None, Some(credential)) => Ok(StepUp::Factor(contract::MfaProof::Credential(credential))),
        _ => Err(AuthError::BadRequest("Send one of password, code or credential.".into())),
    })?;
    let reauth_until = call.answer(call.engine.reauth(&principal, &check, &call.meta).await)?;
    Ok(contract::ReauthAnswer { reauth_until })
}

/// The user's own security activity over the last `days` days (1–30, default 30), newest first.
#[server(prefix = "/api", endpoint = "auth/activity", input = GetUrl, client = Authenticated)]
pub async fn activity(
    /// How many days back to look, 1–30 (any other number is refused, 400); absent, 30 (SPEC §5).
    #[server(default)]
    days: Option<i64>,
) -> Result<contract::ActivityAnswer, ErrorBody> {
    let (call, principal) = serve::signed_in(PlanCheck::Skipped).await?;
    call.answer(call.engine.activity(&principal, days.unwrap_or(30)).await)
}

/// The server's view of this session, for the debug panel.
#[server(prefix = "/api", endpoint = "auth/diagnostics", input = GetUrl, client = Authenticated)]
pub async fn diagnostics() -> Result<contract::Diagnostics, ErrorBody> {
    let (call, principal) = serve::signed_in(PlanCheck::Skipped).await?;
    call.no_store();
    call.answer(call.engine.diagnostics(&principal).await)
}

/// The account's users with their live sessions; admins and owners only.
#[server(prefix = "/api", endpoint = "admin/users", input = GetUrl, client = Authenticated)]
pub async fn admin_users() -> Result<contract::AccountUsers, ErrorBody> {
    let (call, admin) = serve::admin().await?;
    call.answer(call.engine.account_users(&admin).await)
}

/// Ends every session of a user of the account (ADMIN_REVOKED): admins and owners only, and a
/// sensitive action (step-up), checked after the role.
#[server(prefix = "/api", endpoint = "admin/users/end_sessions", input = Json, client = Authenticated)]
pub async fn admin_end_sessions(
    /// A user of the admin's own account; a user of another account is answered 404, as if there
    /// were none.
    user_id: String,
) -> Result<contract::EndedSessions, ErrorBody> {
    let (call, admin) = serve::admin().await?;
    let ended = call.answer(call.engine.end_user_sessions(&admin, &user_id, &call.meta).await)?;
    Ok(contract::EndedSessions { ended })
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use leptos::server_fn::ServerFn;

    #[test]
    fn a_reauth_required_answer_names_the_reauth_functions_path() {
        assert_eq!(Reauth::PATH, contract::REAUTH_PATH);
    }
}
