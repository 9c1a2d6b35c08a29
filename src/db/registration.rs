//! Initial access tokens for dynamic client registration (`registration_tokens`). A use is
//! one conditional update, so a token for N registrations lets exactly N through however
//! many arrive at once.

use diesel::prelude::*;

use super::schema::registration_tokens as tokens;
use super::{AnyConnection, DbError};
use crate::domain::TenantId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = tokens)]
pub struct TokenRow {
    pub id: String,
    pub tenant_id: String,
    pub token_hash: String,
    pub description: String,
    pub max_uses: i64,
    pub uses: i64,
    pub created_at: i64,
    pub expires_at: i64,
}

pub fn insert(conn: &mut AnyConnection, row: &TokenRow) -> Result<(), DbError> {
    diesel::insert_into(tokens::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn list(conn: &mut AnyConnection, tenant: &TenantId) -> Result<Vec<TokenRow>, DbError> {
    Ok(tokens::table
        .filter(tokens::tenant_id.eq(tenant.as_str()))
        .order(tokens::created_at.desc())
        .select(TokenRow::as_select())
        .load(conn)?)
}

pub fn delete(conn: &mut AnyConnection, tenant: &TenantId, id: &str) -> Result<bool, DbError> {
    let deleted = diesel::delete(
        tokens::table
            .filter(tokens::tenant_id.eq(tenant.as_str()))
            .filter(tokens::id.eq(id)),
    )
    .execute(conn)?;
    Ok(deleted == 1)
}

/// Spends one use of the tenant's token with this hash, if it has one left and has not
/// expired.
pub fn spend(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    token_hash: &str,
    now: i64,
) -> Result<bool, DbError> {
    let changed = diesel::update(
        tokens::table
            .filter(tokens::tenant_id.eq(tenant.as_str()))
            .filter(tokens::token_hash.eq(token_hash))
            .filter(tokens::uses.lt(tokens::max_uses))
            .filter(tokens::expires_at.gt(now)),
    )
    .set(tokens::uses.eq(tokens::uses + 1))
    .execute(conn)?;
    Ok(changed == 1)
}
