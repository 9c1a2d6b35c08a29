//! Device authorizations (RFC 8628, `device_authorizations`). Every change of state is one
//! conditional update, so a person approving and a device polling at the same instant, or
//! two polls at once, are ordered by the row: one approval, one redemption.

use diesel::prelude::*;

use super::schema::device_authorizations as devices;
use super::{AnyConnection, DbError};
use crate::domain::TenantId;

pub const PENDING: &str = "pending";
pub const APPROVED: &str = "approved";
pub const DENIED: &str = "denied";
pub const USED: &str = "used";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = devices)]
pub struct DeviceRow {
    pub device_code_hash: String,
    pub tenant_id: String,
    pub client_id: String,
    pub user_code: String,
    pub parameters: String,
    pub state: String,
    pub grant_id: Option<String>,
    pub interval_secs: i64,
    pub last_polled_at: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
}

/// Inserts a new authorization; `false` when its user code is taken in this tenant (the
/// caller draws another), without an error that would abort a PostgreSQL transaction.
pub fn insert(conn: &mut AnyConnection, row: &DeviceRow) -> Result<bool, DbError> {
    // `ON CONFLICT` is engine syntax (diesel's multi-connection backend does not carry it).
    let insert = diesel::insert_into(devices::table).values(row);
    let inserted = match conn {
        AnyConnection::Postgresql(pg) => insert.on_conflict_do_nothing().execute(pg)?,
        AnyConnection::Sqlite(lite) => insert.on_conflict_do_nothing().execute(lite)?,
    };
    Ok(inserted == 1)
}

pub fn find(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    device_code_hash: &str,
) -> Result<Option<DeviceRow>, DbError> {
    Ok(devices::table
        .filter(devices::tenant_id.eq(tenant.as_str()))
        .filter(devices::device_code_hash.eq(device_code_hash))
        .select(DeviceRow::as_select())
        .first(conn)
        .optional()?)
}

/// A pending, unexpired authorization by its user code.
pub fn pending_by_user_code(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    user_code: &str,
    now: i64,
) -> Result<Option<DeviceRow>, DbError> {
    Ok(devices::table
        .filter(devices::tenant_id.eq(tenant.as_str()))
        .filter(devices::user_code.eq(user_code))
        .filter(devices::state.eq(PENDING))
        .filter(devices::expires_at.gt(now))
        .select(DeviceRow::as_select())
        .first(conn)
        .optional()?)
}

/// Records a poll: when it came, and the interval the device must keep from now on.
pub fn polled(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    device_code_hash: &str,
    now: i64,
    interval_secs: i64,
) -> Result<(), DbError> {
    diesel::update(
        devices::table
            .filter(devices::tenant_id.eq(tenant.as_str()))
            .filter(devices::device_code_hash.eq(device_code_hash)),
    )
    .set((
        devices::last_polled_at.eq(now),
        devices::interval_secs.eq(interval_secs),
    ))
    .execute(conn)?;
    Ok(())
}

/// Moves a pending, unexpired authorization to `state` (approved with its grant, or denied);
/// `false` when it was no longer pending.
pub fn decide(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    device_code_hash: &str,
    state: &str,
    grant_id: Option<&str>,
    now: i64,
) -> Result<bool, DbError> {
    let changed = diesel::update(
        devices::table
            .filter(devices::tenant_id.eq(tenant.as_str()))
            .filter(devices::device_code_hash.eq(device_code_hash))
            .filter(devices::state.eq(PENDING))
            .filter(devices::expires_at.gt(now)),
    )
    .set((devices::state.eq(state), devices::grant_id.eq(grant_id)))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Marks an approved authorization used; `false` when another poll already used it.
pub fn use_approved(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    device_code_hash: &str,
) -> Result<bool, DbError> {
    let changed = diesel::update(
        devices::table
            .filter(devices::tenant_id.eq(tenant.as_str()))
            .filter(devices::device_code_hash.eq(device_code_hash))
            .filter(devices::state.eq(APPROVED)),
    )
    .set(devices::state.eq(USED))
    .execute(conn)?;
    Ok(changed == 1)
}
