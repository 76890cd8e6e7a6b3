//! `/admin`, `/admin/logouts` and `/admin/sessions`: the account at a glance and its session
//! reports, for owners and admins; a viewer is told so and stays signed in. The charts are SVG
//! drawn here (no chart library), each with a table of the same figures beside it.

use super::api;
use lanyard::contract::{AdminOverview, LogoutCode, LogoutReport, SessionHealth};
use lanyard::ui::{DataPage, Table};
use leptos::prelude::*;
use std::collections::BTreeSet;

#[component]
pub fn Admin() -> impl IntoView {
    view! { <DataPage title="Admin" load=api::admin_overview render=overview_card/> }
}

fn overview_card(overview: AdminOverview) -> AnyView {
    view! {
        <div class="card">
            <p>"Account: "<strong>{overview.account_name.unwrap_or_default()}</strong></p>
            <p>"Users: "<strong>{overview.users}</strong></p>
            <p>"Active sessions: "<strong>{overview.active_sessions}</strong></p>
            <p><a href="/admin/users">"Users"</a></p>
            <p><a href="/admin/logouts">"Logouts by reason"</a></p>
            <p><a href="/admin/sessions">"Session health"</a></p>
        </div>
    }
    .into_any()
}

#[component]
pub fn AdminLogouts() -> impl IntoView {
    view! { <DataPage title="Logouts by reason" load=|| api::admin_logouts(Some(7)) render=logouts_view/> }
}

fn logouts_view(report: LogoutReport) -> AnyView {
    let reasons: Vec<LogoutCode> =
        report.counts.iter().map(|c| c.reason).collect::<BTreeSet<_>>().into_iter().collect();
    let columns = day_columns(report.since, report.days, |day| {
        let of_reason = |reason: LogoutCode| {
            report.counts.iter().filter(|c| c.day == day && c.reason == reason).map(|c| c.count).sum()
        };
        reasons.iter().copied().map(of_reason).collect()
    });
    let series: Vec<String> = reasons.iter().map(|reason| reason.as_str().to_owned()).collect();
    let rows: Vec<Vec<AnyView>> = report
        .counts
        .into_iter()
        .map(|count| {
            vec![
                day_label(count.day).into_any(),
                view! { <code>{count.reason.as_str()}</code>" "<span class="muted">{count.reason.message()}</span> }
                    .into_any(),
                count.count.into_any(),
            ]
        })
        .collect();
    view! {
        <StackedBars name="Logouts by reason" series columns/>
        <Table head=&["Day", "Reason", "Count"] rows empty="No logouts in this period."/>
    }
    .into_any()
}

#[component]
pub fn AdminSessions() -> impl IntoView {
    view! { <DataPage title="Session health" load=|| api::admin_session_health(Some(7)) render=health_view/> }
}

fn health_view(health: SessionHealth) -> AnyView {
    let refresh_columns = day_columns(health.since, health.days, |day| {
        let found = health.refreshes.iter().find(|r| r.day == day);
        found.map(|r| vec![r.rotated, r.replayed, r.refused]).unwrap_or_default()
    });
    let refresh_rows: Vec<Vec<AnyView>> = health
        .refreshes
        .iter()
        .map(|r| {
            let answered = r.rotated + r.replayed;
            vec![
                day_label(r.day).into_any(),
                r.rotated.into_any(),
                r.replayed.into_any(),
                r.refused.into_any(),
                share(answered, answered + r.refused).into_any(),
            ]
        })
        .collect();
    let length_columns: Vec<Column> =
        health.lengths.iter().map(|b| Column { label: b.label.clone(), values: vec![b.sessions] }).collect();
    let length_rows: Vec<Vec<AnyView>> =
        health.lengths.iter().map(|b| vec![b.label.clone().into_any(), b.sessions.into_any()]).collect();
    let sign_in_columns = day_columns(health.since, health.days, |day| {
        let found = health.sign_ins.iter().find(|s| s.day == day);
        found.map(|s| vec![s.remembered, s.not_remembered]).unwrap_or_default()
    });
    let sign_in_rows: Vec<Vec<AnyView>> = health
        .sign_ins
        .iter()
        .map(|s| {
            vec![
                day_label(s.day).into_any(),
                s.remembered.into_any(),
                s.not_remembered.into_any(),
                share(s.remembered, s.remembered + s.not_remembered).into_any(),
            ]
        })
        .collect();
    let named = |names: &[&str]| names.iter().map(|name| (*name).to_owned()).collect::<Vec<_>>();
    view! {
        <section>
            <h2>"Refreshes"</h2>
            <p class="muted">"Refreshes of live sessions: rotated, a used token answered again inside the grace window, \
                and refused as reuse (which ends the session). Refreshes of sessions that had already ended are \
                under Logouts by reason."</p>
            <StackedBars name="Refreshes by outcome" series=named(&["rotated", "answered again", "refused"]) columns=refresh_columns/>
            <Table head=&["Day", "Rotated", "Answered again", "Refused", "Success"] rows=refresh_rows
                empty="No refreshes in this period."/>
        </section>
        <section>
            <h2>"Session length"</h2>
            <p class="muted">"Sessions that ended in this period, by how long they lasted from sign-in."</p>
            <StackedBars name="Session length" series=named(&["sessions"]) columns=length_columns/>
            <Table head=&["Length", "Sessions"] rows=length_rows empty="No sessions ended in this period."/>
        </section>
        <section>
            <h2>"Keep me logged in"</h2>
            <p class="muted">"Sign-ins per day, with and without \"Keep me logged in for 20 days\"."</p>
            <StackedBars name="Sign-ins by remember-me" series=named(&["kept logged in", "not kept"]) columns=sign_in_columns/>
            <Table head=&["Day", "Kept logged in", "Not kept", "Share kept"] rows=sign_in_rows
                empty="No sign-ins in this period."/>
        </section>
    }
    .into_any()
}

/// One bar: its label and one value per series, stacked in series order (missing ones count 0).
struct Column {
    label: String,
    values: Vec<i64>,
}

/// One colour per series, stable across bars.
const PALETTE: [&str; 8] = ["#2f5bd3", "#d97706", "#15803d", "#b91c1c", "#7c3aed", "#0e7490", "#be185d", "#4b5563"];

/// A stacked bar chart, drawn as SVG, named for assistive technology by `name`.
#[component]
fn StackedBars(name: &'static str, series: Vec<String>, columns: Vec<Column>) -> impl IntoView {
    // Tenths of a unit, so that every coordinate is an integer: formatting floats would add
    // kilobytes of WASM for these few attributes.
    const WIDTH: i64 = 6_400;
    const HEIGHT: i64 = 2_200;
    const BASE: i64 = 1_900;
    const TALLEST_BAR: i64 = 1_700;
    let colour = |i: usize| PALETTE[i % PALETTE.len()];
    let tallest = columns.iter().map(|c| c.values.iter().sum::<i64>()).max().unwrap_or(0).max(1);
    let slot = WIDTH / (columns.len() as i64).max(1);
    let bars = columns
        .iter()
        .enumerate()
        .flat_map(|(i, column)| {
            let mut below = 0;
            column.values.iter().enumerate().filter(|(_, n)| **n > 0).map(move |(s, n)| {
                // Each bar's edges are scaled from the running total, so rounding never gaps a stack.
                let bottom = BASE - below * TALLEST_BAR / tallest;
                below += n;
                let top = BASE - below * TALLEST_BAR / tallest;
                view! {
                    <rect x=i as i64 * slot + slot / 5 y=top width=slot * 3 / 5 height=bottom - top fill=colour(s)/>
                }
            })
        })
        .collect_view();
    let labels = columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            view! {
                <text x=i as i64 * slot + slot / 2 y="2100" text-anchor="middle" font-size="110">
                    {column.label.clone()}
                </text>
            }
        })
        .collect_view();
    let legend = series
        .into_iter()
        .enumerate()
        .map(
            |(i, name)| view! { <li><span class="swatch" style=format!("background:{}", colour(i))></span>{name}</li> },
        )
        .collect_view();
    view! {
        <figure class="card chart">
            <svg role="img" aria-label=name viewBox=format!("0 0 {WIDTH} {HEIGHT}") width="100%">
                <line x1="0" y1=BASE x2=WIDTH y2=BASE stroke="#d9dee7" stroke-width="10"/>
                {bars}
                {labels}
            </svg>
            <ul class="legend">{legend}</ul>
        </figure>
    }
}

/// One bar per day of `count` days from `since` (each day's first second, UTC), with the values
/// `values_of` gives that day (none: an empty bar).
fn day_columns(since: i64, count: i64, values_of: impl Fn(i64) -> Vec<i64>) -> Vec<Column> {
    (0..count).map(|i| since + i * 86_400).map(|day| Column { label: day_label(day), values: values_of(day) }).collect()
}

/// "11-22" for a day's first second (UTC).
fn day_label(day: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(day)
        .map(|t| format!("{:02}-{:02}", u8::from(t.month()), t.day()))
        .unwrap_or_default()
}

/// "83 %" of `part` in `whole`, or "–" when there is nothing to divide.
fn share(part: i64, whole: i64) -> String {
    match whole {
        0 => "–".to_owned(),
        _ => format!("{} %", (part * 100 + whole / 2) / whole),
    }
}
