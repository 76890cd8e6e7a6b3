//! What the pages ask of the second factor in the browser (SPEC §11): a sign-in's second step,
//! signing in with a passkey alone, and setting up an authenticator app or a passkey. A passkey
//! prompt the user closes, like a wrong code, is said on the page and ends nothing.

use super::flows::{hold, passkey_problem};
use super::storage;
use super::view::SecondFactor;
use super::webauthn;
use crate::api::factors;
use crate::contract::{ErrorBody, MfaStatus, PasskeyAdded, Secret, TotpSetup, UserView};

/// A sign-in's second step with `factor`; holds the session it opens.
pub async fn second_step(mfa_token: Secret, factor: SecondFactor) -> Result<(UserView, Option<u32>), ErrorBody> {
    let answer = match factor {
        SecondFactor::Code(code) => factors::login_mfa(mfa_token, Some(code.into()), None, None).await?,
        SecondFactor::RecoveryCode(code) => factors::login_mfa(mfa_token, None, Some(code.into()), None).await?,
        SecondFactor::Passkey(options) => {
            let credential = webauthn::get(&options).await.map_err(|problem| passkey_problem(&problem))?;
            factors::login_mfa(mfa_token, None, None, Some(credential)).await?
        }
    };
    let left = answer.recovery_codes_left;
    Ok((hold(answer), left))
}

/// Signs in with a passkey alone, no email typed; holds the session it opens.
pub async fn passkey_sign_in(remember_me: bool) -> Result<UserView, ErrorBody> {
    let options = factors::passkey_login_start().await?;
    let credential = webauthn::get(&options).await.map_err(|problem| passkey_problem(&problem))?;
    let answer = factors::passkey_login_finish(credential, remember_me, Some(storage::device_id())).await?;
    Ok(hold(answer))
}

/// The signed-in user's second factors.
pub async fn second_factors() -> Result<MfaStatus, ErrorBody> {
    factors::second_factors().await
}

/// Starts setting up an authenticator app: its secret and QR code.
pub async fn set_up_totp() -> Result<TotpSetup, ErrorBody> {
    factors::set_up_totp().await
}

/// Turns the app on with its first code; the recovery codes, shown once.
pub async fn confirm_totp(code: String) -> Result<Vec<Secret>, ErrorBody> {
    Ok(factors::totp_confirm(code.into()).await?.recovery_codes)
}

/// Turns the authenticator app off.
pub async fn turn_off_totp() -> Result<(), ErrorBody> {
    factors::totp_disable().await
}

/// Adds a passkey on this device: the server's options, the browser's prompt, the new credential.
pub async fn add_passkey(name: String) -> Result<PasskeyAdded, ErrorBody> {
    let options = factors::passkey_register_start().await?;
    let credential = webauthn::create(&options).await.map_err(|problem| passkey_problem(&problem))?;
    factors::passkey_register_finish(credential, name).await
}

/// Removes one of the user's passkeys.
pub async fn remove_passkey(id: String) -> Result<(), ErrorBody> {
    factors::passkey_delete(id).await
}
