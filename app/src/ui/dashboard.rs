//! `/`: the dashboard.

use super::protected::Protected;
use crate::session::ClientView;
use leptos::prelude::*;

#[component]
pub fn Dashboard() -> impl IntoView {
    let view = expect_context::<ClientView>();
    view! {
        <Protected>
            <h1>"Dashboard"</h1>
            <p>"Signed in as " <strong class="user-email">{move || view.user().map(|u| u.email)}</strong></p>
            <p class="muted">
                {move || view.user().and_then(|u| u.account_name).map(|name| format!("Account: {name}"))}
            </p>
        </Protected>
    }
}
