//! The calls that carry credentials rather than a bearer: sign-in (a password), refresh and
//! sign-out (the cookie), and the browser's logout event (no authentication at all). Their answers go
//! to the caller as they come: a 401 here is a refusal of these credentials, never a cue to refresh.

use crate::contract::{self, ErrorBody, Secret, SignInAnswer, TokenInfo};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
use super::serve;
#[cfg(feature = "hydrate")]
use crate::session::wire::Plain;
#[cfg(not(feature = "hydrate"))]
use leptos::server_fn::client::browser::BrowserClient as Plain;

/// Signs in. The refresh token goes out as the HttpOnly cookie; the access token in the body. A
/// user with a second factor gets `mfa_required` instead, with no cookie (SPEC §11).
#[server(prefix = "/api", endpoint = "auth/login", input = Json, client = Plain)]
pub async fn login(
    /// The account's email address; failed sign-ins are counted per email and IP
    /// (`LANYARD_LOGIN_MAX_FAILURES`).
    email: String,
    /// The password as typed; a `Secret`, so the call's Debug output never shows it.
    password: Secret,
    /// "Keep me logged in for 20 days": the session lasts `LANYARD_REMEMBER_TTL` instead of
    /// `LANYARD_SESSION_TTL`.
    #[server(default)]
    remember_me: bool,
    /// This browser's id from its storage, so a sign-in on a device the user had not used is
    /// marked as a new device (SPEC §4, §5); without one, the device counts as new.
    #[server(default)]
    device_id: Option<String>,
) -> Result<SignInAnswer, ErrorBody> {
    let call = serve::Call::current()?;
    let signed_in =
        call.answer(call.engine.login(&email, password.expose(), remember_me, device_id.as_deref(), &call.meta).await)?;
    Ok(call.sign_in_answer(signed_in))
}

/// Rotates the refresh cookie and issues a new access token.
#[server(prefix = "/api", endpoint = "auth/refresh", input = Json, client = Plain)]
pub async fn refresh() -> Result<TokenInfo, ErrorBody> {
    let call = serve::Call::current()?;
    call.no_store();
    let cookies = call.refresh_cookies();
    let cookies: Vec<&str> = cookies.iter().map(String::as_str).collect();
    let issued = call.answer(call.engine.refresh(&cookies, &call.meta).await)?;
    call.set_tokens(&issued);
    Ok(issued.token)
}

/// Signs out this device; idempotent. The cookie is cleared once the ending is recorded (or there
/// was no session), and only when it names that session or none that lives: a sign-out the
/// database could not record keeps the cookie, so the browser can send it again rather than leave
/// a live session it can no longer end, and a stale tab's sign-out keeps the cookie of the user
/// who signed in since. `reason` is absent for the user's own sign-out, or SESSION_USER_MISMATCH
/// from a tab whose refresh was answered for another user (SPEC §4).
#[server(prefix = "/api", endpoint = "auth/logout", input = Json, client = Plain)]
pub async fn logout(
    /// Why the browser ends the session: absent for the user's own sign-out.
    #[server(default)]
    reason: Option<contract::LogoutCode>,
) -> Result<(), ErrorBody> {
    let call = serve::Call::current()?;
    let cookies = call.refresh_cookies();
    let cookies: Vec<&str> = cookies.iter().map(String::as_str).collect();
    let cookie = call.answer(call.engine.logout(&cookies, call.bearer(), reason, &call.meta).await)?;
    if cookie == crate::engine::SignedOutCookie::Clear {
        call.clear_refresh_cookie();
    }
    Ok(())
}

/// A browser's logout event, kept in the audit trail. No authentication: the session may be gone.
#[server(prefix = "/api", endpoint = "auth/logout_event", input = Json, client = Plain)]
pub async fn logout_event(
    /// The reason object of SPEC §4, as the tab built it; sent flattened, so the body is the
    /// object itself.
    #[server(flatten)]
    event: contract::LogoutEvent,
) -> Result<(), ErrorBody> {
    let call = serve::Call::current()?;
    call.answer(call.engine.record_client_event(&event, &call.meta).await)?;
    call.set_status(204);
    Ok(())
}
