//! Accounts (the login inside one tenant) and the sign-in check.

use serde::Serialize;
use serde_json::json;

use super::password::PasswordHasher;
use crate::config::SecuritySettings;
use crate::db::accounts::{self as rows, AccountRow};
use crate::db::{grants, tx, AnyConnection, DbError};
use crate::domain::{unix_now, AccountId, Email, EmailError, TenantId};
use crate::events::{self, Kind, Subject};
use crate::keys::envelope::EnvelopeError;
use crate::keys::{KeyOwner, Vault};
use crate::profiles::{self, ProfileError};
use crate::sessions::EndReason;

/// Bounds the work an attacker can make the hasher do.
pub const MAX_PASSWORD_BYTES: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountStatus {
    Pending,
    Active,
    Suspended,
    Deleted,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Pending => "pending",
            AccountStatus::Active => "active",
            AccountStatus::Suspended => "suspended",
            AccountStatus::Deleted => "deleted",
        }
    }

    fn parse(input: &str) -> AccountStatus {
        match input {
            "active" => AccountStatus::Active,
            "pending" => AccountStatus::Pending,
            "deleted" => AccountStatus::Deleted,
            // Unknown values fail closed.
            _ => AccountStatus::Suspended,
        }
    }
}

/// The login inside one tenant. Its personas are `profiles::Profile`s.
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub id: AccountId,
    #[serde(skip)]
    pub tenant_id: TenantId,
    pub email: Email,
    pub email_verified: bool,
    pub status: AccountStatus,
    /// The customer (`customers`) the account acts for, if linked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Email(#[from] EmailError),
    #[error("a password must have at least {0} characters")]
    PasswordTooShort(usize),
    #[error("this password is too common: choose another")]
    CommonPassword,
    #[error("a password must not be longer than {MAX_PASSWORD_BYTES} bytes")]
    PasswordTooLong,
    #[error("an account with this email already exists in this tenant")]
    EmailTaken,
    #[error("no such account")]
    NotFound,
    #[error("the current password is not correct")]
    WrongPassword,
    #[error(
        "unsupported password hash: import argon2 (PHC string), bcrypt ($2a$, $2b$, $2y$), PBKDF2-SHA256 ($pbkdf2-sha256$…, pbkdf2_sha256$…) or scrypt ($scrypt$…) hashes"
    )]
    UnsupportedHash,
    #[error(
        "the password hash asks for more work than this server verifies (argon2 at most \
         256 MiB, 16 iterations, 16 lanes; bcrypt cost at most 14; PBKDF2 at most 2,000,000 \
         iterations; scrypt at most 256 MiB)"
    )]
    CostlyHash,
    #[error("{0}")]
    Hash(#[from] super::password::HashError),
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error("this account's personal data cannot be opened: {0}")]
    Sealed(#[from] EnvelopeError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl crate::db::StorageFailure for AccountError {
    fn storage_error(&self) -> Option<&DbError> {
        match self {
            AccountError::Db(e) => Some(e),
            AccountError::Profile(e) => crate::db::StorageFailure::storage_error(e),
            _ => None,
        }
    }
}

/// Why a sign-in failed. The hosted pages show one message for all of them.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("invalid email or password")]
    InvalidCredentials,
    #[error("this account cannot sign in")]
    AccountUnavailable,
    /// The password was right, but the tenant requires a verified email first.
    #[error("the email address is not verified yet")]
    EmailNotVerified(AccountId),
    #[error("this account's personal data cannot be opened: {0}")]
    Sealed(#[from] EnvelopeError),
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::storage_failure!(LoginError);

/// A bundled list of the most common long passwords (a stopgap: see docs/architecture.md).
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

/// Length rules and the common-password list; no composition rules (ASVS 6.2.5).
pub fn check_password(password: &str, min_chars: usize) -> Result<(), AccountError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AccountError::PasswordTooLong);
    }
    if password.chars().count() < min_chars.max(8) {
        return Err(AccountError::PasswordTooShort(min_chars.max(8)));
    }
    let lowered = password.to_lowercase();
    if COMMON_PASSWORDS
        .lines()
        .any(|common| common.to_lowercase() == lowered)
    {
        return Err(AccountError::CommonPassword);
    }
    Ok(())
}

/// Creates an active account with one default profile, atomically.
pub fn create_account(
    conn: &mut AnyConnection,
    vault: &Vault,
    hasher: &PasswordHasher,
    tenant: &TenantId,
    email: &str,
    password: &str,
    min_password_chars: usize,
) -> Result<Account, AccountError> {
    let new = NewAccount::prepare(hasher, email, password, min_password_chars)?;
    insert_account(conn, vault, tenant, &new)
}

/// A new account checked and hashed, ready to be stored (argon2 runs here, before any
/// transaction).
#[derive(Debug, Clone)]
pub struct NewAccount {
    email: Email,
    /// `None` for an invited account: it has no password until its owner chooses one.
    hash: Option<String>,
    /// The first profile's name; the email's local part when not given.
    profile_name: Option<String>,
    /// Whether the account gets a first profile of its own (not when one is moved to it).
    first_profile: bool,
    /// The address was proven elsewhere (an import): verified from the start.
    email_verified: bool,
}

impl NewAccount {
    pub fn prepare(
        hasher: &PasswordHasher,
        email: &str,
        password: &str,
        min_password_chars: usize,
    ) -> Result<NewAccount, AccountError> {
        let email = Email::parse(email)?;
        check_password(password, min_password_chars)?;
        Ok(NewAccount {
            email,
            hash: Some(hasher.hash(password)?),
            profile_name: None,
            first_profile: true,
            email_verified: false,
        })
    }

    /// An account with a password hash imported from another system (checked by the
    /// caller with `PasswordHasher::recognises` and `affordable`), or none.
    pub fn imported(email: &str, hash: Option<&str>) -> Result<NewAccount, AccountError> {
        Ok(NewAccount {
            email: Email::parse(email)?,
            hash: hash.map(str::to_owned),
            profile_name: None,
            first_profile: true,
            email_verified: false,
        })
    }

    /// An account without a password, for an invitation (`identity::invitation`).
    pub fn without_password(email: &str) -> Result<NewAccount, AccountError> {
        Ok(NewAccount {
            email: Email::parse(email)?,
            hash: None,
            profile_name: None,
            first_profile: true,
            email_verified: false,
        })
    }

    /// Names the first profile (blank means the email's local part).
    pub fn named(mut self, name: Option<&str>) -> NewAccount {
        self.profile_name = name
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        self
    }

    /// Creates the account without a first profile: an existing one is moved to it in the
    /// same transaction (`profiles::move_to`).
    pub fn without_first_profile(mut self) -> NewAccount {
        self.first_profile = false;
        self
    }

    /// An address proven in another system (an import): verified from the start.
    pub fn email_verified(mut self, verified: bool) -> NewAccount {
        self.email_verified = verified;
        self
    }

    pub fn email(&self) -> &Email {
        &self.email
    }

    fn profile_name(&self) -> &str {
        self.profile_name
            .as_deref()
            .unwrap_or_else(|| self.email.local_part())
    }
}

/// The purpose of account-email blind indexes.
const EMAIL_INDEX: &str = "account email";
/// The field name account emails are sealed under.
pub(super) const EMAIL_FIELD: &str = "email";

/// The blind index sign-in and uniqueness use for an account email.
pub fn email_index(vault: &Vault, tenant: &TenantId, email: &Email) -> String {
    vault.index(tenant).of(EMAIL_INDEX, email.as_str())
}

/// Stores a prepared account with its default profile, atomically.
pub fn insert_account(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    new: &NewAccount,
) -> Result<Account, AccountError> {
    let account = new_row(vault, tenant, new, unix_now())?;
    if rows::find_by_email_index(conn, tenant, &account.email_index)?.is_some() {
        return Err(AccountError::EmailTaken);
    }
    let id = AccountId::from_stored(account.id.clone());
    tx::write(conn, |conn| {
        rows::insert(conn, &account).map_err(email_taken)?;
        events::emit(
            conn,
            tenant,
            Kind::AccountCreated,
            Subject::Account(&id),
            json!({}),
        )?;
        if new.first_profile {
            profiles::create_default(conn, vault, tenant, &id, new.profile_name())?;
        }
        Ok::<_, AccountError>(())
    })?;
    Ok(load(vault, account)?)
}

/// An account [`insert_accounts`] created, and its first profile.
pub struct Inserted {
    pub row: AccountRow,
    pub profile: profiles::Profile,
}

/// Stores many prepared accounts, each with its default profile, in one statement per table
/// (an import). All or nothing: if any email is taken, nothing is stored and the error is
/// `EmailTaken` (the caller can then go one account at a time to find which).
pub fn insert_accounts(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    new: &[NewAccount],
) -> Result<Vec<Inserted>, AccountError> {
    let now = unix_now();
    let accounts = new
        .iter()
        .map(|n| new_row(vault, tenant, n, now))
        .collect::<Result<Vec<_>, _>>()?;
    let ids: Vec<AccountId> = accounts
        .iter()
        .map(|a| AccountId::from_stored(a.id.clone()))
        .collect();
    let profiles = tx::write(conn, |conn| {
        rows::insert_many(conn, &accounts).map_err(email_taken)?;
        events::emit_many(
            conn,
            tenant,
            ids.iter()
                .map(|id| (Kind::AccountCreated, Subject::Account(id), json!({}))),
        )?;
        let first: Vec<profiles::FreshProfile> = ids
            .iter()
            .zip(new)
            .map(|(id, n)| profiles::FreshProfile {
                account: id,
                name: n.profile_name().to_owned(),
                is_default: true,
            })
            .collect();
        Ok::<_, AccountError>(profiles::create_for_new_accounts(
            conn, vault, tenant, &first,
        )?)
    })?;
    Ok(accounts
        .into_iter()
        .zip(profiles)
        .map(|(row, profile)| Inserted { row, profile })
        .collect())
}

/// A unique violation on insert: the email has an account (perhaps since a moment ago).
fn email_taken(e: DbError) -> AccountError {
    if e.is_unique_violation() {
        AccountError::EmailTaken
    } else {
        e.into()
    }
}

/// The row of a new account, its email sealed under a data key of its own.
fn new_row(
    vault: &Vault,
    tenant: &TenantId,
    new: &NewAccount,
    now: i64,
) -> Result<AccountRow, AccountError> {
    let id = AccountId::generate();
    let (key, wrapped) = vault.new_data_key(KeyOwner::Account(id.as_str()))?;
    Ok(AccountRow {
        id: id.to_string(),
        tenant_id: tenant.to_string(),
        email_index: email_index(vault, tenant, &new.email),
        email_sealed: key.seal(EMAIL_FIELD, new.email.as_str().as_bytes())?,
        email_verified_at: new.email_verified.then_some(now),
        password_hash: new.hash.clone(),
        status: AccountStatus::Active.as_str().into(),
        created_at: now,
        updated_at: now,
        failed_logins: 0,
        locked_until: None,
        erase_after: None,
        invited_at: None,
        merged_into: None,
        customer_id: None,
        data_key: Some(wrapped.bytes),
        data_key_master_id: Some(wrapped.master_key_id),
    })
}

pub fn find_account(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<Account, AccountError> {
    let row = rows::find(conn, tenant, account)?.ok_or(AccountError::NotFound)?;
    Ok(load(vault, row)?)
}

/// Which of `emails` (normalized) have an account in the tenant: one query for a batch (an
/// import looks up a hundred at once).
pub fn existing_emails(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    emails: &[Email],
) -> Result<std::collections::HashSet<String>, DbError> {
    let indexes: std::collections::HashMap<String, &Email> = emails
        .iter()
        .map(|e| (email_index(vault, tenant, e), e))
        .collect();
    let keys: Vec<&str> = indexes.keys().map(String::as_str).collect();
    Ok(rows::find_by_email_indexes(conn, tenant, &keys)?
        .into_iter()
        .filter_map(|row| indexes.get(&row.email_index).map(|e| e.as_str().to_owned()))
        .collect())
}

/// The account with this email in the tenant, found through the blind index.
pub fn find_by_email(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    email: &Email,
) -> Result<Option<AccountRow>, DbError> {
    rows::find_by_email_index(conn, tenant, &email_index(vault, tenant, email))
}

/// An account named by its id or its email (for administrators).
pub fn find_account_by_id_or_email(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    id_or_email: &str,
) -> Result<Account, AccountError> {
    if id_or_email.contains('@') {
        let email = Email::parse(id_or_email)?;
        let row = find_by_email(conn, vault, tenant, &email)?.ok_or(AccountError::NotFound)?;
        return Ok(load(vault, row)?);
    }
    find_account(
        conn,
        vault,
        tenant,
        &AccountId::from_stored(id_or_email.to_owned()),
    )
}

/// Seals the account emails stored before personal data was sealed (an upgrade step, run
/// between migrations 16 and 17 by `startup`); returns how many.
pub fn seal_legacy(conn: &mut AnyConnection, vault: &Vault) -> Result<usize, AccountError> {
    let plain = crate::db::legacy::plaintext_accounts(conn)?;
    for account in &plain {
        let tenant = TenantId::from_stored(account.tenant_id.clone());
        let email = Email::from_stored(account.email.clone());
        let (key, wrapped) = vault.new_data_key(KeyOwner::Account(&account.id))?;
        crate::db::legacy::seal_account(
            conn,
            &account.id,
            &crate::db::legacy::SealedValues {
                email_index: Some(&email_index(vault, &tenant, &email)),
                name_index: None,
                sealed: &key.seal(EMAIL_FIELD, email.as_str().as_bytes())?,
                data_key: &wrapped.bytes,
                data_key_master_id: &wrapped.master_key_id,
            },
        )?;
    }
    Ok(plain.len())
}

/// Opens a stored account: its data key, then its email.
pub fn load(vault: &Vault, row: AccountRow) -> Result<Account, EnvelopeError> {
    let (Some(bytes), Some(master_key_id)) = (&row.data_key, &row.data_key_master_id) else {
        // Erased: the key and the address are gone for good; the id and status remain.
        return Ok(Account {
            id: AccountId::from_stored(row.id),
            tenant_id: TenantId::from_stored(row.tenant_id),
            email: Email::from_stored(String::new()),
            email_verified: false,
            status: AccountStatus::parse(&row.status),
            customer_id: None,
        });
    };
    let key = vault.data_key(KeyOwner::Account(&row.id), bytes, master_key_id)?;
    let email = String::from_utf8(key.open(EMAIL_FIELD, &row.email_sealed)?)
        .map_err(|_| EnvelopeError::Corrupted)?;
    Ok(Account {
        id: AccountId::from_stored(row.id),
        tenant_id: TenantId::from_stored(row.tenant_id),
        email: Email::from_stored(email),
        email_verified: row.email_verified_at.is_some(),
        status: AccountStatus::parse(&row.status),
        customer_id: row.customer_id,
    })
}

/// Suspends an account: in one transaction its status changes, its sessions end and every
/// grant it holds (codes, refresh tokens, and through them access tokens) is revoked.
pub fn suspend(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    account: &AccountId,
    actor: &crate::audit::Actor,
) -> Result<Account, AccountError> {
    tx::write(conn, |conn| {
        let now = unix_now();
        if !rows::set_status(
            conn,
            tenant,
            account,
            AccountStatus::Suspended.as_str(),
            now,
        )? {
            return Err(AccountError::NotFound);
        }
        status_changed(conn, tenant, account, AccountStatus::Suspended)?;
        crate::sessions::end_all(conn, tenant, account, now, EndReason::Suspension)?;
        grants::revoke_account_grants(conn, tenant, account, now)?;
        crate::audit::record(
            conn,
            tenant,
            actor.event("account.suspend", account.as_str(), serde_json::json!({})),
        )?;
        Ok::<_, AccountError>(())
    })?;
    find_account(conn, vault, tenant, account)
}

/// A password change requested by the signed-in user, who re-authenticated first
/// (`signin::reauthenticate_password`).
pub struct PasswordChange<'a> {
    pub new: &'a str,
    /// The tenant policy's minimum length.
    pub min_chars: usize,
    /// The session making the change: the one that stays signed in.
    pub keep_session: &'a crate::domain::SessionId,
}

/// Sets a new password, ends the account's other sessions with their grants, and revokes its
/// `offline_access` grants (whoever knew the old password may hold one). Blocking (argon2 for
/// the new hash, before the transaction).
pub fn change_password(
    conn: &mut AnyConnection,
    hasher: &PasswordHasher,
    tenant: &TenantId,
    account: &AccountId,
    change: PasswordChange,
) -> Result<(), AccountError> {
    let PasswordChange {
        new,
        min_chars: min_password_chars,
        keep_session: current_session,
    } = change;
    check_password(new, min_password_chars)?;
    let hash = hasher.hash(new)?;
    tx::write(conn, |conn| {
        let now = unix_now();
        void_reset_links(conn, tenant, account, now)?;
        rows::set_password_hash(conn, tenant, account, &hash, now)?;
        password_changed(conn, tenant, account)?;
        let reason = EndReason::PasswordChange;
        crate::sessions::end_others(conn, tenant, account, current_session, reason)?;
        grants::revoke_offline_grants(conn, tenant, account, now)?;
        Ok::<_, AccountError>(())
    })
}

pub fn resume(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    account: &AccountId,
    actor: &crate::audit::Actor,
) -> Result<Account, AccountError> {
    tx::write(conn, |conn| {
        if !rows::set_status(
            conn,
            tenant,
            account,
            AccountStatus::Active.as_str(),
            unix_now(),
        )? {
            return Err(AccountError::NotFound);
        }
        status_changed(conn, tenant, account, AccountStatus::Active)?;
        crate::audit::record(
            conn,
            tenant,
            actor.event("account.resume", account.as_str(), serde_json::json!({})),
        )?;
        Ok::<_, AccountError>(())
    })?;
    find_account(conn, vault, tenant, account)
}

/// A sign-in completed with every factor it needed: past failures are forgotten. (Not after
/// the password alone: wrong second-factor codes must keep counting toward the lock.)
pub fn sign_in_completed(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<(), DbError> {
    rows::clear_failed_logins(conn, tenant, account)
}

/// Counts a failed sign-in step (a wrong password, a wrong second factor, a wrong current
/// password) and locks the account with back-off past the threshold; true when this failure
/// set the lock. Atomic: under concurrent failures the count is exact, and attempts that
/// arrive once the lock is on do not count. A lock voids the account's open challenges, so
/// codes are not accepted while it holds.
pub fn count_failed_attempt(
    conn: &mut AnyConnection,
    security: &SecuritySettings,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<bool, DbError> {
    tx::write(conn, |conn| {
        let now = unix_now();
        let Some(failures) = rows::record_failed_login(conn, tenant, account, now)? else {
            return Ok(false);
        };
        let Some(lock) = security.lock_for(failures) else {
            return Ok(false);
        };
        rows::set_locked_until(
            conn,
            tenant,
            account,
            Some(crate::domain::expiry(now, lock)),
        )?;
        super::challenge::void_all(conn, tenant, account)?;
        let until = crate::domain::expiry(now, lock);
        let data = json!({ "changed": ["locked"], "locked_until": crate::domain::rfc3339(until) });
        events::account_updated(conn, tenant, account, data)?;
        tracing::warn!(account = %account, failures, lock_secs = lock, "account locked after failed sign-ins");
        crate::metrics::record(|m| m.lockouts.inc());
        Ok(true)
    })
}

/// Lifts a lock and forgets past failures (administrators).
pub fn unlock(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<Account, AccountError> {
    tx::write(conn, |conn| {
        rows::clear_failed_logins(conn, tenant, account)?;
        let data = json!({ "changed": ["locked"], "locked_until": null });
        events::account_updated(conn, tenant, account, data)
    })?;
    find_account(conn, vault, tenant, account)
}

/// Stores an imported password hash (argon2, bcrypt, PBKDF2-SHA256 or scrypt; see
/// `legacy_hash`) as is; it is upgraded to argon2id with the current parameters at the
/// account's next successful sign-in.
pub fn import_password_hash(
    conn: &mut AnyConnection,
    hasher: &super::password::PasswordHasher,
    tenant: &TenantId,
    account: &AccountId,
    hash: &str,
) -> Result<(), AccountError> {
    if !super::password::PasswordHasher::recognises(hash) {
        return Err(AccountError::UnsupportedHash);
    }
    if !hasher.affordable(hash) {
        return Err(AccountError::CostlyHash);
    }
    let now = unix_now();
    tx::write(conn, |conn| {
        void_reset_links(conn, tenant, account, now)?;
        rows::set_password_hash(conn, tenant, account, hash, now)?;
        password_changed(conn, tenant, account)
    })?;
    Ok(())
}

/// The one answer to "may this account sign in now?", asked by every way in: password
/// sign-in, code redemption, refresh, userinfo and introspection. (Tenant suspension is
/// enforced before any tenant endpoint runs; email-verification policy arrives with the
/// account-security work.)
pub fn may_sign_in(account: &Account) -> Result<(), LoginError> {
    match account.status {
        AccountStatus::Active => Ok(()),
        _ => Err(LoginError::AccountUnavailable),
    }
}

/// [`may_sign_in`] for an account known by its id, without opening its sealed data (for
/// checks that need the status only, such as introspection).
pub fn may_sign_in_by_id(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<bool, DbError> {
    Ok(rows::find(conn, tenant, account)?
        .is_some_and(|row| AccountStatus::parse(&row.status) == AccountStatus::Active))
}

/// The purpose of password-reset link tokens (`identity::recovery`).
pub(super) const RESET: &str = "reset";

/// Voids the account's unused reset links: a newer link or a new password replaces them
/// (account_tokens come first in the lock order, so callers do this before touching the
/// account).
pub fn void_reset_links(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    now: i64,
) -> Result<(), DbError> {
    rows::void_account_tokens(conn, tenant, account, RESET, now)?;
    Ok(())
}

/// The `account.updated` event of a status change.
fn status_changed(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    status: AccountStatus,
) -> Result<(), DbError> {
    let data = json!({ "changed": ["status"], "status": status.as_str() });
    events::account_updated(conn, tenant, account, data)
}

/// The `account.updated` event of a new password (never the password or its hash).
pub(crate) fn password_changed(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<(), DbError> {
    events::account_updated(conn, tenant, account, json!({ "changed": ["password"] }))
}
