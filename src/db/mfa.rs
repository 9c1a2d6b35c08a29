//! Second-factor rows: TOTP factors, recovery codes, and pending login challenges.

use diesel::prelude::*;

use super::schema::{login_challenges, recovery_codes, totp_factors};
use super::{AnyConnection, DbError};
use crate::domain::{AccountId, TenantId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = totp_factors)]
pub struct TotpRow {
    pub account_id: String,
    pub tenant_id: String,
    pub secret: Vec<u8>,
    pub master_key_id: String,
    pub confirmed_at: Option<i64>,
    pub last_step: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = login_challenges)]
pub struct ChallengeRow {
    pub id: String,
    pub tenant_id: String,
    pub account_id: String,
    pub browser_hash: String,
    pub target: String,
    pub failures: i64,
    pub created_at: i64,
    pub expires_at: i64,
}

pub fn find_totp(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<Option<TotpRow>, DbError> {
    Ok(totp_factors::table
        .filter(totp_factors::tenant_id.eq(tenant.as_str()))
        .filter(totp_factors::account_id.eq(account.as_str()))
        .select(TotpRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn delete_totp(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<(), DbError> {
    diesel::delete(
        totp_factors::table
            .filter(totp_factors::tenant_id.eq(tenant.as_str()))
            .filter(totp_factors::account_id.eq(account.as_str())),
    )
    .execute(conn)?;
    diesel::delete(
        recovery_codes::table
            .filter(recovery_codes::tenant_id.eq(tenant.as_str()))
            .filter(recovery_codes::account_id.eq(account.as_str())),
    )
    .execute(conn)?;
    Ok(())
}

pub fn insert_totp(conn: &mut AnyConnection, row: &TotpRow) -> Result<(), DbError> {
    diesel::insert_into(totp_factors::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn confirm_totp(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    now: i64,
) -> Result<(), DbError> {
    diesel::update(
        totp_factors::table
            .filter(totp_factors::tenant_id.eq(tenant.as_str()))
            .filter(totp_factors::account_id.eq(account.as_str())),
    )
    .set(totp_factors::confirmed_at.eq(Some(now)))
    .execute(conn)?;
    Ok(())
}

/// Accepts time step `step` only if it is newer than every step accepted before (atomic).
pub fn advance_step(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    step: i64,
) -> Result<bool, DbError> {
    Ok(diesel::update(
        totp_factors::table
            .filter(totp_factors::tenant_id.eq(tenant.as_str()))
            .filter(totp_factors::account_id.eq(account.as_str()))
            .filter(totp_factors::last_step.lt(step)),
    )
    .set(totp_factors::last_step.eq(step))
    .execute(conn)?
        == 1)
}

pub fn insert_recovery_code(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    code_hash: &str,
    now: i64,
) -> Result<(), DbError> {
    diesel::insert_into(recovery_codes::table)
        .values((
            recovery_codes::code_hash.eq(code_hash),
            recovery_codes::tenant_id.eq(tenant.as_str()),
            recovery_codes::account_id.eq(account.as_str()),
            recovery_codes::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Uses a recovery code of this account; false when unknown or already used (atomic).
pub fn use_recovery_code(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    code_hash: &str,
    now: i64,
) -> Result<bool, DbError> {
    Ok(diesel::update(
        recovery_codes::table
            .filter(recovery_codes::tenant_id.eq(tenant.as_str()))
            .filter(recovery_codes::account_id.eq(account.as_str()))
            .filter(recovery_codes::code_hash.eq(code_hash))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(Some(now)))
    .execute(conn)?
        == 1)
}

pub fn insert_challenge(conn: &mut AnyConnection, row: &ChallengeRow) -> Result<(), DbError> {
    diesel::insert_into(login_challenges::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_challenge(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &str,
    browser_hash: &str,
    now: i64,
) -> Result<Option<ChallengeRow>, DbError> {
    Ok(login_challenges::table
        .filter(login_challenges::tenant_id.eq(tenant.as_str()))
        .filter(login_challenges::id.eq(id))
        .filter(login_challenges::browser_hash.eq(browser_hash))
        .filter(login_challenges::expires_at.gt(now))
        .select(ChallengeRow::as_select())
        .first(conn)
        .optional()?)
}

/// Takes one of the challenge's `limit` attempts at a code: the attempts taken so far, or
/// `None` when they were used up. One statement: parallel submissions cannot take more than
/// `limit` between them.
pub fn take_challenge_attempt(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &str,
    limit: i64,
) -> Result<Option<i64>, DbError> {
    Ok(diesel::update(
        login_challenges::table
            .filter(login_challenges::tenant_id.eq(tenant.as_str()))
            .filter(login_challenges::id.eq(id))
            .filter(login_challenges::failures.lt(limit)),
    )
    .set(login_challenges::failures.eq(login_challenges::failures + 1))
    .returning(login_challenges::failures)
    .get_result::<i64>(conn)
    .optional()?)
}

/// Voids every open challenge of an account (it was locked).
pub fn delete_account_challenges(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<(), DbError> {
    diesel::delete(
        login_challenges::table
            .filter(login_challenges::tenant_id.eq(tenant.as_str()))
            .filter(login_challenges::account_id.eq(account.as_str())),
    )
    .execute(conn)?;
    Ok(())
}

pub fn delete_challenge(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &str,
) -> Result<(), DbError> {
    diesel::delete(
        login_challenges::table
            .filter(login_challenges::tenant_id.eq(tenant.as_str()))
            .filter(login_challenges::id.eq(id)),
    )
    .execute(conn)?;
    Ok(())
}

pub fn set_challenge_target(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &str,
    target: &str,
) -> Result<(), DbError> {
    diesel::update(
        login_challenges::table
            .filter(login_challenges::tenant_id.eq(tenant.as_str()))
            .filter(login_challenges::id.eq(id)),
    )
    .set(login_challenges::target.eq(target))
    .execute(conn)?;
    Ok(())
}
