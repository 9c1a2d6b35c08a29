//! Consent purposes and their versions (`consent_purposes`, `consent_purpose_versions`), and
//! the latest decision each profile made about them (read off the `consent_records` ledger).

use diesel::prelude::*;

use super::schema::consent_records;
use super::schema::{consent_purpose_versions as versions, consent_purposes as purposes};
use super::{AnyConnection, DbError};
use crate::domain::TenantId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = purposes)]
pub struct PurposeRow {
    pub tenant_id: String,
    pub purpose: String,
    pub name: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = versions)]
pub struct VersionRow {
    pub tenant_id: String,
    pub purpose: String,
    pub version: i64,
    pub required: bool,
    pub text: Option<String>,
    pub url: Option<String>,
    pub changes: String,
    pub published_at: i64,
}

pub fn insert(conn: &mut AnyConnection, row: &PurposeRow) -> Result<(), DbError> {
    diesel::insert_into(purposes::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn insert_version(conn: &mut AnyConnection, row: &VersionRow) -> Result<(), DbError> {
    diesel::insert_into(versions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The purpose, locked for the rest of the transaction (PostgreSQL `FOR UPDATE`; SQLite's
/// write transaction already excludes other writers), so that two publications of a new
/// version are numbered one after the other.
pub fn lock(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    key: &str,
) -> Result<Option<PurposeRow>, DbError> {
    if let AnyConnection::Postgresql(pg) = conn {
        return Ok(purposes::table
            .filter(purposes::tenant_id.eq(tenant.as_str()))
            .filter(purposes::purpose.eq(key))
            .select(PurposeRow::as_select())
            .for_update()
            .first(pg)
            .optional()?);
    }
    Ok(purposes::table
        .filter(purposes::tenant_id.eq(tenant.as_str()))
        .filter(purposes::purpose.eq(key))
        .select(PurposeRow::as_select())
        .first(conn)
        .optional()?)
}

/// Every purpose of the tenant, by key.
pub fn list(conn: &mut AnyConnection, tenant: &TenantId) -> Result<Vec<PurposeRow>, DbError> {
    Ok(purposes::table
        .filter(purposes::tenant_id.eq(tenant.as_str()))
        .order(purposes::purpose.asc())
        .select(PurposeRow::as_select())
        .load(conn)?)
}

/// Every version of the tenant's purposes (all, or those named), by key and version.
pub fn versions(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    keys: Option<&[String]>,
) -> Result<Vec<VersionRow>, DbError> {
    let mut query = versions::table
        .filter(versions::tenant_id.eq(tenant.as_str()))
        .order((versions::purpose.asc(), versions::version.asc()))
        .select(VersionRow::as_select())
        .into_boxed();
    if let Some(keys) = keys {
        query = query.filter(versions::purpose.eq_any(keys));
    }
    Ok(query.load(conn)?)
}

pub fn retire(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    key: &str,
    now: i64,
) -> Result<bool, DbError> {
    Ok(diesel::update(
        purposes::table
            .filter(purposes::tenant_id.eq(tenant.as_str()))
            .filter(purposes::purpose.eq(key))
            .filter(purposes::retired_at.is_null()),
    )
    .set(purposes::retired_at.eq(Some(now)))
    .execute(conn)?
        == 1)
}

/// A profile's decision about a purpose, as the ledger last recorded it.
#[derive(Debug, Clone, Queryable)]
pub struct Decided {
    pub purpose: Option<String>,
    pub version: Option<i64>,
    pub decision: String,
    pub at: i64,
}

/// The ledger entries about these purposes for one profile, newest first (the first per
/// purpose is its decision in force).
pub fn decisions(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    profile_id: &str,
    keys: &[String],
) -> Result<Vec<Decided>, DbError> {
    Ok(consent_records::table
        .filter(consent_records::tenant_id.eq(tenant.as_str()))
        .filter(consent_records::profile_id.eq(profile_id))
        .filter(consent_records::purpose.eq_any(keys))
        .order((consent_records::at.desc(), consent_records::id.desc()))
        .select((
            consent_records::purpose,
            consent_records::purpose_version,
            consent_records::decision,
            consent_records::at,
        ))
        .load(conn)?)
}
