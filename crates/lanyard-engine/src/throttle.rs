//! Sliding-window counters for this process's own limits: client logout events per address, and
//! traces of refreshes that rotated nothing. In memory, per instance: a limit protects this
//! process's work, and a restart forgets it. SPEC §9's throttles, which must hold across instances,
//! are the database's (`attempts`); this process only remembers which addresses the database
//! refused ([`RefusedAddresses`]).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

pub struct Throttle {
    max: usize,
    window: i64,
    hits: Mutex<Hits>,
}

/// The hits per key, and the size past which keys with no hit in the window are dropped: after each
/// compaction it is twice what is left (at least [`COMPACT_ABOVE`]), so a map full of live keys is
/// not scanned again on every hit.
struct Hits {
    keys: HashMap<String, VecDeque<i64>>,
    compact_above: usize,
}

/// Keys with no hit in the window are dropped once the map first grows past this.
const COMPACT_ABOVE: usize = 10_000;

impl Throttle {
    pub fn new(max: usize, window: i64) -> Self {
        Self::compacting_above(max, window, COMPACT_ABOVE)
    }

    fn compacting_above(max: usize, window: i64, compact_above: usize) -> Self {
        let hits = Hits { keys: HashMap::new(), compact_above };
        Self { max: max.max(1), window: window.max(1), hits: Mutex::new(hits) }
    }

    /// Checks and counts a hit in one step, so callers running in parallel cannot all pass the
    /// check before any of them counts: `Err(retry_after)` when the allowance is used up.
    pub fn try_hit(&self, key: &str, now: i64) -> Result<(), u64> {
        let mut hits = self.hits.lock().expect("throttle lock");
        if hits.keys.len() > hits.compact_above {
            let window = self.window;
            hits.keys.retain(|_, times| times.back().is_some_and(|&t| t > now - window));
            hits.compact_above = (hits.keys.len() * 2).max(COMPACT_ABOVE.min(hits.compact_above));
        }
        let times = hits.keys.entry(key.to_owned()).or_default();
        while times.front().is_some_and(|&t| t <= now - self.window) {
            times.pop_front();
        }
        match times.front() {
            Some(&oldest) if times.len() >= self.max => Err((oldest + self.window - now).max(1) as u64),
            _ => {
                times.push_back(now);
                Ok(())
            }
        }
    }
}

/// Addresses the database refused, per flow, and until when: the fast path of `Engine::admits` (see `attempts`).
#[derive(Default)]
pub struct RefusedAddresses(Mutex<HashMap<(&'static str, String), i64>>);

/// Entries kept at most before the expired ones are dropped.
const REFUSED_ADDRESSES_KEPT: usize = 10_000;

impl RefusedAddresses {
    pub fn refuse(&self, flow: &'static str, address: &str, until: i64, now: i64) {
        let mut refused = self.0.lock().expect("refused addresses lock");
        if refused.len() >= REFUSED_ADDRESSES_KEPT {
            refused.retain(|_, until| *until > now);
        }
        refused.insert((flow, address.to_owned()), until);
    }

    /// Seconds until `address` may try `flow` again, if it was refused.
    pub fn retry_after(&self, flow: &'static str, address: &str, now: i64) -> Option<i64> {
        let refused = self.0.lock().expect("refused addresses lock");
        refused.get(&(flow, address.to_owned())).map(|until| until - now).filter(|secs| *secs > 0)
    }
}

/// The key an address is counted under: IPv6 by its /64 (one subscriber usually holds a whole /64),
/// IPv4 and anything unparsable as written.
pub fn address_key(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(std::net::IpAddr::V6(v6)) => v6.to_ipv4_mapped().map_or_else(|| ip.to_owned(), |v4| v4.to_string()),
        _ => ip.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_callers_cannot_all_pass_the_check() {
        let throttle = Throttle::new(5, 100);
        let passed = (0..20).filter(|_| throttle.try_hit("k", 0).is_ok()).count();
        assert_eq!(passed, 5);
    }

    #[test]
    fn a_map_of_live_keys_is_not_scanned_on_every_hit() {
        let throttle = Throttle::compacting_above(5, 100, 4);
        for key in 0..6 {
            throttle.try_hit(&key.to_string(), 0).unwrap();
        }
        let threshold = throttle.hits.lock().unwrap().compact_above;
        assert_eq!(threshold, 10, "all six keys are live: the next scan waits for twice as many");
        throttle.try_hit("late", 200).unwrap();
        for key in 0..5 {
            throttle.try_hit(&format!("later{key}"), 200).unwrap();
        }
        let hits = throttle.hits.lock().unwrap();
        assert!(hits.keys.len() <= 6, "the stale keys went at the next scan: {}", hits.keys.len());
    }

    #[test]
    fn ipv6_addresses_count_per_64() {
        assert_eq!(address_key("2001:db8:1:2:aaaa::1"), address_key("2001:db8:1:2:bbbb::2"));
        assert_ne!(address_key("2001:db8:1:2::1"), address_key("2001:db8:1:3::1"));
        assert_eq!(address_key("198.51.100.7"), "198.51.100.7");
        assert_eq!(address_key("::ffff:198.51.100.7"), "198.51.100.7");
        assert_eq!(address_key("-"), "-");
    }

    #[test]
    fn a_key_is_refused_after_max_hits_until_the_oldest_leaves_the_window() {
        let throttle = Throttle::new(3, 100);
        for t in [0, 10, 20] {
            assert!(throttle.try_hit("k", t).is_ok());
        }
        assert_eq!(throttle.try_hit("k", 30), Err(70));
        assert!(throttle.try_hit("other", 30).is_ok());
        assert!(throttle.try_hit("k", 100).is_ok());
    }
}
