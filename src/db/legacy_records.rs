//! Imported legacy records (`legacy_records`): the mapping (source, legacy id) → profile that
//! makes an import idempotent and resumable (`admin::import`).

use diesel::prelude::*;

use super::schema::legacy_records as records;
use super::{AnyConnection, DbError};
use crate::domain::{AccountId, ProfileId, TenantId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = records)]
pub struct LegacyRecordRow {
    pub tenant_id: String,
    pub source: String,
    pub legacy_id: String,
    pub kind: String,
    pub account_id: String,
    /// `None` once the profile was deleted (its person erased).
    pub profile_id: Option<String>,
    pub imported_at: i64,
    /// A fingerprint of the account row as the import left it (`admin::import`).
    pub account_state: String,
}

pub fn insert(conn: &mut AnyConnection, row: &LegacyRecordRow) -> Result<(), DbError> {
    diesel::insert_into(records::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Many mappings, one statement per `ROWS_PER_INSERT`.
pub fn insert_many(conn: &mut AnyConnection, rows: &[LegacyRecordRow]) -> Result<(), DbError> {
    super::insert_many!(conn, records::table, rows)
}

/// The records of one source among `legacy_ids` that were imported before.
pub fn find_many(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    source: &str,
    legacy_ids: &[&str],
) -> Result<Vec<LegacyRecordRow>, DbError> {
    Ok(records::table
        .filter(records::tenant_id.eq(tenant.as_str()))
        .filter(records::source.eq(source))
        .filter(records::legacy_id.eq_any(legacy_ids))
        .select(LegacyRecordRow::as_select())
        .load(conn)?)
}

/// The profile a record became, if it was imported before.
pub fn find(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    source: &str,
    legacy_id: &str,
) -> Result<Option<LegacyRecordRow>, DbError> {
    Ok(records::table
        .filter(records::tenant_id.eq(tenant.as_str()))
        .filter(records::source.eq(source))
        .filter(records::legacy_id.eq(legacy_id))
        .select(LegacyRecordRow::as_select())
        .first(conn)
        .optional()?)
}

/// The fingerprint of the account as its last import left it; `None` for an account no
/// import made or added to.
pub fn account_state(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<Option<String>, DbError> {
    Ok(records::table
        .filter(records::tenant_id.eq(tenant.as_str()))
        .filter(records::account_id.eq(account.as_str()))
        .select(records::account_state)
        .first(conn)
        .optional()?)
}

/// Records the account's state after an import made or added to it, so the import's own
/// writes do not count as a later change.
pub fn touch_account(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    now: i64,
    state: &str,
) -> Result<(), DbError> {
    diesel::update(
        records::table
            .filter(records::tenant_id.eq(tenant.as_str()))
            .filter(records::account_id.eq(account.as_str())),
    )
    .set((
        records::imported_at.eq(now),
        records::account_state.eq(state),
    ))
    .execute(conn)?;
    Ok(())
}

/// Points the records a profile came from at the account it moved to.
pub fn move_profile(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    profile: &ProfileId,
    to: &AccountId,
) -> Result<usize, DbError> {
    Ok(diesel::update(
        records::table
            .filter(records::tenant_id.eq(tenant.as_str()))
            .filter(records::profile_id.eq(profile.as_str())),
    )
    .set(records::account_id.eq(to.as_str()))
    .execute(conn)?)
}

/// Points every record of an account at the account it was merged into.
pub fn move_account(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    from: &AccountId,
    to: &AccountId,
) -> Result<usize, DbError> {
    Ok(diesel::update(
        records::table
            .filter(records::tenant_id.eq(tenant.as_str()))
            .filter(records::account_id.eq(from.as_str())),
    )
    .set(records::account_id.eq(to.as_str()))
    .execute(conn)?)
}

/// Refreshes PostgreSQL's statistics of the tables an import fills (a no-op on SQLite).
/// A bulk load into empty tables otherwise leaves the planner estimating them empty until
/// autovacuum analyzes them (never, where it is off): its cached plans then scan a whole
/// tenant's index range per lookup, and each account costs more than the one before.
pub fn analyze_imported(conn: &mut AnyConnection) -> Result<(), DbError> {
    if let AnyConnection::Postgresql(pg) = conn {
        diesel::sql_query(
            "ANALYZE accounts, profiles, legacy_records, profile_roles, outbox_events, audit_events",
        )
        .execute(pg)?;
    }
    Ok(())
}
