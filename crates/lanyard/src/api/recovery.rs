//! A way back in (SPEC §10): asking for a password reset link, and setting a new password with it.
//! Neither carries a bearer: the email, then the link's token, are what the caller has.

use crate::contract::{CheckYourEmail, ErrorBody, Secret, SignInAnswer};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
use super::serve;
#[cfg(feature = "hydrate")]
use crate::session::wire::Plain;
#[cfg(not(feature = "hydrate"))]
use leptos::server_fn::client::browser::BrowserClient as Plain;

/// Sends a password reset link to `email` if it has an account: 202 for every address, after the
/// same work, so the answer tells nobody whether it has one.
#[server(prefix = "/api", endpoint = "auth/password_reset", input = Json, client = Plain)]
pub async fn request_password_reset(
    /// Where the link goes; requests are throttled per email and per address.
    email: String,
) -> Result<CheckYourEmail, ErrorBody> {
    let call = serve::Call::current()?;
    call.answer(call.engine.request_password_reset(&email, &call.meta).await)?;
    call.set_status(202);
    Ok(CheckYourEmail::default())
}

/// Sets a new password with a reset link's token and signs this device in: every other session of
/// the user ends with PASSWORD_RESET. For a user with a second factor the answer asks for it first
/// (`mfa_required`), and the reset commits with the second step.
#[server(prefix = "/api", endpoint = "auth/password_reset/confirm", input = Json, client = Plain)]
pub async fn confirm_password_reset(
    /// The link's token, read from the page's address (and dropped from it) before this call.
    token: Secret,
    /// The new password; it must meet the policy of `credentials::NewPassword` and not be common.
    new_password: Secret,
) -> Result<SignInAnswer, ErrorBody> {
    let call = serve::Call::current()?;
    let reset = call.engine.confirm_password_reset(token.expose(), new_password.expose(), &call.meta).await;
    Ok(call.sign_in_answer(call.answer(reset)?))
}
