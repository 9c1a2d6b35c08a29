//! A tenant's attribute schema (`attribute_definitions`).

use diesel::prelude::*;

use super::schema::attribute_definitions as defs;
use super::{AnyConnection, DbError};
use crate::domain::TenantId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = defs)]
pub struct DefinitionRow {
    pub tenant_id: String,
    pub name: String,
    pub kind: String,
    pub sensitive: bool,
    pub claim_scope: Option<String>,
    pub retention_days: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The tenant's definitions, by name.
pub fn list(conn: &mut AnyConnection, tenant: &TenantId) -> Result<Vec<DefinitionRow>, DbError> {
    Ok(defs::table
        .filter(defs::tenant_id.eq(tenant.as_str()))
        .order(defs::name.asc())
        .select(DefinitionRow::as_select())
        .load(conn)?)
}

/// Every tenant that keeps some attribute for a limited time (the retention sweep's list).
pub fn tenants_with_retention(conn: &mut AnyConnection) -> Result<Vec<String>, DbError> {
    Ok(defs::table
        .filter(defs::retention_days.is_not_null())
        .select(defs::tenant_id)
        .distinct()
        .load(conn)?)
}

pub fn insert(conn: &mut AnyConnection, row: &DefinitionRow) -> Result<(), DbError> {
    diesel::insert_into(defs::table).values(row).execute(conn)?;
    // The released claims are read with the tenant (discovery): every node reads them again.
    super::notify::tenant_changed(conn, &TenantId::from_stored(row.tenant_id.clone()))
}

/// Inserts or replaces a definition (its `created_at` stays). One statement, so two
/// administrators defining the same attribute at once both succeed and the later one wins.
pub fn upsert(conn: &mut AnyConnection, row: &DefinitionRow) -> Result<(), DbError> {
    use diesel::sql_types::{BigInt, Bool, Nullable, Text};
    diesel::sql_query(
        "INSERT INTO attribute_definitions \
         (tenant_id, name, kind, sensitive, claim_scope, retention_days, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (tenant_id, name) DO UPDATE SET kind = excluded.kind, \
         sensitive = excluded.sensitive, claim_scope = excluded.claim_scope, \
         retention_days = excluded.retention_days, updated_at = excluded.updated_at",
    )
    .bind::<Text, _>(&row.tenant_id)
    .bind::<Text, _>(&row.name)
    .bind::<Text, _>(&row.kind)
    .bind::<Bool, _>(row.sensitive)
    .bind::<Nullable<Text>, _>(&row.claim_scope)
    .bind::<Nullable<BigInt>, _>(row.retention_days)
    .bind::<BigInt, _>(row.created_at)
    .bind::<BigInt, _>(row.updated_at)
    .execute(conn)?;
    super::notify::tenant_changed(conn, &TenantId::from_stored(row.tenant_id.clone()))
}

pub fn delete(conn: &mut AnyConnection, tenant: &TenantId, name: &str) -> Result<bool, DbError> {
    let deleted = diesel::delete(
        defs::table
            .filter(defs::tenant_id.eq(tenant.as_str()))
            .filter(defs::name.eq(name)),
    )
    .execute(conn)?
        == 1;
    super::notify::tenant_changed(conn, tenant)?;
    Ok(deleted)
}
