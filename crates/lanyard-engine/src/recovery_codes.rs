//! Recovery codes (SPEC §11): ten per user, shown once, stored hashed, each usable once in place of
//! a code or a passkey. They come with the first second factor and go with the last.

use super::error::AuthResult;
use super::store::{Store, Tx};
use lanyard_contract::Secret;
use sha2::{Digest, Sha256};

/// How many codes a user gets at a time.
const RECOVERY_CODE_COUNT: usize = 10;
/// Letters and digits that cannot be mistaken for one another when written down.
const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
/// Characters in a code, shown in two groups of five (about 49 random bits).
const CODE_CHARS: usize = 10;

/// What the database keeps of a user's recovery code: a random 32-bit salt and the SHA-256 of the
/// salt, the user and the code as the user may type it (case, spaces and dashes do not count), so
/// a stolen table gives no code without a search per row (ASVS V2.6.2).
fn seal_recovery_code(user_id: &str, code: &str, salt: [u8; 4]) -> String {
    let typed: String = code.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect();
    let mut digest = Sha256::new();
    digest.update(salt);
    digest.update(format!("{user_id}:{typed}").as_bytes());
    let hex = |bytes: &[u8]| bytes.iter().map(|byte| format!("{byte:02x}")).collect::<String>();
    format!("{}${}", hex(&salt), hex(&digest.finalize()))
}

/// Which of the user's stored codes (`stored`, as [`seal_recovery_code`] wrote them) `code` is.
pub(crate) fn matching_recovery_code<'a>(user_id: &str, code: &str, stored: &'a [String]) -> Option<&'a String> {
    stored.iter().find(|sealed| {
        let salt = sealed.split('$').next().and_then(|hex| {
            let bytes: Option<Vec<u8>> = (0..hex.len())
                .step_by(2)
                .map(|i| hex.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
                .collect();
            <[u8; 4]>::try_from(bytes?).ok()
        });
        salt.is_some_and(|salt| seal_recovery_code(user_id, code, salt) == **sealed)
    })
}

fn new_code() -> String {
    let chars: String = (0..CODE_CHARS).map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char).collect();
    format!("{}-{}", &chars[..CODE_CHARS / 2], &chars[CODE_CHARS / 2..])
}

/// Gives the user ten new codes in `tx`, voiding the old ones; returns them to be shown once.
pub(crate) async fn renew_recovery_codes(tx: &mut Tx, user_id: &str, now: i64) -> AuthResult<Vec<Secret>> {
    let codes: Vec<String> = (0..RECOVERY_CODE_COUNT).map(|_| new_code()).collect();
    let hashes: Vec<String> = codes.iter().map(|code| seal_recovery_code(user_id, code, rand::random())).collect();
    Store::replace_recovery_codes(tx, user_id, &hashes, now).await?;
    Ok(codes.into_iter().map(Secret::from).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_typed_loosely_and_bound_to_their_user() {
        let code = new_code();
        assert_eq!(code.len(), CODE_CHARS + 1);
        let stored = vec![
            seal_recovery_code("u1", &new_code(), rand::random()),
            seal_recovery_code("u1", &code, rand::random()),
        ];
        let typed = format!(" {} ", code.to_uppercase().replace('-', " "));
        assert_eq!(matching_recovery_code("u1", &typed, &stored), Some(&stored[1]));
        assert_eq!(matching_recovery_code("u2", &code, &stored), None);
        assert_eq!(matching_recovery_code("u1", "abcde-fghjk", &stored), None);
        assert_ne!(seal_recovery_code("u1", &code, [0; 4]), seal_recovery_code("u1", &code, [1; 4]), "salted");
    }
}
