//! Audit rows. Appends are serialised per tenant (a row lock on PostgreSQL; SQLite has one
//! writer), so sequence numbers and the hash chain never fork.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::schema::audit_events;
use super::{AnyConnection, DbError};
use crate::domain::TenantId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = audit_events)]
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

/// Locks the tenant's chain head for the rest of the transaction.
pub fn lock_chain(conn: &mut AnyConnection, tenant: &TenantId) -> Result<(), DbError> {
    if let AnyConnection::Postgresql(pg) = conn {
        // The id is a UUID we generated; quoting keeps the statement safe regardless.
        let id = tenant.as_str().replace('\'', "''");
        pg.batch_execute(&format!(
            "SELECT id FROM tenants WHERE id = '{id}' FOR UPDATE"
        ))?;
    }
    Ok(())
}

pub fn last(conn: &mut AnyConnection, tenant: &TenantId) -> Result<Option<AuditRow>, DbError> {
    Ok(audit_events::table
        .filter(audit_events::tenant_id.eq(tenant.as_str()))
        .order(audit_events::seq.desc())
        .select(AuditRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn insert(conn: &mut AnyConnection, row: &AuditRow) -> Result<(), DbError> {
    diesel::insert_into(audit_events::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The tenant's entries in order, `after` the given sequence number, at most `limit`.
pub fn list(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    after: i64,
    limit: i64,
) -> Result<Vec<AuditRow>, DbError> {
    Ok(audit_events::table
        .filter(audit_events::tenant_id.eq(tenant.as_str()))
        .filter(audit_events::seq.gt(after))
        .order(audit_events::seq.asc())
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)?)
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
    Ok(query
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)?)
}

#[derive(Debug, Clone, Copy)]
pub enum Cursor {
    NewestBefore(Option<i64>),
    OldestAfter(i64),
}
