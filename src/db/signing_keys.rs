//! Signing-key rows. Private keys arrive here already encrypted.

use diesel::prelude::*;

use super::schema::signing_keys;
use super::{AnyConnection, DbError};
use crate::domain::{KeyId, TenantId};

#[derive(Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = signing_keys)]
pub struct SigningKeyRow {
    pub id: String,
    pub tenant_id: String,
    pub alg: String,
    pub status: String,
    pub public_jwk: String,
    pub private_key: Option<Vec<u8>>,
    pub master_key_id: String,
    pub created_at: i64,
    pub deactivated_at: Option<i64>,
    pub retired_at: Option<i64>,
}

impl std::fmt::Debug for SigningKeyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyRow")
            .field("id", &self.id)
            .field("tenant_id", &self.tenant_id)
            .field("alg", &self.alg)
            .field("status", &self.status)
            .field("master_key_id", &self.master_key_id)
            .finish_non_exhaustive()
    }
}

pub fn insert(conn: &mut AnyConnection, row: &SigningKeyRow) -> Result<(), DbError> {
    diesel::insert_into(signing_keys::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Every key of the tenant, retired ones included, oldest first.
pub fn list(conn: &mut AnyConnection, tenant: &TenantId) -> Result<Vec<SigningKeyRow>, DbError> {
    Ok(signing_keys::table
        .filter(signing_keys::tenant_id.eq(tenant.as_str()))
        .order((signing_keys::created_at.asc(), signing_keys::id.asc()))
        .select(SigningKeyRow::as_select())
        .load(conn)?)
}

/// The keys that appear in JWKS (active and inactive).
pub fn list_published(
    conn: &mut AnyConnection,
    tenant: &TenantId,
) -> Result<Vec<SigningKeyRow>, DbError> {
    Ok(signing_keys::table
        .filter(signing_keys::tenant_id.eq(tenant.as_str()))
        .filter(signing_keys::status.ne("retired"))
        .order((signing_keys::created_at.asc(), signing_keys::id.asc()))
        .select(SigningKeyRow::as_select())
        .load(conn)?)
}

pub fn find(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    kid: &KeyId,
) -> Result<Option<SigningKeyRow>, DbError> {
    Ok(signing_keys::table
        .filter(signing_keys::tenant_id.eq(tenant.as_str()))
        .filter(signing_keys::id.eq(kid.as_str()))
        .select(SigningKeyRow::as_select())
        .first(conn)
        .optional()?)
}

/// Demotes the tenant's active key of `alg` to inactive (still published).
pub fn deactivate_active(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    alg: &str,
    now: i64,
) -> Result<usize, DbError> {
    Ok(diesel::update(
        signing_keys::table
            .filter(signing_keys::tenant_id.eq(tenant.as_str()))
            .filter(signing_keys::alg.eq(alg))
            .filter(signing_keys::status.eq("active")),
    )
    .set((
        signing_keys::status.eq("inactive"),
        signing_keys::deactivated_at.eq(Some(now)),
    ))
    .execute(conn)?)
}

/// Unpublishes a key and erases its private half.
pub fn retire(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    kid: &KeyId,
    now: i64,
) -> Result<bool, DbError> {
    let updated = diesel::update(
        signing_keys::table
            .filter(signing_keys::tenant_id.eq(tenant.as_str()))
            .filter(signing_keys::id.eq(kid.as_str())),
    )
    .set((
        signing_keys::status.eq("retired"),
        signing_keys::private_key.eq(None::<Vec<u8>>),
        signing_keys::retired_at.eq(Some(now)),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}
