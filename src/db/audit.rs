//! Audit rows. Events are inserted unchained inside the change's transaction; the sequencer
//! (`audit::chain_pending`) later gives them `seq`, `prev_hash` and `hash` while holding the
//! tenant's head row, which no business transaction touches.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::schema::{audit_chain_heads, audit_checkpoints, audit_events};
use super::{AnyConnection, DbError};
use crate::domain::TenantId;

/// A chained entry (the only kind readers see).
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditRow {
    pub id: String,
    pub tenant_id: String,
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub ip: String,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

/// An event as stored: unchained until the sequencer reaches it.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events)]
pub struct EventRow {
    pub id: String,
    pub tenant_id: String,
    pub seq: Option<i64>,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub ip: String,
    pub details: String,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

impl EventRow {
    fn chained(self) -> Option<AuditRow> {
        Some(AuditRow {
            seq: self.seq?,
            prev_hash: self.prev_hash?,
            hash: self.hash?,
            id: self.id,
            tenant_id: self.tenant_id,
            at: self.at,
            actor: self.actor,
            action: self.action,
            target: self.target,
            ip: self.ip,
            details: self.details,
        })
    }
}

fn chained(rows: Vec<EventRow>) -> Vec<AuditRow> {
    rows.into_iter().filter_map(EventRow::chained).collect()
}

/// The newest chained entry of a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = audit_chain_heads)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
}

/// Every entry (chained or not yet) whose actor or target is one of `ids`, oldest first:
/// what a person's export holds of the log.
pub fn about(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    ids: &[String],
) -> Result<Vec<EventRow>, DbError> {
    Ok(audit_events::table
        .filter(audit_events::tenant_id.eq(tenant.as_str()))
        .filter(
            audit_events::actor
                .eq_any(ids)
                .or(audit_events::target.eq_any(ids)),
        )
        .order((audit_events::at.asc(), audit_events::id.asc()))
        .select(EventRow::as_select())
        .load(conn)?)
}

/// Stores an unchained event. Inside the change's transaction: both land or neither.
pub fn insert(conn: &mut AnyConnection, row: &EventRow) -> Result<(), DbError> {
    diesel::insert_into(audit_events::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Many unchained events (an import), one statement per `ROWS_PER_INSERT`.
pub fn insert_many(conn: &mut AnyConnection, rows: &[EventRow]) -> Result<(), DbError> {
    super::insert_many!(conn, audit_events::table, rows)
}

/// Creates the tenant's head (nothing chained yet) unless it exists. Idempotent under
/// concurrency on both engines.
pub fn ensure_head(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    genesis: &str,
    now: i64,
) -> Result<(), DbError> {
    diesel::sql_query(
        "INSERT INTO audit_chain_heads (tenant_id, seq, hash, chained_at) \
         VALUES ($1, 0, $2, $3) ON CONFLICT (tenant_id) DO NOTHING",
    )
    .bind::<Text, _>(tenant.as_str())
    .bind::<Text, _>(genesis)
    .bind::<BigInt, _>(now)
    .execute(conn)?;
    Ok(())
}

/// The tenant's head, locked for the rest of the transaction (PostgreSQL `FOR UPDATE`; on
/// SQLite the write transaction already excludes every other writer). Only the sequencer
/// takes this lock, so it serialises sequencers, never business transactions.
pub fn lock_head(conn: &mut AnyConnection, tenant: &TenantId) -> Result<Head, DbError> {
    if let AnyConnection::Postgresql(pg) = conn {
        return Ok(audit_chain_heads::table
            .filter(audit_chain_heads::tenant_id.eq(tenant.as_str()))
            .select(Head::as_select())
            .for_update()
            .first(pg)?);
    }
    Ok(audit_chain_heads::table
        .filter(audit_chain_heads::tenant_id.eq(tenant.as_str()))
        .select(Head::as_select())
        .first(conn)?)
}

/// The tenant's head without locking it (verification).
pub fn head(conn: &mut AnyConnection, tenant: &TenantId) -> Result<Option<Head>, DbError> {
    Ok(audit_chain_heads::table
        .filter(audit_chain_heads::tenant_id.eq(tenant.as_str()))
        .select(Head::as_select())
        .first(conn)
        .optional()?)
}

pub fn set_head(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    head: &Head,
    now: i64,
) -> Result<(), DbError> {
    diesel::update(
        audit_chain_heads::table.filter(audit_chain_heads::tenant_id.eq(tenant.as_str())),
    )
    .set((
        audit_chain_heads::seq.eq(head.seq),
        audit_chain_heads::hash.eq(&head.hash),
        audit_chain_heads::chained_at.eq(now),
    ))
    .execute(conn)?;
    Ok(())
}

/// Committed events not chained yet, in the order they were recorded.
pub fn unchained(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    limit: i64,
) -> Result<Vec<EventRow>, DbError> {
    Ok(audit_events::table
        .filter(audit_events::tenant_id.eq(tenant.as_str()))
        .filter(audit_events::seq.is_null())
        .order(audit_events::id.asc())
        .limit(limit)
        .select(EventRow::as_select())
        .load(conn)?)
}

/// Tenants with events waiting to be chained.
pub fn tenants_with_unchained(
    conn: &mut AnyConnection,
    limit: i64,
) -> Result<Vec<TenantId>, DbError> {
    let ids: Vec<String> = audit_events::table
        .filter(audit_events::seq.is_null())
        .select(audit_events::tenant_id)
        .distinct()
        .limit(limit)
        .load(conn)?;
    Ok(ids.into_iter().map(TenantId::from_stored).collect())
}

/// How many of the tenant's events wait to be chained.
pub fn count_unchained(conn: &mut AnyConnection, tenant: &TenantId) -> Result<i64, DbError> {
    Ok(audit_events::table
        .filter(audit_events::tenant_id.eq(tenant.as_str()))
        .filter(audit_events::seq.is_null())
        .count()
        .get_result(conn)?)
}

/// Gives an unchained event its place in the chain. Fails if it was chained meanwhile, which
/// the head lock rules out: the transaction then rolls back rather than fork the chain.
pub fn chain(
    conn: &mut AnyConnection,
    id: &str,
    seq: i64,
    prev_hash: &str,
    hash: &str,
) -> Result<(), DbError> {
    let updated = diesel::update(
        audit_events::table
            .filter(audit_events::id.eq(id))
            .filter(audit_events::seq.is_null()),
    )
    .set((
        audit_events::seq.eq(Some(seq)),
        audit_events::prev_hash.eq(Some(prev_hash)),
        audit_events::hash.eq(Some(hash)),
    ))
    .execute(conn)?;
    if updated != 1 {
        return Err(DbError::Contended(format!(
            "audit event {id} was chained by another sequencer"
        )));
    }
    Ok(())
}

/// The tenant's entries in order, `after` the given sequence number, at most `limit`.
pub fn list(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    after: i64,
    limit: i64,
) -> Result<Vec<AuditRow>, DbError> {
    Ok(chained(
        audit_events::table
            .filter(audit_events::tenant_id.eq(tenant.as_str()))
            .filter(audit_events::seq.gt(after))
            .order(audit_events::seq.asc())
            .limit(limit)
            .select(EventRow::as_select())
            .load(conn)?,
    ))
}

/// Which entries a search returns (all conditions must hold).
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    /// An exact action, or an area prefix ending in `.` (`client.`).
    pub action: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

impl AuditFilter {
    /// A filter from user input: blank values mean "any".
    pub fn new(
        actor: Option<&str>,
        action: Option<&str>,
        from: Option<i64>,
        to: Option<i64>,
    ) -> AuditFilter {
        let given = |v: Option<&str>| {
            v.map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        AuditFilter {
            actor: given(actor),
            action: given(action),
            from,
            to,
        }
    }
}

/// Matching entries: newest first before the `before` sequence number, or (for exports) oldest
/// first after `after`.
pub fn search(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    filter: &AuditFilter,
    cursor: Cursor,
    limit: i64,
) -> Result<Vec<AuditRow>, DbError> {
    let mut query = audit_events::table
        .filter(audit_events::tenant_id.eq(tenant.as_str()))
        .filter(audit_events::seq.is_not_null())
        .into_boxed();
    if let Some(actor) = &filter.actor {
        query = query.filter(audit_events::actor.eq(actor.clone()));
    }
    match filter.action.as_deref() {
        Some(area) if area.ends_with('.') => {
            let escaped = area
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            query = query.filter(
                audit_events::action
                    .like(format!("{escaped}%"))
                    .escape('\\'),
            );
        }
        Some(action) => query = query.filter(audit_events::action.eq(action.to_owned())),
        None => {}
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_events::at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(audit_events::at.le(to));
    }
    query = match cursor {
        Cursor::NewestBefore(Some(seq)) => query
            .filter(audit_events::seq.lt(seq))
            .order(audit_events::seq.desc()),
        Cursor::NewestBefore(None) => query.order(audit_events::seq.desc()),
        Cursor::OldestAfter(seq) => query
            .filter(audit_events::seq.gt(seq))
            .order(audit_events::seq.asc()),
    };
    Ok(chained(
        query
            .limit(limit)
            .select(EventRow::as_select())
            .load(conn)?,
    ))
}

#[derive(Debug, Clone, Copy)]
pub enum Cursor {
    NewestBefore(Option<i64>),
    OldestAfter(i64),
}

/// A signed checkpoint of a tenant's chain head.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = audit_checkpoints)]
pub struct CheckpointRow {
    #[serde(skip)]
    pub tenant_id: String,
    pub seq: i64,
    pub hash: String,
    pub at: i64,
    pub jws: String,
}

/// Stores a checkpoint; a second node taking the same one at once is a no-op.
pub fn insert_checkpoint(conn: &mut AnyConnection, row: &CheckpointRow) -> Result<(), DbError> {
    diesel::sql_query(
        "INSERT INTO audit_checkpoints (tenant_id, seq, hash, at, jws) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, seq) DO NOTHING",
    )
    .bind::<Text, _>(&row.tenant_id)
    .bind::<BigInt, _>(row.seq)
    .bind::<Text, _>(&row.hash)
    .bind::<BigInt, _>(row.at)
    .bind::<Text, _>(&row.jws)
    .execute(conn)?;
    Ok(())
}

/// The tenant's newest checkpoints, newest first.
pub fn checkpoints(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    limit: i64,
) -> Result<Vec<CheckpointRow>, DbError> {
    Ok(audit_checkpoints::table
        .filter(audit_checkpoints::tenant_id.eq(tenant.as_str()))
        .order(audit_checkpoints::seq.desc())
        .limit(limit)
        .select(CheckpointRow::as_select())
        .load(conn)?)
}

/// Every tenant's chain head (the checkpoint task's round).
pub fn heads(conn: &mut AnyConnection, limit: i64) -> Result<Vec<(String, Head)>, DbError> {
    Ok(audit_chain_heads::table
        .order(audit_chain_heads::tenant_id)
        .limit(limit)
        .select((audit_chain_heads::tenant_id, Head::as_select()))
        .load(conn)?)
}

/// The hash of the chained entry `seq`, if it exists.
pub fn hash_at(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    seq: i64,
) -> Result<Option<String>, DbError> {
    Ok(audit_events::table
        .filter(audit_events::tenant_id.eq(tenant.as_str()))
        .filter(audit_events::seq.eq(seq))
        .select(audit_events::hash)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}

/// Where a tenant's chain was cut by retention: entries up to `seq` are gone, entry `seq` had
/// `hash`, as the tenant-signed `jws` says.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Base {
    pub seq: i64,
    pub hash: String,
    pub jws: String,
}

/// The tenant's retention base, if its chain was ever cut.
pub fn base(conn: &mut AnyConnection, tenant: &TenantId) -> Result<Option<Base>, DbError> {
    let row: Option<(i64, Option<String>, Option<String>)> = audit_chain_heads::table
        .filter(audit_chain_heads::tenant_id.eq(tenant.as_str()))
        .select((
            audit_chain_heads::base_seq,
            audit_chain_heads::base_hash,
            audit_chain_heads::base_jws,
        ))
        .first(conn)
        .optional()?;
    Ok(match row {
        Some((seq, Some(hash), Some(jws))) if seq > 0 => Some(Base { seq, hash, jws }),
        _ => None,
    })
}

/// Moves the retention base forward (never back); whether it moved.
pub fn set_base(conn: &mut AnyConnection, tenant: &TenantId, base: &Base) -> Result<bool, DbError> {
    Ok(diesel::update(
        audit_chain_heads::table
            .filter(audit_chain_heads::tenant_id.eq(tenant.as_str()))
            .filter(audit_chain_heads::base_seq.lt(base.seq)),
    )
    .set((
        audit_chain_heads::base_seq.eq(base.seq),
        audit_chain_heads::base_hash.eq(Some(&base.hash)),
        audit_chain_heads::base_jws.eq(Some(&base.jws)),
    ))
    .execute(conn)?
        == 1)
}

/// Replaces the signature of the current base (same entry, same hash).
pub fn set_base_jws(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    base: &Base,
) -> Result<bool, DbError> {
    Ok(diesel::update(
        audit_chain_heads::table
            .filter(audit_chain_heads::tenant_id.eq(tenant.as_str()))
            .filter(audit_chain_heads::base_seq.eq(base.seq))
            .filter(audit_chain_heads::base_hash.eq(Some(&base.hash))),
    )
    .set(audit_chain_heads::base_jws.eq(Some(&base.jws)))
    .execute(conn)?
        == 1)
}

/// The newest chained entry recorded before `at`: (seq, hash).
pub fn last_before(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    at: i64,
) -> Result<Option<(i64, String)>, DbError> {
    let row: Option<(Option<i64>, Option<String>)> = audit_events::table
        .filter(audit_events::tenant_id.eq(tenant.as_str()))
        .filter(audit_events::seq.is_not_null())
        .filter(audit_events::at.lt(at))
        .order(audit_events::seq.desc())
        .select((audit_events::seq, audit_events::hash))
        .first(conn)
        .optional()?;
    Ok(match row {
        Some((Some(seq), Some(hash))) => Some((seq, hash)),
        _ => None,
    })
}

/// Deletes up to `limit` chained entries with `seq <= up_to`; how many went.
pub fn prune(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    up_to: i64,
    limit: i64,
) -> Result<usize, DbError> {
    let batch: Vec<String> = audit_events::table
        .filter(audit_events::tenant_id.eq(tenant.as_str()))
        .filter(audit_events::seq.le(up_to))
        .order(audit_events::seq.asc())
        .limit(limit)
        .select(audit_events::id)
        .load(conn)?;
    if batch.is_empty() {
        return Ok(0);
    }
    Ok(diesel::delete(
        audit_events::table
            .filter(audit_events::tenant_id.eq(tenant.as_str()))
            .filter(audit_events::id.eq_any(&batch)),
    )
    .execute(conn)?)
}
