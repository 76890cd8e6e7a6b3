//! Passkeys (SPEC §11, WebAuthn through webauthn-rs): adding one, signing in with one alone (a
//! discoverable credential, no email typed), and proving one as a second factor or for step-up.
//! Every ceremony's challenge is kept in the database with what it is for, so any instance
//! finishes what another began, and each is answered once.

use super::error::{AuthError, AuthResult};
use super::guard::Principal;
use super::input::plain_text;
use super::instance::Engine;
use super::policy::RequestMeta;
use super::recovery_codes::renew_recovery_codes;
use super::sessions::{Issued, SessionRequest};
use super::store::factors::{ChallengeRow, PasskeyRow};
use super::store::{Store, new_id};
use super::totp::WRONG_CODE;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use lanyard_contract::{AuditKind, ErrorCode, PasskeyAdded, UserView};
use serde::de::DeserializeOwned;
use serde_json::Value;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, DiscoverableKey, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
};

/// How long a ceremony may take, from its options to its answer.
const CEREMONY_TTL: i64 = 300;
/// Longest name a passkey may be given.
const MAX_NAME_CHARS: usize = 64;

/// A refused passkey where no session is signed in yet: 401, nothing ended.
const REFUSED_AT_SIGN_IN: AuthError =
    AuthError::Unauthorized { code: ErrorCode::InvalidMfaCode, message: "The passkey was not accepted." };

/// What a ceremony is for, and whom it is bound to.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Ceremony<'a> {
    /// Adding a passkey, from this session.
    Register(&'a str),
    /// Step-up by passkey, in this session.
    Reauth(&'a str),
    /// A sign-in's second step, named by its token's hash.
    SecondStep(&'a str),
    /// Signing in with a passkey alone.
    SignIn,
}

impl Ceremony<'_> {
    fn purpose(self) -> &'static str {
        match self {
            Self::Register(_) => "register",
            Self::Reauth(_) => "reauth",
            Self::SecondStep(_) => "second_step",
            Self::SignIn => "sign_in",
        }
    }

    /// Whether a stored challenge was made for this ceremony.
    fn owns(self, row: &ChallengeRow) -> bool {
        row.purpose == self.purpose()
            && match self {
                Self::Register(session) | Self::Reauth(session) => row.session_id.as_deref() == Some(session),
                Self::SecondStep(token_hash) => row.mfa_token_hash.as_deref() == Some(token_hash),
                Self::SignIn => true,
            }
    }
}

/// A passkey that answered, with its new counter, to be written with what it proved.
#[derive(Debug)]
pub(crate) struct PasskeyUse {
    /// The passkey's id.
    pub id: String,
    /// The credential with its new counter, as JSON.
    pub credential: String,
}

/// Bytes of base64 as browsers and libraries write it: URL-safe or standard, padded or not.
fn decode_any(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    URL_SAFE_NO_PAD.decode(text).or_else(|_| URL_SAFE.decode(text)).or_else(|_| STANDARD.decode(text)).ok()
}

/// The challenge a browser's answer signed, as the key its ceremony is kept under.
fn answered_challenge(client_data_json: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct ClientData {
        challenge: String,
    }
    let client_data: ClientData = serde_json::from_slice(client_data_json).ok()?;
    Some(URL_SAFE_NO_PAD.encode(decode_any(&client_data.challenge)?))
}

fn from_json<T: DeserializeOwned>(value: &Value) -> Option<T> {
    serde_json::from_value(value.clone()).ok()
}

fn to_json(value: &impl serde::Serialize) -> AuthResult<String> {
    serde_json::to_string(value).map_err(|error| AuthError::Internal(format!("encoding a passkey's state: {error}")))
}

fn read_json<T: DeserializeOwned>(text: &str) -> AuthResult<T> {
    serde_json::from_str(text).map_err(|error| AuthError::Internal(format!("reading a passkey's state: {error}")))
}

fn options_json(value: &impl serde::Serialize) -> AuthResult<Value> {
    serde_json::to_value(value).map_err(|error| AuthError::Internal(format!("encoding WebAuthn options: {error}")))
}

impl Engine {
    /// The relying party of `LANYARD_PUBLIC_URL`: its host is the RP ID, except that a loopback
    /// address is `localhost` (WebAuthn refuses IP addresses), on any port.
    fn relying_party(&self) -> AuthResult<Webauthn> {
        let unusable = |error: String| AuthError::Internal(format!("passkeys with LANYARD_PUBLIC_URL: {error}"));
        let mut origin = Url::parse(&self.mail.settings.public_url).map_err(|error| unusable(error.to_string()))?;
        let loopback = match origin.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(name)) => name == "localhost",
            None => false,
        };
        if loopback {
            origin.set_host(Some("localhost")).map_err(|error| unusable(error.to_string()))?;
        }
        let rp_id = origin.host_str().unwrap_or("localhost").to_owned();
        WebauthnBuilder::new(&rp_id, &origin)
            .map(|builder| builder.rp_name("lanyard").allow_any_port(loopback))
            .and_then(WebauthnBuilder::build)
            .map_err(|error| unusable(error.to_string()))
    }

    async fn keep_ceremony(
        &self,
        challenge: &[u8],
        ceremony: Ceremony<'_>,
        user_id: Option<&str>,
        state: String,
    ) -> AuthResult<()> {
        let (session_id, mfa_token_hash) = match ceremony {
            Ceremony::Register(session) | Ceremony::Reauth(session) => (Some(session), None),
            Ceremony::SecondStep(token_hash) => (None, Some(token_hash)),
            Ceremony::SignIn => (None, None),
        };
        let row = ChallengeRow {
            purpose: ceremony.purpose().into(),
            user_id: user_id.map(str::to_owned),
            session_id: session_id.map(str::to_owned),
            mfa_token_hash: mfa_token_hash.map(str::to_owned),
            state,
            expires_at: self.now() + CEREMONY_TTL,
        };
        self.store.insert_challenge(&URL_SAFE_NO_PAD.encode(challenge), &row).await
    }

    /// The ceremony whose challenge the browser's answer signed, if it is `ceremony`'s and live;
    /// taken either way, so a challenge is answered once.
    async fn answered_ceremony(
        &self,
        client_data_json: &[u8],
        ceremony: Ceremony<'_>,
    ) -> AuthResult<Option<ChallengeRow>> {
        let Some(challenge) = answered_challenge(client_data_json) else { return Ok(None) };
        let row = self.store.take_challenge(&challenge).await?;
        let now = self.now();
        Ok(row.filter(|row| row.expires_at > now && ceremony.owns(row)))
    }

    /// Request options for `passkeys` (a second step, a step-up), kept under their challenge.
    pub(crate) async fn passkey_request(&self, ceremony: Ceremony<'_>, passkeys: &[PasskeyRow]) -> AuthResult<Value> {
        let credentials: Vec<Passkey> =
            passkeys.iter().map(|row| read_json(&row.credential)).collect::<AuthResult<_>>()?;
        let (options, state) = self
            .relying_party()?
            .start_passkey_authentication(&credentials)
            .map_err(|error| AuthError::Internal(format!("starting a passkey check: {error}")))?;
        let user_id = passkeys.first().map(|row| row.user_id.as_str());
        self.keep_ceremony(options.public_key.challenge.as_ref(), ceremony, user_id, to_json(&state)?).await?;
        options_json(&options)
    }

    /// Checks a passkey's assertion against `ceremony` for the user `user_id`: `None` when it
    /// answers no live challenge of the ceremony, comes from no passkey of the user's, or does not
    /// verify.
    pub(crate) async fn passkey_assertion(
        &self,
        credential: &Value,
        ceremony: Ceremony<'_>,
        user_id: &str,
    ) -> AuthResult<Option<PasskeyUse>> {
        let Some(credential) = from_json::<PublicKeyCredential>(credential) else { return Ok(None) };
        let Some(row) = self.answered_ceremony(credential.response.client_data_json.as_ref(), ceremony).await? else {
            return Ok(None);
        };
        if row.user_id.as_deref() != Some(user_id) {
            return Ok(None);
        }
        let state: PasskeyAuthentication = read_json(&row.state)?;
        let Ok(result) = self.relying_party()?.finish_passkey_authentication(&credential, &state) else {
            return Ok(None);
        };
        for stored in self.store.passkeys_of(user_id).await? {
            let mut passkey: Passkey = read_json(&stored.credential)?;
            if passkey.cred_id() == result.cred_id() {
                passkey.update_credential(&result);
                return Ok(Some(PasskeyUse { id: stored.id, credential: to_json(&passkey)? }));
            }
        }
        Ok(None)
    }

    /// Starts adding a passkey (a sensitive action): creation options for a discoverable
    /// credential, so it can sign in with no email typed.
    pub async fn passkey_register_start(&self, principal: &Principal) -> AuthResult<Value> {
        self.require_recent_password(principal).await?;
        let user = &principal.user;
        let existing = self.store.passkeys_of(&user.id).await?;
        let handle = match existing.first() {
            Some(row) => Uuid::parse_str(&row.user_handle).map_err(|error| AuthError::Internal(error.to_string()))?,
            None => Uuid::new_v4(),
        };
        let exclude = existing
            .iter()
            .map(|row| read_json::<Passkey>(&row.credential).map(|passkey| passkey.cred_id().clone()))
            .collect::<AuthResult<Vec<_>>>()?;
        let (options, state) = self
            .relying_party()?
            .start_passkey_registration(handle, &user.email, &user.email, Some(exclude))
            .map_err(|error| AuthError::Internal(format!("starting a passkey registration: {error}")))?;
        let kept = (handle.to_string(), state);
        let ceremony = Ceremony::Register(&principal.session_id);
        self.keep_ceremony(options.public_key.challenge.as_ref(), ceremony, Some(&user.id), to_json(&kept)?).await?;
        // A discoverable credential, which webauthn-rs leaves to the authenticator: signing in
        // with the passkey alone needs the authenticator to hold the user.
        let mut options = options_json(&options)?;
        options["publicKey"]["authenticatorSelection"]["residentKey"] = "required".into();
        options["publicKey"]["authenticatorSelection"]["requireResidentKey"] = true.into();
        Ok(options)
    }

    /// Adds the passkey the browser made from [`Engine::passkey_register_start`]'s options. The
    /// first passkey of a user without an authenticator app comes with recovery codes. A refused
    /// credential is 403 `INVALID_MFA_CODE`; no session ends.
    pub async fn passkey_register_finish(
        &self,
        principal: &Principal,
        credential: &Value,
        name: &str,
        meta: &RequestMeta,
    ) -> AuthResult<PasskeyAdded> {
        let name = plain_text("name", name.trim())?;
        let name = if name.is_empty() { "Passkey" } else { name };
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(AuthError::BadRequest(format!("A passkey's name is at most {MAX_NAME_CHARS} characters.")));
        }
        let credential: RegisterPublicKeyCredential = from_json(credential).ok_or(WRONG_CODE)?;
        let ceremony = Ceremony::Register(&principal.session_id);
        let row = self.answered_ceremony(credential.response.client_data_json.as_ref(), ceremony).await?;
        let row = row.ok_or(WRONG_CODE)?;
        let (handle, state): (String, PasskeyRegistration) = read_json(&row.state)?;
        let passkey = self.relying_party()?.finish_passkey_registration(&credential, &state).map_err(|_| WRONG_CODE)?;

        let user_id = &principal.user.id;
        let first_factor = self.methods_of(user_id).await?.is_empty();
        let entry = self.session_entry(&principal.session_id).await?.ok_or(AuthError::NotFound)?;
        let now = self.now();
        let stored = PasskeyRow {
            id: new_id(),
            user_id: user_id.clone(),
            user_handle: handle,
            name: name.to_owned(),
            credential: to_json(&passkey)?,
            created_at: now,
            last_used_at: None,
        };
        let mut tx = self.store.write_tx().await?;
        Store::insert_passkey(&mut tx, &stored, &URL_SAFE_NO_PAD.encode(passkey.cred_id().as_ref())).await?;
        let recovery_codes = match first_factor {
            true => Some(renew_recovery_codes(&mut tx, user_id, now).await?),
            false => None,
        };
        Store::record_event(&mut tx, &self.session_event(AuditKind::PasskeyAdded, now, &entry.state, meta)).await?;
        tx.commit().await?;
        Ok(PasskeyAdded { id: stored.id, name: stored.name, recovery_codes })
    }

    /// Request options for step-up by passkey (`/api/auth/reauth/start`).
    pub async fn reauth_start(&self, principal: &Principal) -> AuthResult<Value> {
        let passkeys = self.store.passkeys_of(&principal.user.id).await?;
        if passkeys.is_empty() {
            return Err(AuthError::NotFound);
        }
        self.passkey_request(Ceremony::Reauth(&principal.session_id), &passkeys).await
    }

    /// Request options for signing in with a passkey alone: any of the site's passkeys on the
    /// device may answer.
    pub async fn passkey_login_start(&self) -> AuthResult<Value> {
        let (mut options, state) = self
            .relying_party()?
            .start_discoverable_authentication()
            .map_err(|error| AuthError::Internal(format!("starting a passkey sign-in: {error}")))?;
        // Asked for by a button, not offered in the email field's autofill.
        options.mediation = None;
        self.keep_ceremony(options.public_key.challenge.as_ref(), Ceremony::SignIn, None, to_json(&state)?).await?;
        options_json(&options)
    }

    /// Signs in with a passkey alone; it counts as both factors. A refused one is 401
    /// `INVALID_MFA_CODE`.
    pub async fn passkey_login_finish(
        &self,
        credential: &Value,
        remember_me: bool,
        device_id: Option<&str>,
        meta: &RequestMeta,
    ) -> AuthResult<(Issued, UserView)> {
        let device_id = device_id.filter(|id| !id.is_empty()).map(|id| plain_text("device_id", id)).transpose()?;
        let credential: PublicKeyCredential = from_json(credential).ok_or(REFUSED_AT_SIGN_IN)?;
        let row = self.answered_ceremony(credential.response.client_data_json.as_ref(), Ceremony::SignIn).await?;
        let row = row.ok_or(REFUSED_AT_SIGN_IN)?;
        let webauthn = self.relying_party()?;
        let (handle, _) = webauthn.identify_discoverable_authentication(&credential).map_err(|_| REFUSED_AT_SIGN_IN)?;
        let stored = self.store.passkeys_by_handle(&handle.to_string()).await?;
        let keys: Vec<(PasskeyRow, Passkey)> = stored
            .into_iter()
            .map(|row| read_json(&row.credential).map(|key| (row, key)))
            .collect::<AuthResult<_>>()?;
        let discoverable: Vec<DiscoverableKey> = keys.iter().map(|(_, key)| key.into()).collect();
        let state: DiscoverableAuthentication = read_json(&row.state)?;
        let result = webauthn
            .finish_discoverable_authentication(&credential, state, &discoverable)
            .map_err(|_| REFUSED_AT_SIGN_IN)?;
        let (stored, mut passkey) =
            keys.into_iter().find(|(_, key)| key.cred_id() == result.cred_id()).ok_or(REFUSED_AT_SIGN_IN)?;
        passkey.update_credential(&result);

        let user = self.store.user_by_id(&stored.user_id).await?.ok_or(REFUSED_AT_SIGN_IN)?;
        if self.policy.verify_email && user.email_verified_at.is_none() {
            return Err(AuthError::EmailNotVerified);
        }
        let (account_id, account) = self.account_to_sign_in(&user).await?;
        let request = SessionRequest { user_id: &user.id, account_id: &account_id, remember_me, device_id };
        let new_device = self.is_new_device(&request).await?;
        let now = self.now();
        let mut tx = self.store.write_tx().await?;
        Store::passkey_used(&mut tx, &stored.id, &to_json(&passkey)?, now).await?;
        let mut opened = self.open_session(&mut tx, &request, new_device, now, meta).await?;
        tx.commit().await?;
        for ending in std::mem::take(&mut opened.endings) {
            self.announce(ending, meta);
        }
        self.signed_in(opened, user, account_id, account, now)
    }
}
