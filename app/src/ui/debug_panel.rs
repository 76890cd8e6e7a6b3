//! The auth debug panel (Ctrl+Shift+D or the floating button): the session as this tab sees it,
//! recent logouts and API failures, and a copy of the server's view. Never a token.

use super::Auth;
use super::state::ClientView;
use crate::contract::LogoutEvent;
use leptos::prelude::*;

#[component]
pub fn DebugPanel() -> impl IntoView {
    let open = RwSignal::new(false);
    let client = expect_context::<ClientView>();
    let auth = expect_context::<Auth>();
    let history = RwSignal::new(Vec::<LogoutEvent>::new());
    let copied = RwSignal::new(None::<String>);
    let tab_id = RwSignal::new(String::new());

    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            tab_id.set(crate::client::tabs::tab_id());
            // Ctrl+Shift+D is also a browser shortcut: the listener must be allowed to prevent it.
            let options = gloo_events::EventListenerOptions::enable_prevent_default();
            gloo_events::EventListener::new_with_options(
                &web_sys::window().expect("a window"),
                "keydown",
                options,
                move |event| {
                    use wasm_bindgen::JsCast;
                    let Some(key) = event.dyn_ref::<web_sys::KeyboardEvent>() else { return };
                    if key.ctrl_key() && key.shift_key() && key.code() == "KeyD" {
                        key.prevent_default();
                        open.update(|open| *open = !*open);
                    }
                },
            )
            .forget();
        }
    });
    Effect::new(move |_| {
        if open.get() {
            #[cfg(feature = "hydrate")]
            history.set(crate::client::tracker::history());
        }
    });

    #[cfg(feature = "hydrate")]
    let state_json = move || {
        serde_json::json!({
            "status": client.status.get_untracked(),
            "user": auth.user(),
            "tab_id": tab_id.get_untracked(),
            "idle_secs": client.idle_secs.get_untracked(),
            "logout_history": history.get_untracked(),
            "api_failures": client.failures.get_untracked(),
        })
    };
    let log_state = move |_| {
        #[cfg(feature = "hydrate")]
        web_sys::console::log_2(&"[lanyard] client state".into(), &state_json().to_string().into());
    };
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            use crate::api::Diagnostics;
            use crate::client::http::{Method, call};
            use leptos::server_fn::ServerFn;
            let server: Option<crate::contract::Diagnostics> = call(Method::Get, Diagnostics::PATH, &()).await.ok();
            let text = serde_json::to_string_pretty(&serde_json::json!({ "client": state_json(), "server": server }))
                .unwrap_or_default();
            let clipboard = web_sys::window().expect("a window").navigator().clipboard();
            let written = wasm_bindgen_futures::JsFuture::from(clipboard.write_text(&text)).await;
            web_sys::console::log_2(&"[lanyard] diagnostics".into(), &text.clone().into());
            copied.set(Some(if written.is_ok() { "Copied." } else { "Copy failed; logged to the console." }.into()));
        });
    };

    let secs = |value: Option<i64>| value.map_or("—".to_owned(), |s| format!("{s} s"));
    view! {
        <button type="button" class="debug-toggle" aria-label="Open auth debug panel" on:click=move |_| open.update(|o| *o = !*o)>
            "Auth"
        </button>
        <Show when=move || open.get()>
            <aside class="debug-panel" role="dialog" aria-label="Auth debug panel">
                <header>
                    <h2>"Auth debug"</h2>
                    <button type="button" class="secondary" on:click=move |_| open.set(false)>"Close"</button>
                </header>
                <dl>
                    <dt>"User"</dt><dd>{move || auth.user().map_or("signed out".into(), |u| format!("{} ({})", u.email, u.id))}</dd>
                    <dt>"Session"</dt><dd><code>{move || client.status.get().session_id.unwrap_or_default()}</code></dd>
                    <dt>"Access token expires in"</dt><dd>{move || secs(client.status.get().access_expires_in_secs)}</dd>
                    <dt>"Session expires in"</dt><dd class="session-expiry">{move || secs(client.status.get().session_expires_in_secs)}</dd>
                    <dt>"Level"</dt><dd>{move || client.status.get().level}</dd>
                    <dt>"Idle"</dt><dd>{move || format!("{} s", client.idle_secs.get())}</dd>
                    <dt>"Tab"</dt><dd><code>{move || tab_id.get()}</code></dd>
                    <dt>"Last refresh"</dt><dd class="last-refresh">{move || client.status.get().last_refresh_at.map_or("—".into(), |at| super::sessions::ago(super::server_now(), at))}</dd>
                </dl>
                <h3>"Recent logouts"</h3>
                <ul class="debug-list logouts">
                    {move || history.get().into_iter().take(10).map(|event| view! {
                        <li><code>{event.code.to_string()}</code>" "{event.message.clone()}" — "{event.path.clone()}</li>
                    }).collect_view()}
                </ul>
                <h3>"Recent API failures"</h3>
                <ul class="debug-list failures">
                    {move || client.failures.get().into_iter().map(|failure| view! {
                        <li><code>{failure.path.clone()}</code>" → "{failure.decision.clone()}</li>
                    }).collect_view()}
                </ul>
                <div class="actions">
                    <button type="button" class="secondary" on:click=log_state>"Log full state to console"</button>
                    <button type="button" class="secondary" on:click=copy>"Copy diagnostics"</button>
                </div>
                <p role="status">{move || copied.get()}</p>
            </aside>
        </Show>
    }
}
