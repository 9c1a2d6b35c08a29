//! Changing the sign-in email, safely (docs/security.md, "Changing the sign-in email").
//!
//! - **Request:** only from a session signed in within the last five minutes. The link goes
//!   to the new address; the account page says the same whether or not the address is free
//!   (an address another account holds gets a notice instead), so nobody learns who has an
//!   account.
//! - **Confirm:** the link from the new address switches the account's email in one
//!   transaction, voids every link mailed to the old address (reset, verification,
//!   invitation), and opens a 7-day revert window: the old address gets a notice with a
//!   revert link.
//! - **Revert:** the link from the old address restores it, sets a new password, ends every
//!   session and revokes every grant, removes a second factor enrolled after the change, and
//!   voids every later change (a chain of changes cannot outrun the first revert link). If
//!   the account had a second factor when the change was confirmed, the revert asks for a
//!   code from it: the old address may have changed hands, and only the second factor (or an
//!   administrator, who can reset it) proves its owner.
//!
//! An address freed by a change signs nobody in to the account: sign-in and password reset
//! look addresses up by the account's current blind index only.

use super::accounts::{check_password, email_index, load, AccountError, EMAIL_FIELD};
use super::password::PasswordHasher;
use crate::audit::Actor;
use crate::crypto::{random_token, sha256_hex};
use crate::db::email_changes::{self as changes, EmailChangeRow};
use crate::db::{accounts as rows, grants, mfa as mfa_rows, tx, AnyConnection, DbError};
use crate::domain::{expiry, unix_now, AccountId, Email, TenantId};
use crate::keys::envelope::EnvelopeError;
use crate::keys::vault::{DataKey, KeyOwner};
use crate::keys::{MasterKey, Vault};

/// How recent the session's sign-in must be to request a change.
pub const RECENT_SIGN_IN_SECS: i64 = 5 * 60;
/// How long the confirmation link sent to the new address works.
pub const CONFIRM_LIFETIME_SECS: i64 = 24 * 3600;
/// How long the old address can revert a confirmed change.
pub const REVERT_LIFETIME_SECS: i64 = 7 * 86_400;
/// Wrong second-factor codes a revert link takes before it stops working.
pub const MAX_CODE_FAILURES: i64 = 5;

const OLD_FIELD: &str = "email change: old email";
const NEW_FIELD: &str = "email change: new email";

#[derive(Debug, thiserror::Error)]
pub enum EmailChangeError {
    #[error("changing the sign-in email needs a sign-in within the last 5 minutes: sign in again")]
    SignInTooOld,
    #[error("this is already the account's sign-in email")]
    Unchanged,
    #[error("the link is invalid, used or expired")]
    InvalidLink,
    #[error("another account has this address now: ask an administrator")]
    AddressTaken,
    #[error("a code from the account's second factor is needed")]
    SecondFactorNeeded,
    #[error("the second-factor code is not correct")]
    WrongCode,
    #[error(transparent)]
    Account(#[from] AccountError),
}

impl crate::db::StorageFailure for EmailChangeError {
    fn storage_error(&self) -> Option<&DbError> {
        match self {
            EmailChangeError::Account(e) => e.storage_error(),
            _ => None,
        }
    }
}

impl From<DbError> for EmailChangeError {
    fn from(e: DbError) -> Self {
        EmailChangeError::Account(AccountError::Db(e))
    }
}

impl From<EnvelopeError> for EmailChangeError {
    fn from(e: EnvelopeError) -> Self {
        EmailChangeError::Account(AccountError::Sealed(e))
    }
}

/// What a request sends, and to whom.
#[derive(Debug)]
pub enum Requested {
    /// The confirmation link, to the new address.
    Confirm { to: Email, token: String },
    /// Another account holds the address: its owner is told someone tried (the page says
    /// the same as for a free address).
    Taken { to: Email },
}

/// The account's data key, which seals its addresses; `None` once erased.
fn account_key(
    vault: &Vault,
    row: &crate::db::accounts::AccountRow,
) -> Result<Option<DataKey>, EnvelopeError> {
    let (Some(bytes), Some(master_key_id)) = (&row.data_key, &row.data_key_master_id) else {
        return Ok(None);
    };
    vault
        .data_key(KeyOwner::Account(&row.id), bytes, master_key_id)
        .map(Some)
}

fn open_email(key: &DataKey, field: &str, sealed: &[u8]) -> Result<Email, EnvelopeError> {
    let text = String::from_utf8(key.open(field, sealed)?).map_err(|_| EnvelopeError::Corrupted)?;
    Ok(Email::from_stored(text))
}

/// Requests a change of `account`'s sign-in email to `new_email`, for a session signed in at
/// `auth_time`. Only the newest request's link works.
pub fn request(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    account: &AccountId,
    auth_time: i64,
    new_email: &str,
    actor: &Actor,
) -> Result<Requested, EmailChangeError> {
    let now = unix_now();
    if now.saturating_sub(auth_time) > RECENT_SIGN_IN_SECS {
        return Err(EmailChangeError::SignInTooOld);
    }
    let new = Email::parse(new_email).map_err(AccountError::from)?;
    let row = rows::find(conn, tenant, account)?.ok_or(AccountError::NotFound)?;
    let key = account_key(vault, &row)?.ok_or(AccountError::NotFound)?;
    let current = load(vault, row.clone())?;
    if current.email == new {
        return Err(EmailChangeError::Unchanged);
    }
    let new_index = email_index(vault, tenant, &new);
    if rows::find_by_email_index(conn, tenant, &new_index)?.is_some() {
        tx::write(conn, |conn| {
            let details = serde_json::json!({ "reason": "address_taken" });
            let event = actor.event("account.email_change.refused", account.as_str(), details);
            crate::audit::record(conn, tenant, event)
        })?;
        return Ok(Requested::Taken { to: new });
    }
    let token = random_token();
    let change = EmailChangeRow {
        id: uuid::Uuid::now_v7().to_string(),
        tenant_id: tenant.to_string(),
        account_id: account.to_string(),
        old_email_index: row.email_index.clone(),
        old_email_sealed: key.seal(OLD_FIELD, current.email.as_str().as_bytes())?,
        new_email_index: new_index,
        new_email_sealed: key.seal(NEW_FIELD, new.as_str().as_bytes())?,
        confirm_token_hash: sha256_hex(&token),
        revert_token_hash: None,
        requested_at: now,
        confirmed_at: None,
        second_factor: false,
        code_failures: 0,
        ended_at: None,
        end_reason: None,
        expires_at: expiry(now, CONFIRM_LIFETIME_SECS),
    };
    tx::write(conn, |conn| {
        changes::end_unconfirmed(conn, tenant, account, now, "superseded")?;
        changes::insert(conn, &change)?;
        let details = serde_json::json!({ "change": change.id });
        let event = actor.event("account.email_change.request", account.as_str(), details);
        crate::audit::record(conn, tenant, event)
    })?;
    Ok(Requested::Confirm { to: new, token })
}

/// The new address a live confirmation link would switch to (the page names it).
pub fn pending_address(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    token: &str,
) -> Result<Option<Email>, EmailChangeError> {
    let Some(change) = changes::find_to_confirm(conn, tenant, &sha256_hex(token), unix_now())?
    else {
        return Ok(None);
    };
    let account = AccountId::from_stored(change.account_id.clone());
    let Some(row) = rows::find(conn, tenant, &account)? else {
        return Ok(None);
    };
    let Some(key) = account_key(vault, &row)? else {
        return Ok(None);
    };
    Ok(Some(open_email(&key, NEW_FIELD, &change.new_email_sealed)?))
}

/// A confirmed change: the notice with the revert link goes to `old`.
#[derive(Debug)]
pub struct Confirmed {
    pub account: AccountId,
    pub old: Email,
    pub new: Email,
    pub revert_token: String,
}

/// Confirms a change with the link mailed to the new address.
pub fn confirm(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    token: &str,
    ip: &str,
) -> Result<Confirmed, EmailChangeError> {
    let hash = sha256_hex(token);
    let now = unix_now();
    let revert_token = random_token();
    let (change, key) = tx::write(conn, |conn| {
        let change = changes::find_to_confirm(conn, tenant, &hash, now)?
            .ok_or(EmailChangeError::InvalidLink)?;
        let account = AccountId::from_stored(change.account_id.clone());
        // The lock order (docs/architecture.md): mailed links, the account, then its changes.
        // Reset, verification and invitation links went to the old address.
        rows::void_all_account_tokens(conn, tenant, &account, now)?;
        rows::lock(conn, tenant, &account)?;
        let row = rows::find(conn, tenant, &account)?.ok_or(EmailChangeError::InvalidLink)?;
        let key = account_key(vault, &row)?.ok_or(EmailChangeError::InvalidLink)?;
        // Changed some other way since the request (an earlier change confirmed, a revert):
        // this request no longer says what it replaces.
        if row.email_index != change.old_email_index || row.status != "active" {
            return Err(EmailChangeError::InvalidLink);
        }
        let second_factor = super::mfa::is_enrolled(conn, tenant, &account)?;
        let revert_until = expiry(now, REVERT_LIFETIME_SECS);
        let revert_hash = sha256_hex(&revert_token);
        if !changes::confirm(
            conn,
            tenant,
            &change.id,
            &revert_hash,
            second_factor,
            now,
            revert_until,
        )? {
            return Err(EmailChangeError::InvalidLink);
        }
        let new = open_email(&key, NEW_FIELD, &change.new_email_sealed)?;
        let sealed = key.seal(EMAIL_FIELD, new.as_str().as_bytes())?;
        rows::set_email(
            conn,
            tenant,
            &account,
            &change.new_email_index,
            &sealed,
            now,
        )
        .map_err(|e| match e.is_unique_violation() {
            true => EmailChangeError::AddressTaken,
            false => e.into(),
        })?;
        let actor = Actor {
            id: account.to_string(),
            ip: ip.to_owned(),
        };
        let details = serde_json::json!({ "change": change.id });
        let event = actor.event("account.email_change.confirm", account.as_str(), details);
        crate::audit::record(conn, tenant, event)?;
        let changed = serde_json::json!({ "changed": ["email"] });
        crate::events::account_updated(conn, tenant, &account, changed)?;
        Ok::<_, EmailChangeError>((change, key))
    })?;
    Ok(Confirmed {
        account: AccountId::from_stored(change.account_id),
        old: open_email(&key, OLD_FIELD, &change.old_email_sealed)?,
        new: open_email(&key, NEW_FIELD, &change.new_email_sealed)?,
        revert_token,
    })
}

/// What the revert page shows before the form is sent.
#[derive(Debug)]
pub struct RevertView {
    /// The address a revert restores.
    pub old: Email,
    /// Whether the form must carry a second-factor code.
    pub second_factor: bool,
}

/// The change a live revert link names, with its account's key.
fn revertible(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    hash: &str,
    now: i64,
) -> Result<Option<(EmailChangeRow, DataKey)>, EmailChangeError> {
    let Some(change) = changes::find_to_revert(conn, tenant, hash, now)? else {
        return Ok(None);
    };
    let account = AccountId::from_stored(change.account_id.clone());
    let Some(row) = rows::find(conn, tenant, &account)? else {
        return Ok(None);
    };
    Ok(account_key(vault, &row)?.map(|key| (change, key)))
}

/// Whether reverting `change` needs a code from the second factor: the account had one when
/// the change was confirmed, and still has that one (a factor enrolled after the change is
/// removed by the revert, and one an administrator reset asks for nothing).
fn needs_second_factor(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    change: &EmailChangeRow,
) -> Result<bool, DbError> {
    if !change.second_factor {
        return Ok(false);
    }
    let account = AccountId::from_stored(change.account_id.clone());
    let factor = mfa_rows::find_totp(conn, tenant, &account)?;
    Ok(factor
        .and_then(|f| f.confirmed_at)
        .zip(change.confirmed_at)
        .is_some_and(|(enrolled, confirmed)| enrolled <= confirmed))
}

/// The revert page's view of a live link; `None` when the link is not live.
pub fn revert_view(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    token: &str,
) -> Result<Option<RevertView>, EmailChangeError> {
    let Some((change, key)) = revertible(conn, vault, tenant, &sha256_hex(token), unix_now())?
    else {
        return Ok(None);
    };
    Ok(Some(RevertView {
        old: open_email(&key, OLD_FIELD, &change.old_email_sealed)?,
        second_factor: needs_second_factor(conn, tenant, &change)?,
    }))
}

/// A revert form.
pub struct Revert<'a> {
    pub token: &'a str,
    pub new_password: &'a str,
    /// A TOTP or recovery code, when the change asks for one.
    pub code: Option<&'a str>,
    pub min_chars: usize,
    pub ip: &'a str,
}

/// Reverts a change with the link mailed to the old address. Blocking (argon2).
pub fn revert(
    conn: &mut AnyConnection,
    vault: &Vault,
    master: &MasterKey,
    hasher: &PasswordHasher,
    tenant: &TenantId,
    form: Revert,
) -> Result<Email, EmailChangeError> {
    let hash = sha256_hex(form.token);
    let now = unix_now();
    let (change, key) =
        revertible(conn, vault, tenant, &hash, now)?.ok_or(EmailChangeError::InvalidLink)?;
    let account = AccountId::from_stored(change.account_id.clone());
    // The password first, so a rejected one costs no second-factor code.
    check_password(form.new_password, form.min_chars)?;
    if needs_second_factor(conn, tenant, &change)? {
        let code = form
            .code
            .filter(|c| !c.trim().is_empty())
            .ok_or(EmailChangeError::SecondFactorNeeded)?;
        // The account's lock first, as every sign-in step (and the revert below) takes it:
        // the code's step and the link's count change together, in the lock order.
        let verified = tx::write(conn, |conn| {
            rows::lock(conn, tenant, &account)?;
            match super::mfa::verify(conn, master, tenant, &account, code) {
                Ok(_) => return Ok(true),
                Err(super::mfa::MfaError::Db(e)) => return Err(e),
                Err(_) => {}
            }
            // Counted on the link: guessing codes ends it, and an administrator must help.
            if changes::count_code_failure(conn, tenant, &change.id)? >= MAX_CODE_FAILURES {
                changes::end(conn, tenant, &change.id, now, "too_many_codes")?;
            }
            Ok::<_, DbError>(false)
        })?;
        if !verified {
            return Err(EmailChangeError::WrongCode);
        }
    }
    let new_hash = hasher.hash(form.new_password).map_err(AccountError::from)?;
    let old = open_email(&key, OLD_FIELD, &change.old_email_sealed)?;
    let sealed = key.seal(EMAIL_FIELD, old.as_str().as_bytes())?;
    tx::write(conn, |conn| {
        // The lock order (docs/architecture.md): mailed links, the account, its changes.
        rows::void_all_account_tokens(conn, tenant, &account, now)?;
        rows::lock(conn, tenant, &account)?;
        // Ending it is the claim: of two reverts at once, one restores.
        if !changes::end(conn, tenant, &change.id, now, "reverted")? {
            return Err(EmailChangeError::InvalidLink);
        }
        changes::end_later(
            conn,
            tenant,
            &account,
            &change.id,
            change.requested_at,
            now,
            "voided_by_revert",
        )?;
        rows::set_email(
            conn,
            tenant,
            &account,
            &change.old_email_index,
            &sealed,
            now,
        )
        .map_err(|e| match e.is_unique_violation() {
            true => EmailChangeError::AddressTaken,
            false => e.into(),
        })?;
        // A factor the account did not have when the change was confirmed (or one enrolled
        // again since) is the new holder's: it goes.
        let factor = mfa_rows::find_totp(conn, tenant, &account)?;
        let enrolled_after = factor.is_some_and(|f| {
            !change.second_factor
                || f.confirmed_at
                    .zip(change.confirmed_at)
                    .is_none_or(|(enrolled, confirmed)| enrolled > confirmed)
        });
        if enrolled_after {
            mfa_rows::delete_totp(conn, tenant, &account)?;
        }
        rows::set_password_hash(conn, tenant, &account, &new_hash, now)?;
        rows::clear_failed_logins(conn, tenant, &account)?;
        let reason = crate::sessions::EndReason::EmailChangeReverted;
        crate::sessions::end_all(conn, tenant, &account, now, reason)?;
        grants::revoke_account_grants(conn, tenant, &account, now)?;
        let actor = Actor {
            id: account.to_string(),
            ip: form.ip.to_owned(),
        };
        let details = serde_json::json!({
            "change": change.id,
            "second_factor_removed": enrolled_after,
        });
        let event = actor.event("account.email_change.revert", account.as_str(), details);
        crate::audit::record(conn, tenant, event)?;
        let mut changed = vec!["email", "password"];
        if enrolled_after {
            changed.push("mfa");
        }
        let changed = serde_json::json!({ "changed": changed });
        crate::events::account_updated(conn, tenant, &account, changed)?;
        Ok::<_, EmailChangeError>(())
    })?;
    Ok(old)
}

/// One change of the sign-in email, for the person's export.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct EmailChangeEntry {
    pub requested_at: String,
    pub old_email: String,
    pub new_email: String,
    pub confirmed_at: Option<String>,
    pub ended_at: Option<String>,
    /// `superseded` (a newer request replaced it), `reverted`, `voided_by_revert`,
    /// `too_many_codes` (the revert link took too many wrong codes); `None` while open.
    pub end_reason: Option<String>,
}

/// The account's changes of sign-in email still held (the purge deletes one when its
/// revert window, or its unused confirmation link, ends), newest first.
pub fn history(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<Vec<EmailChangeEntry>, EmailChangeError> {
    let Some(row) = rows::find(conn, tenant, account)? else {
        return Ok(Vec::new());
    };
    let Some(key) = account_key(vault, &row)? else {
        return Ok(Vec::new());
    };
    let rfc3339 = crate::domain::rfc3339;
    changes::of_account(conn, tenant, account)?
        .into_iter()
        .map(|c| {
            Ok(EmailChangeEntry {
                requested_at: rfc3339(c.requested_at),
                old_email: open_email(&key, OLD_FIELD, &c.old_email_sealed)?.to_string(),
                new_email: open_email(&key, NEW_FIELD, &c.new_email_sealed)?.to_string(),
                confirmed_at: c.confirmed_at.map(rfc3339),
                ended_at: c.ended_at.map(rfc3339),
                end_reason: c.end_reason,
            })
        })
        .collect()
}
