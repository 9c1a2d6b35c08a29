//! Password reset by mail: a single-use link, stored hashed, valid for 30 minutes. Opening it
//! only shows the form; submitting the form spends it, sets the password, ends every session
//! and revokes every grant. It never signs the user in, so a second factor is still asked at
//! the next sign-in. Only the newest link works: asking again, or any change of password,
//! voids the links sent before.

use super::accounts::{check_password, void_reset_links, AccountError, RESET};
use super::password::PasswordHasher;
use crate::crypto::{random_token, sha256_hex};
use crate::db::{accounts as rows, grants, tx, AnyConnection, DbError};
use crate::domain::{unix_now, AccountId, Email, TenantId};

pub const RESET_LIFETIME_SECS: i64 = 30 * 60;

/// A reset link token for the account with this email, if there is an active one. Callers
/// answer the same way either way.
pub fn request_reset(
    conn: &mut AnyConnection,
    vault: &crate::keys::Vault,
    tenant: &TenantId,
    email: &str,
) -> Result<Option<(Email, String)>, DbError> {
    let Ok(email) = Email::parse(email) else {
        return Ok(None);
    };
    let Some(row) = super::accounts::find_by_email(conn, vault, tenant, &email)? else {
        return Ok(None);
    };
    if row.status != "active" {
        return Ok(None);
    }
    let token = random_token();
    let now = unix_now();
    let account = AccountId::from_stored(row.id);
    void_reset_links(conn, tenant, &account, now)?;
    rows::insert_account_token(
        conn,
        tenant,
        &account,
        &sha256_hex(&token),
        RESET,
        now,
        crate::domain::expiry(now, RESET_LIFETIME_SECS),
    )?;
    Ok(Some((email, token)))
}

/// The account a reset link belongs to, if the link is live: unused, unexpired, and the
/// account's newest. Issuing a link voids the older ones, but two requests at once may both
/// issue one; only the newer of the two works.
fn live_reset_link(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    hash: &str,
    now: i64,
) -> Result<Option<AccountId>, DbError> {
    let Some(account) = rows::find_account_token(conn, tenant, hash, RESET, now)? else {
        return Ok(None);
    };
    let account = AccountId::from_stored(account);
    let newest = rows::newest_account_token(conn, tenant, &account, RESET, now)?;
    Ok((newest.as_deref() == Some(hash)).then_some(account))
}

/// Whether a reset token is live (to show the form, or not).
pub fn reset_token_is_live(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    token: &str,
) -> Result<bool, DbError> {
    Ok(live_reset_link(conn, tenant, &sha256_hex(token), unix_now())?.is_some())
}

#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    #[error("the link is invalid, used or expired")]
    InvalidLink,
    #[error(transparent)]
    Account(#[from] AccountError),
}

impl crate::db::StorageFailure for ResetError {
    fn storage_error(&self) -> Option<&DbError> {
        match self {
            ResetError::Account(e) => e.storage_error(),
            ResetError::InvalidLink => None,
        }
    }
}

impl From<DbError> for ResetError {
    fn from(e: DbError) -> Self {
        ResetError::Account(AccountError::Db(e))
    }
}

/// Sets a new password with a reset token. Blocking (argon2).
pub fn reset_password(
    conn: &mut AnyConnection,
    hasher: &PasswordHasher,
    tenant: &TenantId,
    token: &str,
    new_password: &str,
    min_chars: usize,
) -> Result<(), ResetError> {
    let hash = sha256_hex(token);
    let now = unix_now();
    let account = live_reset_link(conn, tenant, &hash, now)?.ok_or(ResetError::InvalidLink)?;
    // Check the password before spending the link, so a rejected password can be retried.
    check_password(new_password, min_chars)?;
    let new_hash = hasher.hash(new_password).map_err(AccountError::from)?;
    tx::write(conn, |conn| {
        // Again inside the transaction: a newer link may have been sent while hashing.
        if live_reset_link(conn, tenant, &hash, now)?.is_none()
            || !rows::use_account_token(conn, tenant, &hash, now)?
        {
            return Err(ResetError::InvalidLink);
        }
        void_reset_links(conn, tenant, &account, now)?;
        rows::set_password_hash(conn, tenant, &account, &new_hash, now)?;
        rows::clear_failed_logins(conn, tenant, &account)?;
        super::accounts::password_changed(conn, tenant, &account)?;
        let reason = crate::sessions::EndReason::PasswordReset;
        crate::sessions::end_all(conn, tenant, &account, now, reason)?;
        grants::revoke_account_grants(conn, tenant, &account, now)?;
        Ok::<_, ResetError>(())
    })
}
