//! The server functions, at the stable paths of SPEC §3. Each is thin: read the request, call the
//! engine, answer; all the rules live in the engine. The bodies exist only in the server build.

#[cfg(feature = "ssr")]
mod answer;
pub mod credentials;
#[cfg(feature = "ssr")]
pub mod serve;

pub use credentials::{Login, Logout, LogoutEvent, Refresh, login, logout, logout_event, refresh};

use crate::contract::{
    self, ErrorBody, ErrorCode, JobView, LogoutAllAnswer, LogoutReport, Secret, SessionsAnswer, TokenInfo, UserView,
};
use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, Json, JsonEncoding};
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// The browser's client of the authenticated calls; the server never sends a call, and names the
/// stock client only because every server function must name one.
#[cfg(feature = "hydrate")]
use crate::session::transport::Authenticated;
#[cfg(not(feature = "hydrate"))]
use leptos::server_fn::client::browser::BrowserClient as Authenticated;

#[cfg(feature = "ssr")]
use crate::engine::PlanCheck;

/// Every server function answers errors with the body of SPEC §2.
impl FromServerFnError for ErrorBody {
    type Encoder = JsonEncoding;

    /// On the server, arguments that do not decode are the caller's mistake: 400, never 500. In the
    /// browser, a call that could not be sent or whose answer did not decode names that instead.
    fn from_server_fn_error(error: ServerFnErrorErr) -> Self {
        #[cfg(not(feature = "ssr"))]
        return match error {
            ServerFnErrorErr::Request(detail) => ErrorBody::plain(ErrorCode::Unreachable, &detail),
            other => ErrorBody::plain(ErrorCode::UnreadableAnswer, &other.to_string()),
        };
        #[cfg(feature = "ssr")]
        {
            let bad_input = matches!(
                error,
                ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) | ServerFnErrorErr::Deserialization(_)
            );
            serve::set_status_for_framework_error(bad_input, &error);
            if bad_input {
                // A fixed message: the decoder's own would echo parts of the input back.
                ErrorBody::plain(ErrorCode::BadRequest, "The request body is not valid for this call.")
            } else {
                ErrorBody::plain(ErrorCode::Internal, "Something went wrong on our side.")
            }
        }
    }
}

/// The signed-in user. Every page load and session check asks it, so the server answers it
/// outside server-function dispatch ([`serve::direct`]), with the same [`signed_in_user`].
#[server(prefix = "/api", endpoint = "auth/me", input = GetUrl, client = Authenticated)]
pub async fn me() -> Result<UserView, ErrorBody> {
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
pub async fn logout_all(#[server(default)] keep_current: bool) -> Result<LogoutAllAnswer, ErrorBody> {
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
pub async fn revoke_session(session_id: String) -> Result<(), ErrorBody> {
    let (call, principal) = serve::signed_in(PlanCheck::Skipped).await?;
    if session_id == principal.session_id {
        call.clear_refresh_cookie();
    }
    call.answer(call.engine.revoke(&principal, &session_id, &call.meta).await)
}

/// Changes the password; the answer carries a new refresh cookie for this session.
#[server(prefix = "/api", endpoint = "auth/password", input = Json, client = Authenticated)]
pub async fn change_password(current_password: Secret, new_password: Secret) -> Result<TokenInfo, ErrorBody> {
    let (call, principal) = serve::signed_in(PlanCheck::Skipped).await?;
    let issued = call.answer(
        call.engine.change_password(&principal, current_password.expose(), new_password.expose(), &call.meta).await,
    )?;
    call.set_tokens(&issued);
    Ok(issued.token)
}

/// Confirms the password for step-up: sensitive actions need no new check until `reauth_until`.
#[server(prefix = "/api", endpoint = "auth/reauth", input = Json, client = Authenticated)]
pub async fn reauth(password: Secret) -> Result<contract::ReauthAnswer, ErrorBody> {
    let (call, principal) = serve::signed_in(PlanCheck::Skipped).await?;
    let reauth_until = call.answer(call.engine.reauth(&principal, password.expose(), &call.meta).await)?;
    Ok(contract::ReauthAnswer { reauth_until })
}

/// The user's own security activity over the last `days` days (1–30, default 30), newest first.
#[server(prefix = "/api", endpoint = "auth/activity", input = GetUrl, client = Authenticated)]
pub async fn activity(#[server(default)] days: Option<i64>) -> Result<contract::ActivityAnswer, ErrorBody> {
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

/// The account's plan; answered even when the plan has lapsed, so the billing page can say so.
#[server(prefix = "/api", endpoint = "billing/status", input = GetUrl, client = Authenticated)]
pub async fn billing_status() -> Result<contract::BillingStatus, ErrorBody> {
    let (_, principal) = serve::signed_in(PlanCheck::Skipped).await?;
    Ok(contract::BillingStatus {
        plan_status: principal.plan,
        account_name: principal.user.account_name.clone(),
        user: principal.user,
    })
}

/// Starts a simulated job of `seconds` (default 20).
#[server(prefix = "/api", endpoint = "jobs/start", input = Json, client = Authenticated)]
pub async fn start_job(#[server(default)] seconds: Option<i64>) -> Result<JobView, ErrorBody> {
    let (call, principal) = serve::signed_in(PlanCheck::Required).await?;
    call.answer(call.engine.start_job(&principal.user.id, seconds))
}

#[server(prefix = "/api", endpoint = "jobs/status", input = GetUrl, client = Authenticated)]
pub async fn job_status(id: String) -> Result<JobView, ErrorBody> {
    let (call, principal) = serve::signed_in(PlanCheck::Required).await?;
    call.answer(call.engine.job_status(&principal.user.id, &id))
}

/// The account at a glance; admins and owners only.
#[server(prefix = "/api", endpoint = "admin/overview", input = GetUrl, client = Authenticated)]
pub async fn admin_overview() -> Result<contract::AdminOverview, ErrorBody> {
    let (call, admin) = serve::admin().await?;
    call.answer(call.engine.admin_overview(&admin).await)
}

/// The account's session endings by reason and day; admins and owners only.
#[server(prefix = "/api", endpoint = "admin/logouts", input = GetUrl, client = Authenticated)]
pub async fn admin_logouts(#[server(default)] days: Option<i64>) -> Result<LogoutReport, ErrorBody> {
    let (call, admin) = serve::admin().await?;
    let account_id = admin.user.account_id.as_deref();
    call.answer(call.engine.logout_report(account_id, days.unwrap_or(7)).await)
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
pub async fn admin_end_sessions(user_id: String) -> Result<contract::EndedSessions, ErrorBody> {
    let (call, admin) = serve::admin().await?;
    let ended = call.answer(call.engine.end_user_sessions(&admin, &user_id, &call.meta).await)?;
    Ok(contract::EndedSessions { ended })
}

/// The account's refreshes by outcome, session lengths and remember-me use per day; admins and
/// owners only.
#[server(prefix = "/api", endpoint = "admin/session_health", input = GetUrl, client = Authenticated)]
pub async fn admin_session_health(#[server(default)] days: Option<i64>) -> Result<contract::SessionHealth, ErrorBody> {
    let (call, admin) = serve::admin().await?;
    let account_id = admin.user.account_id.as_deref();
    call.answer(call.engine.session_health(account_id, days.unwrap_or(7)).await)
}
