//! Invitations (SPEC §10): an owner or admin invites an address into the account (bearer, a
//! sensitive action); the invitee's link shows the invitation and joins with a password.

use crate::contract::{ErrorBody, InvitationSent, InvitationView, LoginAnswer, Role, Secret};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::Authenticated;
#[cfg(feature = "ssr")]
use super::serve;
#[cfg(feature = "hydrate")]
use crate::session::wire::Plain;
#[cfg(not(feature = "hydrate"))]
use leptos::server_fn::client::browser::BrowserClient as Plain;

/// Invites `email` into the caller's account as `role`: 201 with the invitation, the mail on its
/// way. Admins and owners only (an admin invites admins and viewers), then step-up.
#[server(prefix = "/api", endpoint = "admin/invitations", input = Json, client = Authenticated)]
pub async fn invite(
    /// The invitee's address.
    email: String,
    /// The role the invitee joins with.
    role: Role,
) -> Result<InvitationSent, ErrorBody> {
    let (call, admin) = serve::admin().await?;
    let sent = call.answer(call.engine.invite(&admin, &email, role).await)?;
    call.set_status(201);
    Ok(sent)
}

/// What an invitation link offers: the address, the account's name and the role.
#[server(prefix = "/api", endpoint = "auth/invitation", input = Json, client = Plain)]
pub async fn invitation(
    /// The link's token, read from the page's address (and dropped from it) before this call.
    token: Secret,
) -> Result<InvitationView, ErrorBody> {
    let call = serve::Call::current()?;
    call.answer(call.engine.invitation(token.expose(), &call.meta).await)
}

/// Joins the inviting account with a password of one's own, signed in at once.
#[server(prefix = "/api", endpoint = "auth/invitation/accept", input = Json, client = Plain)]
pub async fn accept_invitation(
    /// The link's token.
    token: Secret,
    /// The new user's password; it must meet the policy of `credentials::NewPassword`.
    password: Secret,
) -> Result<LoginAnswer, ErrorBody> {
    let call = serve::Call::current()?;
    let joined = call.engine.accept_invitation(token.expose(), password.expose(), &call.meta).await;
    let (issued, user) = call.answer(joined)?;
    call.set_tokens(&issued);
    Ok(LoginAnswer { token: issued.token, user, recovery_codes_left: None })
}
