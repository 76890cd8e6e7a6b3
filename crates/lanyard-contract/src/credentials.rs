//! What a new password and an email address may be (SPEC §3): one home for the rules, which the
//! engine enforces and the pages state before a call is made. Shared unchanged by both builds.

/// The fewest characters a new password may have.
pub const PASSWORD_MIN_CHARS: usize = 8;
/// The most characters a new password may have; longer ones are refused, never truncated.
pub const PASSWORD_MAX_CHARS: usize = 128;
/// The longest email address accepted (the SMTP path limit of RFC 5321).
pub const EMAIL_MAX_CHARS: usize = 254;

/// What a user is told of a password that is among the most common, or the product's name.
pub const TOO_COMMON: &str = "This password is too common.";

/// The product's name, which no password may be (with digits and signs added or not): the first
/// word a guesser tries.
pub const PRODUCT_NAME: &str = "lanyard";

/// The password rule in words, as the forms show it.
pub fn password_rule() -> String {
    format!("{PASSWORD_MIN_CHARS} to {PASSWORD_MAX_CHARS} characters, not your email address, not a common password.")
}

/// The key emails are stored and looked up by: they are compared case-insensitively (SPEC §3).
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// An email address a new user may have: not blank, at most [`EMAIL_MAX_CHARS`], with an `@`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// The address, trimmed; `Err` says why it is not one.
    ///
    /// ```
    /// use lanyard_contract::credentials::EmailAddress;
    /// assert_eq!(EmailAddress::parse(" ada@example.com ").unwrap().as_str(), "ada@example.com");
    /// assert!(EmailAddress::parse("ada").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, String> {
        let address = text.trim();
        if address.is_empty() || address.chars().count() > EMAIL_MAX_CHARS || !address.contains('@') {
            return Err(format!("{address:?} is not an email address."));
        }
        Ok(Self(address.to_owned()))
    }

    /// The address, trimmed, as it is stored and shown.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password that meets the policy for the user whose email is given.
#[derive(Debug)]
pub struct NewPassword<'a>(&'a str);

impl<'a> NewPassword<'a> {
    /// The password, if it meets the policy; `Err` carries the message shown to the user.
    ///
    /// ```
    /// use lanyard_contract::credentials::NewPassword;
    /// assert!(NewPassword::parse("correct horse", "ada@example.com").is_ok());
    /// assert!(NewPassword::parse("short", "ada@example.com").is_err());
    /// ```
    pub fn parse(password: &'a str, email: &str) -> Result<Self, String> {
        let chars = password.chars().count();
        if chars < PASSWORD_MIN_CHARS {
            return Err(format!("Use at least {PASSWORD_MIN_CHARS} characters."));
        }
        if chars > PASSWORD_MAX_CHARS {
            return Err(format!("Use at most {PASSWORD_MAX_CHARS} characters."));
        }
        if password.trim().eq_ignore_ascii_case(email.trim()) {
            return Err("Your password cannot be your email address.".into());
        }
        let letters: String = password.chars().filter(|c| c.is_alphabetic()).flat_map(char::to_lowercase).collect();
        if letters == PRODUCT_NAME {
            return Err(TOO_COMMON.into());
        }
        Ok(Self(password))
    }

    /// The password's text, for hashing. Named like [`Secret::expose`](crate::Secret::expose) so
    /// that every read of it stands out where it is written.
    pub fn expose(&self) -> &'a str {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_policy_bounds_length_and_refuses_the_email() {
        assert!(NewPassword::parse("short", "a@b.c").is_err());
        assert!(NewPassword::parse(&"x".repeat(129), "a@b.c").is_err());
        assert!(NewPassword::parse("A@Example.com", "a@example.com").is_err());
        assert!(NewPassword::parse("long enough", "a@example.com").is_ok());
        assert!(NewPassword::parse(&"x".repeat(128), "a@b.c").is_ok());
        assert!(NewPassword::parse("Lanyard2026!", "a@b.c").is_err(), "the product's name, dressed up");
        assert!(NewPassword::parse("my lanyard key", "a@b.c").is_ok());
    }

    #[test]
    fn an_email_address_has_an_at_sign_and_a_bounded_length() {
        assert!(EmailAddress::parse("ada@example.com").is_ok());
        assert!(EmailAddress::parse("   ").is_err());
        assert!(EmailAddress::parse("ada.example.com").is_err());
        assert!(EmailAddress::parse(&format!("{}@example.com", "a".repeat(250))).is_err());
        assert_eq!(email_key(" Ada@Example.COM "), "ada@example.com");
    }
}
