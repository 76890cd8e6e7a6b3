//! The sign-in page's banner: why the last session ended, shown once (SPEC §4).

use leptos::prelude::*;

/// How long the banner stays.
#[cfg(feature = "hydrate")]
const SHOWN_MS: u32 = 30_000;

/// The banner's text, prepared in the browser from the stored reason object.
#[derive(Clone, Debug, PartialEq)]
pub struct BannerText {
    pub message: String,
    pub path: String,
    pub code: String,
    pub time: String,
    pub source: String,
    pub idle: String,
    pub context: String,
}

#[component]
pub fn LogoutBanner() -> impl IntoView {
    let shown = RwSignal::new(None::<BannerText>);
    let details = RwSignal::new(false);
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(text) = take_reason() {
            shown.set(Some(text));
            leptos::task::spawn_local(async move {
                gloo_timers::future::TimeoutFuture::new(SHOWN_MS).await;
                shown.set(None);
            });
        }
    });
    move || {
        shown.get().map(|text| {
            view! {
                <section class="banner" role="alert" aria-labelledby="banner-heading">
                    <h2 id="banner-heading">"Session ended"</h2>
                    <p class="banner-message">{text.message.clone()}</p>
                    <p>"Original page: "<code>{text.path.clone()}</code></p>
                    <button
                        type="button"
                        class="link"
                        aria-expanded=move || details.get().to_string()
                        on:click=move |_| details.update(|open| *open = !*open)
                    >
                        "Details"
                    </button>
                    <Show when=move || details.get()>
                        <dl class="banner-details">
                            <dt>"Code"</dt><dd><code>{text.code.clone()}</code></dd>
                            <dt>"Time"</dt><dd>{text.time.clone()}</dd>
                            <dt>"Source"</dt><dd>{text.source.clone()}</dd>
                            <dt>"Idle time"</dt><dd>{text.idle.clone()}</dd>
                            <dt>"Context"</dt><dd><code>{text.context.clone()}</code></dd>
                        </dl>
                    </Show>
                </section>
            }
        })
    }
}

/// Takes the reason this tab should show: its own (sessionStorage) first, else the browser's last
/// (localStorage), and clears the one it showed.
#[cfg(feature = "hydrate")]
fn take_reason() -> Option<BannerText> {
    use crate::client::tracker::LOGOUT_REASON;
    use crate::contract::LogoutEvent;
    use gloo_storage::{LocalStorage, SessionStorage, Storage};
    let event: LogoutEvent = match SessionStorage::get(LOGOUT_REASON) {
        Ok(event) => {
            SessionStorage::delete(LOGOUT_REASON);
            event
        }
        Err(_) => {
            let event = LocalStorage::get(LOGOUT_REASON).ok()?;
            LocalStorage::delete(LOGOUT_REASON);
            event
        }
    };
    let time = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(event.at as f64 * 1_000.0));
    Some(BannerText {
        message: event.message,
        path: event.path,
        code: event.code.to_string(),
        time: String::from(time.to_locale_string("en-GB", &wasm_bindgen::JsValue::UNDEFINED)),
        source: serde_json::to_value(event.source).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
        idle: format!("{} s", event.idle_secs),
        context: event.context.to_string(),
    })
}
