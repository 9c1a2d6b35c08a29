//! Browser session rows, keyed by the hash of the cookie value.

use diesel::prelude::*;

use super::schema::sessions;
use super::{AnyConnection, DbError};
use crate::domain::{AccountId, ProfileId, SessionId, TenantId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: String,
    pub token_hash: String,
    pub tenant_id: String,
    pub account_id: String,
    pub profile_id: Option<String>,
    pub auth_time: i64,
    pub amr: String,
    pub acr: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub ended_at: Option<i64>,
}

pub fn insert(conn: &mut AnyConnection, row: &SessionRow) -> Result<(), DbError> {
    diesel::insert_into(sessions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_by_token_hash(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    token_hash: &str,
) -> Result<Option<SessionRow>, DbError> {
    Ok(sessions::table
        .filter(sessions::tenant_id.eq(tenant.as_str()))
        .filter(sessions::token_hash.eq(token_hash))
        .select(SessionRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    session: &SessionId,
) -> Result<Option<SessionRow>, DbError> {
    Ok(sessions::table
        .filter(sessions::tenant_id.eq(tenant.as_str()))
        .filter(sessions::id.eq(session.as_str()))
        .select(SessionRow::as_select())
        .first(conn)
        .optional()?)
}

/// Whether the session exists, has not ended and has not reached its absolute expiry.
pub fn is_active(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    session: &SessionId,
    now: i64,
) -> Result<bool, DbError> {
    Ok(find(conn, tenant, session)?.is_some_and(|s| s.ended_at.is_none() && s.expires_at > now))
}

pub fn touch(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    session: &SessionId,
    now: i64,
) -> Result<(), DbError> {
    diesel::update(
        sessions::table
            .filter(sessions::tenant_id.eq(tenant.as_str()))
            .filter(sessions::id.eq(session.as_str())),
    )
    .set(sessions::last_seen_at.eq(now))
    .execute(conn)?;
    Ok(())
}

pub fn set_profile(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    session: &SessionId,
    profile: &ProfileId,
) -> Result<(), DbError> {
    diesel::update(
        sessions::table
            .filter(sessions::tenant_id.eq(tenant.as_str()))
            .filter(sessions::id.eq(session.as_str())),
    )
    .set(sessions::profile_id.eq(Some(profile.as_str())))
    .execute(conn)?;
    Ok(())
}

/// Ends a live session; returns its account, or `None` when it had ended already.
pub fn end(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    session: &SessionId,
    now: i64,
) -> Result<Option<String>, DbError> {
    Ok(diesel::update(
        sessions::table
            .filter(sessions::tenant_id.eq(tenant.as_str()))
            .filter(sessions::id.eq(session.as_str()))
            .filter(sessions::ended_at.is_null()),
    )
    .set(sessions::ended_at.eq(Some(now)))
    .returning(sessions::account_id)
    .get_result(conn)
    .optional()?)
}

/// Ends every session of an account (suspension, password change); returns the ids of those
/// that were live.
pub fn end_all_for_account(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    now: i64,
) -> Result<Vec<String>, DbError> {
    Ok(diesel::update(
        sessions::table
            .filter(sessions::tenant_id.eq(tenant.as_str()))
            .filter(sessions::account_id.eq(account.as_str()))
            .filter(sessions::ended_at.is_null()),
    )
    .set(sessions::ended_at.eq(Some(now)))
    .returning(sessions::id)
    .get_results(conn)?)
}

/// The account's live sessions, newest first.
pub fn list_active_for_account(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    now: i64,
) -> Result<Vec<SessionRow>, DbError> {
    Ok(sessions::table
        .filter(sessions::tenant_id.eq(tenant.as_str()))
        .filter(sessions::account_id.eq(account.as_str()))
        .filter(sessions::ended_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .order(sessions::created_at.desc())
        .select(SessionRow::as_select())
        .load(conn)?)
}

/// Every session of the account still stored (live, ended or expired until purged), newest
/// first: what a person's export lists.
pub fn list_for_account(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<Vec<SessionRow>, DbError> {
    Ok(sessions::table
        .filter(sessions::tenant_id.eq(tenant.as_str()))
        .filter(sessions::account_id.eq(account.as_str()))
        .order(sessions::created_at.desc())
        .select(SessionRow::as_select())
        .load(conn)?)
}

/// Ends every session of the account but `keep`; returns the ids of those that were live.
pub fn end_others(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    keep: &SessionId,
    now: i64,
) -> Result<Vec<String>, DbError> {
    Ok(diesel::update(
        sessions::table
            .filter(sessions::tenant_id.eq(tenant.as_str()))
            .filter(sessions::account_id.eq(account.as_str()))
            .filter(sessions::id.ne(keep.as_str()))
            .filter(sessions::ended_at.is_null()),
    )
    .set(sessions::ended_at.eq(Some(now)))
    .returning(sessions::id)
    .get_results(conn)?)
}
