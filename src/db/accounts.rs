//! Account and profile rows.

use diesel::prelude::*;

use super::schema::{account_tokens, accounts, profiles};
use super::{AnyConnection, DbError};
use crate::domain::{AccountId, ProfileId, TenantId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = accounts)]
pub struct AccountRow {
    pub id: String,
    pub tenant_id: String,
    /// Blind index of the normalised email (`identity::accounts`).
    pub email_index: String,
    /// The email, sealed under `data_key`.
    pub email_sealed: Vec<u8>,
    pub email_verified_at: Option<i64>,
    pub password_hash: Option<String>,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub failed_logins: i64,
    pub locked_until: Option<i64>,
    /// Wrapped by the master key; `None` once erased.
    pub data_key: Option<Vec<u8>>,
    pub data_key_master_id: Option<String>,
    /// When a requested self-service deletion is due (cancelled by signing in).
    pub erase_after: Option<i64>,
    /// Set while an invitation waits for its owner to choose a password.
    pub invited_at: Option<i64>,
    /// The account this one was merged into (its status is `deleted`).
    pub merged_into: Option<String>,
    /// The customer (`customers`) the account acts for.
    pub customer_id: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = profiles)]
pub struct ProfileRow {
    pub id: String,
    pub tenant_id: String,
    pub account_id: String,
    pub is_default: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub email_verified_at: Option<i64>,
    /// Blind indexes of the lowercased name (per account) and the email (per tenant).
    pub name_index: String,
    pub email_index: Option<String>,
    /// Name, email, picture, locale and attributes, sealed under `data_key` (`profiles`).
    pub persona: Vec<u8>,
    pub data_key: Option<Vec<u8>>,
    pub data_key_master_id: Option<String>,
}

pub fn insert(conn: &mut AnyConnection, row: &AccountRow) -> Result<(), DbError> {
    diesel::insert_into(accounts::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Many accounts, one statement per `ROWS_PER_INSERT` (an import).
pub fn insert_many(conn: &mut AnyConnection, rows: &[AccountRow]) -> Result<(), DbError> {
    super::insert_many!(conn, accounts::table, rows)
}

/// Many profiles, one statement per `ROWS_PER_INSERT` (an import).
pub fn insert_profiles(conn: &mut AnyConnection, rows: &[ProfileRow]) -> Result<(), DbError> {
    super::insert_many!(conn, profiles::table, rows)
}

pub fn insert_profile(conn: &mut AnyConnection, row: &ProfileRow) -> Result<(), DbError> {
    diesel::insert_into(profiles::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The account whose email has this blind index.
pub fn find_by_email_index(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    email_index: &str,
) -> Result<Option<AccountRow>, DbError> {
    Ok(accounts::table
        .filter(accounts::tenant_id.eq(tenant.as_str()))
        .filter(accounts::email_index.eq(email_index))
        .select(AccountRow::as_select())
        .first(conn)
        .optional()?)
}

/// The accounts among `email_indexes` that exist (an import looks up a batch at once).
pub fn find_by_email_indexes(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    email_indexes: &[&str],
) -> Result<Vec<AccountRow>, DbError> {
    Ok(accounts::table
        .filter(accounts::tenant_id.eq(tenant.as_str()))
        .filter(accounts::email_index.eq_any(email_indexes))
        .select(AccountRow::as_select())
        .load(conn)?)
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

pub fn find_profile(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    profile: &ProfileId,
) -> Result<Option<ProfileRow>, DbError> {
    Ok(profiles::table
        .filter(profiles::tenant_id.eq(tenant.as_str()))
        .filter(profiles::id.eq(profile.as_str()))
        .select(ProfileRow::as_select())
        .first(conn)
        .optional()?)
}

/// Replaces a profile's persona data (matched by tenant and id).
pub fn update_profile(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    row: &ProfileRow,
) -> Result<(), DbError> {
    diesel::update(
        profiles::table
            .filter(profiles::tenant_id.eq(tenant.as_str()))
            .filter(profiles::id.eq(&row.id)),
    )
    .set((
        profiles::is_default.eq(row.is_default),
        profiles::email_verified_at.eq(row.email_verified_at),
        profiles::name_index.eq(&row.name_index),
        profiles::email_index.eq(&row.email_index),
        profiles::persona.eq(&row.persona),
        profiles::updated_at.eq(row.updated_at),
    ))
    .execute(conn)?;
    Ok(())
}

/// Moves a profile (as `row` has it now: new account, its name index there, default or not)
/// away from `from`; false when it no longer belongs to `from` (another move took it).
pub fn move_profile(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    from: &AccountId,
    row: &ProfileRow,
) -> Result<bool, DbError> {
    Ok(diesel::update(
        profiles::table
            .filter(profiles::tenant_id.eq(tenant.as_str()))
            .filter(profiles::id.eq(&row.id))
            .filter(profiles::account_id.eq(from.as_str())),
    )
    .set((
        profiles::account_id.eq(&row.account_id),
        profiles::is_default.eq(row.is_default),
        profiles::name_index.eq(&row.name_index),
        profiles::persona.eq(&row.persona),
        profiles::updated_at.eq(row.updated_at),
    ))
    .execute(conn)?
        == 1)
}

/// Every profile email index of the tenant: (index, profile id, account id).
pub fn profile_email_indexes(
    conn: &mut AnyConnection,
    tenant: &TenantId,
) -> Result<Vec<(String, String, String)>, DbError> {
    let found: Vec<(Option<String>, String, String)> = profiles::table
        .filter(profiles::tenant_id.eq(tenant.as_str()))
        .filter(profiles::email_index.is_not_null())
        .select((profiles::email_index, profiles::id, profiles::account_id))
        .load(conn)?;
    Ok(found
        .into_iter()
        .filter_map(|(index, profile, account)| Some((index?, profile, account)))
        .collect())
}

/// The ids of a tenant's profiles after `after`, at most `limit`, in id order (batches for
/// sweeps over every profile).
pub fn profile_ids_after(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    after: &str,
    limit: i64,
) -> Result<Vec<String>, DbError> {
    Ok(profiles::table
        .filter(profiles::tenant_id.eq(tenant.as_str()))
        .filter(profiles::id.gt(after))
        .order(profiles::id.asc())
        .select(profiles::id)
        .limit(limit)
        .load(conn)?)
}

/// Stores a profile's new persona only if the stored one is still `expected` (a sweep must
/// not undo a change made since it read the row); whether it was stored.
pub fn replace_persona_if_unchanged(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    row: &ProfileRow,
    expected: &[u8],
) -> Result<bool, DbError> {
    Ok(diesel::update(
        profiles::table
            .filter(profiles::tenant_id.eq(tenant.as_str()))
            .filter(profiles::id.eq(&row.id))
            .filter(profiles::persona.eq(expected)),
    )
    .set((
        profiles::persona.eq(&row.persona),
        profiles::updated_at.eq(row.updated_at),
    ))
    .execute(conn)?
        == 1)
}

pub fn set_profile_default(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    profile: &ProfileId,
    is_default: bool,
) -> Result<(), DbError> {
    diesel::update(
        profiles::table
            .filter(profiles::tenant_id.eq(tenant.as_str()))
            .filter(profiles::id.eq(profile.as_str())),
    )
    .set(profiles::is_default.eq(is_default))
    .execute(conn)?;
    Ok(())
}

pub fn set_profile_email_verified(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    profile: &ProfileId,
    now: i64,
) -> Result<(), DbError> {
    diesel::update(
        profiles::table
            .filter(profiles::tenant_id.eq(tenant.as_str()))
            .filter(profiles::id.eq(profile.as_str())),
    )
    .set((
        profiles::email_verified_at.eq(Some(now)),
        profiles::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(())
}

pub fn delete_profile(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    profile: &ProfileId,
) -> Result<(), DbError> {
    diesel::delete(
        profiles::table
            .filter(profiles::tenant_id.eq(tenant.as_str()))
            .filter(profiles::id.eq(profile.as_str())),
    )
    .execute(conn)?;
    Ok(())
}

pub fn profile_email_taken(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    email_index: &str,
    except_profile: &ProfileId,
) -> Result<bool, DbError> {
    Ok(profiles::table
        .filter(profiles::tenant_id.eq(tenant.as_str()))
        .filter(profiles::email_index.eq(email_index))
        .filter(profiles::id.ne(except_profile.as_str()))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

pub fn set_password_hash(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    hash: &str,
    now: i64,
) -> Result<(), DbError> {
    diesel::update(
        accounts::table
            .filter(accounts::tenant_id.eq(tenant.as_str()))
            .filter(accounts::id.eq(account.as_str())),
    )
    .set((
        accounts::password_hash.eq(Some(hash)),
        accounts::updated_at.eq(now),
        // A chosen password, by whatever way, ends a pending invitation.
        accounts::invited_at.eq(None::<i64>),
    ))
    .execute(conn)?;
    Ok(())
}

/// Marks an account as invited: it has no password until its owner chooses one.
pub fn mark_invited(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    now: i64,
) -> Result<(), DbError> {
    diesel::update(
        accounts::table
            .filter(accounts::tenant_id.eq(tenant.as_str()))
            .filter(accounts::id.eq(account.as_str())),
    )
    .set(accounts::invited_at.eq(Some(now)))
    .execute(conn)?;
    Ok(())
}

/// When the account was invited, while the invitation is pending (no password chosen yet).
pub fn invited_at(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<Option<i64>, DbError> {
    Ok(accounts::table
        .filter(accounts::tenant_id.eq(tenant.as_str()))
        .filter(accounts::id.eq(account.as_str()))
        .select(accounts::invited_at)
        .first::<Option<i64>>(conn)
        .optional()?
        .flatten())
}

/// The tenant's accounts with a pending invitation, oldest first: (account id, invited at).
pub fn pending_invitations(
    conn: &mut AnyConnection,
    tenant: &TenantId,
) -> Result<Vec<(String, i64)>, DbError> {
    let rows: Vec<(String, Option<i64>)> = accounts::table
        .filter(accounts::tenant_id.eq(tenant.as_str()))
        .filter(accounts::invited_at.is_not_null())
        .order((accounts::invited_at.asc(), accounts::id.asc()))
        .select((accounts::id, accounts::invited_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, at)| at.map(|at| (id, at)))
        .collect())
}

pub fn password_hash(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<Option<String>, DbError> {
    Ok(accounts::table
        .filter(accounts::tenant_id.eq(tenant.as_str()))
        .filter(accounts::id.eq(account.as_str()))
        .select(accounts::password_hash)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}

/// Locks the account's row for the rest of the transaction (PostgreSQL `FOR NO KEY UPDATE`,
/// which leaves foreign-key inserts of other transactions alone; SQLite's write transaction
/// already excludes other writers). Every sign-in step takes it first, so concurrent steps of
/// one account run one after another and take their other locks in one order.
pub fn lock(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<(), DbError> {
    if let AnyConnection::Postgresql(pg) = conn {
        accounts::table
            .filter(accounts::tenant_id.eq(tenant.as_str()))
            .filter(accounts::id.eq(account.as_str()))
            .select(accounts::id)
            .for_no_key_update()
            .load::<String>(pg)?;
    }
    Ok(())
}

/// Records a failed sign-in unless the account is locked at `now`; returns the failures since
/// the last success, or `None` when the lock was already on (a locked account's attempts do
/// not count). One statement: concurrent failures are each counted exactly once, and none
/// counts once a concurrent one has set the lock.
pub fn record_failed_login(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    now: i64,
) -> Result<Option<i64>, DbError> {
    Ok(diesel::update(
        accounts::table
            .filter(accounts::tenant_id.eq(tenant.as_str()))
            .filter(accounts::id.eq(account.as_str()))
            .filter(
                accounts::locked_until
                    .is_null()
                    .or(accounts::locked_until.le(now)),
            ),
    )
    .set(accounts::failed_logins.eq(accounts::failed_logins + 1))
    .returning(accounts::failed_logins)
    .get_result::<i64>(conn)
    .optional()?)
}

pub fn set_locked_until(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    until: Option<i64>,
) -> Result<(), DbError> {
    diesel::update(
        accounts::table
            .filter(accounts::tenant_id.eq(tenant.as_str()))
            .filter(accounts::id.eq(account.as_str())),
    )
    .set(accounts::locked_until.eq(until))
    .execute(conn)?;
    Ok(())
}

/// Clears failures and any lock (a successful sign-in, or an administrator).
pub fn clear_failed_logins(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<(), DbError> {
    // Written only when there is something to clear: most sign-ins follow no failure.
    diesel::update(
        accounts::table
            .filter(accounts::tenant_id.eq(tenant.as_str()))
            .filter(accounts::id.eq(account.as_str()))
            .filter(
                accounts::failed_logins
                    .gt(0)
                    .or(accounts::locked_until.is_not_null()),
            ),
    )
    .set((
        accounts::failed_logins.eq(0),
        accounts::locked_until.eq(None::<i64>),
    ))
    .execute(conn)?;
    Ok(())
}

pub fn insert_account_token(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    token_hash: &str,
    purpose: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), DbError> {
    diesel::insert_into(account_tokens::table)
        .values((
            account_tokens::token_hash.eq(token_hash),
            account_tokens::tenant_id.eq(tenant.as_str()),
            account_tokens::account_id.eq(account.as_str()),
            account_tokens::purpose.eq(purpose),
            account_tokens::created_at.eq(now),
            account_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The account a live (unused, unexpired) token of `purpose` belongs to.
pub fn find_account_token(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    token_hash: &str,
    purpose: &str,
    now: i64,
) -> Result<Option<String>, DbError> {
    Ok(account_tokens::table
        .filter(account_tokens::tenant_id.eq(tenant.as_str()))
        .filter(account_tokens::token_hash.eq(token_hash))
        .filter(account_tokens::purpose.eq(purpose))
        .filter(account_tokens::used_at.is_null())
        .filter(account_tokens::expires_at.gt(now))
        .select(account_tokens::account_id)
        .first(conn)
        .optional()?)
}

/// Spends a token; false when it was already used (atomic).
pub fn use_account_token(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    token_hash: &str,
    now: i64,
) -> Result<bool, DbError> {
    Ok(diesel::update(
        account_tokens::table
            .filter(account_tokens::tenant_id.eq(tenant.as_str()))
            .filter(account_tokens::token_hash.eq(token_hash))
            .filter(account_tokens::used_at.is_null()),
    )
    .set(account_tokens::used_at.eq(Some(now)))
    .execute(conn)?
        == 1)
}

/// The account's newest live token of `purpose` (by creation time, then hash: exactly one
/// even when two were issued in the same second).
pub fn newest_account_token(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    purpose: &str,
    now: i64,
) -> Result<Option<String>, DbError> {
    Ok(account_tokens::table
        .filter(account_tokens::tenant_id.eq(tenant.as_str()))
        .filter(account_tokens::account_id.eq(account.as_str()))
        .filter(account_tokens::purpose.eq(purpose))
        .filter(account_tokens::used_at.is_null())
        .filter(account_tokens::expires_at.gt(now))
        .order((
            account_tokens::created_at.desc(),
            account_tokens::token_hash.desc(),
        ))
        .select(account_tokens::token_hash)
        .first(conn)
        .optional()?)
}

/// When the account's newest unused token of `purpose` expires (expired or not).
pub fn newest_account_token_expiry(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    purpose: &str,
) -> Result<Option<i64>, DbError> {
    Ok(account_tokens::table
        .filter(account_tokens::tenant_id.eq(tenant.as_str()))
        .filter(account_tokens::account_id.eq(account.as_str()))
        .filter(account_tokens::purpose.eq(purpose))
        .filter(account_tokens::used_at.is_null())
        .order(account_tokens::expires_at.desc())
        .select(account_tokens::expires_at)
        .first(conn)
        .optional()?)
}

/// Spends every unused token of `purpose` the account holds (a newer link, or a new password,
/// replaces them).
pub fn void_account_tokens(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    purpose: &str,
    now: i64,
) -> Result<usize, DbError> {
    Ok(diesel::update(
        account_tokens::table
            .filter(account_tokens::tenant_id.eq(tenant.as_str()))
            .filter(account_tokens::account_id.eq(account.as_str()))
            .filter(account_tokens::purpose.eq(purpose))
            .filter(account_tokens::used_at.is_null()),
    )
    .set(account_tokens::used_at.eq(Some(now)))
    .execute(conn)?)
}

/// Spends every unused token the account holds, whatever its purpose: links mailed to an
/// address the account no longer has must not work.
pub fn void_all_account_tokens(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    now: i64,
) -> Result<usize, DbError> {
    Ok(diesel::update(
        account_tokens::table
            .filter(account_tokens::tenant_id.eq(tenant.as_str()))
            .filter(account_tokens::account_id.eq(account.as_str()))
            .filter(account_tokens::used_at.is_null()),
    )
    .set(account_tokens::used_at.eq(Some(now)))
    .execute(conn)?)
}

/// Replaces the account's sign-in email (its blind index and sealed value), proven at `now`.
/// A unique violation means another account holds the address.
pub fn set_email(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    email_index: &str,
    email_sealed: &[u8],
    now: i64,
) -> Result<(), DbError> {
    diesel::update(
        accounts::table
            .filter(accounts::tenant_id.eq(tenant.as_str()))
            .filter(accounts::id.eq(account.as_str())),
    )
    .set((
        accounts::email_index.eq(email_index),
        accounts::email_sealed.eq(email_sealed),
        accounts::email_verified_at.eq(Some(now)),
        accounts::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(())
}

/// A live token of any purpose: (account id, purpose).
pub fn find_any_account_token(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    token_hash: &str,
    now: i64,
) -> Result<Option<(String, String)>, DbError> {
    Ok(account_tokens::table
        .filter(account_tokens::tenant_id.eq(tenant.as_str()))
        .filter(account_tokens::token_hash.eq(token_hash))
        .filter(account_tokens::used_at.is_null())
        .filter(account_tokens::expires_at.gt(now))
        .select((account_tokens::account_id, account_tokens::purpose))
        .first(conn)
        .optional()?)
}

pub fn set_email_verified(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    now: i64,
) -> Result<(), DbError> {
    diesel::update(
        accounts::table
            .filter(accounts::tenant_id.eq(tenant.as_str()))
            .filter(accounts::id.eq(account.as_str())),
    )
    .set((
        accounts::email_verified_at.eq(Some(now)),
        accounts::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(())
}

/// The tenant's accounts in creation order (then id), after the `after` account id; at most
/// `limit`. Emails are sealed, so listing cannot order or filter by them: an exact address is
/// found through its blind index instead ([`find_by_email_index`]).
pub fn list(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    after: Option<&AccountId>,
    limit: i64,
) -> Result<Vec<AccountRow>, DbError> {
    let mut query = accounts::table
        .filter(accounts::tenant_id.eq(tenant.as_str()))
        .into_boxed();
    if let Some(after) = after {
        // Ids are UUIDv7 (time-ordered text), so id order is creation order.
        query = query.filter(accounts::id.gt(after.as_str().to_owned()));
    }
    Ok(query
        .order(accounts::id.asc())
        .limit(limit)
        .select(AccountRow::as_select())
        .load(conn)?)
}

/// Schedules (`Some`) or cancels (`None`) a self-service deletion; true when the row changed.
pub fn set_erase_after(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    at: Option<i64>,
) -> Result<bool, DbError> {
    let rows = accounts::table
        .filter(accounts::tenant_id.eq(tenant.as_str()))
        .filter(accounts::id.eq(account.as_str()))
        .filter(accounts::data_key.is_not_null());
    let changed = match at {
        Some(at) => diesel::update(rows)
            .set(accounts::erase_after.eq(Some(at)))
            .execute(conn)?,
        // Only a scheduled deletion is cancelled: the common sign-in writes nothing.
        None => diesel::update(rows.filter(accounts::erase_after.is_not_null()))
            .set(accounts::erase_after.eq(None::<i64>))
            .execute(conn)?,
    };
    Ok(changed == 1)
}

/// Accounts whose scheduled deletion is due at `now` (tenant, account), oldest first.
/// Notes that the account was used (a sign-in) and clears a pending inactivity warning. Writes
/// at most once a day per account: retention counts in days, and most sign-ins write nothing.
pub fn touch_activity(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    now: i64,
) -> Result<(), DbError> {
    diesel::update(
        accounts::table
            .filter(accounts::tenant_id.eq(tenant.as_str()))
            .filter(accounts::id.eq(account.as_str()))
            .filter(
                accounts::last_active_at
                    .is_null()
                    .or(accounts::last_active_at.lt(now - 86_400))
                    .or(accounts::inactivity_warned_at.is_not_null()),
            ),
    )
    .set((
        accounts::last_active_at.eq(Some(now)),
        accounts::inactivity_warned_at.eq(None::<i64>),
    ))
    .execute(conn)?;
    Ok(())
}

/// Accounts of the tenant (not erased) last used before `before`, by id: not warned yet
/// (`warned_before` = `None`), or warned before `warned_before`.
pub fn inactive(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    before: i64,
    warned_before: Option<i64>,
    limit: i64,
) -> Result<Vec<String>, DbError> {
    unused(conn, tenant, None, before, warned_before, limit)
}

/// Whether the account is still unused since `before` and was warned no later than
/// `warned_before` (checked again under the account's lock before retention erases it).
pub fn still_inactive(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    before: i64,
    warned_before: i64,
) -> Result<bool, DbError> {
    Ok(!unused(conn, tenant, Some(account), before, Some(warned_before), 1)?.is_empty())
}

/// The one definition of an unused account, for both questions above.
fn unused(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    only: Option<&AccountId>,
    before: i64,
    warned_before: Option<i64>,
    limit: i64,
) -> Result<Vec<String>, DbError> {
    let mut query = accounts::table
        .filter(accounts::tenant_id.eq(tenant.as_str()))
        .filter(accounts::status.ne("deleted"))
        .filter(
            accounts::last_active_at
                .lt(before)
                .or(accounts::last_active_at
                    .is_null()
                    .and(accounts::created_at.lt(before))),
        )
        .order(accounts::id.asc())
        .limit(limit)
        .select(accounts::id)
        .into_boxed();
    query = match warned_before {
        None => query.filter(accounts::inactivity_warned_at.is_null()),
        Some(at) => query.filter(accounts::inactivity_warned_at.le(at)),
    };
    if let Some(account) = only {
        query = query.filter(accounts::id.eq(account.as_str()));
    }
    Ok(query.load(conn)?)
}

/// Records the inactivity warning unless one is already on record; whether this call did.
pub fn mark_inactivity_warned(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    now: i64,
) -> Result<bool, DbError> {
    Ok(diesel::update(
        accounts::table
            .filter(accounts::tenant_id.eq(tenant.as_str()))
            .filter(accounts::id.eq(account.as_str()))
            .filter(accounts::inactivity_warned_at.is_null()),
    )
    .set(accounts::inactivity_warned_at.eq(Some(now)))
    .execute(conn)?
        == 1)
}

pub fn due_for_erasure(
    conn: &mut AnyConnection,
    now: i64,
    limit: i64,
) -> Result<Vec<(String, String)>, DbError> {
    Ok(accounts::table
        .filter(accounts::erase_after.le(now))
        .order(accounts::erase_after.asc())
        .limit(limit)
        .select((accounts::tenant_id, accounts::id))
        .load(conn)?)
}

/// Destroys an account's personal data: its data key, sealed email and password go, its
/// blind index becomes a tombstone (so the address can be registered again), and its status
/// becomes `deleted`. The row (its id) stays. False when it was already erased (another node
/// or request did it first).
pub fn shred_account(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    now: i64,
) -> Result<bool, DbError> {
    tombstone(conn, tenant, account, None, now)
}

/// Turns an account merged into `into` into a tombstone: shredded as by an erasure, and
/// naming the account it went into. False when it was already erased or merged (another
/// request did it first).
pub fn tombstone_merged(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    into: &AccountId,
    now: i64,
) -> Result<bool, DbError> {
    tombstone(conn, tenant, account, Some(into), now)
}

/// The one way an account's personal data goes: erased, or merged into another account.
fn tombstone(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    merged_into: Option<&AccountId>,
    now: i64,
) -> Result<bool, DbError> {
    let index = match merged_into {
        Some(_) => format!("merged:{account}"),
        None => format!("erased:{account}"),
    };
    Ok(diesel::update(
        accounts::table
            .filter(accounts::tenant_id.eq(tenant.as_str()))
            .filter(accounts::id.eq(account.as_str()))
            .filter(accounts::data_key.is_not_null()),
    )
    .set((
        accounts::status.eq("deleted"),
        accounts::merged_into.eq(merged_into.map(AccountId::as_str)),
        accounts::email_index.eq(index),
        accounts::email_sealed.eq(Vec::<u8>::new()),
        accounts::email_verified_at.eq(None::<i64>),
        accounts::password_hash.eq(None::<String>),
        accounts::data_key.eq(None::<Vec<u8>>),
        accounts::data_key_master_id.eq(None::<String>),
        accounts::erase_after.eq(None::<i64>),
        accounts::invited_at.eq(None::<i64>),
        accounts::failed_logins.eq(0),
        accounts::locked_until.eq(None::<i64>),
        // A tombstone acts for no one (a merge carried the link to the surviving account).
        accounts::customer_id.eq(None::<String>),
        accounts::updated_at.eq(now),
    ))
    .execute(conn)?
        == 1)
}

/// Deletes every profile of an account (their persona data and keys with them; roles and
/// consents cascade).
pub fn delete_account_profiles(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<usize, DbError> {
    Ok(diesel::delete(
        profiles::table
            .filter(profiles::tenant_id.eq(tenant.as_str()))
            .filter(profiles::account_id.eq(account.as_str())),
    )
    .execute(conn)?)
}

/// Deletes every mailed-link token of an account.
pub fn delete_account_tokens(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<usize, DbError> {
    Ok(diesel::delete(
        account_tokens::table
            .filter(account_tokens::tenant_id.eq(tenant.as_str()))
            .filter(account_tokens::account_id.eq(account.as_str())),
    )
    .execute(conn)?)
}
