//! Account and profile rows.

use diesel::prelude::*;

use super::schema::{accounts, profiles};
use super::{AnyConnection, DbError};
use crate::domain::{AccountId, TenantId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = accounts)]
pub struct AccountRow {
    pub id: String,
    pub tenant_id: String,
    pub email: String,
    pub email_verified_at: Option<i64>,
    pub password_hash: Option<String>,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = profiles)]
pub struct ProfileRow {
    pub id: String,
    pub tenant_id: String,
    pub account_id: String,
    pub name: String,
    pub is_default: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

pub fn insert(conn: &mut AnyConnection, row: &AccountRow) -> Result<(), DbError> {
    diesel::insert_into(accounts::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn insert_profile(conn: &mut AnyConnection, row: &ProfileRow) -> Result<(), DbError> {
    diesel::insert_into(profiles::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_by_email(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    email: &str,
) -> Result<Option<AccountRow>, DbError> {
    Ok(accounts::table
        .filter(accounts::tenant_id.eq(tenant.as_str()))
        .filter(accounts::email.eq(email))
        .select(AccountRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<Option<AccountRow>, DbError> {
    Ok(accounts::table
        .filter(accounts::tenant_id.eq(tenant.as_str()))
        .filter(accounts::id.eq(account.as_str()))
        .select(AccountRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn profiles(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<Vec<ProfileRow>, DbError> {
    Ok(profiles::table
        .filter(profiles::tenant_id.eq(tenant.as_str()))
        .filter(profiles::account_id.eq(account.as_str()))
        .order((
            profiles::is_default.desc(),
            profiles::created_at.asc(),
            profiles::id.asc(),
        ))
        .select(ProfileRow::as_select())
        .load(conn)?)
}

pub fn set_status(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    status: &str,
    now: i64,
) -> Result<bool, DbError> {
    let updated = diesel::update(
        accounts::table
            .filter(accounts::tenant_id.eq(tenant.as_str()))
            .filter(accounts::id.eq(account.as_str())),
    )
    .set((accounts::status.eq(status), accounts::updated_at.eq(now)))
    .execute(conn)?;
    Ok(updated == 1)
}
