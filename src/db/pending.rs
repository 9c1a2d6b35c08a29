//! Authorization requests waiting for the user.

use diesel::prelude::*;

use super::schema::{authorization_requests, pushed_authorization_requests as pushed};
use super::{AnyConnection, DbError};
use crate::domain::TenantId;

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

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = pushed)]
pub struct PushedRow<'a> {
    pub request_uri_hash: &'a str,
    pub tenant_id: &'a str,
    pub client_id: &'a str,
    pub parameters: &'a str,
    pub created_at: i64,
    pub expires_at: i64,
}

pub fn insert_pushed(conn: &mut AnyConnection, row: &PushedRow) -> Result<(), DbError> {
    diesel::insert_into(pushed::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Uses a pushed request: the first caller within its lifetime gets (client id, parameters),
/// every later one nothing (one statement, so two at once cannot both have it).
pub fn take_pushed(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    request_uri_hash: &str,
    now: i64,
) -> Result<Option<(String, String)>, DbError> {
    Ok(diesel::update(
        pushed::table
            .filter(pushed::tenant_id.eq(tenant.as_str()))
            .filter(pushed::request_uri_hash.eq(request_uri_hash))
            .filter(pushed::used_at.is_null())
            .filter(pushed::expires_at.gt(now)),
    )
    .set(pushed::used_at.eq(Some(now)))
    .returning((pushed::client_id, pushed::parameters))
    .get_result(conn)
    .optional()?)
}
