//! New passwords (SPEC §9): the rules both sides state (`credentials::NewPassword`), and the one
//! only the server applies, since the list it needs is too big for the browser: a password among
//! the 30,000 most common (`data/common-passwords.txt`, zxcvbn's list; its licence is in
//! `data/README.md`) is refused, compared case-insensitively.

use lanyard_contract::credentials::{NewPassword, TOO_COMMON};
use std::collections::HashSet;
use std::sync::LazyLock;

static COMMON: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("../data/common-passwords.txt").lines().collect());

/// `password` as a new password of the user `email`; `Err` carries the message shown to the user.
pub(crate) fn new_password<'a>(password: &'a str, email: &str) -> Result<NewPassword<'a>, String> {
    let password = NewPassword::parse(password, email)?;
    if COMMON.contains(password.expose().to_lowercase().as_str()) {
        return Err(TOO_COMMON.into());
    }
    Ok(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_shipped_whole_and_compared_case_insensitively() {
        assert!(COMMON.len() >= 20_000, "SPEC §9: at least 20,000 entries, not {}", COMMON.len());
        for common in ["password1", "Qwertyuiop", "FOOTBALL", "iloveyou1"] {
            assert_eq!(new_password(common, "ada@example.com").unwrap_err(), TOO_COMMON, "{common}");
        }
        assert!(new_password("correct horse battery", "ada@example.com").is_ok());
        assert!(new_password("short", "ada@example.com").unwrap_err().contains("at least"), "the shared rules first");
    }
}
