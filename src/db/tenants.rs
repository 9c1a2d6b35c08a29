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
    pub retention_inactive_days: Option<i64>,
    pub retention_audit_days: Option<i64>,
    pub retention_ran_at: Option<i64>,
    /// The tenant's own texts, JSON (`tenancy::branding`).
    pub texts: Option<String>,
    /// An IANA time-zone name; `None` for UTC.
    pub time_zone: Option<String>,
    /// Dynamic client registration: off, token or open.
    pub client_registration: String,
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
    pub retention_inactive_days: Option<i64>,
    pub retention_audit_days: Option<i64>,
    pub client_registration: String,
    pub updated_at: i64,
}

/// Claims the tenant's daily retention run for this node: true for exactly one caller per
/// `every` seconds, however many nodes ask at once.
pub fn claim_retention_run(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    now: i64,
    every: i64,
) -> Result<bool, DbError> {
    Ok(diesel::update(
        tenants::table.find(tenant.as_str()).filter(
            tenants::retention_ran_at
                .is_null()
                .or(tenants::retention_ran_at.le(now - every)),
        ),
    )
    .set(tenants::retention_ran_at.eq(Some(now)))
    .execute(conn)?
        == 1)
}

pub fn set_policy(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    policy: &PolicyRow,
) -> Result<(), DbError> {
    diesel::update(tenants::table.find(tenant.as_str()))
        .set(policy)
        .execute(conn)?;
    super::notify::tenant_changed(conn, tenant)
}

/// The display name and branding columns of a tenant, for `set_branding` (every one
/// replaced: `None` clears).
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = tenants, treat_none_as_null = true)]
pub struct BrandingRow<'a> {
    pub name: &'a str,
    pub logo_url: Option<&'a str>,
    pub accent_color: Option<&'a str>,
    pub texts: Option<&'a str>,
    pub time_zone: Option<&'a str>,
    pub updated_at: i64,
}

/// Display name and branding, validated by `tenancy::branding`.
pub fn set_branding(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    branding: &BrandingRow,
) -> Result<(), DbError> {
    diesel::update(tenants::table.find(tenant.as_str()))
        .set(branding)
        .execute(conn)?;
    super::notify::tenant_changed(conn, tenant)
}

pub fn insert(conn: &mut AnyConnection, row: &TenantRow) -> Result<(), DbError> {
    diesel::insert_into(tenants::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// A tenant's slug by id (`None` once it is deleted).
pub fn slug_of(conn: &mut AnyConnection, tenant: &TenantId) -> Result<Option<String>, DbError> {
    Ok(tenants::table
        .filter(tenants::id.eq(tenant.as_str()))
        .select(tenants::slug)
        .first(conn)
        .optional()?)
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
    super::notify::tenant_changed(conn, tenant)?;
    Ok(updated == 1)
}

/// Marks the tenant's key set as changed; call inside the transaction that changes keys.
pub fn bump_key_set_version(conn: &mut AnyConnection, tenant: &TenantId) -> Result<(), DbError> {
    diesel::update(tenants::table.find(tenant.as_str()))
        .set(tenants::key_set_version.eq(tenants::key_set_version + 1))
        .execute(conn)?;
    super::notify::tenant_changed(conn, tenant)
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

/// Accounts and clients per tenant id, for the platform console.
pub fn counts(conn: &mut AnyConnection) -> Result<Vec<(String, i64, i64)>, DbError> {
    use super::schema::{accounts, clients};
    let account_counts: Vec<(String, i64)> = accounts::table
        .group_by(accounts::tenant_id)
        .select((accounts::tenant_id, diesel::dsl::count_star()))
        .load(conn)?;
    let client_counts: Vec<(String, i64)> = clients::table
        .group_by(clients::tenant_id)
        .select((clients::tenant_id, diesel::dsl::count_star()))
        .load(conn)?;
    let mut ids: Vec<String> = account_counts
        .iter()
        .chain(client_counts.iter())
        .map(|(id, _)| id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    let get = |list: &[(String, i64)], id: &str| {
        list.iter().find(|(t, _)| t == id).map_or(0, |(_, n)| *n)
    };
    Ok(ids
        .into_iter()
        .map(|id| {
            let (a, c) = (get(&account_counts, &id), get(&client_counts, &id));
            (id, a, c)
        })
        .collect())
}

/// Deletes a tenant and, through the foreign keys, everything it owns.
pub fn delete(conn: &mut AnyConnection, tenant: &TenantId) -> Result<bool, DbError> {
    let deleted = diesel::delete(tenants::table.find(tenant.as_str())).execute(conn)? == 1;
    super::notify::tenant_changed(conn, tenant)?;
    Ok(deleted)
}

pub fn insert_setup_token(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), DbError> {
    use super::schema::platform_setup_tokens as t;
    // Only the newest link works: a restart issues a new one.
    diesel::delete(t::table).execute(conn)?;
    diesel::insert_into(t::table)
        .values((
            t::token_hash.eq(token_hash),
            t::created_at.eq(now),
            t::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks a live setup token used; false when unknown, used or expired.
pub fn use_setup_token(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: i64,
) -> Result<bool, DbError> {
    use super::schema::platform_setup_tokens as t;
    Ok(diesel::update(
        t::table
            .filter(t::token_hash.eq(token_hash))
            .filter(t::used_at.is_null())
            .filter(t::expires_at.gt(now)),
    )
    .set(t::used_at.eq(Some(now)))
    .execute(conn)?
        == 1)
}

pub fn setup_token_is_live(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: i64,
) -> Result<bool, DbError> {
    use super::schema::platform_setup_tokens as t;
    Ok(t::table
        .filter(t::token_hash.eq(token_hash))
        .filter(t::used_at.is_null())
        .filter(t::expires_at.gt(now))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}
