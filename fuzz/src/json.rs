//! JSON values the fuzzer builds, biased toward what lanyard reads: its field names, its codes and
//! tokens, and values just inside and outside its limits.

use arbitrary::Arbitrary;
use serde_json::{Map, Number, Value};

/// A field name: one lanyard reads, or any other.
#[derive(Arbitrary, Debug)]
pub enum Key {
    Known(KnownKey),
    Other(String),
}

/// Every field a header, a claim set or a server function's body has.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum KnownKey {
    Alg,
    Typ,
    Kid,
    Jku,
    Jwk,
    X5u,
    Crit,
    Cty,
    B64,
    Iss,
    Aud,
    Sub,
    Sid,
    Jti,
    Iat,
    Exp,
    Nbf,
    Email,
    Password,
    RememberMe,
    DeviceId,
    Code,
    Message,
    Path,
    Context,
    At,
    Source,
    TabId,
    SessionId,
    CurrentPassword,
    NewPassword,
    Seconds,
    Id,
}

impl Key {
    pub fn name(&self) -> &str {
        match self {
            Key::Known(known) => known.name(),
            Key::Other(name) => name,
        }
    }
}

impl KnownKey {
    fn name(self) -> &'static str {
        match self {
            KnownKey::Alg => "alg",
            KnownKey::Typ => "typ",
            KnownKey::Kid => "kid",
            KnownKey::Jku => "jku",
            KnownKey::Jwk => "jwk",
            KnownKey::X5u => "x5u",
            KnownKey::Crit => "crit",
            KnownKey::Cty => "cty",
            KnownKey::B64 => "b64",
            KnownKey::Iss => "iss",
            KnownKey::Aud => "aud",
            KnownKey::Sub => "sub",
            KnownKey::Sid => "sid",
            KnownKey::Jti => "jti",
            KnownKey::Iat => "iat",
            KnownKey::Exp => "exp",
            KnownKey::Nbf => "nbf",
            KnownKey::Email => "email",
            KnownKey::Password => "password",
            KnownKey::RememberMe => "remember_me",
            KnownKey::DeviceId => "device_id",
            KnownKey::Code => "code",
            KnownKey::Message => "message",
            KnownKey::Path => "path",
            KnownKey::Context => "context",
            KnownKey::At => "at",
            KnownKey::Source => "source",
            KnownKey::TabId => "tab_id",
            KnownKey::SessionId => "session_id",
            KnownKey::CurrentPassword => "current_password",
            KnownKey::NewPassword => "new_password",
            KnownKey::Seconds => "seconds",
            KnownKey::Id => "id",
        }
    }
}

/// Strings lanyard gives meaning to.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum KnownString {
    Hs256,
    None,
    NoneMixedCase,
    Issuer,
    Access,
    Refresh,
    ManualLogout,
    SessionLimit,
    Frontend,
    Backend,
    /// The harness user's email and password (so a sign-in or password change can succeed).
    Email,
    Password,
    LocalPath,
    SignInPath,
    SchemeRelative,
    Nul,
    Long,
}

impl KnownString {
    fn text(self) -> String {
        match self {
            KnownString::Hs256 => "HS256".into(),
            KnownString::None => "none".into(),
            KnownString::NoneMixedCase => "nOnE".into(),
            KnownString::Issuer => "lanyard".into(),
            KnownString::Access => "access".into(),
            KnownString::Refresh => "refresh".into(),
            KnownString::ManualLogout => "MANUAL_LOGOUT".into(),
            KnownString::SessionLimit => "SESSION_LIMIT".into(),
            KnownString::Frontend => "frontend".into(),
            KnownString::Backend => "backend".into(),
            KnownString::Email => crate::router::EMAIL.into(),
            KnownString::Password => crate::router::PASSWORD.into(),
            KnownString::LocalPath => "/jobs?tab=1".into(),
            KnownString::SignInPath => "/signin?next=%2F%2Fevil.example".into(),
            KnownString::SchemeRelative => "//evil.example/".into(),
            KnownString::Nul => "a\0b".into(),
            KnownString::Long => "x".repeat(70_000),
        }
    }
}

/// Any JSON value; nesting ends when the input does.
#[derive(Arbitrary, Debug)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Known(KnownString),
    Array(Vec<Json>),
    Object(Vec<(Key, Json)>),
}

impl Json {
    pub fn to_value(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(flag) => Value::Bool(*flag),
            Json::Int(number) => Value::from(*number),
            Json::Float(number) => Number::from_f64(*number).map_or(Value::Null, Value::Number),
            Json::Str(text) => Value::String(text.clone()),
            Json::Known(known) => Value::String(known.text()),
            Json::Array(items) => Value::Array(items.iter().map(Json::to_value).collect()),
            Json::Object(fields) => Value::Object(object(fields)),
        }
    }
}

/// An object of the given fields (a later field of the same name wins).
pub fn object(fields: &[(Key, Json)]) -> Map<String, Value> {
    fields.iter().map(|(key, value)| (key.name().to_owned(), value.to_value())).collect()
}
