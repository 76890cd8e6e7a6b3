//! Access tokens (JWT, HS256) and refresh tokens (opaque, hashed, successors derived by HMAC), and
//! the sealing of the second factor's secrets, all keyed by the signing secrets.

use super::error::{AuthError, AuthResult};
use super::store::TokenOrigin;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use lanyard_contract::Secret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Arc;

const ISSUER: &str = "lanyard";
const AUDIENCE: &str = "lanyard";
const ACCESS_TYPE: &str = "access";

/// The claims of an access token (SPEC §1). Every field is required and typed: a token with a
/// missing or wrongly typed claim does not decode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// The issuer: `lanyard`, which verification requires.
    pub iss: String,
    /// The audience: `lanyard`, which verification requires.
    pub aud: String,
    /// The user the token was issued to.
    pub sub: String,
    /// The session the token belongs to, which every call checks is still live.
    pub sid: String,
    /// A random id, so no two tokens are the same.
    pub jti: String,
    /// When the token was issued (Unix seconds).
    pub iat: i64,
    /// When the token expires (Unix seconds); never after its session's end.
    pub exp: i64,
    /// The token's kind, which must be `access`, so no other kind of token can pass for one
    /// (RFC 8725).
    pub typ: String,
    /// Never issued here; a token that carries one is held to it (RFC 7519 §4.1.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
}

/// The secrets an instance signs with: the current one (generated and kept in the database when
/// none is configured) and up to two earlier ones that still verify and derive (SPEC §1).
#[derive(Clone, Debug, Default)]
pub struct SigningSecrets {
    /// The configured secret (`LANYARD_SECRET` or `LANYARD_SECRET_FILE`); `None` uses the one kept
    /// in the database, generated on first start.
    pub current: Option<Secret>,
    /// Earlier secrets (`LANYARD_SECRET_PREVIOUS`), so rotating the secret signs no one out; only
    /// the first [`MAX_PREVIOUS_SECRETS`] are used.
    pub previous: Vec<Secret>,
}

/// How many earlier secrets an instance keeps using.
pub const MAX_PREVIOUS_SECRETS: usize = 2;

/// The keys of one secret, one per purpose, so a leak of one use cannot forge another; `id` names
/// the secret without revealing it (the JWT `kid`, and `key_id` of each derived refresh token).
struct KeySet {
    id: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// The raw access-token key, kept only where tests forge tokens with it.
    #[cfg(feature = "test-hooks")]
    access: [u8; 32],
    successor: Vec<u8>,
    /// Keys the throttles' subjects and addresses as the database stores them.
    throttle: [u8; 32],
    /// Seals the second factor's secrets (an authenticator app's) in the database.
    factor: [u8; 32],
}

impl KeySet {
    fn derive(secret: &str) -> Self {
        let access = hmac(secret.as_bytes(), b"lanyard access token v1");
        let id = hmac(secret.as_bytes(), b"lanyard key id v1")[..8].iter().map(|b| format!("{b:02x}")).collect();
        Self {
            id,
            encoding: EncodingKey::from_secret(&access),
            decoding: DecodingKey::from_secret(&access),
            #[cfg(feature = "test-hooks")]
            access,
            successor: hmac(secret.as_bytes(), b"lanyard refresh successor v1").to_vec(),
            throttle: hmac(secret.as_bytes(), b"lanyard throttle key v1"),
            factor: hmac(secret.as_bytes(), b"lanyard second factor key v1"),
        }
    }

    fn rotation_successor(&self, parent: &str) -> String {
        URL_SAFE_NO_PAD.encode(hmac(&self.successor, parent.as_bytes()))
    }

    fn restart_successor(&self, parent_hash: &str) -> String {
        URL_SAFE_NO_PAD.encode(hmac(&self.successor, format!("restart:{parent_hash}").as_bytes()))
    }
}

/// Every key an instance holds: the current secret's, which signs and derives, and the earlier
/// secrets', which still verify access tokens and re-derive successors they derived.
pub struct Keys {
    current: KeySet,
    previous: Vec<KeySet>,
    /// What every access token is held to besides its signature; built once, not per call.
    validation: Validation,
    verified: VerifiedTokens,
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

impl Keys {
    /// The keys of one secret, without earlier ones (tests forge tokens with it).
    #[cfg(any(test, feature = "test-hooks"))]
    pub fn derive(secret: &str) -> Self {
        Self::with_previous(secret, &[])
    }

    /// The keys of `secret`, which sign and derive, and of up to [`MAX_PREVIOUS_SECRETS`] earlier
    /// secrets, which only verify access tokens and re-derive the successors they derived.
    pub fn with_previous(secret: &str, previous: &[&str]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["iss", "aud", "sub", "exp"]);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        Self {
            current: KeySet::derive(secret),
            previous: previous.iter().take(MAX_PREVIOUS_SECRETS).map(|s| KeySet::derive(s)).collect(),
            validation,
            verified: VerifiedTokens::default(),
        }
    }

    /// What the throttles store of an email or an address: a keyed hash (hex), which instances
    /// sharing the secret agree on, and which reveals nothing of what was typed.
    pub fn throttle_key(&self, text: &str) -> String {
        hmac(&self.current.throttle, text.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
    }

    /// The id of the key that signs and derives now.
    pub fn current_id(&self) -> &str {
        &self.current.id
    }

    /// Seals a second factor's secret under the current key, bound to its user: the sealed text
    /// (a random nonce and the ciphertext, base64) and the id of the key that opens it.
    pub fn seal(&self, user_id: &str, secret: &[u8]) -> (String, &str) {
        use chacha20poly1305::KeyInit as _;
        let nonce: [u8; 24] = rand::random();
        let cipher = XChaCha20Poly1305::new(&self.current.factor.into());
        let sealed = cipher
            .encrypt(&XNonce::from(nonce), Payload { msg: secret, aad: user_id.as_bytes() })
            .expect("sealing in memory cannot fail");
        let mut text = nonce.to_vec();
        text.extend(sealed);
        (URL_SAFE_NO_PAD.encode(text), self.current_id())
    }

    /// Opens what [`Keys::seal`] sealed for `user_id` under the key `key_id` names; `None` when no
    /// key held here has that id, or the text was not sealed by it for this user.
    pub fn open(&self, user_id: &str, sealed: &str, key_id: &str) -> Option<Vec<u8>> {
        use chacha20poly1305::KeyInit as _;
        let keys = self.by_id(key_id)?;
        let text = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        let (nonce, ciphertext) = text.split_first_chunk::<24>()?;
        let cipher = XChaCha20Poly1305::new(&keys.factor.into());
        cipher.decrypt(&XNonce::from(*nonce), Payload { msg: ciphertext, aad: user_id.as_bytes() }).ok()
    }

    fn by_id(&self, id: &str) -> Option<&KeySet> {
        std::iter::once(&self.current).chain(&self.previous).find(|keys| keys.id == id)
    }

    /// A new access token for the session `session_id` of `user_id`, issued at `now` and expiring
    /// at `expires_at`, signed with the current key.
    pub fn sign_access(&self, user_id: &str, session_id: &str, now: i64, expires_at: i64) -> AuthResult<String> {
        let claims = Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: user_id.into(),
            sid: session_id.into(),
            jti: uuid::Uuid::new_v4().simple().to_string(),
            iat: now,
            exp: expires_at,
            typ: ACCESS_TYPE.into(),
            nbf: None,
        };
        self.sign(&claims)
    }

    /// Signs any claims with the current access-token key (HS256), naming it in `kid`.
    pub fn sign(&self, claims: &impl Serialize) -> AuthResult<String> {
        let header = Header { kid: Some(self.current.id.clone()), ..Header::new(Algorithm::HS256) };
        jsonwebtoken::encode(&header, claims, &self.current.encoding)
            .map_err(|e| AuthError::Internal(format!("signing an access token: {e}")))
    }

    /// [`Keys::verify_access`], answered from the tokens verified before when `token` is one of
    /// them: a browser sends the same access token with every call until it refreshes.
    pub fn verify_access_cached(&self, token: &str) -> AuthResult<Arc<Claims>> {
        if let Some(claims) = self.verified.get(token) {
            return Ok(claims);
        }
        let claims = Arc::new(self.verify_access(token)?);
        self.verified.keep(token, &claims);
        Ok(claims)
    }

    /// Checks signature (with the key its `kid` names; the current key without one), algorithm,
    /// issuer, audience and type. Time is checked by the caller against the engine's clock
    /// (jsonwebtoken would read the system clock).
    pub fn verify_access(&self, token: &str) -> AuthResult<Claims> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::AccessTokenInvalid("malformed"))?;
        if let Some(flaw) = header_flaw(token) {
            return Err(AuthError::AccessTokenInvalid(flaw));
        }
        let keys = match header.kid.as_deref() {
            Some(id) => self.by_id(id).ok_or(AuthError::AccessTokenInvalid("signed with a key not held here"))?,
            None => &self.current,
        };
        let claims = jsonwebtoken::decode::<Claims>(token, &keys.decoding, &self.validation)
            .map_err(|_| AuthError::AccessTokenInvalid("signature, algorithm or claims"))?
            .claims;
        if claims.typ != ACCESS_TYPE {
            return Err(AuthError::AccessTokenInvalid("wrong token type"));
        }
        Ok(claims)
    }

    /// The successor of the raw token `parent`, derived by the current key: the same input always
    /// gives the same successor, so a repeated refresh can be answered again without any raw token
    /// stored.
    pub fn successor(&self, parent: &str) -> String {
        self.current.rotation_successor(parent)
    }

    /// The first token of the chain a password change starts, derived by the current key from the
    /// stored hash of the token that was live, so that token presented again can be answered.
    pub fn restart_successor(&self, live_hash: &str) -> String {
        self.current.restart_successor(live_hash)
    }

    /// The successor of `parent` that is stored as `stored_hash` with `origin`, re-derived by the key
    /// `key_id` names (by any key held when the row names none): a rotation from the raw parent, a
    /// password change's restart from its hash. `None` when no key held here derives it: the key is
    /// elsewhere (a rolling restart), which is never a reason to end the session; a random token
    /// (`SignIn`) is derived by no key.
    pub fn rederive(
        &self,
        origin: TokenOrigin,
        key_id: Option<&str>,
        parent: &str,
        stored_hash: &str,
    ) -> Option<String> {
        let candidates: Vec<&KeySet> = match key_id {
            Some(id) => self.by_id(id).into_iter().collect(),
            None => std::iter::once(&self.current).chain(&self.previous).collect(),
        };
        candidates
            .into_iter()
            .filter_map(|keys| match origin {
                TokenOrigin::Rotation => Some(keys.rotation_successor(parent)),
                TokenOrigin::Restart => Some(keys.restart_successor(&hash_refresh_token(parent))),
                TokenOrigin::SignIn => None,
            })
            .find(|successor| hash_refresh_token(successor) == stored_hash)
    }
}

/// Access tokens that passed [`Keys::verify_access`], by their exact text. A token never changes
/// and its times are checked on every call, so a hit is as good as a verification; only verified
/// tokens are kept, so garbage cannot fill it, and it starts over when full.
#[derive(Default)]
struct VerifiedTokens {
    tokens: std::sync::RwLock<std::collections::HashMap<Box<str>, Arc<Claims>>>,
}

/// Enough for every token in use at once on a busy instance; each takes under 1 KB.
const MAX_VERIFIED_TOKENS: usize = 10_000;

impl VerifiedTokens {
    fn get(&self, token: &str) -> Option<Arc<Claims>> {
        self.tokens.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(token).cloned()
    }

    fn keep(&self, token: &str, claims: &Arc<Claims>) {
        let mut tokens = self.tokens.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if tokens.len() >= MAX_VERIFIED_TOKENS {
            tokens.clear();
        }
        tokens.insert(token.into(), claims.clone());
    }
}

/// What jsonwebtoken's `Header` lets pass but lanyard refuses: `crit`, the extensions a recipient
/// must understand or refuse the token (RFC 7515 §4.1.11), of which lanyard understands none; and a
/// `kid` that is not a string, which jsonwebtoken reads as no `kid` when it is `null`.
fn header_flaw(token: &str) -> Option<&'static str> {
    let json = URL_SAFE_NO_PAD.decode(token.split('.').next()?).ok()?;
    let header: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&json).ok()?;
    if header.contains_key("crit") {
        return Some("a critical header extension");
    }
    header.get("kid").is_some_and(|kid| !kid.is_string()).then_some("a kid that is not a string")
}

/// How a forged token is signed (tests of the verifier only).
#[cfg(feature = "test-hooks")]
#[derive(Clone, Copy, Debug)]
pub enum Forgery {
    /// HMAC-SHA-256 with the real key, as lanyard signs: what the other forgeries are compared
    /// against.
    Hs256,
    /// HMAC-SHA-384, which the verifier refuses: the algorithm is pinned (RFC 8725).
    Hs384,
    /// HMAC-SHA-512, which the verifier refuses: the algorithm is pinned (RFC 8725).
    Hs512,
    /// No signature at all: `header.payload.`
    Unsigned,
}

#[cfg(feature = "test-hooks")]
impl Keys {
    /// A token of any header and payload, signed with the real access-token key the way `how`
    /// says: the verifier tests' raw material (RFC 8725's attacks need tokens no encoder makes).
    pub fn forge(&self, header: &serde_json::Value, payload: &serde_json::Value, how: Forgery) -> String {
        let signing_input =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(payload.to_string()));
        let key = &self.current.access;
        let signature = match how {
            Forgery::Hs256 => URL_SAFE_NO_PAD.encode(hmac(key, signing_input.as_bytes())),
            Forgery::Hs384 => {
                let mut mac = Hmac::<sha2::Sha384>::new_from_slice(key).expect("any key length");
                mac.update(signing_input.as_bytes());
                URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
            }
            Forgery::Hs512 => {
                let mut mac = Hmac::<sha2::Sha512>::new_from_slice(key).expect("any key length");
                mac.update(signing_input.as_bytes());
                URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
            }
            Forgery::Unsigned => String::new(),
        };
        format!("{signing_input}.{signature}")
    }
}

/// A fresh refresh token: 256 random bits.
pub fn new_refresh_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// What the database keeps of a refresh token.
pub fn hash_refresh_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A well-formed refresh token is 43 URL-safe base64 characters; anything else is refused unread.
pub fn looks_like_refresh_token(token: &str) -> bool {
    token.len() == 43 && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A fresh random secret for a new instance.
pub fn new_secret() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_tokens_round_trip_and_reject_tampering() {
        let keys = Keys::derive("test secret");
        let token = keys.sign_access("u1", "s1", 1_000, 4_600).unwrap();
        let claims = keys.verify_access(&token).unwrap();
        assert_eq!((claims.sub.as_str(), claims.sid.as_str(), claims.exp), ("u1", "s1", 4_600));

        let mut tampered = token.clone();
        tampered.pop();
        tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert!(keys.verify_access(&tampered).is_err());
        assert!(Keys::derive("another secret").verify_access(&token).is_err());
    }

    /// The cache of verified tokens answers only the very token it verified.
    #[test]
    fn a_verified_token_is_remembered_and_nothing_else_is() {
        let keys = Keys::derive("test secret");
        let token = keys.sign_access("u1", "s1", 1_000, 4_600).unwrap();
        assert_eq!(keys.verify_access_cached(&token).unwrap().sid, "s1");
        assert!(keys.verified.get(&token).is_some(), "kept");
        let mut tampered = token.clone();
        tampered.pop();
        tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert!(keys.verify_access_cached(&tampered).is_err());
        assert!(keys.verify_access_cached(&format!("{token} ")).is_err(), "not a prefix match");
        assert!(keys.verified.get(&tampered).is_none(), "a refused token is not kept");
        assert!(Keys::derive("another secret").verify_access_cached(&token).is_err(), "each instance has its own");
    }

    #[test]
    fn wrong_types_audiences_and_claim_types_are_refused() {
        let keys = Keys::derive("test secret");
        let good = keys.verify_access(&keys.sign_access("u1", "s1", 1, 2).unwrap()).unwrap();
        let refresh_typed = Claims { typ: "refresh".into(), ..good.clone() };
        assert!(keys.verify_access(&keys.sign(&refresh_typed).unwrap()).is_err());
        let other_audience = Claims { aud: "elsewhere".into(), ..good.clone() };
        assert!(keys.verify_access(&keys.sign(&other_audience).unwrap()).is_err());
        let string_exp = serde_json::json!({
            "iss": "lanyard", "aud": "lanyard", "sub": "u1", "sid": "s1", "jti": "j", "iat": 1, "exp": "2", "typ": "access"
        });
        assert!(keys.verify_access(&keys.sign(&string_exp).unwrap()).is_err());
        let missing_sid = serde_json::json!({
            "iss": "lanyard", "aud": "lanyard", "sub": "u1", "jti": "j", "iat": 1, "exp": 2, "typ": "access"
        });
        assert!(keys.verify_access(&keys.sign(&missing_sid).unwrap()).is_err());
    }

    #[test]
    fn a_critical_extension_or_a_kid_that_is_no_string_is_refused() {
        let keys = Keys::derive("test secret");
        let token = keys.sign_access("u1", "s1", 1, 2).unwrap();
        let (header, rest) = token.split_once('.').unwrap();
        let header: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
        let signed_with = |edit: &dyn Fn(&mut serde_json::Value)| {
            let mut header = header.clone();
            edit(&mut header);
            let payload = rest.split('.').next().unwrap();
            let signing_input = format!("{}.{payload}", URL_SAFE_NO_PAD.encode(header.to_string()));
            let access_key = hmac(b"test secret", b"lanyard access token v1");
            format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(hmac(&access_key, signing_input.as_bytes())))
        };
        assert!(keys.verify_access(&signed_with(&|_| {})).is_ok(), "the header unchanged passes");
        assert!(keys.verify_access(&signed_with(&|h| h["crit"] = serde_json::json!(["exp"]))).is_err());
        assert!(keys.verify_access(&signed_with(&|h| h["kid"] = serde_json::Value::Null)).is_err());
    }

    #[test]
    fn unsigned_tokens_are_refused() {
        let keys = Keys::derive("test secret");
        let b64 = |s: &str| URL_SAFE_NO_PAD.encode(s);
        let claims = r#"{"iss":"lanyard","aud":"lanyard","sub":"u1","sid":"s1","jti":"j","iat":1,"exp":9999999999,"typ":"access"}"#;
        let none = format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), b64(claims));
        assert!(keys.verify_access(&none).is_err());
    }

    #[test]
    fn successors_are_deterministic_and_well_formed() {
        let keys = Keys::derive("test secret");
        let token = new_refresh_token();
        assert!(looks_like_refresh_token(&token));
        let restart = keys.restart_successor(&hash_refresh_token(&token));
        for successor in [keys.successor(&token), restart.clone()] {
            assert_ne!(successor, token);
            assert!(looks_like_refresh_token(&successor));
        }
        assert_eq!(keys.successor(&token), keys.successor(&token));
        assert_ne!(keys.successor(&token), restart);
        assert_eq!(keys.rederive(TokenOrigin::Restart, None, &token, &hash_refresh_token(&restart)), Some(restart));
        assert_eq!(hash_refresh_token(&token).len(), 64);
    }

    #[test]
    fn earlier_secrets_still_verify_and_rederive_but_never_sign() {
        let old = Keys::derive("the old secret, long enough to keep");
        let rotated =
            Keys::with_previous("the new secret, long enough to keep", &["the old secret, long enough to keep"]);
        let token = old.sign_access("u1", "s1", 1, 2).unwrap();
        assert_eq!(rotated.verify_access(&token).unwrap().sub, "u1", "a token signed before the rotation");
        let fresh = rotated.sign_access("u1", "s1", 1, 2).unwrap();
        assert_eq!(jsonwebtoken::decode_header(&fresh).unwrap().kid.as_deref(), Some(rotated.current_id()));
        assert!(old.verify_access(&fresh).is_err(), "an instance without the new key cannot verify");

        let parent = new_refresh_token();
        let by_old = old.successor(&parent);
        let stored = hash_refresh_token(&by_old);
        assert_eq!(
            rotated.rederive(TokenOrigin::Rotation, Some(old.current_id()), &parent, &stored),
            Some(by_old.clone())
        );
        assert_eq!(rotated.rederive(TokenOrigin::Rotation, None, &parent, &stored), Some(by_old));
        let by_new = rotated.successor(&parent);
        let stored_new = hash_refresh_token(&by_new);
        assert_eq!(old.rederive(TokenOrigin::Rotation, Some(rotated.current_id()), &parent, &stored_new), None);
    }
}
