//! The browser's passkeys (SPEC §11): `navigator.credentials.create` and `.get` on the options the
//! server sends, and the credential back as the JSON the server reads. WebAuthn's options and
//! answers hold bytes, which JSON carries as base64url: they are turned into buffers on the way in
//! and back into text on the way out. No JavaScript package: the browser's own API.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use js_sys::{Array, JSON, Promise, Reflect, Uint8Array};
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};

/// Why a passkey could not be used, in words for the user.
pub type PasskeyProblem = String;

fn field(object: &JsValue, name: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// Replaces the base64url text at `object[name]` with its bytes.
fn to_bytes(object: &JsValue, name: &str) {
    let Some(text) = field(object, name).as_string() else { return };
    if let Ok(bytes) = URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')) {
        let _ = Reflect::set(object, &JsValue::from_str(name), &Uint8Array::from(bytes.as_slice()));
    }
}

/// The ids of a list of credentials (`excludeCredentials`, `allowCredentials`) as bytes.
fn ids_to_bytes(options: &JsValue, list: &str) {
    let credentials = field(options, list);
    if Array::is_array(&credentials) {
        for credential in Array::from(&credentials).iter() {
            to_bytes(&credential, "id");
        }
    }
}

/// A buffer (`ArrayBuffer`) as base64url text; `null` stays null.
fn text_of(buffer: &JsValue) -> Value {
    if buffer.is_null() || buffer.is_undefined() {
        return Value::Null;
    }
    Value::String(URL_SAFE_NO_PAD.encode(Uint8Array::new(buffer).to_vec()))
}

fn problem_of(error: &JsValue) -> PasskeyProblem {
    match field(error, "name").as_string().as_deref() {
        Some("NotAllowedError") => "The passkey prompt was closed or timed out. Try again.".into(),
        Some("InvalidStateError") => "This device already holds a passkey for your account.".into(),
        Some("SecurityError") => "Passkeys do not work on this address.".into(),
        _ => "The passkey could not be used on this device.".into(),
    }
}

/// Asks the browser's credentials container to `create` or `get` with `options`.
async fn ask(method: &str, options: &JsValue) -> Result<JsValue, PasskeyProblem> {
    let unsupported = || PasskeyProblem::from("This browser does not offer passkeys.");
    let navigator = web_sys::window().ok_or_else(unsupported)?.navigator();
    let credentials = field(&navigator, "credentials");
    let function = field(&credentials, method).dyn_into::<js_sys::Function>().map_err(|_| unsupported())?;
    let promise = function.call1(&credentials, options).map_err(|error| problem_of(&error))?;
    let promise = promise.dyn_into::<Promise>().map_err(|_| unsupported())?;
    wasm_bindgen_futures::JsFuture::from(promise).await.map_err(|error| problem_of(&error))
}

fn options_of(options: &Value) -> Result<JsValue, PasskeyProblem> {
    JSON::parse(&options.to_string()).map_err(|_| PasskeyProblem::from("The server's passkey options were unreadable."))
}

fn extensions_of(credential: &JsValue) -> Value {
    let results = field(credential, "getClientExtensionResults")
        .dyn_into::<js_sys::Function>()
        .ok()
        .and_then(|function| function.call0(credential).ok())
        .and_then(|results| JSON::stringify(&results).ok())
        .and_then(|text| text.as_string());
    results.and_then(|text| serde_json::from_str(&text).ok()).unwrap_or_else(|| Value::Object(Default::default()))
}

/// A credential as the server reads it (webauthn-rs's `RegisterPublicKeyCredential` and
/// `PublicKeyCredential`): the browser's object with its buffers as base64url text.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Credential<R> {
    id: Option<String>,
    raw_id: Value,
    #[serde(rename = "type")]
    kind: &'static str,
    response: R,
    extensions: Value,
}

impl<R: Serialize> Credential<R> {
    fn of(credential: &JsValue, response: R) -> Value {
        let credential = Self {
            id: field(credential, "id").as_string(),
            raw_id: text_of(&field(credential, "rawId")),
            kind: "public-key",
            response,
            extensions: extensions_of(credential),
        };
        serde_json::to_value(credential).unwrap_or_default()
    }
}

/// What a new passkey's authenticator answered.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Attestation {
    attestation_object: Value,
    #[serde(rename = "clientDataJSON")]
    client_data_json: Value,
}

/// What a passkey's authenticator answered to a challenge.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Assertion {
    authenticator_data: Value,
    #[serde(rename = "clientDataJSON")]
    client_data_json: Value,
    signature: Value,
    user_handle: Value,
}

/// Makes a passkey from the server's creation options; the new credential as the server reads it.
pub async fn create(options: &Value) -> Result<Value, PasskeyProblem> {
    let options = options_of(options)?;
    let public_key = field(&options, "publicKey");
    to_bytes(&public_key, "challenge");
    to_bytes(&field(&public_key, "user"), "id");
    ids_to_bytes(&public_key, "excludeCredentials");
    let credential = ask("create", &options).await?;
    let response = field(&credential, "response");
    let attestation = Attestation {
        attestation_object: text_of(&field(&response, "attestationObject")),
        client_data_json: text_of(&field(&response, "clientDataJSON")),
    };
    Ok(Credential::of(&credential, attestation))
}

/// Signs the server's challenge with a passkey on this device; the assertion as the server reads
/// it.
pub async fn get(options: &Value) -> Result<Value, PasskeyProblem> {
    let options = options_of(options)?;
    let public_key = field(&options, "publicKey");
    to_bytes(&public_key, "challenge");
    ids_to_bytes(&public_key, "allowCredentials");
    let credential = ask("get", &options).await?;
    let response = field(&credential, "response");
    let assertion = Assertion {
        authenticator_data: text_of(&field(&response, "authenticatorData")),
        client_data_json: text_of(&field(&response, "clientDataJSON")),
        signature: text_of(&field(&response, "signature")),
        user_handle: text_of(&field(&response, "userHandle")),
    };
    Ok(Credential::of(&credential, assertion))
}
