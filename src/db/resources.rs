//! API resources and which clients may ask for their scopes (`api_resources`,
//! `api_resource_clients`).

use diesel::prelude::*;

use super::schema::api_resource_clients as access;
use super::schema::api_resources as resources;
use super::{AnyConnection, DbError};
use crate::domain::TenantId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = resources, treat_none_as_null = true)]
pub struct ResourceRow {
    pub id: String,
    pub tenant_id: String,
    pub identifier: String,
    pub name: String,
    pub scopes: String,
    pub access_token_lifetime_secs: Option<i64>,
    pub signing_alg: Option<String>,
    pub introspection_client_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = access)]
pub struct AccessRow {
    pub resource_id: String,
    pub tenant_id: String,
    pub client_id: String,
    pub scopes: String,
}

/// Makes the tenant's resource changes take turns until the transaction ends, so a count
/// checked before an insert still holds at commit (PostgreSQL: a transaction-scoped advisory
/// lock; SQLite's write transaction already excludes other writers).
pub fn lock(conn: &mut AnyConnection, tenant: &TenantId) -> Result<(), DbError> {
    if let AnyConnection::Postgresql(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind::<diesel::sql_types::Text, _>(format!("api resources {tenant}"))
            .execute(pg)?;
    }
    Ok(())
}

pub fn insert(conn: &mut AnyConnection, row: &ResourceRow) -> Result<(), DbError> {
    diesel::insert_into(resources::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn update(conn: &mut AnyConnection, row: &ResourceRow) -> Result<bool, DbError> {
    let changed = diesel::update(
        resources::table
            .filter(resources::tenant_id.eq(&row.tenant_id))
            .filter(resources::id.eq(&row.id)),
    )
    .set(row)
    .execute(conn)?;
    Ok(changed > 0)
}

pub fn delete(conn: &mut AnyConnection, tenant: &TenantId, id: &str) -> Result<bool, DbError> {
    diesel::delete(
        access::table
            .filter(access::tenant_id.eq(tenant.as_str()))
            .filter(access::resource_id.eq(id)),
    )
    .execute(conn)?;
    let deleted = diesel::delete(
        resources::table
            .filter(resources::tenant_id.eq(tenant.as_str()))
            .filter(resources::id.eq(id)),
    )
    .execute(conn)?;
    Ok(deleted > 0)
}

pub fn list(conn: &mut AnyConnection, tenant: &TenantId) -> Result<Vec<ResourceRow>, DbError> {
    Ok(resources::table
        .filter(resources::tenant_id.eq(tenant.as_str()))
        .order(resources::identifier.asc())
        .select(ResourceRow::as_select())
        .load(conn)?)
}

pub fn count(conn: &mut AnyConnection, tenant: &TenantId) -> Result<i64, DbError> {
    Ok(resources::table
        .filter(resources::tenant_id.eq(tenant.as_str()))
        .count()
        .get_result(conn)?)
}

pub fn find(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &str,
) -> Result<Option<ResourceRow>, DbError> {
    Ok(resources::table
        .filter(resources::tenant_id.eq(tenant.as_str()))
        .filter(resources::id.eq(id))
        .select(ResourceRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_identifier(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    identifier: &str,
) -> Result<Option<ResourceRow>, DbError> {
    Ok(resources::table
        .filter(resources::tenant_id.eq(tenant.as_str()))
        .filter(resources::identifier.eq(identifier))
        .select(ResourceRow::as_select())
        .first(conn)
        .optional()?)
}

/// The clients allowed on one resource, by client_id.
pub fn access_of(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    resource_id: &str,
) -> Result<Vec<AccessRow>, DbError> {
    Ok(access::table
        .filter(access::tenant_id.eq(tenant.as_str()))
        .filter(access::resource_id.eq(resource_id))
        .order(access::client_id.asc())
        .select(AccessRow::as_select())
        .load(conn)?)
}

/// Replaces the clients allowed on a resource.
pub fn replace_access(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    resource_id: &str,
    rows: &[AccessRow],
) -> Result<(), DbError> {
    diesel::delete(
        access::table
            .filter(access::tenant_id.eq(tenant.as_str()))
            .filter(access::resource_id.eq(resource_id)),
    )
    .execute(conn)?;
    for row in rows {
        diesel::insert_into(access::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

/// Forgets a deleted client everywhere resources name it.
pub fn forget_client(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    client_id: &str,
) -> Result<(), DbError> {
    diesel::delete(
        access::table
            .filter(access::tenant_id.eq(tenant.as_str()))
            .filter(access::client_id.eq(client_id)),
    )
    .execute(conn)?;
    diesel::update(
        resources::table
            .filter(resources::tenant_id.eq(tenant.as_str()))
            .filter(resources::introspection_client_id.eq(client_id)),
    )
    .set(resources::introspection_client_id.eq(None::<String>))
    .execute(conn)?;
    Ok(())
}
