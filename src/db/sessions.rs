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

/// Forgets the profile live sessions act as (it moved to another account): they are asked
/// to choose again. Returns how many.
pub fn forget_profile(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    profile: &ProfileId,
) -> Result<usize, DbError> {
    Ok(diesel::update(
        sessions::table
            .filter(sessions::tenant_id.eq(tenant.as_str()))
            .filter(sessions::profile_id.eq(profile.as_str())),
    )
    .set(sessions::profile_id.eq(None::<String>))
    .execute(conn)?)
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

#[derive(QueryableByName)]
struct Expired {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    tenant_id: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    idle: i64,
}

/// Sessions never ended but expired at `now`: past `expires_at`, or idle longer than their
/// tenant's idle timeout (its override, held to `idle_ceiling` like every override, else
/// `idle_ceiling`). (id, tenant id, the idle timeout that applies), at most `limit`.
pub fn expired_unended(
    conn: &mut AnyConnection,
    now: i64,
    idle_ceiling: i64,
    limit: i64,
) -> Result<Vec<(String, String, i64)>, DbError> {
    use diesel::sql_types::BigInt;
    // Each placeholder first appears in number order, which SQLite's numbering needs.
    let sql = "SELECT id, tenant_id, idle FROM (SELECT s.id, s.tenant_id, s.expires_at, \
               s.last_seen_at, CASE WHEN t.session_idle_secs IS NOT NULL \
               AND t.session_idle_secs < $1 THEN t.session_idle_secs ELSE $1 END AS idle \
               FROM sessions s JOIN tenants t ON t.id = s.tenant_id \
               WHERE s.ended_at IS NULL) live \
               WHERE expires_at <= $2 OR last_seen_at <= $2 - idle LIMIT $3";
    let rows: Vec<Expired> = diesel::sql_query(sql)
        .bind::<BigInt, _>(idle_ceiling)
        .bind::<BigInt, _>(now)
        .bind::<BigInt, _>(limit)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, r.tenant_id, r.idle))
        .collect())
}

/// Takes the row lock of a live session for the caller's transaction, unless another
/// transaction holds it: on PostgreSQL several nodes' purges list the same expired sessions,
/// and without `SKIP LOCKED` each would wait on the others' locks to find the session ended
/// already. SQLite's write transaction holds the whole database, so the claim always holds.
pub fn claim_unended(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    session: &SessionId,
) -> Result<bool, DbError> {
    use diesel::sql_types::Text;
    #[derive(QueryableByName)]
    struct Claimed {
        #[diesel(sql_type = Text)]
        id: String,
    }
    if matches!(conn, AnyConnection::Sqlite(_)) {
        return Ok(true);
    }
    let claimed: Option<Claimed> = diesel::sql_query(
        "SELECT id FROM sessions WHERE tenant_id = $1 AND id = $2 AND ended_at IS NULL \
         FOR UPDATE SKIP LOCKED",
    )
    .bind::<Text, _>(tenant.as_str())
    .bind::<Text, _>(session.as_str())
    .get_result(conn)
    .optional()?;
    Ok(claimed.is_some_and(|row| row.id == session.as_str()))
}

/// Ends a session only if it is still expired at `now` (it may have been used since it was
/// found); returns its account.
pub fn end_if_expired(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    session: &SessionId,
    now: i64,
    idle: i64,
) -> Result<Option<String>, DbError> {
    Ok(diesel::update(
        sessions::table
            .filter(sessions::tenant_id.eq(tenant.as_str()))
            .filter(sessions::id.eq(session.as_str()))
            .filter(sessions::ended_at.is_null())
            .filter(
                sessions::expires_at
                    .le(now)
                    .or(sessions::last_seen_at.le(now.saturating_sub(idle))),
            ),
    )
    .set(sessions::ended_at.eq(Some(now)))
    .returning(sessions::account_id)
    .get_result(conn)
    .optional()?)
}
