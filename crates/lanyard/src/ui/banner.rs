//! The sign-in page's banner: why the last session ended, shown once (SPEC §4).

use crate::contract::LogoutEvent;
use crate::session::{self, human_duration};
use leptos::prelude::*;

/// How long the banner stays.
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
        if let Some(event) = session::take_logout_reason() {
            shown.set(Some(BannerText::from(event)));
            leptos::task::spawn_local(async move {
                session::pause(SHOWN_MS).await;
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

impl From<LogoutEvent> for BannerText {
    fn from(event: LogoutEvent) -> Self {
        Self {
            message: event.message,
            path: event.path,
            code: event.code.to_string(),
            time: session::local_time(event.at),
            source: serde_json::to_value(event.source)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            idle: human_duration(event.idle_secs),
            context: serde_json::to_string(&event.context).unwrap_or_default(),
        }
    }
}
