//! `/admin` and `/admin/logouts`: for owners and admins; a viewer is told so and stays signed in.

use super::pages::DataPage;
use crate::api;
use crate::contract::{AdminOverview, LogoutCode, LogoutReport};
use leptos::prelude::*;
use std::collections::BTreeMap;

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
            <p><a href="/admin/logouts">"Logouts by reason"</a></p>
        </div>
    }
    .into_any()
}

#[component]
pub fn AdminLogouts() -> impl IntoView {
    view! { <DataPage title="Logouts by reason" load=|| api::admin_logouts(Some(7)) render=report_view/> }
}

fn report_view(report: LogoutReport) -> AnyView {
    view! { <Chart report=report.clone()/> <Table report/> }.into_any()
}

/// One colour per reason, stable across days.
const PALETTE: [&str; 8] = ["#2f5bd3", "#d97706", "#15803d", "#b91c1c", "#7c3aed", "#0e7490", "#be185d", "#4b5563"];

/// A stacked bar per day, drawn as SVG (no chart library).
#[component]
fn Chart(report: LogoutReport) -> impl IntoView {
    const WIDTH: f64 = 640.0;
    const HEIGHT: f64 = 220.0;
    const BASE: f64 = 190.0;
    let days: Vec<i64> = (0..report.days).map(|i| report.since + i * 86_400).collect();
    let reasons: Vec<LogoutCode> =
        report.counts.iter().map(|c| c.reason).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    let mut per_day: BTreeMap<i64, Vec<(usize, i64)>> = BTreeMap::new();
    for count in &report.counts {
        let colour = reasons.iter().position(|r| *r == count.reason).unwrap_or(0);
        per_day.entry(count.day).or_default().push((colour, count.count));
    }
    let tallest = per_day.values().map(|v| v.iter().map(|(_, n)| n).sum::<i64>()).max().unwrap_or(0).max(1);
    let slot = WIDTH / days.len().max(1) as f64;
    let scale = (BASE - 20.0) / tallest as f64;
    let bars = days.iter().enumerate().flat_map(|(i, day)| {
        let mut top = BASE;
        per_day.get(day).cloned().unwrap_or_default().into_iter().map(move |(colour, n)| {
            let height = n as f64 * scale;
            top -= height;
            view! {
                <rect x=format!("{:.1}", i as f64 * slot + slot * 0.2) y=format!("{top:.1}")
                    width=format!("{:.1}", slot * 0.6) height=format!("{height:.1}") fill=PALETTE[colour % PALETTE.len()]/>
            }
        }).collect::<Vec<_>>()
    }).collect_view();
    let labels = days.iter().enumerate().map(|(i, day)| view! {
        <text x=format!("{:.1}", i as f64 * slot + slot / 2.0) y="210" text-anchor="middle" font-size="11">{day_label(*day)}</text>
    }).collect_view();
    let legend = reasons.iter().enumerate().map(|(i, reason)| view! {
        <li><span class="swatch" style=format!("background:{}", PALETTE[i % PALETTE.len()])></span>{reason.as_str()}</li>
    }).collect_view();
    view! {
        <figure class="card chart">
            <svg role="img" aria-label="Logouts by reason" viewBox=format!("0 0 {WIDTH} {HEIGHT}") width="100%">
                <line x1="0" y1=BASE x2=WIDTH y2=BASE stroke="#d9dee7"/>
                {bars}
                {labels}
            </svg>
            <ul class="legend">{legend}</ul>
        </figure>
    }
}

#[component]
fn Table(report: LogoutReport) -> impl IntoView {
    view! {
        <table class="card report">
            <thead><tr><th scope="col">"Day"</th><th scope="col">"Reason"</th><th scope="col">"Count"</th></tr></thead>
            <tbody>
                {report.counts.is_empty().then(|| view! { <tr><td colspan="3">"No logouts in this period."</td></tr> })}
                {report.counts.into_iter().map(|count| {
                    view! {
                        <tr>
                            <td>{day_label(count.day)}</td>
                            <td><code>{count.reason.as_str()}</code>" "<span class="muted">{count.reason.message()}</span></td>
                            <td>{count.count}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// "11-22" for a day's first second (UTC).
fn day_label(day: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(day)
        .map(|t| format!("{:02}-{:02}", u8::from(t.month()), t.day()))
        .unwrap_or_default()
}
