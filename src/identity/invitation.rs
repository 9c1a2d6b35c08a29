//! Invitations: an account an administrator creates for someone, with no password until its
//! owner chooses one through a link mailed to them. The link is single-use, stored hashed and
//! valid for seven days; only the newest works, and re-sending issues a new one. Accepting
//! sets the password, confirms the address (the link reached it) and hands the sign-in
//! service a password proven a moment ago, so the new owner lands signed in through the same
//! status, second-factor and audit rules as every other way in.

use serde_json::json;

use super::accounts::{check_password, insert_account, load, void_reset_links, Account};
use super::accounts::{AccountError, NewAccount};
use super::password::PasswordHasher;
use super::signin::Checked;
use crate::crypto::{random_token, sha256_hex};
use crate::db::{accounts as rows, tx, AnyConnection, DbError};
use crate::domain::{expiry, unix_now, AccountId, Email, TenantId};
use crate::keys::Vault;

pub const INVITATION_LIFETIME_SECS: i64 = 7 * 24 * 60 * 60;
/// The purpose of invitation link tokens.
const INVITE: &str = "invite";

/// A link to send: the account it invites, its address and the link's token (never stored or
/// logged; only its hash is kept).
pub struct Invitation {
    pub account: Account,
    pub to: Email,
    pub token: String,
    pub expires_at: i64,
}

impl Invitation {
    fn of(account: Account, (token, expires_at): (String, i64)) -> Invitation {
        Invitation {
            to: account.email.clone(),
            account,
            token,
            expires_at,
        }
    }
}

/// An invitation waiting for its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub invited_at: i64,
    /// When the newest link stops working; `None` once it has expired (re-send to renew).
    pub link_expires_at: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum InvitationError {
    #[error("the invitation link is invalid, used, replaced by a newer one, or expired")]
    InvalidLink,
    #[error("this account has no pending invitation: its owner has chosen a password already")]
    NotPending,
    #[error(transparent)]
    Account(#[from] AccountError),
}

impl From<DbError> for InvitationError {
    fn from(e: DbError) -> Self {
        InvitationError::Account(AccountError::Db(e))
    }
}

impl crate::db::StorageFailure for InvitationError {
    fn storage_error(&self) -> Option<&DbError> {
        match self {
            InvitationError::Account(e) => e.storage_error(),
            _ => None,
        }
    }
}

/// Creates an invited account (no password) with its first profile, and its first link.
/// Atomic; nests in the caller's transaction.
pub fn invite(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    new: &NewAccount,
) -> Result<Invitation, AccountError> {
    tx::write(conn, |conn| {
        let account = insert_account(conn, vault, tenant, new)?;
        let now = unix_now();
        rows::mark_invited(conn, tenant, &account.id, now)?;
        let link = issue(conn, tenant, &account.id, now)?;
        Ok(Invitation::of(account, link))
    })
}

/// A new link for a pending invitation; the older links stop working.
pub fn reissue(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<Invitation, InvitationError> {
    tx::write(conn, |conn| {
        let now = unix_now();
        // Tokens before the account row (the lock order of every reset and invitation path).
        rows::void_account_tokens(conn, tenant, account, INVITE, now)?;
        rows::lock(conn, tenant, account)?;
        let row = rows::find(conn, tenant, account)?.ok_or(AccountError::NotFound)?;
        if row.status != "active" || rows::invited_at(conn, tenant, account)?.is_none() {
            return Err(InvitationError::NotPending);
        }
        let account = load(vault, row).map_err(AccountError::from)?;
        let link = issue(conn, tenant, &account.id, now)?;
        Ok(Invitation::of(account, link))
    })
}

fn issue(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    now: i64,
) -> Result<(String, i64), DbError> {
    rows::void_account_tokens(conn, tenant, account, INVITE, now)?;
    let token = random_token();
    let expires_at = expiry(now, INVITATION_LIFETIME_SECS);
    rows::insert_account_token(
        conn,
        tenant,
        account,
        &sha256_hex(&token),
        INVITE,
        now,
        expires_at,
    )?;
    Ok((token, expires_at))
}

/// The account's pending invitation, if it has one.
pub fn pending(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<Option<Pending>, DbError> {
    let Some(invited_at) = rows::invited_at(conn, tenant, account)? else {
        return Ok(None);
    };
    let link_expires_at = rows::newest_account_token_expiry(conn, tenant, account, INVITE)?
        .filter(|at| *at > unix_now());
    Ok(Some(Pending {
        invited_at,
        link_expires_at,
    }))
}

/// The tenant's accounts with a pending invitation, oldest first.
pub fn all_pending(
    conn: &mut AnyConnection,
    tenant: &TenantId,
) -> Result<Vec<(AccountId, i64)>, DbError> {
    Ok(rows::pending_invitations(conn, tenant)?
        .into_iter()
        .map(|(id, at)| (AccountId::from_stored(id), at))
        .collect())
}

/// The account a link invites, while the link is live: unused, unexpired, the account's
/// newest, and the invitation still pending.
fn live(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    hash: &str,
    now: i64,
) -> Result<Option<AccountId>, DbError> {
    let Some(account) = rows::find_account_token(conn, tenant, hash, INVITE, now)? else {
        return Ok(None);
    };
    let account = AccountId::from_stored(account);
    let newest = rows::newest_account_token(conn, tenant, &account, INVITE, now)?;
    let pending = rows::invited_at(conn, tenant, &account)?.is_some();
    Ok((pending && newest.as_deref() == Some(hash)).then_some(account))
}

/// The invited account behind a live link (to show the form with its address), or `None`.
pub fn open(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    token: &str,
) -> Result<Option<Account>, AccountError> {
    let Some(account) = live(conn, tenant, &sha256_hex(token), unix_now())? else {
        return Ok(None);
    };
    match rows::find(conn, tenant, &account)? {
        Some(row) if row.status == "active" => Ok(Some(load(vault, row)?)),
        _ => Ok(None),
    }
}

/// A password chosen through an invitation, checked against the policy and hashed. Blocking
/// (argon2): run it on the blocking pool before the transaction.
pub struct ChosenPassword(String);

impl ChosenPassword {
    pub fn hash(
        hasher: &PasswordHasher,
        password: &str,
        min_chars: usize,
    ) -> Result<ChosenPassword, AccountError> {
        check_password(password, min_chars)?;
        Ok(ChosenPassword(hasher.hash(password)?))
    }
}

/// Accepts an invitation: spends the link (exactly once, even when submitted twice at once),
/// sets the chosen password, confirms the address, and answers with the password as proven,
/// for [`super::signin::password`] in the same transaction. Audited as
/// `account.invitation_accepted`.
pub fn accept(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    token: &str,
    password: &ChosenPassword,
    ip: &str,
) -> Result<Checked, InvitationError> {
    let (hash, now) = (sha256_hex(token), unix_now());
    let account = live(conn, tenant, &hash, now)?.ok_or(InvitationError::InvalidLink)?;
    if !rows::use_account_token(conn, tenant, &hash, now)? {
        return Err(InvitationError::InvalidLink);
    }
    rows::void_account_tokens(conn, tenant, &account, INVITE, now)?;
    void_reset_links(conn, tenant, &account, now)?;
    rows::lock(conn, tenant, &account)?;
    let row = rows::find(conn, tenant, &account)?
        .filter(|row| row.status == "active")
        .ok_or(InvitationError::InvalidLink)?;
    rows::set_password_hash(conn, tenant, &account, &password.0, now)?;
    rows::set_email_verified(conn, tenant, &account, now)?;
    let data = json!({ "changed": ["password", "email_verified"] });
    crate::events::account_updated(conn, tenant, &account, data)?;
    crate::audit::record(
        conn,
        tenant,
        crate::audit::Event {
            actor: account.as_str(),
            action: "account.invitation_accepted",
            target: account.as_str(),
            ip,
            details: json!({}),
        },
    )?;
    Ok(Checked::chosen(row))
}
