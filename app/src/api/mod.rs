//! The server functions, at the stable paths of SPEC §3. Each is thin: read the request, call the
//! engine, answer; all the rules live in the engine. The bodies exist only in the server build.

#[cfg(feature = "ssr")]
pub mod serve;

use crate::contract::{ErrorBody, LoginAnswer, TokenInfo, UserView};
use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, Json, JsonEncoding};
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};

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
            ("BAD_REQUEST", format!("The request could not be read: {error}"))
        } else {
            ("INTERNAL", "Something went wrong on our side.".to_owned())
        };
        ErrorBody {
            error: Some(code.into()),
            message: Some(message),
            logout_reason: None,
            logout_message: None,
            logout_path: None,
            logout_context: None,
        }
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
    let (issued, user) = call
        .answer(call.engine.login(&email, &password, remember_me, device_id.as_deref(), &call.meta).await)?;
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
    let principal = call.authenticate(crate::engine::guard::PlanCheck::Required).await?;
    Ok(principal.user)
}
