//! `/`: the dashboard.

use super::Auth;
use super::protected::Protected;
use leptos::prelude::*;

#[component]
pub fn Dashboard() -> impl IntoView {
    let auth = expect_context::<Auth>();
    view! {
        <Protected>
            <h1>"Dashboard"</h1>
            <p>"Signed in as " <strong class="user-email">{move || auth.user().map(|u| u.email)}</strong></p>
            <p class="muted">
                {move || auth.user().and_then(|u| u.account_name).map(|name| format!("Account: {name}"))}
            </p>
        </Protected>
    }
}
