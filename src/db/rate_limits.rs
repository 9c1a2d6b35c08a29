//! Fixed-window counters in the database, so every node enforces the same limit.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::{AnyConnection, DbError};

#[derive(QueryableByName)]
struct Hits {
    #[diesel(sql_type = BigInt)]
    hits: i64,
}

/// Counts one hit for `key` in the window starting at `window_start`; returns the hits in it.
/// One statement on both engines: it cannot lose a hit to a concurrent one, and it holds the
/// counter's row lock only for itself (never inside a longer transaction), so requests from
/// one address never queue behind each other's work.
pub fn hit(conn: &mut AnyConnection, key: &str, window_start: i64) -> Result<i64, DbError> {
    super::tx::statement(conn, |conn| count(conn, key, window_start))
}

fn count(conn: &mut AnyConnection, key: &str, window_start: i64) -> Result<i64, DbError> {
    let counted: Hits = diesel::sql_query(
        "INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 1) \
         ON CONFLICT (key) DO UPDATE SET \
           hits = CASE WHEN rate_limits.window_start = excluded.window_start \
                  THEN rate_limits.hits + 1 ELSE 1 END, \
           window_start = excluded.window_start \
         RETURNING hits",
    )
    .bind::<Text, _>(key)
    .bind::<BigInt, _>(window_start)
    .get_result(conn)?;
    Ok(counted.hits)
}
