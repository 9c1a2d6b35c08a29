//! Per-client-IP rate limits with counters in the database (fixed one-minute windows), so
//! every node enforces the same limit.

use crate::db::{rate_limits, AnyConnection, DbError};
use crate::domain::unix_now;

const WINDOW_SECS: i64 = 60;

/// Counts one hit for `key`; when that passes `per_minute`, returns the seconds until the
/// window resets (the `Retry-After`). A limit of 0 or less disables the check.
pub fn hit(conn: &mut AnyConnection, key: &str, per_minute: i64) -> Result<Option<i64>, DbError> {
    if per_minute <= 0 {
        return Ok(None);
    }
    let now = unix_now();
    let window = now - now.rem_euclid(WINDOW_SECS);
    let hits = rate_limits::hit(conn, key, window)?;
    Ok((hits > per_minute).then(|| (window + WINDOW_SECS - now).max(1)))
}
