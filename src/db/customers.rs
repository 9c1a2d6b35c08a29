//! Customer rows (`customers`, `customer_identifiers`) and the link from accounts.
//!
//! Lock order: a customer row before the accounts that link to it. Linking takes the customer
//! `FOR SHARE` (it must still exist at commit, and PostgreSQL's foreign-key check would take
//! a weaker lock of its own anyway); deleting takes it `FOR UPDATE`, then unlinks its accounts.

use diesel::prelude::*;

use super::schema::{accounts, customer_identifiers as identifiers, customers};
use super::{AnyConnection, DbError};
use crate::domain::{AccountId, CustomerId, TenantId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = customers)]
#[diesel(treat_none_as_null = true)]
pub struct CustomerRow {
    pub id: String,
    pub tenant_id: String,
    /// `person` or `organization`.
    pub kind: String,
    /// Legal name, identifiers and verification evidence, sealed under `data_key`.
    pub sealed: Vec<u8>,
    pub data_key: Vec<u8>,
    pub data_key_master_id: String,
    pub trust_framework: Option<String>,
    pub assurance_level: Option<String>,
    pub verified_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = identifiers)]
pub struct IdentifierRow {
    pub customer_id: String,
    pub tenant_id: String,
    pub kind: String,
    pub value_index: String,
}

pub fn insert(conn: &mut AnyConnection, row: &CustomerRow) -> Result<(), DbError> {
    diesel::insert_into(customers::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Writes the row back (sealed values and verification columns).
pub fn update(conn: &mut AnyConnection, row: &CustomerRow) -> Result<(), DbError> {
    diesel::update(
        customers::table
            .filter(customers::tenant_id.eq(&row.tenant_id))
            .filter(customers::id.eq(&row.id)),
    )
    .set(row)
    .execute(conn)?;
    Ok(())
}

pub fn find(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &CustomerId,
) -> Result<Option<CustomerRow>, DbError> {
    Ok(customers::table
        .filter(customers::tenant_id.eq(tenant.as_str()))
        .filter(customers::id.eq(id.as_str()))
        .select(CustomerRow::as_select())
        .first(conn)
        .optional()?)
}

/// How [`lock`] holds the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// To link accounts to it: it cannot be deleted before this transaction ends.
    Share,
    /// To change or delete it.
    Update,
}

/// The customer, locked for the rest of the transaction on PostgreSQL (SQLite's write
/// transaction already excludes other writers); `None` when it does not exist.
pub fn lock(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &CustomerId,
    hold: Hold,
) -> Result<Option<CustomerRow>, DbError> {
    if let AnyConnection::Postgresql(pg) = conn {
        let query = customers::table
            .filter(customers::tenant_id.eq(tenant.as_str()))
            .filter(customers::id.eq(id.as_str()))
            .select(CustomerRow::as_select());
        let row = match hold {
            Hold::Share => query.for_share().first(pg).optional()?,
            Hold::Update => query.for_update().first(pg).optional()?,
        };
        return Ok(row);
    }
    find(conn, tenant, id)
}

/// Up to `limit` customers after `after`, in id (creation) order.
pub fn list(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<CustomerRow>, DbError> {
    let mut query = customers::table
        .filter(customers::tenant_id.eq(tenant.as_str()))
        .select(CustomerRow::as_select())
        .order(customers::id)
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(customers::id.gt(after.to_owned()));
    }
    Ok(query.load(conn)?)
}

/// Deletes the customer; its identifiers go with it (cascade). Unlink its accounts first.
pub fn delete(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &CustomerId,
) -> Result<bool, DbError> {
    Ok(diesel::delete(
        customers::table
            .filter(customers::tenant_id.eq(tenant.as_str()))
            .filter(customers::id.eq(id.as_str())),
    )
    .execute(conn)?
        == 1)
}

/// Replaces the customer's identifier indexes.
pub fn replace_identifiers(
    conn: &mut AnyConnection,
    customer: &CustomerId,
    rows: &[IdentifierRow],
) -> Result<(), DbError> {
    diesel::delete(identifiers::table.filter(identifiers::customer_id.eq(customer.as_str())))
        .execute(conn)?;
    for row in rows {
        diesel::insert_into(identifiers::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

/// Every identifier index held by more than one customer, with those customers (in id order).
pub fn shared_identifiers(
    conn: &mut AnyConnection,
    tenant: &TenantId,
) -> Result<Vec<IdentifierRow>, DbError> {
    let shared: Vec<String> = identifiers::table
        .filter(identifiers::tenant_id.eq(tenant.as_str()))
        .group_by(identifiers::value_index)
        .having(diesel::dsl::count_star().gt(1))
        .select(identifiers::value_index)
        .load(conn)?;
    Ok(identifiers::table
        .filter(identifiers::tenant_id.eq(tenant.as_str()))
        .filter(identifiers::value_index.eq_any(shared))
        .select(IdentifierRow::as_select())
        .order((identifiers::value_index, identifiers::customer_id))
        .load(conn)?)
}

/// The trust frameworks the tenant's verifications were made under (discovery lists them).
pub fn trust_frameworks(
    conn: &mut AnyConnection,
    tenant: &TenantId,
) -> Result<Vec<String>, DbError> {
    let mut frameworks: Vec<String> = customers::table
        .filter(customers::tenant_id.eq(tenant.as_str()))
        .filter(customers::trust_framework.is_not_null())
        .select(customers::trust_framework.assume_not_null())
        .distinct()
        .load(conn)?;
    frameworks.sort();
    Ok(frameworks)
}

/// Links (or with `None` unlinks) an account; false when the account does not exist.
pub fn link_account(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    customer: Option<&CustomerId>,
    now: i64,
) -> Result<bool, DbError> {
    Ok(diesel::update(
        accounts::table
            .filter(accounts::tenant_id.eq(tenant.as_str()))
            .filter(accounts::id.eq(account.as_str())),
    )
    .set((
        accounts::customer_id.eq(customer.map(CustomerId::as_str)),
        accounts::updated_at.eq(now),
    ))
    .execute(conn)?
        == 1)
}

/// The accounts acting for the customer, in id order.
pub fn accounts_of(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    customer: &CustomerId,
) -> Result<Vec<String>, DbError> {
    Ok(accounts::table
        .filter(accounts::tenant_id.eq(tenant.as_str()))
        .filter(accounts::customer_id.eq(customer.as_str()))
        .select(accounts::id)
        .order(accounts::id)
        .load(conn)?)
}

/// Unlinks every account from the customer (before it is deleted); returns them.
pub fn unlink_all(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    customer: &CustomerId,
    now: i64,
) -> Result<Vec<String>, DbError> {
    let linked = accounts_of(conn, tenant, customer)?;
    diesel::update(
        accounts::table
            .filter(accounts::tenant_id.eq(tenant.as_str()))
            .filter(accounts::customer_id.eq(customer.as_str())),
    )
    .set((
        accounts::customer_id.eq(None::<String>),
        accounts::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(linked)
}
