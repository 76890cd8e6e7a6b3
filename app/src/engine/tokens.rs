//! Access tokens (JWT, HS256) and refresh tokens (opaque, hashed, successors derived by HMAC).

use super::error::{AuthError, AuthResult};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const ISSUER: &str = "lanyard";
const AUDIENCE: &str = "lanyard";
const ACCESS_TYPE: &str = "access";

/// The claims of an access token (SPEC §1). Every field is required and typed: a token with a
/// missing or wrongly typed claim does not decode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub sid: String,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
    pub typ: String,
}

/// Keys derived from the instance secret, one per purpose, so a leak of one use cannot forge another.
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    successor: Vec<u8>,
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

impl Keys {
    pub fn derive(secret: &str) -> Self {
        let access = hmac(secret.as_bytes(), b"lanyard access token v1");
        Self {
            encoding: EncodingKey::from_secret(&access),
            decoding: DecodingKey::from_secret(&access),
            successor: hmac(secret.as_bytes(), b"lanyard refresh successor v1").to_vec(),
        }
    }

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
        };
        self.sign(&claims)
    }

    /// Signs any claims with the access-token key (HS256).
    pub fn sign(&self, claims: &impl Serialize) -> AuthResult<String> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|e| AuthError::Internal(format!("signing an access token: {e}")))
    }

    /// Checks signature, algorithm, issuer, audience and type. Time is checked by the caller against
    /// the engine's clock (jsonwebtoken would read the system clock).
    pub fn verify_access(&self, token: &str) -> AuthResult<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["iss", "aud", "sub", "exp"]);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|_| AuthError::AccessTokenInvalid("signature, algorithm or claims"))?
            .claims;
        if claims.typ != ACCESS_TYPE {
            return Err(AuthError::AccessTokenInvalid("wrong token type"));
        }
        Ok(claims)
    }

    /// The successor of a refresh token: the same input always gives the same successor, so a
    /// repeated refresh can be answered again without any raw token being stored.
    pub fn successor(&self, token: &str) -> String {
        URL_SAFE_NO_PAD.encode(hmac(&self.successor, token.as_bytes()))
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
        assert_eq!(keys.successor(&token), keys.successor(&token));
        assert_ne!(keys.successor(&token), token);
        assert!(looks_like_refresh_token(&keys.successor(&token)));
        assert_eq!(hash_refresh_token(&token).len(), 64);
    }
}
