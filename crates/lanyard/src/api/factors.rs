//! The second factor (SPEC §11): a sign-in's second step, passkey sign-in, and the set-up of
//! authenticator apps, recovery codes and passkeys. Set-up calls carry the bearer and never answer
//! 401 for a wrong code (403 `INVALID_MFA_CODE`: the session is kept); the sign-in calls carry
//! what the user has, and answer as `login` does.

use crate::contract::{ErrorBody, LoginAnswer, MfaStatus, PasskeyAdded, PasskeyList, RecoveryCodes, Secret, TotpSetup};
use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, Json};
use serde_json::Value;

use super::Authenticated;
#[cfg(feature = "ssr")]
use super::serve;
#[cfg(feature = "ssr")]
use crate::engine::PlanCheck;
#[cfg(feature = "hydrate")]
use crate::session::wire::Plain;
#[cfg(not(feature = "hydrate"))]
use leptos::server_fn::client::browser::BrowserClient as Plain;

/// The one factor of a call that takes `code`, `recovery_code` or `credential`: exactly one.
#[cfg(feature = "ssr")]
fn one_factor(
    code: Option<Secret>,
    recovery_code: Option<Secret>,
    credential: Option<Value>,
) -> Result<crate::contract::MfaProof, String> {
    match (code, recovery_code, credential) {
        (Some(code), None, None) => Ok(crate::contract::MfaProof::Code(code)),
        (None, Some(code), None) => Ok(crate::contract::MfaProof::RecoveryCode(code)),
        (None, None, Some(credential)) => Ok(crate::contract::MfaProof::Credential(credential)),
        _ => Err("Send one of code, recovery_code or credential.".into()),
    }
}

/// A sign-in's second step: the first step's `mfa_token` and one factor. It signs in as `login`
/// does, with the first step's "keep me signed in" and device.
#[server(prefix = "/api", endpoint = "auth/login/mfa", input = Json, client = Plain)]
pub async fn login_mfa(
    /// The first step's token: five minutes, consumed only by a second step that succeeds.
    mfa_token: Secret,
    /// A code of the authenticator app.
    #[server(default)]
    code: Option<Secret>,
    /// One of the recovery codes.
    #[server(default)]
    recovery_code: Option<Secret>,
    /// A passkey's assertion, answering the first step's `passkey_options`.
    #[server(default)]
    credential: Option<Value>,
) -> Result<LoginAnswer, ErrorBody> {
    let call = serve::Call::current()?;
    let proof =
        call.answer(one_factor(code, recovery_code, credential).map_err(crate::engine::AuthError::BadRequest))?;
    let done = call.answer(call.engine.login_mfa(mfa_token.expose(), &proof, &call.meta).await)?;
    call.set_tokens(&done.issued);
    Ok(LoginAnswer { token: done.issued.token, user: done.user, recovery_codes_left: done.recovery_codes_left })
}

/// Request options for signing in with a passkey alone (no email typed).
#[server(prefix = "/api", endpoint = "auth/passkeys/login/start", input = Json, client = Plain)]
pub async fn passkey_login_start() -> Result<Value, ErrorBody> {
    let call = serve::Call::current()?;
    call.answer(call.engine.passkey_login_start().await)
}

/// Signs in with a passkey alone; it counts as both factors.
#[server(prefix = "/api", endpoint = "auth/passkeys/login/finish", input = Json, client = Plain)]
pub async fn passkey_login_finish(
    /// The passkey's assertion (`PublicKeyCredential` as JSON).
    credential: Value,
    /// "Keep me logged in", as at `login`.
    #[server(default)]
    remember_me: bool,
    /// This browser's id, as at `login`.
    #[server(default)]
    device_id: Option<String>,
) -> Result<LoginAnswer, ErrorBody> {
    let call = serve::Call::current()?;
    let signed_in = call.engine.passkey_login_finish(&credential, remember_me, device_id.as_deref(), &call.meta).await;
    let (issued, user) = call.answer(signed_in)?;
    call.set_tokens(&issued);
    Ok(LoginAnswer { token: issued.token, user, recovery_codes_left: None })
}

/// The caller's second factors, for the security page.
#[server(prefix = "/api", endpoint = "auth/mfa", input = GetUrl, client = Authenticated)]
pub async fn second_factors() -> Result<MfaStatus, ErrorBody> {
    let (call, principal) = serve::signed_in(PlanCheck::Skipped).await?;
    call.answer(call.engine.mfa_status(&principal).await)
}

/// Starts setting up an authenticator app (step-up): the secret and its QR code.
#[server(prefix = "/api", endpoint = "auth/mfa/totp/setup", input = Json, client = Authenticated)]
pub async fn set_up_totp() -> Result<TotpSetup, ErrorBody> {
    let (call, principal) = serve::signed_in(PlanCheck::Skipped).await?;
    call.no_store();
    call.answer(call.engine.totp_setup(&principal).await)
}

/// Turns the app on with its first code; the answer holds ten recovery codes, shown once.
#[server(prefix = "/api", endpoint = "auth/mfa/totp/confirm", input = Json, client = Authenticated)]
pub async fn totp_confirm(
    /// The code the app shows now.
    code: Secret,
) -> Result<RecoveryCodes, ErrorBody> {
    let (call, principal) = serve::signed_in(PlanCheck::Skipped).await?;
    call.no_store();
    call.answer(call.engine.totp_confirm(&principal, code.expose(), &call.meta).await)
}

/// Turns the authenticator app off (step-up). No session ends.
#[server(prefix = "/api", endpoint = "auth/mfa/totp/disable", input = Json, client = Authenticated)]
pub async fn totp_disable() -> Result<(), ErrorBody> {
    let (call, principal) = serve::signed_in(PlanCheck::Skipped).await?;
    call.answer(call.engine.totp_disable(&principal, &call.meta).await)
}

/// The caller's passkeys, oldest first.
#[server(prefix = "/api", endpoint = "auth/passkeys", input = GetUrl, client = Authenticated)]
pub async fn passkeys() -> Result<PasskeyList, ErrorBody> {
    let (call, principal) = serve::signed_in(PlanCheck::Skipped).await?;
    Ok(PasskeyList { passkeys: call.answer(call.engine.passkeys(&principal).await)? })
}

/// Creation options for a new passkey (step-up).
#[server(prefix = "/api", endpoint = "auth/passkeys/register/start", input = Json, client = Authenticated)]
pub async fn passkey_register_start() -> Result<Value, ErrorBody> {
    let (call, principal) = serve::signed_in(PlanCheck::Skipped).await?;
    call.answer(call.engine.passkey_register_start(&principal).await)
}

/// Adds the passkey the browser made; the user's first factor comes with recovery codes.
#[server(prefix = "/api", endpoint = "auth/passkeys/register/finish", input = Json, client = Authenticated)]
pub async fn passkey_register_finish(
    /// The new credential (`PublicKeyCredential` as JSON).
    credential: Value,
    /// What the user calls it; "Passkey" when blank.
    #[server(default)]
    name: String,
) -> Result<PasskeyAdded, ErrorBody> {
    let (call, principal) = serve::signed_in(PlanCheck::Skipped).await?;
    call.no_store();
    call.answer(call.engine.passkey_register_finish(&principal, &credential, &name, &call.meta).await)
}

/// Removes one of the caller's passkeys (step-up). No session ends.
#[server(prefix = "/api", endpoint = "auth/passkeys/delete", input = Json, client = Authenticated)]
pub async fn passkey_delete(
    /// The passkey's id, from `passkeys`.
    id: String,
) -> Result<(), ErrorBody> {
    let (call, principal) = serve::signed_in(PlanCheck::Skipped).await?;
    call.answer(call.engine.delete_passkey(&principal, &id, &call.meta).await)
}

/// Request options for step-up by passkey.
#[server(prefix = "/api", endpoint = "auth/reauth/start", input = Json, client = Authenticated)]
pub async fn reauth_start() -> Result<Value, ErrorBody> {
    let (call, principal) = serve::signed_in(PlanCheck::Skipped).await?;
    call.answer(call.engine.reauth_start(&principal).await)
}
