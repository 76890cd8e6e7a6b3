//! Changing the address (SPEC §10): asked for with the password and a bearer, confirmed by the
//! link to the new address, cancelled by the link in the notice to the old one.

use crate::contract::{CheckYourEmail, ErrorBody, Secret, VerifiedEmail};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
use super::serve;
use crate::api::Authenticated;
#[cfg(feature = "ssr")]
use crate::engine::PlanCheck;
#[cfg(feature = "hydrate")]
use crate::session::wire::Plain;
#[cfg(not(feature = "hydrate"))]
use leptos::server_fn::client::browser::BrowserClient as Plain;

/// Asks to change the caller's address: 202, a link to the new address and a notice to the old;
/// 403 `WRONG_PASSWORD`, 409 `EMAIL_TAKEN`.
#[server(prefix = "/api", endpoint = "auth/email", input = Json, client = Authenticated)]
pub async fn change_email(
    /// The address the account should have.
    new_email: String,
    /// The caller's password, checked as at sign-in (and throttled alike).
    password: Secret,
) -> Result<CheckYourEmail, ErrorBody> {
    let (call, principal) = serve::signed_in(PlanCheck::Skipped).await?;
    call.answer(call.engine.request_email_change(&principal, &new_email, password.expose(), &call.meta).await)?;
    call.set_status(202);
    Ok(CheckYourEmail::default())
}

/// Confirms a change with the link sent to the new address; no bearer (the token is the proof).
#[server(prefix = "/api", endpoint = "auth/email/confirm", input = Json, client = Plain)]
pub async fn confirm_email_change(
    /// The link's token, read from the page's address (and dropped from it) before this call.
    token: Secret,
) -> Result<VerifiedEmail, ErrorBody> {
    let call = serve::Call::current()?;
    let email = call.answer(call.engine.confirm_email_change(token.expose(), &call.meta).await)?;
    Ok(VerifiedEmail { email })
}

/// Cancels a change with the link of the notice to the old address, undoing it if it was confirmed.
#[server(prefix = "/api", endpoint = "auth/email/cancel", input = Json, client = Plain)]
pub async fn cancel_email_change(
    /// The link's token, read from the page's address (and dropped from it) before this call.
    token: Secret,
) -> Result<(), ErrorBody> {
    let call = serve::Call::current()?;
    call.answer(call.engine.cancel_email_change(token.expose(), &call.meta).await)
}
