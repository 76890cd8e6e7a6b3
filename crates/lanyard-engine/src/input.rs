//! What the engine accepts as text from outside: nothing it stores or looks up may hold a NUL or
//! another control character. PostgreSQL refuses NUL in text (a 500 if it got that far), and no one
//! types a control character into an email address or an id.

use super::error::{AuthError, AuthResult};

/// `value`, if it holds no control character; else a bad request naming `field`.
pub fn plain_text<'a>(field: &str, value: &'a str) -> AuthResult<&'a str> {
    if value.chars().any(char::is_control) {
        return Err(AuthError::BadRequest(format!("The {field} must not contain control characters.")));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_and_plain_text_passes() {
        assert_eq!(plain_text("email", "ada@example.com").unwrap(), "ada@example.com");
        assert_eq!(plain_text("email", "Zoë Ünicode").unwrap(), "Zoë Ünicode");
        for bad in ["ada\0@example.com", "line\nbreak", "tab\there", "\u{7f}"] {
            assert!(matches!(plain_text("email", bad), Err(AuthError::BadRequest(_))), "{bad:?}");
        }
    }
}
