//! The access-token verifier against RFC 8725's attacks: every forged or malformed token is a 401
//! `ACCESS_TOKEN_INVALID` without a reason (the session is never ended by a bad token), and the one
//! control token signed correctly passes.

use crate::helpers::{Db, spawn_app_with};
use crate::on_both_databases;
use lanyard::engine::testing::{Forgery, Keys};
use serde_json::{Value, json};

on_both_databases!(
    the_jwt_attack_matrix_is_refused,
    an_issued_token_holds_exactly_the_allowed_claims,
    an_access_token_is_no_refresh_token,
);

/// JWT-11: the two kinds never pass for each other: an access token sent as the refresh cookie is
/// refused without a lookup, and a refresh token sent as a bearer token is not a JWT.
async fn an_access_token_is_no_refresh_token(db: Db) {
    let app = spawn_app_with(db, |_| {}).await;
    let ada = app.signed_in("ada@example.com").await;
    let swapped = app.refresh_with(&ada.access).await;
    assert_eq!(swapped.status, 401, "{:?}", swapped.body);
    assert_eq!(swapped.body["logout_reason"], "TOKEN_REFRESH_FAILED");
    let bearer = app.get_with_token("/api/auth/me", &ada.refresh).await;
    assert_eq!(bearer.status, 401);
    assert_eq!(bearer.body["error"], "ACCESS_TOKEN_INVALID");
    assert_eq!(app.refresh_with(&ada.refresh).await.status, 200, "neither mistake ended the session");
}

/// The payload carries ids and times only: no email, role or anything else a log or a proxy could leak.
async fn an_issued_token_holds_exactly_the_allowed_claims(db: Db) {
    use base64::Engine as _;
    let app = spawn_app_with(db, |config| config.secret = Some(SECRET.into())).await;
    let ada = app.signed_in("ada@example.com").await;
    let segments: Vec<&str> = ada.access.split('.').collect();
    assert_eq!(segments.len(), 3);
    let decode = |segment: &str| -> Value {
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
    };
    let mut claims: Vec<String> = decode(segments[1]).as_object().unwrap().keys().cloned().collect();
    claims.sort();
    assert_eq!(claims, ["aud", "exp", "iat", "iss", "jti", "sid", "sub", "typ"]);
    let mut header: Vec<String> = decode(segments[0]).as_object().unwrap().keys().cloned().collect();
    header.sort();
    assert_eq!(header, ["alg", "kid", "typ"]);
}

const SECRET: &str = "a test secret of thirty-two bytes, at least";

async fn the_jwt_attack_matrix_is_refused(db: Db) {
    let app = spawn_app_with(db, |config| config.secret = Some(SECRET.into())).await;
    let ada = app.signed_in("ada@example.com").await;
    let keys = Keys::derive(SECRET);
    let claims = serde_json::to_value(keys.verify_access(&ada.access).unwrap()).unwrap();
    let header = json!({ "alg": "HS256", "typ": "JWT", "kid": keys.current_id() });
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut value = claims.clone();
        edit(&mut value);
        value
    };
    let headed = |edit: &dyn Fn(&mut Value)| {
        let mut value = header.clone();
        edit(&mut value);
        value
    };
    let attacker = Keys::derive("the attacker's own key, long enough too");
    let attacker_jwk = json!({ "kty": "oct", "k": "YXR0YWNrZXI" });
    // Where the embedded key URLs point: a listener that must never see a connection.
    let key_server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    key_server.set_nonblocking(true).unwrap();
    let key_url = format!("http://{}/keys", key_server.local_addr().unwrap());

    let control = keys.forge(&header, &claims, Forgery::Hs256);
    assert_eq!(app.get_with_token("/api/auth/me", &control).await.status, 200, "the control token passes");

    let mut forgeries: Vec<(String, String)> = vec![
        ("alg none".into(), keys.forge(&headed(&|h| h["alg"] = json!("none")), &claims, Forgery::Unsigned)),
        ("alg nOnE".into(), keys.forge(&headed(&|h| h["alg"] = json!("nOnE")), &claims, Forgery::Unsigned)),
        ("empty signature".into(), keys.forge(&header, &claims, Forgery::Unsigned)),
        (
            "HS384 with the real key".into(),
            keys.forge(&headed(&|h| h["alg"] = json!("HS384")), &claims, Forgery::Hs384),
        ),
        (
            "HS512 with the real key".into(),
            keys.forge(&headed(&|h| h["alg"] = json!("HS512")), &claims, Forgery::Hs512),
        ),
        ("wrong iss".into(), keys.forge(&header, &with(&|c| c["iss"] = json!("elsewhere")), Forgery::Hs256)),
        ("array aud".into(), keys.forge(&header, &with(&|c| c["aud"] = json!(["lanyard"])), Forgery::Hs256)),
        ("numeric aud".into(), keys.forge(&header, &with(&|c| c["aud"] = json!(7)), Forgery::Hs256)),
        ("wrong kid".into(), keys.forge(&headed(&|h| h["kid"] = json!("0123456789abcdef")), &claims, Forgery::Hs256)),
        (
            "a path as kid".into(),
            keys.forge(&headed(&|h| h["kid"] = json!("../../../../dev/null")), &claims, Forgery::Hs256),
        ),
        ("SQL as kid".into(), keys.forge(&headed(&|h| h["kid"] = json!("' OR '1'='1' --")), &claims, Forgery::Hs256)),
        ("a 10 KB kid".into(), keys.forge(&headed(&|h| h["kid"] = json!("k".repeat(10_240))), &claims, Forgery::Hs256)),
        ("numeric kid".into(), keys.forge(&headed(&|h| h["kid"] = json!(1)), &claims, Forgery::Hs256)),
        ("null kid".into(), keys.forge(&headed(&|h| h["kid"] = Value::Null), &claims, Forgery::Hs256)),
        ("exp -1".into(), keys.forge(&header, &with(&|c| c["exp"] = json!(-1)), Forgery::Hs256)),
        ("exp 1e300".into(), keys.forge(&header, &with(&|c| c["exp"] = json!(1e300)), Forgery::Hs256)),
        ("exp as a string".into(), keys.forge(&header, &with(&|c| c["exp"] = json!("9999999999")), Forgery::Hs256)),
        ("nbf as a string".into(), keys.forge(&header, &with(&|c| c["nbf"] = json!("0")), Forgery::Hs256)),
        ("a critical extension".into(), keys.forge(&headed(&|h| h["crit"] = json!(["exp"])), &claims, Forgery::Hs256)),
        ("a fourth segment".into(), format!("{control}.AAAA")),
        (
            "nbf in the future".into(),
            keys.forge(&header, &with(&|c| c["nbf"] = json!(c["iat"].as_i64().unwrap() + 3_600)), Forgery::Hs256),
        ),
    ];
    for claim in ["iss", "aud", "sub", "sid", "jti", "iat", "exp", "typ"] {
        let missing = with(&|c| drop(c.as_object_mut().unwrap().remove(claim)));
        forgeries.push((format!("no {claim}"), keys.forge(&header, &missing, Forgery::Hs256)));
    }
    for (name, field) in [
        ("jwk", attacker_jwk),
        ("jku", json!(key_url)),
        ("x5u", json!(key_url)),
        ("x5c", json!(["MIIBszCCAVmgAwIBAgIUQWJj"])),
    ] {
        let embedded = headed(&|h| {
            h[name] = field.clone();
            h.as_object_mut().unwrap().remove("kid");
        });
        forgeries
            .push((format!("embedded {name}, the attacker's key"), attacker.forge(&embedded, &claims, Forgery::Hs256)));
    }
    let mut flipped = control.clone().into_bytes();
    let in_payload = control.find('.').unwrap() + 5;
    flipped[in_payload] = if flipped[in_payload] == b'A' { b'B' } else { b'A' };
    forgeries.push(("a payload bit flip".into(), String::from_utf8(flipped).unwrap()));

    for (name, forged) in &forgeries {
        let answer = app.get_with_token("/api/auth/me", forged).await;
        assert_eq!(answer.status, 401, "{name}: {:?}", answer.body);
        assert_eq!(answer.body["error"], "ACCESS_TOKEN_INVALID", "{name}");
        assert_eq!(answer.body["logout_reason"], Value::Null, "{name}: a bad token ends nothing");
    }
    assert_eq!(app.get_with_token("/api/auth/me", &ada.access).await.status, 200, "the session lives on");
    let fetched = key_server.accept();
    assert!(fetched.is_err_and(|e| e.kind() == std::io::ErrorKind::WouldBlock), "a key URL was fetched");
}
