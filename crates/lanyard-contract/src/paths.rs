//! Page paths shared by server and browser: which paths may be returned to, and the sign-in `next`.

/// The sign-in page; never a `next` target or a `logout_path`.
pub const SIGNIN_PATH: &str = "/signin";

/// A same-origin path: one leading slash (no scheme-relative `//`), no backslash or control
/// characters, and not the sign-in page itself.
pub fn is_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
        && path.split(['?', '#']).next() != Some(SIGNIN_PATH)
}

/// The query parameter a link's token travels in (SPEC §10).
pub const LINK_TOKEN_PARAM: &str = "token";

/// `path_and_query` without a link's token: what a page may say of itself in `X-Page-Path`, an
/// ending's `logout_path` or a sign-in's `next` (SPEC §10: a token reaches none of them).
pub fn without_link_token(path_and_query: &str) -> String {
    let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
    let kept: Vec<&str> =
        query.split('&').filter(|pair| !pair.is_empty() && pair.split('=').next() != Some(LINK_TOKEN_PARAM)).collect();
    if kept.is_empty() { path.to_owned() } else { format!("{path}?{}", kept.join("&")) }
}

/// The link token of a query string, if it has one.
pub fn link_token(query: &str) -> Option<String> {
    form_urlencoded::parse(query.trim_start_matches('?').as_bytes())
        .find(|(key, _)| key == LINK_TOKEN_PARAM)
        .map(|(_, value)| value.into_owned())
}

/// The `next` parameter of a query string, if it is a path the user may return to.
pub fn next_from_query(query: &str) -> Option<String> {
    form_urlencoded::parse(query.trim_start_matches('?').as_bytes())
        .find(|(key, _)| key == "next")
        .map(|(_, value)| value.into_owned())
        .filter(|next| is_local_path(next))
}

/// The page a session ending should name, from a page's path and query: the sign-in page names the
/// page the user will return to, or `/`.
pub fn logout_path(path_and_query: &str) -> String {
    let without_fragment = without_link_token(path_and_query.split('#').next().unwrap_or_default());
    let without_fragment = without_fragment.as_str();
    let (path, query) = without_fragment.split_once('?').unwrap_or((without_fragment, ""));
    if path == SIGNIN_PATH {
        return next_from_query(query).unwrap_or_else(|| "/".into());
    }
    if is_local_path(without_fragment) { without_fragment.to_owned() } else { "/".into() }
}

/// The sign-in URL that returns to `path` afterwards.
pub fn signin_url(path: &str) -> String {
    if is_local_path(path) && path != "/" {
        let encoded: String = form_urlencoded::byte_serialize(path.as_bytes()).collect();
        format!("{SIGNIN_PATH}?next={encoded}")
    } else {
        SIGNIN_PATH.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_same_origin_paths_are_local() {
        assert!(is_local_path("/jobs?x=1"));
        for bad in ["//evil.example", "https://evil.example/", "/\\evil", "/signin", "/signin?next=/", "jobs", ""] {
            assert!(!is_local_path(bad), "{bad}");
        }
    }

    #[test]
    fn the_sign_in_page_names_where_the_user_returns() {
        assert_eq!(logout_path("/signin?next=%2Fjobs"), "/jobs");
        assert_eq!(logout_path("/signin"), "/");
        assert_eq!(logout_path("/signin?next=//evil.example"), "/");
        assert_eq!(logout_path("/billing#top"), "/billing");
        assert_eq!(logout_path("https://evil.example/"), "/");
    }

    #[test]
    fn a_link_token_never_leaves_its_page() {
        assert_eq!(without_link_token("/reset-password?token=abc"), "/reset-password");
        assert_eq!(without_link_token("/invite?a=1&token=abc&b=2"), "/invite?a=1&b=2");
        assert_eq!(without_link_token("/jobs?tokens=1"), "/jobs?tokens=1");
        assert_eq!(logout_path("/reset-password?token=abc"), "/reset-password");
        assert_eq!(link_token("?token=abc&x=1").as_deref(), Some("abc"));
        assert_eq!(link_token("?tokens=abc"), None);
    }

    #[test]
    fn signin_urls_round_trip_next() {
        let url = signin_url("/jobs?id=1");
        assert_eq!(next_from_query(url.split_once('?').unwrap().1).as_deref(), Some("/jobs?id=1"));
        assert_eq!(signin_url("/"), "/signin");
    }
}
