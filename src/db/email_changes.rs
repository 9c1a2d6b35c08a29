//! Sign-in email changes (`identity::email_change`): one row per requested change, from its
//! confirmation link to the end of its revert window.

use diesel::prelude::*;

use super::schema::email_changes;
use super::{AnyConnection, DbError};
use crate::domain::{AccountId, TenantId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = email_changes)]
pub struct EmailChangeRow {
    pub id: String,
    pub tenant_id: String,
    pub account_id: String,
    pub old_email_index: String,
    pub old_email_sealed: Vec<u8>,
    pub new_email_index: String,
    pub new_email_sealed: Vec<u8>,
    pub confirm_token_hash: String,
    pub revert_token_hash: Option<String>,
    pub requested_at: i64,
    pub confirmed_at: Option<i64>,
    pub second_factor: bool,
    pub code_failures: i64,
    pub ended_at: Option<i64>,
    pub end_reason: Option<String>,
    pub expires_at: i64,
}

pub fn insert(conn: &mut AnyConnection, row: &EmailChangeRow) -> Result<(), DbError> {
    diesel::insert_into(email_changes::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Ends the account's requested changes nobody confirmed yet (a newer request replaces them).
pub fn end_unconfirmed(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    now: i64,
    reason: &str,
) -> Result<usize, DbError> {
    Ok(diesel::update(
        email_changes::table
            .filter(email_changes::tenant_id.eq(tenant.as_str()))
            .filter(email_changes::account_id.eq(account.as_str()))
            .filter(email_changes::confirmed_at.is_null())
            .filter(email_changes::ended_at.is_null()),
    )
    .set((
        email_changes::ended_at.eq(Some(now)),
        email_changes::end_reason.eq(Some(reason)),
    ))
    .execute(conn)?)
}

/// Ends every change of the account requested after `requested_at` that is still open
/// (confirmed or not): reverting a change voids what came after it, so a chain of changes
/// cannot outrun the first revert link.
pub fn end_later(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    change_id: &str,
    requested_at: i64,
    now: i64,
    reason: &str,
) -> Result<usize, DbError> {
    Ok(diesel::update(
        email_changes::table
            .filter(email_changes::tenant_id.eq(tenant.as_str()))
            .filter(email_changes::account_id.eq(account.as_str()))
            .filter(email_changes::id.ne(change_id))
            .filter(email_changes::requested_at.ge(requested_at))
            .filter(email_changes::ended_at.is_null()),
    )
    .set((
        email_changes::ended_at.eq(Some(now)),
        email_changes::end_reason.eq(Some(reason)),
    ))
    .execute(conn)?)
}

/// The open, unconfirmed, unexpired change a confirmation link names.
pub fn find_to_confirm(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    confirm_token_hash: &str,
    now: i64,
) -> Result<Option<EmailChangeRow>, DbError> {
    Ok(email_changes::table
        .filter(email_changes::tenant_id.eq(tenant.as_str()))
        .filter(email_changes::confirm_token_hash.eq(confirm_token_hash))
        .filter(email_changes::confirmed_at.is_null())
        .filter(email_changes::ended_at.is_null())
        .filter(email_changes::expires_at.gt(now))
        .select(EmailChangeRow::as_select())
        .first(conn)
        .optional()?)
}

/// Marks a change confirmed and opens its revert window; false when another request
/// confirmed or ended it first (atomic).
pub fn confirm(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &str,
    revert_token_hash: &str,
    second_factor: bool,
    now: i64,
    revert_until: i64,
) -> Result<bool, DbError> {
    Ok(diesel::update(
        email_changes::table
            .filter(email_changes::tenant_id.eq(tenant.as_str()))
            .filter(email_changes::id.eq(id))
            .filter(email_changes::confirmed_at.is_null())
            .filter(email_changes::ended_at.is_null()),
    )
    .set((
        email_changes::confirmed_at.eq(Some(now)),
        email_changes::revert_token_hash.eq(Some(revert_token_hash)),
        email_changes::second_factor.eq(second_factor),
        email_changes::expires_at.eq(revert_until),
    ))
    .execute(conn)?
        == 1)
}

/// The confirmed change a revert link names, while its window is open.
pub fn find_to_revert(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    revert_token_hash: &str,
    now: i64,
) -> Result<Option<EmailChangeRow>, DbError> {
    Ok(email_changes::table
        .filter(email_changes::tenant_id.eq(tenant.as_str()))
        .filter(email_changes::revert_token_hash.eq(revert_token_hash))
        .filter(email_changes::confirmed_at.is_not_null())
        .filter(email_changes::ended_at.is_null())
        .filter(email_changes::expires_at.gt(now))
        .select(EmailChangeRow::as_select())
        .first(conn)
        .optional()?)
}

/// Ends one open change; false when it had ended already (atomic).
pub fn end(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &str,
    now: i64,
    reason: &str,
) -> Result<bool, DbError> {
    Ok(diesel::update(
        email_changes::table
            .filter(email_changes::tenant_id.eq(tenant.as_str()))
            .filter(email_changes::id.eq(id))
            .filter(email_changes::ended_at.is_null()),
    )
    .set((
        email_changes::ended_at.eq(Some(now)),
        email_changes::end_reason.eq(Some(reason)),
    ))
    .execute(conn)?
        == 1)
}

/// Counts a wrong second-factor code given to a revert form; returns the count so far.
pub fn count_code_failure(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &str,
) -> Result<i64, DbError> {
    Ok(diesel::update(
        email_changes::table
            .filter(email_changes::tenant_id.eq(tenant.as_str()))
            .filter(email_changes::id.eq(id)),
    )
    .set(email_changes::code_failures.eq(email_changes::code_failures + 1))
    .returning(email_changes::code_failures)
    .get_result(conn)?)
}

/// The account's changes, newest first (the privacy export).
pub fn of_account(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<Vec<EmailChangeRow>, DbError> {
    Ok(email_changes::table
        .filter(email_changes::tenant_id.eq(tenant.as_str()))
        .filter(email_changes::account_id.eq(account.as_str()))
        .order((email_changes::requested_at.desc(), email_changes::id.desc()))
        .select(EmailChangeRow::as_select())
        .load(conn)?)
}

/// Deletes the account's changes (erasure: the addresses in them are personal data).
pub fn delete_for_account(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<usize, DbError> {
    Ok(diesel::delete(
        email_changes::table
            .filter(email_changes::tenant_id.eq(tenant.as_str()))
            .filter(email_changes::account_id.eq(account.as_str())),
    )
    .execute(conn)?)
}
