//! Sliding-window counters for abuse limits: failed sign-ins per email+IP and per IP, and client
//! logout events per IP. In memory, per instance: a limit protects this process's work, and a
//! restart forgets it (no permanent lockout of anyone).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

pub struct Throttle {
    max: usize,
    window: i64,
    hits: Mutex<HashMap<String, VecDeque<i64>>>,
}

/// Keys with no hit in the window are dropped once the map grows past this.
const COMPACT_ABOVE: usize = 10_000;

impl Throttle {
    pub fn new(max: usize, window: i64) -> Self {
        Self { max: max.max(1), window: window.max(1), hits: Mutex::default() }
    }

    /// `Err(retry_after)` when `key` has used its allowance in the window ending at `now`.
    pub fn check(&self, key: &str, now: i64) -> Result<(), u64> {
        let mut hits = self.hits.lock().expect("throttle lock");
        let Some(times) = hits.get_mut(key) else { return Ok(()) };
        while times.front().is_some_and(|&t| t <= now - self.window) {
            times.pop_front();
        }
        match times.front() {
            Some(&oldest) if times.len() >= self.max => Err((oldest + self.window - now).max(1) as u64),
            _ => Ok(()),
        }
    }

    pub fn hit(&self, key: &str, now: i64) {
        let mut hits = self.hits.lock().expect("throttle lock");
        if hits.len() > COMPACT_ABOVE {
            let window = self.window;
            hits.retain(|_, times| times.back().is_some_and(|&t| t > now - window));
        }
        let times = hits.entry(key.to_owned()).or_default();
        times.push_back(now);
        if times.len() > self.max {
            times.pop_front();
        }
    }

    pub fn reset(&self, key: &str) {
        self.hits.lock().expect("throttle lock").remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_refused_after_max_hits_until_the_oldest_leaves_the_window() {
        let throttle = Throttle::new(3, 100);
        for t in [0, 10, 20] {
            assert!(throttle.check("k", t).is_ok());
            throttle.hit("k", t);
        }
        assert_eq!(throttle.check("k", 30), Err(70));
        assert!(throttle.check("other", 30).is_ok());
        assert!(throttle.check("k", 100).is_ok());
        throttle.reset("k");
        assert!(throttle.check("k", 31).is_ok());
    }
}
