//! Accounts (the login inside one tenant) and the sign-in check.

use serde::Serialize;

use super::password::PasswordHasher;
use crate::config::SecuritySettings;
use crate::db::accounts::{self as rows, AccountRow};
use crate::db::{grants, sessions, tx, AnyConnection, DbError};
use crate::domain::{unix_now, AccountId, Email, EmailError, TenantId};
use crate::profiles::{self, ProfileError};

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
        "unsupported password hash: import argon2 (PHC string) or bcrypt ($2a$, $2b$, $2y$) hashes"
    )]
    UnsupportedHash,
    #[error(
        "the password hash asks for more work than this server verifies (argon2 at most \
         256 MiB, 16 iterations, 16 lanes; bcrypt cost at most 14)"
    )]
    CostlyHash,
    #[error("{0}")]
    Hash(#[from] super::password::HashError),
    #[error(transparent)]
    Profile(#[from] ProfileError),
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
    hasher: &PasswordHasher,
    tenant: &TenantId,
    email: &str,
    password: &str,
    min_password_chars: usize,
) -> Result<Account, AccountError> {
    let new = NewAccount::prepare(hasher, email, password, min_password_chars)?;
    insert_account(conn, tenant, &new)
}

/// A new account checked and hashed, ready to be stored (argon2 runs here, before any
/// transaction).
#[derive(Debug, Clone)]
pub struct NewAccount {
    email: Email,
    hash: String,
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
            hash: hasher.hash(password)?,
        })
    }

    pub fn email(&self) -> &Email {
        &self.email
    }
}

/// Stores a prepared account with its default profile, atomically.
pub fn insert_account(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    new: &NewAccount,
) -> Result<Account, AccountError> {
    let NewAccount { email, hash } = new.clone();
    if rows::find_by_email(conn, tenant, email.as_str())?.is_some() {
        return Err(AccountError::EmailTaken);
    }
    let now = unix_now();
    let account = AccountRow {
        id: AccountId::generate().to_string(),
        tenant_id: tenant.to_string(),
        email: email.to_string(),
        email_verified_at: None,
        password_hash: Some(hash),
        status: AccountStatus::Active.as_str().into(),
        created_at: now,
        updated_at: now,
        failed_logins: 0,
        locked_until: None,
    };
    let id = AccountId::from_stored(account.id.clone());
    tx::write(conn, |conn| {
        rows::insert(conn, &account).map_err(|e| {
            if e.is_unique_violation() {
                AccountError::EmailTaken
            } else {
                e.into()
            }
        })?;
        profiles::create_default(conn, tenant, &id)?;
        Ok::<_, AccountError>(())
    })?;
    find_account(conn, tenant, &id)
}

pub fn find_account(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<Account, AccountError> {
    let row = rows::find(conn, tenant, account)?.ok_or(AccountError::NotFound)?;
    Ok(load(row))
}

/// An account named by its id or its email (for administrators).
pub fn find_account_by_id_or_email(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id_or_email: &str,
) -> Result<Account, AccountError> {
    if id_or_email.contains('@') {
        let email = Email::parse(id_or_email)?;
        let row =
            rows::find_by_email(conn, tenant, email.as_str())?.ok_or(AccountError::NotFound)?;
        return Ok(load(row));
    }
    find_account(
        conn,
        tenant,
        &AccountId::from_stored(id_or_email.to_owned()),
    )
}

pub(super) fn load(row: AccountRow) -> Account {
    Account {
        id: AccountId::from_stored(row.id),
        tenant_id: TenantId::from_stored(row.tenant_id),
        email: Email::from_stored(row.email),
        email_verified: row.email_verified_at.is_some(),
        status: AccountStatus::parse(&row.status),
    }
}

/// Suspends an account: in one transaction its status changes, its sessions end and every
/// grant it holds (codes, refresh tokens, and through them access tokens) is revoked.
pub fn suspend(
    conn: &mut AnyConnection,
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
        sessions::end_all_for_account(conn, tenant, account, now)?;
        grants::revoke_account_grants(conn, tenant, account, now)?;
        crate::audit::record(
            conn,
            tenant,
            actor.event("account.suspend", account.as_str(), serde_json::json!({})),
        )?;
        Ok::<_, AccountError>(())
    })?;
    find_account(conn, tenant, account)
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
        crate::sessions::end_others(conn, tenant, account, current_session)?;
        grants::revoke_offline_grants(conn, tenant, account, now)?;
        Ok::<_, AccountError>(())
    })
}

pub fn resume(
    conn: &mut AnyConnection,
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
        crate::audit::record(
            conn,
            tenant,
            actor.event("account.resume", account.as_str(), serde_json::json!({})),
        )?;
        Ok::<_, AccountError>(())
    })?;
    find_account(conn, tenant, account)
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
        tracing::warn!(account = %account, failures, lock_secs = lock, "account locked after failed sign-ins");
        Ok(true)
    })
}

/// Lifts a lock and forgets past failures (administrators).
pub fn unlock(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<Account, AccountError> {
    rows::clear_failed_logins(conn, tenant, account)?;
    find_account(conn, tenant, account)
}

/// Stores an imported password hash (argon2 PHC or bcrypt) as is; it is upgraded to argon2id
/// with the current parameters at the account's next successful sign-in.
pub fn import_password_hash(
    conn: &mut AnyConnection,
    hasher: &super::password::PasswordHasher,
    tenant: &TenantId,
    account: &AccountId,
    hash: &str,
) -> Result<(), AccountError> {
    let known = ["$2a$", "$2b$", "$2y$", "$argon2"]
        .iter()
        .any(|p| hash.starts_with(p));
    if !known || argon2::PasswordHash::new(hash).is_err() && !hash.starts_with("$2") {
        return Err(AccountError::UnsupportedHash);
    }
    if !hasher.affordable(hash) {
        return Err(AccountError::CostlyHash);
    }
    let now = unix_now();
    void_reset_links(conn, tenant, account, now)?;
    rows::set_password_hash(conn, tenant, account, hash, now)?;
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
