//! Creating an account (SPEC §10): sign-up, the verification link, and sending it again. None
//! carries a bearer.

use crate::contract::{CheckYourEmail, ErrorBody, Secret, SignUpAnswer, VerifiedEmail};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
use super::serve;
#[cfg(feature = "ssr")]
use crate::contract::LoginAnswer;
#[cfg(feature = "ssr")]
use crate::engine::SignedUp;
#[cfg(feature = "hydrate")]
use crate::session::wire::Plain;
#[cfg(not(feature = "hydrate"))]
use leptos::server_fn::client::browser::BrowserClient as Plain;

/// Creates an account with its owner: 202 "check your email" whatever the address (verification
/// required), or 200 signed in (verification off). 403 `SIGNUP_CLOSED` unless `LANYARD_SIGNUP=open`.
#[server(prefix = "/api", endpoint = "auth/signup", input = Json, client = Plain)]
pub async fn sign_up(
    /// The new user's address, where the verification link goes.
    email: String,
    /// The new password; it must meet the policy of `credentials::NewPassword` and not be common.
    password: Secret,
    /// The new account's name; by default the email's local part.
    #[server(default)]
    account_name: Option<String>,
) -> Result<SignUpAnswer, ErrorBody> {
    let call = serve::Call::current()?;
    let signed_up = call.engine.sign_up(&email, password.expose(), account_name.as_deref(), &call.meta).await;
    match call.answer(signed_up)? {
        SignedUp::CheckYourEmail => {
            call.set_status(202);
            Ok(SignUpAnswer::CheckYourEmail(CheckYourEmail::default()))
        }
        SignedUp::SignedIn(signed_in) => {
            let (issued, user) = *signed_in;
            call.set_tokens(&issued);
            Ok(SignUpAnswer::SignedIn(LoginAnswer { token: issued.token, user, recovery_codes_left: None }))
        }
    }
}

/// Confirms an address with its verification link's token.
#[server(prefix = "/api", endpoint = "auth/verify_email", input = Json, client = Plain)]
pub async fn verify_email(
    /// The link's token, read from the page's address (and dropped from it) before this call.
    token: Secret,
) -> Result<VerifiedEmail, ErrorBody> {
    let call = serve::Call::current()?;
    let email = call.answer(call.engine.verify_email(token.expose(), &call.meta).await)?;
    Ok(VerifiedEmail { email })
}

/// Sends the verification link again: 202 for every address, a mail only for an unverified one, at
/// most one a minute.
#[server(prefix = "/api", endpoint = "auth/verify_email/resend", input = Json, client = Plain)]
pub async fn resend_verification(
    /// The address that signed up.
    email: String,
) -> Result<CheckYourEmail, ErrorBody> {
    let call = serve::Call::current()?;
    call.answer(call.engine.resend_verification(&email, &call.meta).await)?;
    call.set_status(202);
    Ok(CheckYourEmail::default())
}
