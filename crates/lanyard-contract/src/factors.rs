//! The second factor (SPEC §11): what a sign-in's first step answers for a user who has one, and
//! what setting up an authenticator app or a passkey answers. WebAuthn's options and credentials
//! travel as the JSON the browser's `navigator.credentials` calls take and give, untouched.

use crate::closed_set;
use crate::session::{LoginAnswer, Secret};
use serde::{Deserialize, Serialize};

closed_set! {
    /// A way to pass a sign-in's second step, listed in this order in [`MfaRequired::methods`].
    pub enum MfaMethod {
        /// A code of an authenticator app (TOTP, RFC 6238).
        Totp = "totp",
        /// A passkey (WebAuthn).
        Passkey = "passkey",
        /// One of the ten recovery codes, each usable once.
        RecoveryCode = "recovery_code",
    }
}

/// The first step's answer for a user with a second factor: no session yet, no cookie. The page
/// asks for a factor in place and sends it with `mfa_token` to `/api/auth/login/mfa`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MfaRequired {
    /// Always true: what tells this answer from a signed-in one.
    pub mfa_required: bool,
    /// Names the first step for five minutes; consumed only by a second step that succeeds.
    pub mfa_token: Secret,
    /// The user's own factors, in the order of [`MfaMethod`].
    pub methods: Vec<MfaMethod>,
    /// WebAuthn request options for the user's passkeys, when the user has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passkey_options: Option<serde_json::Value>,
}

/// The answer to a sign-in, a password reset or a passkey sign-in: signed in, or a second factor
/// is needed first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SignInAnswer {
    /// Signed in: the tokens, the cookie, the user.
    SignedIn(LoginAnswer),
    /// The password was right; a second factor is asked for next.
    MfaRequired(MfaRequired),
}

/// What the second step of a sign-in carries besides its `mfa_token`: exactly one factor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MfaProof {
    /// A code of the authenticator app.
    Code(Secret),
    /// One of the recovery codes.
    RecoveryCode(Secret),
    /// A passkey's assertion (`PublicKeyCredential` as JSON).
    Credential(serde_json::Value),
}

/// The answer to `/api/auth/mfa/totp/setup`: the secret, as text and as the QR code an app scans.
/// The app counts only once a code is confirmed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpSetup {
    /// The secret in base32, for typing into an app.
    pub secret: Secret,
    /// The `otpauth://` URI the QR code holds.
    pub otpauth_uri: Secret,
    /// The QR code as an SVG document.
    pub qr_svg: String,
}

/// Ten new recovery codes, shown once; each signs in once in place of a code or a passkey.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryCodes {
    /// The codes, as the user writes them down.
    pub recovery_codes: Vec<Secret>,
}

/// A passkey of the user's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyView {
    /// What `passkeys/delete` takes.
    pub id: String,
    /// The name the user gave it.
    pub name: String,
    /// When it was added (Unix seconds).
    pub created_at: i64,
    /// When it last signed in or confirmed an action.
    pub last_used_at: Option<i64>,
}

/// The answer to `passkeys/register/finish`: the new passkey, and the recovery codes when it is the
/// user's first second factor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyAdded {
    /// What `passkeys/delete` takes.
    pub id: String,
    /// The name it was given.
    pub name: String,
    /// New recovery codes, shown once: only with the first passkey of a user without TOTP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_codes: Option<Vec<Secret>>,
}

/// `GET /api/auth/passkeys`: the user's passkeys, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyList {
    /// Each passkey.
    pub passkeys: Vec<PasskeyView>,
}

/// `GET /api/auth/mfa`: the user's second factors, for the security page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaStatus {
    /// Whether an authenticator app is turned on.
    pub totp: bool,
    /// The user's passkeys, oldest first.
    pub passkeys: Vec<PasskeyView>,
    /// Recovery codes not used yet.
    pub recovery_codes_left: u32,
}
