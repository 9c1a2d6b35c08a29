//! Upkeep every node runs in the background: purging rows that can no longer matter, so the
//! database does not grow without bound (every unauthenticated `/authorize` stores a pending
//! request, every minute a rate-limit window, …). Safe on any number of nodes at once (see
//! `db::purge`); `tessera purge` runs one round by hand.

use std::time::Duration;

use serde::Serialize;

use crate::config::MaintenanceSettings;
use crate::db::{purge, AnyConnection, Db, DbError};
use crate::domain::unix_now;

/// Batches per table in one round: a round ends even if a table is still catching up (the
/// next round goes on), so one huge backlog cannot hold a connection for minutes.
const MAX_BATCHES_PER_TABLE: usize = 100;

/// Rows deleted by one round, per table.
#[derive(Debug, Default, Serialize)]
pub struct Purged {
    pub tables: Vec<PurgedTable>,
    pub total: usize,
}

#[derive(Debug, Serialize)]
pub struct PurgedTable {
    pub table: &'static str,
    pub deleted: usize,
}

/// One round: sessions that expired are ended first (so their end is an event, and clients
/// get their back-channel logout), then every table, in batches of `batch_rows`, until it
/// has no dead rows left (or has had `MAX_BATCHES_PER_TABLE` batches). `session_idle_secs`
/// is the instance's idle timeout (tenants may only shorten it).
pub fn purge_once(
    conn: &mut AnyConnection,
    now: i64,
    batch_rows: i64,
    session_idle_secs: i64,
) -> Result<Purged, DbError> {
    let mut purged = Purged::default();
    let batch_rows = batch_rows.max(1);
    let mut expired = 0;
    for _ in 0..MAX_BATCHES_PER_TABLE {
        let n = crate::sessions::end_expired(conn, session_idle_secs, now, batch_rows)?;
        expired += n;
        if (n as i64) < batch_rows {
            break;
        }
    }
    purged.tables.push(PurgedTable {
        table: "sessions (expired, ended)",
        deleted: expired,
    });
    for target in purge::TARGETS {
        let mut deleted = 0;
        for _ in 0..MAX_BATCHES_PER_TABLE {
            let n = purge::batch(conn, target, now, batch_rows)?;
            deleted += n;
            if (n as i64) < batch_rows {
                break;
            }
        }
        purged.tables.push(PurgedTable {
            table: target.table,
            deleted,
        });
        purged.total += deleted;
    }
    // Accounts whose owners asked for deletion and did not come back in the grace period.
    let erased = crate::identity::erasure::erase_due(conn, now, batch_rows)?;
    purged.tables.push(PurgedTable {
        table: "accounts (erased)",
        deleted: erased,
    });
    purged.total += erased;
    crate::metrics::record(|m| {
        for t in &purged.tables {
            let n = u64::try_from(t.deleted).unwrap_or(0);
            m.purged.with_label_values(&[t.table]).inc_by(n);
        }
    });
    Ok(purged)
}

/// Purges every `purge_interval_secs` (0: never) and logs what went.
pub async fn run(db: Db, settings: MaintenanceSettings, session_idle_secs: i64) {
    if settings.purge_interval_secs == 0 {
        return;
    }
    // Nodes started together would otherwise purge in step, each listing the same dead
    // rows at the same moment: a random first round spreads them over the interval.
    let period = Duration::from_secs(settings.purge_interval_secs);
    let first = rand::Rng::gen_range(&mut rand::thread_rng(), Duration::ZERO..period);
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + first, period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        // The clocks first: a node that is far off should say so before anything else.
        if let Err(e) = db.run(crate::clock::check).await {
            tracing::warn!(error = %e, "could not compare the clock with the database's");
        }
        let batch_rows = settings.purge_batch_rows;
        match db
            .run(move |conn| purge_once(conn, unix_now(), batch_rows, session_idle_secs))
            .await
        {
            Ok(purged) if purged.total > 0 => {
                let tables: Vec<String> = purged
                    .tables
                    .iter()
                    .filter(|t| t.deleted > 0)
                    .map(|t| format!("{}={}", t.table, t.deleted))
                    .collect();
                tracing::info!(
                    deleted = purged.total,
                    tables = %tables.join(" "),
                    "purged expired rows"
                );
            }
            Ok(_) => tracing::debug!("nothing to purge"),
            // The next round tries again; nothing depends on a round succeeding.
            Err(e) => tracing::warn!(error = %e, "purge round failed"),
        }
    }
}
