//! Authorization requests waiting for the user, and consents already given.

use diesel::prelude::*;

use super::schema::{authorization_requests, consents};
use super::{AnyConnection, DbError};
use crate::domain::{ClientId, ProfileId, TenantId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = authorization_requests)]
pub struct PendingRow {
    pub id: String,
    pub tenant_id: String,
    pub client_id: String,
    pub browser_hash: String,
    pub parameters: String,
    pub created_at: i64,
    pub expires_at: i64,
}

pub fn insert(conn: &mut AnyConnection, row: &PendingRow) -> Result<(), DbError> {
    diesel::insert_into(authorization_requests::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The pending request with this id, made by this browser, not expired.
pub fn find(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &str,
    browser_hash: &str,
    now: i64,
) -> Result<Option<PendingRow>, DbError> {
    Ok(authorization_requests::table
        .filter(authorization_requests::tenant_id.eq(tenant.as_str()))
        .filter(authorization_requests::id.eq(id))
        .filter(authorization_requests::browser_hash.eq(browser_hash))
        .filter(authorization_requests::expires_at.gt(now))
        .select(PendingRow::as_select())
        .first(conn)
        .optional()?)
}

/// Replaces the stored request (what is left to do shrinks as the user goes through pages).
pub fn update_parameters(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &str,
    parameters: &str,
) -> Result<(), DbError> {
    diesel::update(
        authorization_requests::table
            .filter(authorization_requests::tenant_id.eq(tenant.as_str()))
            .filter(authorization_requests::id.eq(id)),
    )
    .set(authorization_requests::parameters.eq(parameters))
    .execute(conn)?;
    Ok(())
}

/// Moves a browser's pending requests to its new binding cookie (rotated at sign-in).
pub fn rebind_browser(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    from_hash: &str,
    to_hash: &str,
) -> Result<(), DbError> {
    diesel::update(
        authorization_requests::table
            .filter(authorization_requests::tenant_id.eq(tenant.as_str()))
            .filter(authorization_requests::browser_hash.eq(from_hash)),
    )
    .set(authorization_requests::browser_hash.eq(to_hash))
    .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut AnyConnection, tenant: &TenantId, id: &str) -> Result<(), DbError> {
    diesel::delete(
        authorization_requests::table
            .filter(authorization_requests::tenant_id.eq(tenant.as_str()))
            .filter(authorization_requests::id.eq(id)),
    )
    .execute(conn)?;
    Ok(())
}

/// Scopes this profile has granted this client and not revoked, possibly over several rows.
pub fn consented_scopes(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    profile_id: &ProfileId,
    client_id: &ClientId,
) -> Result<Vec<String>, DbError> {
    Ok(consents::table
        .filter(consents::tenant_id.eq(tenant.as_str()))
        .filter(consents::profile_id.eq(profile_id.as_str()))
        .filter(consents::client_id.eq(client_id.as_str()))
        .filter(consents::revoked_at.is_null())
        .select(consents::scope)
        .load(conn)?)
}

pub fn insert_consent(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &str,
    profile_id: &ProfileId,
    client_id: &ClientId,
    scope: &str,
    now: i64,
) -> Result<(), DbError> {
    diesel::insert_into(consents::table)
        .values((
            consents::id.eq(id),
            consents::tenant_id.eq(tenant.as_str()),
            consents::profile_id.eq(profile_id.as_str()),
            consents::client_id.eq(client_id.as_str()),
            consents::scope.eq(scope),
            consents::granted_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}
