//! The auth debug panel (Ctrl+Shift+D or the floating button): the session as this tab sees it,
//! recent logouts and API failures, and a copy of the server's view. Never a token.

use crate::contract::{Diagnostics, LogoutEvent, TokenStatus, UserView};
use crate::session::human_duration;
use crate::session::view::ApiFailure;
use crate::session::{self, ClientView};
use crate::{api, ui::sessions::ago};
use leptos::prelude::*;
use serde::Serialize;

/// The client's side of "Log full state to console" and "Copy diagnostics". Never a token.
#[derive(Serialize)]
struct ClientState {
    status: TokenStatus,
    user: Option<UserView>,
    tab_id: String,
    idle_secs: i64,
    logout_history: Vec<LogoutEvent>,
    api_failures: Vec<ApiFailure>,
}

/// What "Copy diagnostics" copies: this tab's view and the server's.
#[derive(Serialize)]
struct CopiedDiagnostics {
    client: ClientState,
    server: Option<Diagnostics>,
}

#[component]
pub fn DebugPanel() -> impl IntoView {
    let open = RwSignal::new(false);
    let client = expect_context::<ClientView>();
    let history = RwSignal::new(Vec::<LogoutEvent>::new());
    let copied = RwSignal::new(None::<String>);
    let tab_id = RwSignal::new(String::new());

    Effect::new(move |_| {
        tab_id.set(session::tab_id());
        // Ctrl+Shift+D is also a browser shortcut: match the key's code and prevent the default.
        let shortcut = window_event_listener(leptos::ev::keydown, move |key| {
            if key.ctrl_key() && key.shift_key() && key.code() == "KeyD" {
                key.prevent_default();
                open.update(|open| *open = !*open);
            }
        });
        on_cleanup(move || shortcut.remove());
    });
    Effect::new(move |_| {
        if open.get() {
            history.set(session::logout_history());
        }
    });

    let state = move || ClientState {
        status: client.status.get_untracked(),
        user: client.user_untracked(),
        tab_id: tab_id.get_untracked(),
        idle_secs: client.idle_secs.get_untracked(),
        logout_history: history.get_untracked(),
        api_failures: client.failures.get_untracked(),
    };
    let log_state = move |_| {
        session::console_log("[lanyard] client state", &serde_json::to_string(&state()).unwrap_or_default());
    };
    let copy = move |_| {
        leptos::task::spawn_local(async move {
            let server = api::diagnostics().await.ok();
            let text = serde_json::to_string_pretty(&CopiedDiagnostics { client: state(), server }).unwrap_or_default();
            let written = session::copy_to_clipboard(&text).await;
            session::console_log("[lanyard] diagnostics", &text);
            copied.set(Some(if written { "Copied." } else { "Copy failed; logged to the console." }.into()));
        });
    };

    let shown = |value: Option<i64>| value.map_or("—".to_owned(), human_duration);
    let raw = |value: Option<i64>| value.map(|secs| secs.to_string());
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
                    <dt>"User"</dt><dd>{move || client.user().map_or("signed out".into(), |u| format!("{} ({})", u.email, u.id))}</dd>
                    <dt>"Session"</dt><dd><code>{move || client.status.get().session_id.unwrap_or_default()}</code></dd>
                    <dt>"Access token expires in"</dt><dd class="access-expiry" data-secs=move || raw(client.status.get().access_expires_in_secs)>{move || shown(client.status.get().access_expires_in_secs)}</dd>
                    <dt>"Session expires in"</dt><dd class="session-expiry" data-secs=move || raw(client.status.get().session_expires_in_secs)>{move || shown(client.status.get().session_expires_in_secs)}</dd>
                    <dt>"Level"</dt><dd>{move || client.status.get().level.to_string()}</dd>
                    <dt>"Idle"</dt><dd>{move || human_duration(client.idle_secs.get())}</dd>
                    <dt>"Tab"</dt><dd><code>{move || tab_id.get()}</code></dd>
                    <dt>"Last refresh"</dt><dd class="last-refresh">{move || client.status.get().last_refresh_at.map_or("—".into(), |at| ago(session::server_now(), at))}</dd>
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
