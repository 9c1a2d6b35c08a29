//! This node's clock against the database's (issue 20 item 4). Every node issues tokens and
//! codes stamped with its own clock, and the others check them with theirs, so a node that is
//! off shortens or lengthens what it issues by the difference:
//!
//! - access and ID tokens are checked against `exp` only (no `iat` or `nbf` in the future is
//!   refused), client assertions with 30 s of leeway, DPoP proofs within ±60 s: a few seconds
//!   between nodes change nothing that works;
//! - codes and refresh tokens store their expiry as the issuing node computed it.
//!
//! PostgreSQL's clock is the one every node shares, so each node compares its own with it
//! every maintenance round: more than `WARN_SECS` is logged as a warning, more than
//! `ERROR_SECS` as an error (fix NTP on that node), and `tessera_clock_skew_seconds` shows
//! the difference. SQLite runs in the node itself: there is nothing to compare with.

use diesel::prelude::*;
use diesel::sql_types::Double;

use crate::db::{AnyConnection, DbError};

/// A difference worth a warning.
pub const WARN_SECS: f64 = 2.0;
/// A difference that breaks things (assertions and proofs are refused past ±30-60 s): an error.
pub const ERROR_SECS: f64 = 30.0;

/// How far apart the clocks are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skew {
    Fine,
    Noticeable,
    Large,
}

pub fn classify(skew_secs: f64) -> Skew {
    let skew = skew_secs.abs();
    if skew > ERROR_SECS {
        Skew::Large
    } else if skew > WARN_SECS {
        Skew::Noticeable
    } else {
        Skew::Fine
    }
}

#[derive(QueryableByName)]
struct DatabaseTime {
    #[diesel(sql_type = Double)]
    now: f64,
}

fn local_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default()
}

/// This node's clock minus the database's, in seconds (positive: this node is ahead);
/// `None` on SQLite. The local reading is the middle of the round trip.
pub fn measure(conn: &mut AnyConnection) -> Result<Option<f64>, DbError> {
    let AnyConnection::Postgresql(pg) = conn else {
        return Ok(None);
    };
    let before = local_now();
    let database: DatabaseTime =
        diesel::sql_query("SELECT EXTRACT(EPOCH FROM clock_timestamp())::float8 AS now")
            .get_result(pg)?;
    let after = local_now();
    Ok(Some((before + after) / 2.0 - database.now))
}

/// Measures, logs by how much the clocks differ, and records the metric.
pub fn check(conn: &mut AnyConnection) -> Result<Option<f64>, DbError> {
    let Some(skew) = measure(conn)? else {
        return Ok(None);
    };
    match classify(skew) {
        Skew::Fine => tracing::debug!(skew_secs = skew, "clock agrees with the database"),
        Skew::Noticeable => tracing::warn!(
            skew_secs = skew,
            "this node's clock differs from the database's; tokens it issues expire that much early or late"
        ),
        Skew::Large => tracing::error!(
            skew_secs = skew,
            "this node's clock is far off the database's: client assertions and DPoP proofs will be refused; fix its time synchronisation"
        ),
    }
    crate::metrics::record(|m| m.clock_skew_seconds.set(skew));
    Ok(Some(skew))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skews_are_classified_either_way() {
        assert_eq!(classify(0.0), Skew::Fine);
        assert_eq!(classify(-1.5), Skew::Fine);
        assert_eq!(classify(5.0), Skew::Noticeable);
        assert_eq!(classify(-5.0), Skew::Noticeable);
        assert_eq!(classify(45.0), Skew::Large);
        assert_eq!(classify(-3600.0), Skew::Large);
    }
}
