//! Instance-wide settings the pages need ([`UiSettings`]): provided by the server, and carried to
//! the browser by meta tags so that hydration renders what the server rendered.

#[cfg(not(feature = "hydrate"))]
use leptos::prelude::use_context;

/// Instance-wide settings the pages need, provided by the server.
#[derive(Clone, Copy, Debug)]
pub struct UiSettings {
    /// `LANYARD_DEBUG_PANEL`: whether the auth debug panel exists.
    pub debug_panel: bool,
    /// `LANYARD_SIGNUP=open`: whether `/signin` offers "Create account".
    pub signup_open: bool,
}

impl Default for UiSettings {
    fn default() -> Self {
        Self { debug_panel: true, signup_open: false }
    }
}

/// The meta tags that carry [`UiSettings`] to the browser, so hydration renders the same.
pub(super) const DEBUG_PANEL_META: &str = "lanyard-debug-panel";
pub(super) const SIGNUP_META: &str = "lanyard-signup";

/// Whether the debug panel exists.
pub(super) fn debug_panel_enabled() -> bool {
    setting_in_page(DEBUG_PANEL_META, |settings| settings.debug_panel)
}

/// Whether `/signin` offers "Create account".
pub(super) fn signup_open() -> bool {
    setting_in_page(SIGNUP_META, |settings| settings.signup_open)
}

/// On the server, the setting `of` the settings; in the browser, the meta tag `name` the server
/// rendered from it (without one, the default).
fn setting_in_page(name: &str, of: fn(UiSettings) -> bool) -> bool {
    #[cfg(feature = "hydrate")]
    {
        let meta = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector(&format!("meta[name={name}]")).ok().flatten());
        meta.and_then(|m| m.get_attribute("content"))
            .map_or_else(|| of(UiSettings::default()), |content| content == "on")
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = name;
        of(use_context::<UiSettings>().unwrap_or_default())
    }
}
