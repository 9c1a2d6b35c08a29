//! Per-client-address rate limits with counters in the database (fixed one-minute windows), so
//! every node enforces the same limit. An IPv6 client counts by its /64: one subscriber
//! usually holds a whole /64 and could otherwise rotate through 2^64 addresses.

use std::net::IpAddr;

use crate::db::{rate_limits, AnyConnection, DbError};
use crate::domain::unix_now;

const WINDOW_SECS: i64 = 60;

/// The bucket an address counts in: an IPv4 address itself, an IPv6 address's /64 (an
/// IPv4-mapped IPv6 address counts as the IPv4 address).
pub fn bucket(address: &str) -> String {
    match address.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => address.to_owned(),
    }
}

/// Counts one hit by `address` for `scope` (e.g. `login:{tenant}`); when that passes
/// `per_minute`, returns the seconds until the window resets (the `Retry-After`). A limit of
/// 0 or less disables the check.
pub fn hit(
    conn: &mut AnyConnection,
    scope: &str,
    address: &str,
    per_minute: i64,
) -> Result<Option<i64>, DbError> {
    if per_minute <= 0 {
        return Ok(None);
    }
    let key = format!("{scope}:{}", bucket(address));
    let key = key.as_str();
    let now = unix_now();
    let window = now - now.rem_euclid(WINDOW_SECS);
    let hits = rate_limits::hit(conn, key, window)?;
    Ok((hits > per_minute).then(|| (window + WINDOW_SECS - now).max(1)))
}

/// Addresses one process tracks per window; past that, new addresses share one count.
const LOCAL_KEYS: usize = 100_000;
const OVERFLOW: &str = "overflow";

/// A per-process fixed-window counter, for limits that bound what one address can make the
/// server store and need no agreement between nodes: no database write on the hot path
/// (with N nodes an address gets N times the limit). Memory is bounded: under a flood of
/// more than `LOCAL_KEYS` addresses in one minute, the newcomers share one count.
#[derive(Default)]
pub struct LocalWindows {
    state: std::sync::Mutex<LocalState>,
}

#[derive(Default)]
struct LocalState {
    window: i64,
    hits: std::collections::HashMap<String, i64>,
}

impl LocalWindows {
    /// Counts one hit by `address` for `scope`; past `per_minute` (0: no limit) returns the
    /// seconds until the window resets.
    pub fn hit(&self, scope: &str, address: &str, per_minute: i64) -> Option<i64> {
        if per_minute <= 0 {
            return None;
        }
        let now = unix_now();
        let window = now - now.rem_euclid(WINDOW_SECS);
        let mut key = format!("{scope}:{}", bucket(address));
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.window != window {
            state.window = window;
            state.hits.clear();
        }
        if state.hits.len() >= LOCAL_KEYS && !state.hits.contains_key(&key) {
            key = OVERFLOW.to_owned();
        }
        let hits = state.hits.entry(key).or_insert(0);
        *hits += 1;
        (*hits > per_minute).then(|| (window + WINDOW_SECS - now).max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::{bucket, LocalWindows};

    #[test]
    fn local_windows_count_per_address() {
        let windows = LocalWindows::default();
        for _ in 0..3 {
            assert_eq!(windows.hit("authorize", "192.0.2.1", 3), None);
        }
        assert!(windows.hit("authorize", "192.0.2.1", 3).is_some());
        assert_eq!(windows.hit("authorize", "192.0.2.2", 3), None);
        assert_eq!(
            windows.hit("authorize", "192.0.2.1", 0),
            None,
            "0: no limit"
        );
    }

    #[test]
    fn ipv6_counts_by_its_64() {
        assert_eq!(
            bucket("2001:db8:1:2:aaaa::1"),
            bucket("2001:db8:1:2:ffff:1:2:3")
        );
        assert_ne!(bucket("2001:db8:1:2::1"), bucket("2001:db8:1:3::1"));
        assert_eq!(bucket("192.0.2.7"), "192.0.2.7");
        assert_eq!(bucket("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(bucket("unknown"), "unknown");
    }
}
