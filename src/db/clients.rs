//! Client (relying party) rows.

use diesel::prelude::*;

use super::schema::clients;
use super::{AnyConnection, DbError};
use crate::domain::{ClientId, TenantId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = clients, treat_none_as_null = true)]
pub struct ClientRow {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub client_type: String,
    pub secret_hash: Option<String>,
    pub auth_method: String,
    pub grant_types: String,
    pub redirect_uris: String,
    pub post_logout_redirect_uris: String,
    pub jwks: Option<String>,
    pub jwks_uri: Option<String>,
    pub consent: String,
    pub signing_alg: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub subject_mode: String,
    pub sector_identifier: Option<String>,
    pub administration: bool,
    pub purposes: String,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
    pub require_pushed_authorization_requests: bool,
    pub dpop_bound_access_tokens: bool,
    /// `None` when an administrator registered it; `token` or `open` when it registered
    /// itself (RFC 7591).
    pub registration: Option<String>,
    /// The hash of its registration access token (RFC 7592).
    pub registration_token_hash: Option<String>,
    /// Held to the FAPI 2.0 Security Profile.
    pub fapi2: bool,
}

pub fn insert(conn: &mut AnyConnection, row: &ClientRow) -> Result<(), DbError> {
    diesel::insert_into(clients::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    client_id: &ClientId,
) -> Result<Option<ClientRow>, DbError> {
    Ok(clients::table
        .filter(clients::tenant_id.eq(tenant.as_str()))
        .filter(clients::id.eq(client_id.as_str()))
        .select(ClientRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn list(conn: &mut AnyConnection, tenant: &TenantId) -> Result<Vec<ClientRow>, DbError> {
    Ok(clients::table
        .filter(clients::tenant_id.eq(tenant.as_str()))
        .order(clients::id.asc())
        .select(ClientRow::as_select())
        .load(conn)?)
}

/// Replaces every column of the row (matched by tenant and id).
pub fn update(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    row: &ClientRow,
) -> Result<bool, DbError> {
    let updated = diesel::update(
        clients::table
            .filter(clients::tenant_id.eq(tenant.as_str()))
            .filter(clients::id.eq(&row.id)),
    )
    .set(row)
    .execute(conn)?;
    let notice = super::notify::Notice::Client(tenant.to_string(), row.id.clone());
    super::notify::send(conn, notice)?;
    Ok(updated == 1)
}

pub fn delete(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    client_id: &ClientId,
) -> Result<bool, DbError> {
    let deleted = diesel::delete(
        clients::table
            .filter(clients::tenant_id.eq(tenant.as_str()))
            .filter(clients::id.eq(client_id.as_str())),
    )
    .execute(conn)?;
    let notice = super::notify::Notice::Client(tenant.to_string(), client_id.to_string());
    super::notify::send(conn, notice)?;
    Ok(deleted == 1)
}
