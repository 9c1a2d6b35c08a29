//! Grants and what hangs off them: authorization codes, refresh tokens, the access-token
//! deny-list, and used client-assertion ids. Every lookup is by tenant and by hash.

use diesel::prelude::*;

use super::schema::{authorization_codes, grants, refresh_tokens, revoked_access_tokens};
use super::{AnyConnection, DbError};
use crate::domain::{AccountId, GrantId, SessionId, TenantId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = grants)]
pub struct GrantRow {
    pub id: String,
    pub tenant_id: String,
    pub client_id: String,
    pub account_id: String,
    pub profile_id: String,
    pub session_id: Option<String>,
    pub scope: String,
    pub auth_time: i64,
    pub amr: String,
    pub acr: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    /// The API identifiers the user authorised (RFC 8707), space-separated.
    pub resources: String,
    /// The authorization's OIDC Core §5.5 `claims` request (JSON), if it made one.
    pub claims: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = authorization_codes)]
pub struct CodeRow {
    pub code_hash: String,
    pub tenant_id: String,
    pub grant_id: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshTokenRow {
    pub token_hash: String,
    pub tenant_id: String,
    pub grant_id: String,
    pub client_id: String,
    pub scope: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub rotated_at: Option<i64>,
    /// A public client's refresh token bound to its DPoP key (RFC 9449 §5): the thumbprint.
    pub dpop_jkt: Option<String>,
}

pub fn insert_grant(conn: &mut AnyConnection, row: &GrantRow) -> Result<(), DbError> {
    diesel::insert_into(grants::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_grant(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    grant: &GrantId,
) -> Result<Option<GrantRow>, DbError> {
    Ok(grants::table
        .filter(grants::tenant_id.eq(tenant.as_str()))
        .filter(grants::id.eq(grant.as_str()))
        .select(GrantRow::as_select())
        .first(conn)
        .optional()?)
}

/// Revokes a grant: its codes, refresh tokens and access tokens all stop working.
pub fn revoke_grant(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    grant: &GrantId,
    now: i64,
) -> Result<(), DbError> {
    diesel::update(
        grants::table
            .filter(grants::tenant_id.eq(tenant.as_str()))
            .filter(grants::id.eq(grant.as_str()))
            .filter(grants::revoked_at.is_null()),
    )
    .set(grants::revoked_at.eq(Some(now)))
    .execute(conn)?;
    Ok(())
}

/// Revokes every grant an account holds (suspension, password reset).
pub fn revoke_account_grants(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    now: i64,
) -> Result<usize, DbError> {
    Ok(diesel::update(
        grants::table
            .filter(grants::tenant_id.eq(tenant.as_str()))
            .filter(grants::account_id.eq(account.as_str()))
            .filter(grants::revoked_at.is_null()),
    )
    .set(grants::revoked_at.eq(Some(now)))
    .execute(conn)?)
}

/// Revokes every grant made for one profile: all of them (the profile is being deleted), or
/// those to one client (the person withdrew their consent to it).
pub fn revoke_profile_grants(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    profile: &crate::domain::ProfileId,
    client: Option<&crate::domain::ClientId>,
    now: i64,
) -> Result<usize, DbError> {
    type Backend = <AnyConnection as diesel::Connection>::Backend;
    let mut update = diesel::update(grants::table)
        .filter(grants::tenant_id.eq(tenant.as_str()))
        .filter(grants::profile_id.eq(profile.as_str()))
        .filter(grants::revoked_at.is_null())
        .into_boxed::<Backend>();
    if let Some(client) = client {
        update = update.filter(grants::client_id.eq(client.as_str()));
    }
    Ok(update.set(grants::revoked_at.eq(Some(now))).execute(conn)?)
}

/// `offline_access` in a stored scope (space-separated; no other scope name contains it).
const OFFLINE: &str = "%offline_access%";

/// Every grant made in a browser session (revoked or not), oldest first: who took part in it.
pub fn of_session(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    session: &SessionId,
) -> Result<Vec<GrantRow>, DbError> {
    Ok(grants::table
        .filter(grants::tenant_id.eq(tenant.as_str()))
        .filter(grants::session_id.eq(session.as_str()))
        .order(grants::created_at.asc())
        .select(GrantRow::as_select())
        .load(conn)?)
}

/// Revokes the grants made in a browser session when it ends; grants with `offline_access`
/// are meant to outlive it and stay.
pub fn revoke_session_grants(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    session: &SessionId,
    now: i64,
) -> Result<usize, DbError> {
    Ok(diesel::update(
        grants::table
            .filter(grants::tenant_id.eq(tenant.as_str()))
            .filter(grants::session_id.eq(session.as_str()))
            .filter(grants::scope.not_like(OFFLINE))
            .filter(grants::revoked_at.is_null()),
    )
    .set(grants::revoked_at.eq(Some(now)))
    .execute(conn)?)
}

/// Revokes the session-bound grants of an account's sessions other than `keep`.
pub fn revoke_other_session_grants(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    keep: &SessionId,
    now: i64,
) -> Result<usize, DbError> {
    Ok(diesel::update(
        grants::table
            .filter(grants::tenant_id.eq(tenant.as_str()))
            .filter(grants::account_id.eq(account.as_str()))
            .filter(grants::session_id.ne(keep.as_str()))
            .filter(grants::scope.not_like(OFFLINE))
            .filter(grants::revoked_at.is_null()),
    )
    .set(grants::revoked_at.eq(Some(now)))
    .execute(conn)?)
}

/// Revokes an account's `offline_access` grants (a password change: whoever held the old
/// password may hold such a token).
pub fn revoke_offline_grants(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    now: i64,
) -> Result<usize, DbError> {
    Ok(diesel::update(
        grants::table
            .filter(grants::tenant_id.eq(tenant.as_str()))
            .filter(grants::account_id.eq(account.as_str()))
            .filter(grants::scope.like(OFFLINE))
            .filter(grants::revoked_at.is_null()),
    )
    .set(grants::revoked_at.eq(Some(now)))
    .execute(conn)?)
}

pub fn insert_code(conn: &mut AnyConnection, row: &CodeRow) -> Result<(), DbError> {
    diesel::insert_into(authorization_codes::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_code(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    code_hash: &str,
) -> Result<Option<CodeRow>, DbError> {
    Ok(authorization_codes::table
        .filter(authorization_codes::tenant_id.eq(tenant.as_str()))
        .filter(authorization_codes::code_hash.eq(code_hash))
        .select(CodeRow::as_select())
        .first(conn)
        .optional()?)
}

/// Marks a code used; false when it already was (a replay), decided atomically.
pub fn use_code(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    code_hash: &str,
    now: i64,
) -> Result<bool, DbError> {
    let updated = diesel::update(
        authorization_codes::table
            .filter(authorization_codes::tenant_id.eq(tenant.as_str()))
            .filter(authorization_codes::code_hash.eq(code_hash))
            .filter(authorization_codes::used_at.is_null()),
    )
    .set(authorization_codes::used_at.eq(Some(now)))
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn insert_refresh_token(
    conn: &mut AnyConnection,
    row: &RefreshTokenRow,
) -> Result<(), DbError> {
    diesel::insert_into(refresh_tokens::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_refresh_token(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    token_hash: &str,
) -> Result<Option<RefreshTokenRow>, DbError> {
    Ok(refresh_tokens::table
        .filter(refresh_tokens::tenant_id.eq(tenant.as_str()))
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .select(RefreshTokenRow::as_select())
        .first(conn)
        .optional()?)
}

/// Marks a refresh token rotated; false when it already was, decided atomically.
pub fn rotate_refresh_token(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    token_hash: &str,
    now: i64,
) -> Result<bool, DbError> {
    let updated = diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::tenant_id.eq(tenant.as_str()))
            .filter(refresh_tokens::token_hash.eq(token_hash))
            .filter(refresh_tokens::rotated_at.is_null()),
    )
    .set(refresh_tokens::rotated_at.eq(Some(now)))
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn revoke_access_token(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    jti: &str,
    expires_at: i64,
) -> Result<(), DbError> {
    // Idempotent under concurrency: two revocations of one token both succeed.
    diesel::sql_query(
        "INSERT INTO revoked_access_tokens (jti, tenant_id, expires_at) VALUES ($1, $2, $3) \
         ON CONFLICT (jti) DO NOTHING",
    )
    .bind::<diesel::sql_types::Text, _>(jti)
    .bind::<diesel::sql_types::Text, _>(tenant.as_str())
    .bind::<diesel::sql_types::BigInt, _>(expires_at)
    .execute(conn)?;
    Ok(())
}

pub fn is_access_token_revoked(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    jti: &str,
) -> Result<bool, DbError> {
    Ok(revoked_access_tokens::table
        .filter(revoked_access_tokens::tenant_id.eq(tenant.as_str()))
        .filter(revoked_access_tokens::jti.eq(jti))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// Records a client assertion's id; false when it was already used (a replay).
pub fn record_client_assertion(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    jti_hash: &str,
    expires_at: i64,
) -> Result<bool, DbError> {
    // No unique-violation error (which would abort a surrounding PostgreSQL transaction):
    // the insert either happens or is skipped, atomically.
    let inserted = diesel::sql_query(
        "INSERT INTO used_client_assertions (jti_hash, tenant_id, expires_at) \
         VALUES ($1, $2, $3) ON CONFLICT (jti_hash) DO NOTHING",
    )
    .bind::<diesel::sql_types::Text, _>(jti_hash)
    .bind::<diesel::sql_types::Text, _>(tenant.as_str())
    .bind::<diesel::sql_types::BigInt, _>(expires_at)
    .execute(conn)?;
    Ok(inserted == 1)
}
