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
