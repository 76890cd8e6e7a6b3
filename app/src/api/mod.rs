//! The server functions, at the stable paths of SPEC §3. Each is thin: read the request, call the
//! engine, answer; all the rules live in the engine. The bodies exist only in the server build.

#[cfg(feature = "ssr")]
pub mod serve;

use crate::contract::{
    self, ErrorBody, JobView, LoginAnswer, LogoutAllAnswer, LogoutReport, SessionsAnswer, TokenInfo, UserView,
};
use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, Json, JsonEncoding};
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};

#[cfg(feature = "ssr")]
use crate::engine::guard::PlanCheck;

/// Roles that may use the admin pages.
#[cfg(feature = "ssr")]
const ADMINS: [crate::contract::Role; 2] = [crate::contract::Role::Owner, crate::contract::Role::Admin];

/// Every server function answers errors with the body of SPEC §2.
impl FromServerFnError for ErrorBody {
    type Encoder = JsonEncoding;

    /// Arguments that do not decode are the caller's mistake: 400, never 500.
    fn from_server_fn_error(error: ServerFnErrorErr) -> Self {
        let bad_input = matches!(
            error,
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) | ServerFnErrorErr::Deserialization(_)
        );
        #[cfg(feature = "ssr")]
        serve::set_status_for_framework_error(bad_input, &error);
        let (code, message) = if bad_input {
            // A fixed message: the decoder's own would echo parts of the input back.
            ("BAD_REQUEST", "The request body is not valid for this call.")
        } else {
            ("INTERNAL", "Something went wrong on our side.")
        };
        ErrorBody::plain(code, message)
    }
}

/// Signs in. The refresh token goes out as the HttpOnly cookie; the access token in the body.
#[server(prefix = "/api", endpoint = "auth/login", input = Json)]
pub async fn login(
    email: String,
    password: String,
    #[server(default)] remember_me: bool,
    #[server(default)] device_id: Option<String>,
) -> Result<LoginAnswer, ErrorBody> {
    let call = serve::Call::current()?;
    let (issued, user) =
        call.answer(call.engine.login(&email, &password, remember_me, device_id.as_deref(), &call.meta).await)?;
    call.set_tokens(&issued);
    Ok(LoginAnswer { token: issued.token, user })
}

/// Rotates the refresh cookie and issues a new access token.
#[server(prefix = "/api", endpoint = "auth/refresh", input = Json)]
pub async fn refresh() -> Result<TokenInfo, ErrorBody> {
    let call = serve::Call::current()?;
    call.no_store();
    let issued = call.answer(call.engine.refresh(call.refresh_cookie().as_deref(), &call.meta).await)?;
    call.set_tokens(&issued);
    Ok(issued.token)
}

/// Signs out this device; idempotent. The cookie is cleared whatever the outcome.
#[server(prefix = "/api", endpoint = "auth/logout", input = Json)]
pub async fn logout() -> Result<(), ErrorBody> {
    let call = serve::Call::current()?;
    call.clear_refresh_cookie();
    call.answer(call.engine.logout(call.refresh_cookie().as_deref(), call.bearer(), &call.meta).await)
}

/// The signed-in user.
#[server(prefix = "/api", endpoint = "auth/me", input = GetUrl)]
pub async fn me() -> Result<UserView, ErrorBody> {
    let call = serve::Call::current()?;
    let principal = call.authenticate(PlanCheck::Required).await?;
    Ok(principal.user)
}

/// Signs out every session of the user, or every other one (`keep_current`).
#[server(prefix = "/api", endpoint = "auth/logout_all", input = Json)]
pub async fn logout_all(#[server(default)] keep_current: bool) -> Result<LogoutAllAnswer, ErrorBody> {
    let call = serve::Call::current()?;
    let principal = call.authenticate(PlanCheck::Skipped).await?;
    if !keep_current {
        call.clear_refresh_cookie();
    }
    let ended = call.answer(call.engine.logout_all(&principal, keep_current, &call.meta).await)?;
    Ok(LogoutAllAnswer { ended })
}

/// The user's live sessions and those ended in the last 30 days.
#[server(prefix = "/api", endpoint = "auth/sessions", input = GetUrl)]
pub async fn sessions() -> Result<SessionsAnswer, ErrorBody> {
    let call = serve::Call::current()?;
    let principal = call.authenticate(PlanCheck::Skipped).await?;
    call.answer(call.engine.sessions(&principal).await)
}

/// Ends one of the user's sessions.
#[server(prefix = "/api", endpoint = "auth/sessions/revoke", input = Json)]
pub async fn revoke_session(session_id: String) -> Result<(), ErrorBody> {
    let call = serve::Call::current()?;
    let principal = call.authenticate(PlanCheck::Skipped).await?;
    if session_id == principal.session_id {
        call.clear_refresh_cookie();
    }
    call.answer(call.engine.revoke(&principal, &session_id, &call.meta).await)
}

/// Changes the password; the answer carries a new refresh cookie for this session.
#[server(prefix = "/api", endpoint = "auth/password", input = Json)]
pub async fn change_password(current_password: String, new_password: String) -> Result<TokenInfo, ErrorBody> {
    let call = serve::Call::current()?;
    let principal = call.authenticate(PlanCheck::Skipped).await?;
    let issued =
        call.answer(call.engine.change_password(&principal, &current_password, &new_password, &call.meta).await)?;
    call.set_tokens(&issued);
    Ok(issued.token)
}

/// The server's view of this session, for the debug panel.
#[server(prefix = "/api", endpoint = "auth/diagnostics", input = GetUrl)]
pub async fn diagnostics() -> Result<contract::Diagnostics, ErrorBody> {
    let call = serve::Call::current()?;
    let principal = call.authenticate(PlanCheck::Skipped).await?;
    call.no_store();
    call.answer(call.engine.diagnostics(&principal).await)
}

/// A browser's logout event, kept in the audit trail. No authentication: the session may be gone.
#[server(prefix = "/api", endpoint = "auth/logout_event", input = Json)]
pub async fn logout_event(#[server(flatten)] event: contract::LogoutEvent) -> Result<(), ErrorBody> {
    let call = serve::Call::current()?;
    call.answer(call.engine.record_client_event(&event, &call.meta).await)?;
    call.set_status(204);
    Ok(())
}

/// The account's plan; answered even when the plan has lapsed, so the billing page can say so.
#[server(prefix = "/api", endpoint = "billing/status", input = GetUrl)]
pub async fn billing_status() -> Result<contract::BillingStatus, ErrorBody> {
    let call = serve::Call::current()?;
    let principal = call.authenticate(PlanCheck::Skipped).await?;
    Ok(contract::BillingStatus {
        plan_status: principal.plan,
        account_name: principal.user.account_name.clone(),
        user: principal.user,
    })
}

/// Starts a simulated job of `seconds` (default 20).
#[server(prefix = "/api", endpoint = "jobs/start", input = Json)]
pub async fn start_job(#[server(default)] seconds: Option<i64>) -> Result<JobView, ErrorBody> {
    let call = serve::Call::current()?;
    let principal = call.authenticate(PlanCheck::Required).await?;
    call.answer(call.engine.start_job(&principal, seconds))
}

#[server(prefix = "/api", endpoint = "jobs/status", input = GetUrl)]
pub async fn job_status(id: String) -> Result<JobView, ErrorBody> {
    let call = serve::Call::current()?;
    let principal = call.authenticate(PlanCheck::Required).await?;
    call.answer(call.engine.job_status(&principal, &id))
}

/// The account at a glance; admins and owners only.
#[server(prefix = "/api", endpoint = "admin/overview", input = GetUrl)]
pub async fn admin_overview() -> Result<contract::AdminOverview, ErrorBody> {
    let call = serve::Call::current()?;
    let principal = call.authenticate(PlanCheck::Required).await?;
    call.answer(principal.require_role(&ADMINS))?;
    call.answer(call.engine.admin_overview(&principal).await)
}

/// The account's session endings by reason and day; admins and owners only.
#[server(prefix = "/api", endpoint = "admin/logouts", input = GetUrl)]
pub async fn admin_logouts(#[server(default)] days: Option<i64>) -> Result<LogoutReport, ErrorBody> {
    let call = serve::Call::current()?;
    let principal = call.authenticate(PlanCheck::Required).await?;
    call.answer(principal.require_role(&ADMINS))?;
    let account_id = principal.user.account_id.as_deref();
    call.answer(call.engine.logout_report(account_id, days.unwrap_or(7)).await)
}
