//! Rows written before personal data was sealed (migration 16 adds the sealed columns, 17
//! drops the plaintext ones; between the two, `startup` seals what these read). Raw SQL: the
//! plaintext columns are not in `schema.rs` any more.

use diesel::prelude::*;
use diesel::sql_types::{Binary, Nullable, Text};

use super::{AnyConnection, DbError};

#[derive(Debug, QueryableByName)]
pub struct PlainAccount {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub tenant_id: String,
    #[diesel(sql_type = Text)]
    pub email: String,
}

#[derive(Debug, QueryableByName)]
pub struct PlainProfile {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub tenant_id: String,
    #[diesel(sql_type = Text)]
    pub account_id: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub email: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub picture: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub locale: Option<String>,
    #[diesel(sql_type = Text)]
    pub attributes: String,
}

/// The sealed form of one row.
pub struct SealedValues<'a> {
    pub email_index: Option<&'a str>,
    pub name_index: Option<&'a str>,
    pub sealed: &'a [u8],
    pub data_key: &'a [u8],
    pub data_key_master_id: &'a str,
}

pub fn plaintext_accounts(conn: &mut AnyConnection) -> Result<Vec<PlainAccount>, DbError> {
    Ok(diesel::sql_query(
        "SELECT id, tenant_id, email FROM accounts WHERE email_sealed IS NULL ORDER BY id",
    )
    .load(conn)?)
}

pub fn plaintext_profiles(conn: &mut AnyConnection) -> Result<Vec<PlainProfile>, DbError> {
    Ok(diesel::sql_query(
        "SELECT id, tenant_id, account_id, name, email, picture, locale, attributes \
         FROM profiles WHERE persona IS NULL ORDER BY id",
    )
    .load(conn)?)
}

pub fn seal_account(
    conn: &mut AnyConnection,
    id: &str,
    values: &SealedValues,
) -> Result<(), DbError> {
    diesel::sql_query(
        "UPDATE accounts SET email_index = $1, email_sealed = $2, data_key = $3, \
         data_key_master_id = $4 WHERE id = $5",
    )
    .bind::<Nullable<Text>, _>(values.email_index)
    .bind::<Binary, _>(values.sealed)
    .bind::<Binary, _>(values.data_key)
    .bind::<Text, _>(values.data_key_master_id)
    .bind::<Text, _>(id)
    .execute(conn)?;
    Ok(())
}

pub fn seal_profile(
    conn: &mut AnyConnection,
    id: &str,
    values: &SealedValues,
) -> Result<(), DbError> {
    diesel::sql_query(
        "UPDATE profiles SET name_index = $1, email_index = $2, persona = $3, data_key = $4, \
         data_key_master_id = $5 WHERE id = $6",
    )
    .bind::<Nullable<Text>, _>(values.name_index)
    .bind::<Nullable<Text>, _>(values.email_index)
    .bind::<Binary, _>(values.sealed)
    .bind::<Binary, _>(values.data_key)
    .bind::<Text, _>(values.data_key_master_id)
    .bind::<Text, _>(id)
    .execute(conn)?;
    Ok(())
}
