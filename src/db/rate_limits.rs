//! Fixed-window counters in the database, so every node enforces the same limit.

use diesel::prelude::*;

use super::schema::rate_limits;
use super::{AnyConnection, DbError};

/// Counts one hit for `key` in the window starting at `window_start`; returns the hits in it.
/// Portable without upsert: update, else insert, else (a concurrent insert won) update again.
pub fn hit(conn: &mut AnyConnection, key: &str, window_start: i64) -> Result<i64, DbError> {
    for _ in 0..2 {
        let updated = diesel::update(
            rate_limits::table
                .filter(rate_limits::key.eq(key))
                .filter(rate_limits::window_start.eq(window_start)),
        )
        .set(rate_limits::hits.eq(rate_limits::hits + 1))
        .execute(conn)?;
        if updated == 0 {
            // A new window: replace whatever an older window left.
            diesel::delete(
                rate_limits::table
                    .filter(rate_limits::key.eq(key))
                    .filter(rate_limits::window_start.ne(window_start)),
            )
            .execute(conn)?;
            let inserted = diesel::insert_into(rate_limits::table)
                .values((
                    rate_limits::key.eq(key),
                    rate_limits::window_start.eq(window_start),
                    rate_limits::hits.eq(1),
                ))
                .execute(conn);
            match inserted {
                Ok(_) => return Ok(1),
                Err(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _,
                )) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        return Ok(rate_limits::table
            .filter(rate_limits::key.eq(key))
            .select(rate_limits::hits)
            .first(conn)?);
    }
    Ok(i64::MAX)
}
