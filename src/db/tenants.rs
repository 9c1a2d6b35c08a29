//! Tenant rows.

use diesel::prelude::*;

use super::schema::tenants;
use super::{AnyConnection, DbError};
use crate::domain::TenantId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = tenants)]
pub struct TenantRow {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub status: String,
    pub key_set_version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub pairwise_salt: String,
    pub password_min_length: i64,
    pub mfa_policy: String,
    pub self_signup: bool,
    pub email_verification: String,
    pub session_idle_secs: Option<i64>,
    pub session_absolute_secs: Option<i64>,
    pub access_token_secs: Option<i64>,
    pub refresh_idle_secs: Option<i64>,
    pub refresh_absolute_secs: Option<i64>,
    pub logo_url: Option<String>,
    pub accent_color: Option<String>,
}

/// The policy columns of a tenant, for `set_policy`.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = tenants, treat_none_as_null = true)]
pub struct PolicyRow {
    pub password_min_length: i64,
    pub mfa_policy: String,
    pub self_signup: bool,
    pub email_verification: String,
    pub session_idle_secs: Option<i64>,
    pub session_absolute_secs: Option<i64>,
    pub access_token_secs: Option<i64>,
    pub refresh_idle_secs: Option<i64>,
    pub refresh_absolute_secs: Option<i64>,
    pub updated_at: i64,
}

pub fn set_policy(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    policy: &PolicyRow,
) -> Result<(), DbError> {
    diesel::update(tenants::table.find(tenant.as_str()))
        .set(policy)
        .execute(conn)?;
    Ok(())
}

/// Display name and branding, validated by `tenancy::branding`.
pub fn set_branding(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    name: &str,
    logo_url: Option<&str>,
    accent_color: Option<&str>,
    now: i64,
) -> Result<(), DbError> {
    diesel::update(tenants::table.find(tenant.as_str()))
        .set((
            tenants::name.eq(name),
            tenants::logo_url.eq(logo_url),
            tenants::accent_color.eq(accent_color),
            tenants::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn insert(conn: &mut AnyConnection, row: &TenantRow) -> Result<(), DbError> {
    diesel::insert_into(tenants::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_by_slug(conn: &mut AnyConnection, slug: &str) -> Result<Option<TenantRow>, DbError> {
    Ok(tenants::table
        .filter(tenants::slug.eq(slug))
        .select(TenantRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn list(conn: &mut AnyConnection) -> Result<Vec<TenantRow>, DbError> {
    Ok(tenants::table
        .order(tenants::slug.asc())
        .select(TenantRow::as_select())
        .load(conn)?)
}

/// Returns whether a row was updated.
pub fn set_status(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    status: &str,
    now: i64,
) -> Result<bool, DbError> {
    let updated = diesel::update(tenants::table.find(tenant.as_str()))
        .set((tenants::status.eq(status), tenants::updated_at.eq(now)))
        .execute(conn)?;
    Ok(updated == 1)
}

/// Marks the tenant's key set as changed; call inside the transaction that changes keys.
pub fn bump_key_set_version(conn: &mut AnyConnection, tenant: &TenantId) -> Result<(), DbError> {
    diesel::update(tenants::table.find(tenant.as_str()))
        .set(tenants::key_set_version.eq(tenants::key_set_version + 1))
        .execute(conn)?;
    Ok(())
}

pub fn key_set_version(conn: &mut AnyConnection, tenant: &TenantId) -> Result<i64, DbError> {
    Ok(tenants::table
        .find(tenant.as_str())
        .select(tenants::key_set_version)
        .first(conn)?)
}

/// The tenant's pairwise-subject salt, created on first use for tenants older than it.
pub fn pairwise_salt(conn: &mut AnyConnection, tenant: &TenantId) -> Result<String, DbError> {
    let current: String = tenants::table
        .find(tenant.as_str())
        .select(tenants::pairwise_salt)
        .first(conn)?;
    if !current.is_empty() {
        return Ok(current);
    }
    // Only one writer wins; everyone reads the winner's value back.
    diesel::update(
        tenants::table
            .find(tenant.as_str())
            .filter(tenants::pairwise_salt.eq("")),
    )
    .set(tenants::pairwise_salt.eq(crate::crypto::random_token()))
    .execute(conn)?;
    Ok(tenants::table
        .find(tenant.as_str())
        .select(tenants::pairwise_salt)
        .first(conn)?)
}
