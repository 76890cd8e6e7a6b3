//! How the wire declares a closed set (`closed_set!`), and the error of a name outside one.

/// Declares a closed set: the enum, its wire names (serde, `Display`, `FromStr`) and `ALL`, a list
/// the compiler keeps complete because it is written by this macro from the same variants.
#[macro_export]
macro_rules! closed_set {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal,)+ }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $wire)] $variant,)+
        }

        impl $name {
            /// Every member, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The name on the wire, in the database and on the command line.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)+
                }
            }

            /// The member whose wire name is `name`; `None` for any other name, never a default,
            /// so a name from outside the set cannot pass for a member.
            pub fn parse(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|member| member.as_str() == name)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::UnknownName;

            fn from_str(name: &str) -> Result<Self, $crate::UnknownName> {
                Self::parse(name).ok_or_else(|| $crate::UnknownName { set: stringify!($name), name: name.to_owned() })
            }
        }
    };
}

/// A name that is not a member of a closed set.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{name:?} is not a {set}")]
pub struct UnknownName {
    /// The closed set's type name (`LogoutCode`, `Role` …), so the message says what was expected.
    pub set: &'static str,
    /// The name that was given, as given.
    pub name: String,
}

/// Stores closed sets by name in sqlx's `Any` database (feature `sqlx`, which the engine turns on;
/// the browser's build has no sqlx). They decode at the store's edge: the CHECK constraints of the
/// schema keep other names out, and one that slipped in is an error, never a default. They are
/// written with `as_str()`.
#[cfg(feature = "sqlx")]
#[macro_export]
macro_rules! stored_by_name {
    ($($set:ty),+) => {$(
        impl ::sqlx::Type<::sqlx::Any> for $set {
            fn type_info() -> ::sqlx::any::AnyTypeInfo {
                <String as ::sqlx::Type<::sqlx::Any>>::type_info()
            }

            fn compatible(ty: &::sqlx::any::AnyTypeInfo) -> bool {
                <String as ::sqlx::Type<::sqlx::Any>>::compatible(ty)
            }
        }

        impl<'r> ::sqlx::Decode<'r, ::sqlx::Any> for $set {
            fn decode(value: ::sqlx::any::AnyValueRef<'r>) -> Result<Self, ::sqlx::error::BoxDynError> {
                Ok(<String as ::sqlx::Decode<'r, ::sqlx::Any>>::decode(value)?.parse::<$set>()?)
            }
        }
    )+};
}
