//! The fuzz harnesses, one function per target. `cargo fuzz` drives each through the thin binaries in
//! `fuzz_targets/` (scripts/fuzz), and `tests/replay.rs` feeds them the saved corpus and every past
//! finding as ordinary tests, so what a run once found stays fixed.
//!
//! Every harness states its property with `assert!`: a panic is a finding.

mod json;
mod router;

pub use router::router;

use arbitrary::{Arbitrary, Unstructured};
use axum::http::{HeaderMap, HeaderValue, header};
use json::{Json, Key};
use lanyard::api::serve::{bearer_token, refresh_cookie_values};
use lanyard::engine::testing::{Forgery, Keys, hash_refresh_token, looks_like_refresh_token};
use lanyard::paths::{SIGNIN_PATH, is_local_path, logout_path, next_from_query, signin_url};
use serde_json::{Map, Value, json};
use std::sync::LazyLock;

const SECRET: &str = "the fuzz harnesses' signing secret, over thirty-two bytes";
const NOW: i64 = 1_800_000_000;

/// The one access token the harnesses mint, and the keys that verify it.
struct Minted {
    keys: Keys,
    token: String,
}

static MINTED: LazyLock<Minted> = LazyLock::new(|| {
    let keys = Keys::derive(SECRET);
    let token = keys.sign_access("user-1", "session-1", NOW, NOW + 3_600).expect("signing works");
    Minted { keys, token }
});

/// Only the exact token the harness minted verifies: any other string is refused.
fn only_the_minted_token_verifies(candidate: &str) {
    let minted = &*MINTED;
    if minted.keys.verify_access(candidate).is_ok() {
        assert_eq!(candidate, minted.token, "a token the harness never minted verified");
    }
}

/// F1, access-token verification: the input as a token, and the minted token with the input spliced
/// in (inserted at, or overwriting from, a position the input picks). Re-padding, non-canonical
/// base64, an extra `.`, whitespace or `%`-encoding all change the bytes, and so must be refused.
pub fn access_token(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        only_the_minted_token_verifies(text);
    }
    let [at, overwrite, insert @ ..] = data else { return };
    let token = MINTED.token.as_bytes();
    let at = usize::from(*at) * token.len() / 255;
    let skip = usize::from(*overwrite % 64).min(token.len() - at);
    let spliced = [&token[..at], insert, &token[at + skip..]].concat();
    if let Ok(text) = std::str::from_utf8(&spliced) {
        only_the_minted_token_verifies(text);
    }
}

/// How a structured token is signed.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq)]
enum Signing {
    Hs256,
    Hs384,
    Hs512,
    Unsigned,
}

/// Edits to a valid header and payload: a key set to a value, or removed.
#[derive(Arbitrary, Debug)]
struct Parts {
    header: Vec<(Key, Option<Json>)>,
    payload: Vec<(Key, Option<Json>)>,
    signing: Signing,
}

fn edited(mut object: Map<String, Value>, edits: &[(Key, Option<Json>)]) -> Map<String, Value> {
    for (key, value) in edits {
        match value {
            Some(value) => object.insert(key.name().into(), value.to_value()),
            None => object.remove(key.name()),
        };
    }
    object
}

/// F1/F2, structured: a valid token's header and claims edited, then signed with the real key (or
/// under another algorithm, or not at all). A token verifies only as HS256 under the key its `kid`
/// names (the current key without one), with no critical extension, and with every claim lanyard
/// relies on present and right. `jku`, `jwk` and `x5u` are never fetched: verification is pure.
pub fn jwt_parts(data: &[u8]) {
    let Ok(parts) = Parts::arbitrary_take_rest(Unstructured::new(data)) else { return };
    let minted = &*MINTED;
    let valid_header = json!({ "alg": "HS256", "typ": "JWT", "kid": minted.keys.current_id() });
    let valid_claims = json!({
        "iss": "lanyard", "aud": "lanyard", "sub": "user-1", "sid": "session-1", "jti": "j",
        "iat": NOW, "exp": NOW + 3_600, "typ": "access"
    });
    let header = edited(valid_header.as_object().cloned().unwrap_or_default(), &parts.header);
    let claims = edited(valid_claims.as_object().cloned().unwrap_or_default(), &parts.payload);
    let how = match parts.signing {
        Signing::Hs256 => Forgery::Hs256,
        Signing::Hs384 => Forgery::Hs384,
        Signing::Hs512 => Forgery::Hs512,
        Signing::Unsigned => Forgery::Unsigned,
    };
    let token = minted.keys.forge(&Value::Object(header.clone()), &Value::Object(claims.clone()), how);
    let Ok(verified) = minted.keys.verify_access(&token) else { return };

    assert_eq!(parts.signing, Signing::Hs256, "verified under {:?}", parts.signing);
    assert_eq!(header.get("alg"), Some(&json!("HS256")));
    assert!(header.get("kid").is_none_or(|kid| kid == minted.keys.current_id()), "kid {:?}", header.get("kid"));
    assert!(!header.contains_key("crit"), "a critical extension lanyard does not implement was ignored");
    for (claim, expected) in [("iss", "lanyard"), ("aud", "lanyard"), ("typ", "access")] {
        assert_eq!(claims.get(claim), Some(&json!(expected)), "{claim}");
    }
    assert_eq!(claims.get("exp").and_then(Value::as_i64), Some(verified.exp));
    assert_eq!(claims.get("sub").and_then(Value::as_str), Some(verified.sub.as_str()));
}

/// Header values from the input: one per line, those the HTTP layer would accept.
fn header_values(data: &[u8]) -> Vec<HeaderValue> {
    data.split(|byte| *byte == b'\n').take(4).filter_map(|line| HeaderValue::from_bytes(line).ok()).collect()
}

/// F3, the `Cookie` header: every refresh cookie found is a value the request really carried, under the
/// cookie's own name, in order; nothing panics on any header bytes.
pub fn cookie_header(data: &[u8]) {
    let values = header_values(data);
    let mut headers = HeaderMap::new();
    for value in &values {
        headers.append(header::COOKIE, value.clone());
    }
    let found = refresh_cookie_values(&headers);
    let carried: Vec<&str> = values.iter().filter_map(|value| value.to_str().ok()).collect();
    let named = carried.iter().map(|text| text.matches(lanyard::contract::REFRESH_COOKIE).count()).sum::<usize>();
    assert!(found.len() <= named, "{found:?} from {carried:?}");
    for value in &found {
        assert!(carried.iter().any(|text| text.contains(value.as_str())), "{value:?} is not in {carried:?}");
    }
}

/// F4, the `Authorization` header: only one `Bearer <token>` header gives a token, and the token is
/// what followed the scheme; two headers give none.
pub fn authorization_header(data: &[u8]) {
    let values = header_values(data);
    let mut headers = HeaderMap::new();
    for value in &values {
        headers.append(header::AUTHORIZATION, value.clone());
    }
    let Some(token) = bearer_token(&headers) else { return };
    assert_eq!(values.len(), 1, "a token from {} Authorization headers", values.len());
    let text = values[0].to_str().expect("a token comes from a text header");
    assert_eq!(text.strip_prefix("Bearer ").map(str::trim), Some(token));
}

/// F5, the refresh-token format gate: exactly 43 URL-safe base64 characters pass, and only what
/// passes is ever hashed and looked up.
pub fn refresh_token_format(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let well_formed = text.len() == 43 && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    assert_eq!(looks_like_refresh_token(text), well_formed, "{text:?}");
    if well_formed {
        let hash = hash_refresh_token(text);
        assert!(hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    }
}

/// Where a browser on lanyard's origin goes when told to go to `path`.
fn stays_on_the_origin(path: &str) -> bool {
    static PAGE: LazyLock<url::Url> = LazyLock::new(|| url::Url::parse("https://lanyard.example/jobs?x=1").unwrap());
    PAGE.join(path).is_ok_and(|target| target.origin() == PAGE.origin())
}

/// `next=` handling (beyond the checklist's F1–F8): whatever the query or page path, the page
/// returned to after sign-in and the page a logout names stay on lanyard's origin and are never the
/// sign-in page; a local path survives the round trip through the sign-in URL.
pub fn next_path(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Some(next) = next_from_query(text) {
        assert!(stays_on_the_origin(&next), "next {next:?} leaves the origin");
        assert_ne!(next.split(['?', '#']).next(), Some(SIGNIN_PATH));
    }
    let named = logout_path(text);
    assert!(named == "/" || is_local_path(&named), "{named:?}");
    assert!(stays_on_the_origin(&named), "logout path {named:?} leaves the origin");
    let url = signin_url(text);
    assert!(url == SIGNIN_PATH || url.starts_with(&format!("{SIGNIN_PATH}?next=")), "{url}");
    if is_local_path(text) && text != "/" {
        let query = url.split_once('?').map(|(_, query)| query).unwrap_or_default();
        assert_eq!(next_from_query(query).as_deref(), Some(text), "the round trip through {url}");
    }
}
