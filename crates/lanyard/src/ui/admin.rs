//! `/admin/users`: the account's users with their live sessions, for owners and admins; a viewer
//! is told so and stays signed in. Also the report table the admin pages share.

use super::pages::{loading, shown};
use super::protected::Protected;
use crate::api;
use crate::contract::{AccountUser, AccountUsers, Role};
use crate::session;
use leptos::prelude::*;

/// The account's users with their live sessions; "End sessions" is a sensitive action, so a stale
/// session is asked for its password in place first (the transport's step-up).
#[component]
pub fn AdminUsers() -> impl IntoView {
    view! {
        <Protected>
            <h1>"Users"</h1>
            <UserTable/>
            <InviteForm/>
        </Protected>
    }
}

#[component]
fn UserTable() -> impl IntoView {
    let users = LocalResource::new(api::admin_users);
    let outcome = RwSignal::new(None::<String>);
    let end_sessions = move |user: AccountUser| {
        leptos::task::spawn_local(async move {
            let said = match api::admin_end_sessions(user.id.clone()).await {
                Ok(answer) => Some(match answer.ended {
                    1 => format!("Ended 1 session of {}.", user.email),
                    n => format!("Ended {n} sessions of {}.", user.email),
                }),
                Err(error) => session::problem(&error),
            };
            outcome.set(said);
            users.refetch();
        });
    };
    view! {
        {move || outcome.get().map(|text| view! { <p class="notice" role="status">{text}</p> })}
        <Suspense fallback=loading>
            {move || users.get().map(|answer| shown(answer, move |answer: AccountUsers| {
                let rows: Vec<Vec<AnyView>> = answer
                    .users
                    .into_iter()
                    .map(|user| {
                        let live = user.live_sessions;
                        let (email, role) = (user.email.clone(), user.role.as_str());
                        vec![
                            email.into_any(),
                            role.into_any(),
                            live.into_any(),
                            view! {
                                <button type="button" class="danger" disabled=live == 0
                                    on:click=move |_| end_sessions(user.clone())>"End sessions"</button>
                            }
                            .into_any(),
                        ]
                    })
                    .collect();
                view! { <Table head=&["Email", "Role", "Live sessions", ""] rows empty="No users."/> }.into_any()
            }))}
        </Suspense>
    }
}

/// "Invite": an address and a role. A sensitive action: a session whose password check is old is
/// asked for its password in place first (the transport's step-up).
#[component]
fn InviteForm() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Viewer);
    let outcome = RwSignal::new(None::<(bool, String)>);
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        leptos::task::spawn_local(async move {
            outcome.set(Some(match api::invitations::invite(email.get_untracked(), role.get_untracked()).await {
                Ok(sent) => (true, format!("Invitation sent to {}.", sent.email)),
                Err(error) => (false, session::describe(&error)),
            }));
        });
    };
    view! {
        <h2>"Invite"</h2>
        <form class="card narrow-form" on:submit=on_submit>
            <label for="invite-email">"Email"</label>
            <input id="invite-email" type="email" required bind:value=email/>
            <label for="invite-role">"Role"</label>
            <select
                id="invite-role"
                on:change=move |event| role.set(Role::parse(&event_target_value(&event)).unwrap_or(Role::Viewer))
            >
                {Role::ALL.iter().rev().map(|choice| view! {
                    <option value=choice.as_str() selected=*choice == Role::Viewer>{choice.as_str()}</option>
                }).collect_view()}
            </select>
            <button type="submit">"Send invitation"</button>
            <super::pages::OutcomeLine outcome/>
        </form>
    }
}

/// A report table: a header row, then `rows`, or one row saying `empty`.
#[component]
pub fn Table(
    /// The column headings, which also give the width of the `empty` row.
    head: &'static [&'static str],
    /// The rows, each a cell per heading.
    rows: Vec<Vec<AnyView>>,
    /// What the table says when there are no rows, so an empty report is never a bare header.
    empty: &'static str,
) -> impl IntoView {
    let width = head.len();
    view! {
        <table class="card report">
            <thead><tr>{head.iter().map(|name| view! { <th scope="col">{*name}</th> }).collect_view()}</tr></thead>
            <tbody>
                {rows.is_empty().then(|| view! { <tr><td colspan=width.to_string()>{empty}</td></tr> })}
                {rows.into_iter().map(|row| view! { <tr>{row.into_iter().map(|cell| view! { <td>{cell}</td> }).collect_view()}</tr> }).collect_view()}
            </tbody>
        </table>
    }
}
