//! Consent: the current state sign-in checks (`consents`), and the append-only ledger of
//! every grant and withdrawal (`consent_records`).

use diesel::prelude::*;

use super::schema::{clients, consent_records, consents};
use super::{AnyConnection, DbError};
use crate::domain::{ClientId, ProfileId, TenantId};

/// Scopes this profile has granted this client and not revoked, possibly over several rows.
pub fn scopes(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    profile_id: &ProfileId,
    client_id: &ClientId,
) -> Result<Vec<String>, DbError> {
    Ok(consents::table
        .filter(consents::tenant_id.eq(tenant.as_str()))
        .filter(consents::profile_id.eq(profile_id.as_str()))
        .filter(consents::client_id.eq(client_id.as_str()))
        .filter(consents::revoked_at.is_null())
        .select(consents::scope)
        .load(conn)?)
}

pub fn insert(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &str,
    profile_id: &ProfileId,
    client_id: &ClientId,
    scope: &str,
    now: i64,
) -> Result<(), DbError> {
    diesel::insert_into(consents::table)
        .values((
            consents::id.eq(id),
            consents::tenant_id.eq(tenant.as_str()),
            consents::profile_id.eq(profile_id.as_str()),
            consents::client_id.eq(client_id.as_str()),
            consents::scope.eq(scope),
            consents::granted_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks the profile's live consents to a client revoked; how many were.
pub fn revoke(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    profile_id: &ProfileId,
    client_id: &ClientId,
    now: i64,
) -> Result<usize, DbError> {
    Ok(diesel::update(
        consents::table
            .filter(consents::tenant_id.eq(tenant.as_str()))
            .filter(consents::profile_id.eq(profile_id.as_str()))
            .filter(consents::client_id.eq(client_id.as_str()))
            .filter(consents::revoked_at.is_null()),
    )
    .set(consents::revoked_at.eq(Some(now)))
    .execute(conn)?)
}

/// A live consent: (profile id, client id, client name, scope, granted at, the client's
/// consent purposes).
pub type LiveConsent = (String, String, String, String, i64, String);

/// The live consents of these profiles, with the client's name, oldest first.
pub fn live(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    profile_ids: &[String],
) -> Result<Vec<LiveConsent>, DbError> {
    Ok(consents::table
        .inner_join(clients::table.on(clients::id.eq(consents::client_id)))
        .filter(consents::tenant_id.eq(tenant.as_str()))
        .filter(consents::profile_id.eq_any(profile_ids))
        .filter(consents::revoked_at.is_null())
        .order((consents::granted_at.asc(), consents::id.asc()))
        .select((
            consents::profile_id,
            consents::client_id,
            clients::name,
            consents::scope,
            consents::granted_at,
            clients::purposes,
        ))
        .load(conn)?)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = consent_records)]
pub struct ConsentRecordRow {
    pub id: String,
    pub tenant_id: String,
    pub profile_id: String,
    pub client_id: String,
    pub scope: String,
    pub purpose: Option<String>,
    pub purpose_version: Option<i64>,
    pub decision: String,
    pub at: i64,
    pub ip_sealed: Option<Vec<u8>>,
}

/// Appends to the ledger (never updated or deleted, but with the profile).
pub fn insert_record(conn: &mut AnyConnection, row: &ConsentRecordRow) -> Result<(), DbError> {
    diesel::insert_into(consent_records::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The ledger of these profiles, oldest first.
pub fn records(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    profile_ids: &[String],
) -> Result<Vec<ConsentRecordRow>, DbError> {
    Ok(consent_records::table
        .filter(consent_records::tenant_id.eq(tenant.as_str()))
        .filter(consent_records::profile_id.eq_any(profile_ids))
        .order((consent_records::at.asc(), consent_records::id.asc()))
        .select(ConsentRecordRow::as_select())
        .load(conn)?)
}
