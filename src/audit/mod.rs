//! The audit log: append-only, hash-chained per tenant.
//!
//! Two steps keep both guarantees without a per-tenant hot lock:
//! 1. [`record`] inserts the fact, unchained, in the transaction of the change it records:
//!    both commit or neither does, and if the fact cannot be written the change fails.
//! 2. The sequencer ([`chain_pending`], run by every node in the background and before every
//!    read of the log) gives committed facts their `seq`, `prev_hash` and `hash`, in batches,
//!    one sequencer per tenant at a time (it locks the tenant's chain head, a row no business
//!    transaction touches).
//!
//! Between commit and chaining (normally well under a second) a fact is stored but not yet
//! covered by the chain: an edit in that window is not detectable. Entries hold no secrets.

use std::time::Duration;

use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::db::audit::{self as rows, AuditRow, EventRow, Head};
use crate::db::{tx, AnyConnection, Db, DbError};
use crate::domain::{unix_now, TenantId};

const GENESIS: &str = "genesis";
const PAGE: i64 = 1000;
/// Events chained per sequencer transaction: short transactions, bounded memory.
const CHAIN_BATCH: i64 = 500;
/// Tenants one background round looks at.
const TENANTS_PER_ROUND: i64 = 1000;

/// Who made a change, as recorded: a profile id, a client id, or `cli`; and from where.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: String,
    pub ip: String,
}

impl Actor {
    /// Tessera itself (scheduled work such as a due erasure).
    pub fn system() -> Actor {
        Actor {
            id: "system".into(),
            ip: String::new(),
        }
    }

    /// The command line on the server itself.
    pub fn cli() -> Actor {
        Actor {
            id: "cli".into(),
            ip: String::new(),
        }
    }

    /// An event by this actor.
    pub fn event<'a>(&'a self, action: &'a str, target: &'a str, details: Value) -> Event<'a> {
        Event {
            actor: &self.id,
            action,
            target,
            ip: &self.ip,
            details,
        }
    }
}

/// One fact to record.
pub struct Event<'a> {
    /// Who: an account id, a client id, or `cli`.
    pub actor: &'a str,
    /// What, as `area.verb`: `signin.success`, `token.issue`, `keys.rotate`, …
    pub action: &'a str,
    /// On what: an id.
    pub target: &'a str,
    pub ip: &'a str,
    pub details: Value,
}

/// The hash of one entry: its fields, its place and its predecessor's hash.
fn digest(event: &EventRow, seq: i64, prev_hash: &str) -> String {
    let canonical = json!([
        event.tenant_id,
        seq,
        event.at,
        event.actor,
        event.action,
        event.target,
        event.ip,
        event.details,
        prev_hash
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

fn chained_digest(row: &AuditRow) -> String {
    let event = EventRow {
        id: row.id.clone(),
        tenant_id: row.tenant_id.clone(),
        seq: None,
        at: row.at,
        actor: row.actor.clone(),
        action: row.action.clone(),
        target: row.target.clone(),
        ip: row.ip.clone(),
        details: row.details.clone(),
        prev_hash: None,
        hash: None,
    };
    digest(&event, row.seq, &row.prev_hash)
}

/// Records an event. Call it inside the transaction of the change it records (a fact that
/// changes nothing else, like a failed sign-in, may stand alone): if it cannot be written, the
/// change must fail with it.
pub fn record(conn: &mut AnyConnection, tenant: &TenantId, event: Event) -> Result<(), DbError> {
    rows::insert(conn, &new_row(tenant, event))
}

/// Records many events in one statement, in order (an import), like [`record`].
pub fn record_many<'a>(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    events: impl IntoIterator<Item = Event<'a>>,
) -> Result<(), DbError> {
    let rows: Vec<EventRow> = events.into_iter().map(|e| new_row(tenant, e)).collect();
    rows::insert_many(conn, &rows)
}

/// The row of an event not chained yet (its id, a UUIDv7, orders it for the sequencer).
fn new_row(tenant: &TenantId, event: Event) -> EventRow {
    EventRow {
        id: uuid::Uuid::now_v7().to_string(),
        tenant_id: tenant.to_string(),
        seq: None,
        at: unix_now(),
        actor: event.actor.to_owned(),
        action: event.action.to_owned(),
        target: event.target.to_owned(),
        ip: event.ip.to_owned(),
        details: event.details.to_string(),
        prev_hash: None,
        hash: None,
    }
}

/// Chains the tenant's committed, unchained events in the order they were recorded. Safe to
/// run on several nodes at once: the head lock lets one sequencer per tenant work at a time.
/// Returns how many events it chained.
pub fn chain_pending(conn: &mut AnyConnection, tenant: &TenantId) -> Result<usize, DbError> {
    let mut total = 0;
    loop {
        let chained = tx::write(conn, |conn| chain_batch(conn, tenant))?;
        total += chained;
        if (chained as i64) < CHAIN_BATCH {
            return Ok(total);
        }
    }
}

fn chain_batch(conn: &mut AnyConnection, tenant: &TenantId) -> Result<usize, DbError> {
    let now = unix_now();
    rows::ensure_head(conn, tenant, GENESIS, now)?;
    let mut head = rows::lock_head(conn, tenant)?;
    // Read after the lock: on PostgreSQL each statement sees what committed before it, so
    // this includes everything a previous sequencer left.
    let pending = rows::unchained(conn, tenant, CHAIN_BATCH)?;
    if pending.is_empty() {
        return Ok(0);
    }
    for event in &pending {
        let seq = head.seq + 1;
        let hash = digest(event, seq, &head.hash);
        rows::chain(conn, &event.id, seq, &head.hash, &hash)?;
        head = Head { seq, hash };
    }
    rows::set_head(conn, tenant, &head, now)?;
    Ok(pending.len())
}

/// One round of the background sequencer: chains every tenant's pending events.
pub fn chain_all(conn: &mut AnyConnection) -> Result<usize, DbError> {
    let mut total = 0;
    for tenant in rows::tenants_with_unchained(conn, TENANTS_PER_ROUND)? {
        total += chain_pending(conn, &tenant)?;
    }
    Ok(total)
}

/// Runs the sequencer every `interval` until the process ends. Every node runs one; they
/// take turns per tenant through the head lock.
pub async fn run_sequencer(db: Db, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match db.run(chain_all).await {
            Ok(0) => {}
            Ok(chained) => tracing::debug!(chained, "audit events chained"),
            // Transient failures are retried at the next tick; nothing is lost, the events
            // wait in the table.
            Err(e) => tracing::warn!(error = %e, "audit sequencer round failed"),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Verification {
    pub entries: i64,
    /// The first broken link: its sequence number and why.
    pub broken: Option<(i64, String)>,
    /// Events committed but not chained yet (recorded while the check ran).
    pub pending: i64,
    /// The checkpoints the chain was checked against (sequence numbers).
    pub checkpoints: Vec<i64>,
}

/// A point the chain once reached, as a signed checkpoint says: entry `seq` had `hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reached {
    pub seq: i64,
    pub hash: String,
}

/// Chains what is pending, then walks the chain and reports the first entry that was edited,
/// removed or reordered, or newest entries removed behind the chain head; then checks the
/// chain still holds every point in `reached` (signed checkpoints, already verified by the
/// caller): removing the newest entries *and* rewinding the head, or rewriting history
/// consistently, is caught there. A chain cut by retention starts after its base, which must
/// carry the tenant's signature (`open_anchor` opens it): cutting the oldest entries without
/// the key is caught too.
pub fn verify(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    reached: &[Reached],
    open_anchor: &dyn Fn(&str) -> Option<Reached>,
) -> Result<Verification, DbError> {
    chain_pending(conn, tenant)?;
    tx::read(conn, |conn| {
        let base = rows::base(conn, tenant)?;
        if let Some(base) = &base {
            let vouched = open_anchor(&base.jws)
                .is_some_and(|point| point.seq == base.seq && point.hash == base.hash);
            if !vouched {
                return Ok(Verification {
                    entries: 0,
                    broken: Some((
                        base.seq,
                        format!(
                            "the log starts after entry {} without this tenant's signed anchor: \
                             the oldest entries were removed",
                            base.seq
                        ),
                    )),
                    pending: rows::count_unchained(conn, tenant)?,
                    checkpoints: Vec::new(),
                });
            }
        }
        let base_seq = base.as_ref().map_or(0, |b| b.seq);
        let mut result = walk(conn, tenant, base.as_ref())?;
        if result.broken.is_some() {
            return Ok(result);
        }
        for point in reached {
            result.checkpoints.push(point.seq);
            // Older points are gone with the entries they named; the anchor vouches for them.
            if point.seq < base_seq {
                continue;
            }
            if point.seq == base_seq {
                if base.as_ref().is_some_and(|b| b.hash != point.hash) {
                    result.broken = Some((
                        point.seq,
                        format!("entry {} differs from its signed checkpoint", point.seq),
                    ));
                    break;
                }
                continue;
            }
            if point.seq > base_seq + result.entries {
                result.broken = Some((
                    base_seq + result.entries + 1,
                    format!(
                        "a checkpoint covers entry {} but the log ends at entry {}: the newest \
                         entries were removed",
                        point.seq,
                        base_seq + result.entries
                    ),
                ));
                break;
            }
            if rows::hash_at(conn, tenant, point.seq)?.as_deref() != Some(point.hash.as_str()) {
                result.broken = Some((
                    point.seq,
                    format!("entry {} differs from its signed checkpoint", point.seq),
                ));
                break;
            }
        }
        Ok(result)
    })
}

/// Walks the chain from its start (or its retention base); `entries` counts what is there.
fn walk(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    base: Option<&rows::Base>,
) -> Result<Verification, DbError> {
    let head = rows::head(conn, tenant)?.unwrap_or(Head {
        seq: 0,
        hash: GENESIS.to_owned(),
    });
    let pending = rows::count_unchained(conn, tenant)?;
    let base_seq = base.map_or(0, |b| b.seq);
    let mut expected_seq = base_seq + 1;
    let mut prev = base.map_or(GENESIS.to_owned(), |b| b.hash.clone());
    let mut entries = 0;
    loop {
        let page = rows::list(conn, tenant, expected_seq - 1, PAGE)?;
        if page.is_empty() {
            let last = expected_seq - 1;
            let broken = if head.seq > last {
                Some((
                    last + 1,
                    format!(
                        "entries {} to {} are missing (the newest entries were deleted)",
                        last + 1,
                        head.seq
                    ),
                ))
            } else if head.seq < last || head.hash != prev {
                Some((
                    head.seq,
                    "the chain head does not match the newest entry".to_owned(),
                ))
            } else {
                None
            };
            return Ok(Verification {
                entries,
                broken,
                pending,
                checkpoints: Vec::new(),
            });
        }
        for row in page {
            let broken = |why: String| {
                Ok(Verification {
                    entries,
                    broken: Some((row.seq, why)),
                    pending,
                    checkpoints: Vec::new(),
                })
            };
            if row.seq != expected_seq {
                return Ok(Verification {
                    entries,
                    broken: Some((
                        expected_seq,
                        format!("entry {expected_seq} is missing (deleted)"),
                    )),
                    pending,
                    checkpoints: Vec::new(),
                });
            }
            if row.prev_hash != prev {
                return broken(format!(
                    "entry {} does not follow entry {}",
                    row.seq,
                    row.seq - 1
                ));
            }
            if chained_digest(&row) != row.hash {
                return broken(format!("entry {} was modified", row.seq));
            }
            prev = row.hash.clone();
            expected_seq += 1;
            entries += 1;
        }
    }
}

/// Every entry, oldest first (for `tessera audit export`), after chaining what is pending.
pub fn export(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    mut each: impl FnMut(&AuditRow),
) -> Result<(), DbError> {
    chain_pending(conn, tenant)?;
    let mut after = 0;
    loop {
        let page = rows::list(conn, tenant, after, PAGE)?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = last.seq;
        page.iter().for_each(&mut each);
    }
}
