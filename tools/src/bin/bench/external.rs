//! The cross-check: the same GET under Debian's `wrk`, a load generator in C that costs the
//! machine far less per request than the benchmark's own.

use std::process::Command;
use std::time::Duration;

pub struct WrkFigures {
    pub rate: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// The median by throughput of three `wrk` runs (runs on this shared machine differ by 10–30 %), or
/// `None` when wrk is missing or a run saw refusals.
pub fn wrk(url: &str, bearer: Option<&str>, connections: usize, duration: Duration) -> Option<WrkFigures> {
    let mut runs = (0..3).map(|_| wrk_once(url, bearer, connections, duration)).collect::<Option<Vec<_>>>()?;
    runs.sort_by(|a, b| a.rate.total_cmp(&b.rate));
    Some(runs.swap_remove(1))
}

/// `wrk` with two threads and `connections` connections on `url`, once.
fn wrk_once(url: &str, bearer: Option<&str>, connections: usize, duration: Duration) -> Option<WrkFigures> {
    let mut command = Command::new("wrk");
    command.args(["-t2", &format!("-c{connections}"), &format!("-d{}s", duration.as_secs()), "--latency"]);
    if let Some(token) = bearer {
        command.args(["-H", &format!("Authorization: Bearer {token}")]);
    }
    let output = command.arg(url).output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    if text.contains("Non-2xx") {
        eprintln!("wrk saw refusals on {url}:\n{text}");
        return None;
    }
    let field = |label: &str| text.lines().find_map(|line| line.trim().strip_prefix(label).map(str::trim));
    Some(WrkFigures {
        rate: field("Requests/sec:")?.parse().ok()?,
        p50_ms: milliseconds(field("50%")?)?,
        p99_ms: milliseconds(field("99%")?)?,
    })
}

/// wrk's `812.00us`, `1.20ms` or `1.01s`.
fn milliseconds(value: &str) -> Option<f64> {
    let split = value.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = value.split_at(split);
    let number: f64 = number.parse().ok()?;
    Some(match unit {
        "us" => number / 1_000.0,
        "ms" => number,
        "s" => number * 1_000.0,
        _ => return None,
    })
}

pub fn report(database: &str, figure: &str, figures: &WrkFigures) {
    println!(
        "{database:<10} {figure:<22} {:>9} {:>10.0} {:>9.2} {:>9.2}",
        "wrk", figures.rate, figures.p50_ms, figures.p99_ms
    );
}
