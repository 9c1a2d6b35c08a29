//! Keys wrapped by the master key, wherever they live: the instance keys, the data keys on
//! accounts and profiles, signing keys, TOTP seeds and webhook secrets. Master-key rotation walks them here.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Binary, Text};

use super::schema::instance_keys;
use super::{AnyConnection, DbError};

/// A key (or secret) the instance keeps, by name.
pub fn instance_key(
    conn: &mut AnyConnection,
    name: &str,
) -> Result<Option<(Vec<u8>, String)>, DbError> {
    Ok(instance_keys::table
        .filter(instance_keys::name.eq(name))
        .select((instance_keys::wrapped, instance_keys::master_key_id))
        .first(conn)
        .optional()?)
}

/// Stores an instance key; false when another node stored one first (keep theirs).
pub fn insert_instance_key(
    conn: &mut AnyConnection,
    name: &str,
    wrapped: &[u8],
    master_key_id: &str,
    now: i64,
) -> Result<bool, DbError> {
    let inserted = diesel::insert_into(instance_keys::table)
        .values((
            instance_keys::name.eq(name),
            instance_keys::wrapped.eq(wrapped),
            instance_keys::master_key_id.eq(master_key_id),
            instance_keys::created_at.eq(now),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(true),
        Err(e) => {
            let e = DbError::from(e);
            if e.is_unique_violation() {
                Ok(false)
            } else {
                Err(e)
            }
        }
    }
}

/// Every place a master-key-wrapped value is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrappedTable {
    InstanceKeys,
    AccountDataKeys,
    ProfileDataKeys,
    SigningKeys,
    TotpSeeds,
    WebhookSecrets,
    CustomerDataKeys,
    ImportReports,
}

impl WrappedTable {
    pub const ALL: [WrappedTable; 8] = [
        WrappedTable::InstanceKeys,
        WrappedTable::AccountDataKeys,
        WrappedTable::ProfileDataKeys,
        WrappedTable::SigningKeys,
        WrappedTable::TotpSeeds,
        WrappedTable::WebhookSecrets,
        WrappedTable::CustomerDataKeys,
        WrappedTable::ImportReports,
    ];

    /// The tables that existed when personal data was first sealed (the migration hook that
    /// checks the master key runs then; later tables are created after it).
    pub const AT_SEALING: &'static [WrappedTable] = &[
        WrappedTable::InstanceKeys,
        WrappedTable::AccountDataKeys,
        WrappedTable::ProfileDataKeys,
        WrappedTable::SigningKeys,
        WrappedTable::TotpSeeds,
    ];

    pub fn label(self) -> &'static str {
        match self {
            WrappedTable::InstanceKeys => "instance keys",
            WrappedTable::AccountDataKeys => "account data keys",
            WrappedTable::ProfileDataKeys => "profile data keys",
            WrappedTable::SigningKeys => "signing keys",
            WrappedTable::TotpSeeds => "TOTP seeds",
            WrappedTable::WebhookSecrets => "webhook secrets",
            WrappedTable::CustomerDataKeys => "customer data keys",
            WrappedTable::ImportReports => "import reports",
        }
    }

    /// (table, id column, tenant column, value column, master-key-id column). Fixed names,
    /// never input: safe to place in SQL text.
    fn columns(
        self,
    ) -> (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    ) {
        match self {
            WrappedTable::InstanceKeys => {
                ("instance_keys", "name", "''", "wrapped", "master_key_id")
            }
            WrappedTable::AccountDataKeys => (
                "accounts",
                "id",
                "tenant_id",
                "data_key",
                "data_key_master_id",
            ),
            WrappedTable::ProfileDataKeys => (
                "profiles",
                "id",
                "tenant_id",
                "data_key",
                "data_key_master_id",
            ),
            WrappedTable::SigningKeys => (
                "signing_keys",
                "id",
                "tenant_id",
                "private_key",
                "master_key_id",
            ),
            WrappedTable::TotpSeeds => (
                "totp_factors",
                "account_id",
                "tenant_id",
                "secret",
                "master_key_id",
            ),
            WrappedTable::WebhookSecrets => (
                "webhook_subscriptions",
                "id",
                "tenant_id",
                "secret",
                "master_key_id",
            ),
            WrappedTable::CustomerDataKeys => (
                "customers",
                "id",
                "tenant_id",
                "data_key",
                "data_key_master_id",
            ),
            WrappedTable::ImportReports => {
                ("import_jobs", "id", "tenant_id", "report", "master_key_id")
            }
        }
    }
}

#[derive(Debug, Clone, QueryableByName)]
pub struct WrappedRow {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub tenant_id: String,
    #[diesel(sql_type = Binary)]
    pub wrapped: Vec<u8>,
    #[diesel(sql_type = Text)]
    pub master_key_id: String,
}

/// Up to `limit` values wrapped under another master key than `current`, after `after` in
/// id order (a keyset page: a rotation resumes where it stopped).
pub fn wrapped_under_other_keys(
    conn: &mut AnyConnection,
    table: WrappedTable,
    current: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<WrappedRow>, DbError> {
    let (name, id, tenant, value, master) = table.columns();
    let sql = format!(
        "SELECT {id} AS id, {tenant} AS tenant_id, {value} AS wrapped, {master} AS master_key_id \
         FROM {name} WHERE {value} IS NOT NULL AND {master} IS NOT NULL AND {master} <> $1 \
         AND {id} > $2 ORDER BY {id} LIMIT $3"
    );
    Ok(diesel::sql_query(sql)
        .bind::<Text, _>(current)
        .bind::<Text, _>(after)
        .bind::<BigInt, _>(limit)
        .load(conn)?)
}

/// How many values are wrapped under a master key that is neither `current` nor `previous`.
pub fn count_under_other_keys(
    conn: &mut AnyConnection,
    table: WrappedTable,
    current: &str,
    previous: Option<&str>,
) -> Result<i64, DbError> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let (name, _, _, value, master) = table.columns();
    let sql = format!(
        "SELECT COUNT(*) AS n FROM {name} \
         WHERE {value} IS NOT NULL AND {master} IS NOT NULL AND {master} NOT IN ($1, $2)"
    );
    Ok(diesel::sql_query(sql)
        .bind::<Text, _>(current)
        .bind::<Text, _>(previous.unwrap_or(current))
        .get_result::<Count>(conn)?
        .n)
}

/// Replaces one wrapped value, only if it is still the one that was read (a concurrent
/// erasure or re-wrap wins); true when replaced.
pub fn replace_wrapped(
    conn: &mut AnyConnection,
    table: WrappedTable,
    row: &WrappedRow,
    wrapped: &[u8],
    master_key_id: &str,
) -> Result<bool, DbError> {
    let (name, id, _, value, master) = table.columns();
    let sql =
        format!("UPDATE {name} SET {value} = $1, {master} = $2 WHERE {id} = $3 AND {master} = $4");
    Ok(diesel::sql_query(sql)
        .bind::<Binary, _>(wrapped)
        .bind::<Text, _>(master_key_id)
        .bind::<Text, _>(&row.id)
        .bind::<Text, _>(&row.master_key_id)
        .execute(conn)?
        == 1)
}
