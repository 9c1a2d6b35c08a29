//! Email verification by mail: the account's address, and each profile's own address. Links
//! are single use, stored hashed, and expire after a day. Opening a link only asks for a
//! button press; the press spends it (mail scanners that fetch links confirm nothing). A profile link names the address it
//! was sent to, so changing the address in between voids it.

use super::accounts::AccountError;
use crate::crypto::{random_token, sha256_hex};
use crate::db::{accounts as rows, AnyConnection, DbError};
use crate::domain::{unix_now, AccountId, ProfileId, TenantId};
use crate::events;

pub const VERIFY_LIFETIME_SECS: i64 = 24 * 3600;
const ACCOUNT: &str = "verify";

/// What a verification link proved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    Account(AccountId),
    Profile(ProfileId),
}

/// Names the address by its blind index: the purpose is stored, and must hold no address in
/// clear.
fn profile_purpose(profile: &ProfileId, email_index: &str) -> String {
    format!("verify-profile:{profile}:{email_index}")
}

/// A link token proving the account's own email.
pub fn account_token(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<String, DbError> {
    let token = random_token();
    let now = unix_now();
    rows::insert_account_token(
        conn,
        tenant,
        account,
        &sha256_hex(&token),
        ACCOUNT,
        now,
        crate::domain::expiry(now, VERIFY_LIFETIME_SECS),
    )?;
    Ok(token)
}

/// A link token proving a profile's email; `None` when the profile has no email or is not
/// the account's.
pub fn profile_token(
    conn: &mut AnyConnection,
    vault: &crate::keys::Vault,
    tenant: &TenantId,
    account: &AccountId,
    profile: &ProfileId,
) -> Result<Option<(String, String)>, DbError> {
    let found = match crate::profiles::find(conn, vault, tenant, profile) {
        Ok(found) => found,
        Err(crate::profiles::ProfileError::NotFound) => return Ok(None),
        Err(crate::profiles::ProfileError::Db(e)) => return Err(e),
        Err(other) => return Err(DbError::Unreadable(other.to_string())),
    };
    let Some(row) = rows::find_profile(conn, tenant, profile)? else {
        return Ok(None);
    };
    let (Some(email), Some(index)) = (found.email, row.email_index) else {
        return Ok(None);
    };
    if found.account_id != *account {
        return Ok(None);
    }
    let email = email.to_string();
    let token = random_token();
    let now = unix_now();
    rows::insert_account_token(
        conn,
        tenant,
        account,
        &sha256_hex(&token),
        &profile_purpose(profile, &index),
        now,
        crate::domain::expiry(now, VERIFY_LIFETIME_SECS),
    )?;
    Ok(Some((email, token)))
}

/// Whether a verification link is live (to show its confirmation button, or say it expired).
pub fn link_is_live(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    token: &str,
) -> Result<bool, DbError> {
    Ok(
        rows::find_any_account_token(conn, tenant, &sha256_hex(token), unix_now())?.is_some_and(
            |(_, purpose)| purpose == ACCOUNT || purpose.starts_with("verify-profile:"),
        ),
    )
}

/// Spends a verification link and marks the address verified.
pub fn verify(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    token: &str,
) -> Result<Option<Verified>, AccountError> {
    // The link is spent and the address confirmed together, or neither.
    crate::db::tx::write(conn, |conn| confirm(conn, tenant, token))
}

fn confirm(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    token: &str,
) -> Result<Option<Verified>, AccountError> {
    let hash = sha256_hex(token);
    let now = unix_now();
    let Some((account, purpose)) = rows::find_any_account_token(conn, tenant, &hash, now)? else {
        return Ok(None);
    };
    let account = AccountId::from_stored(account);
    if purpose == ACCOUNT {
        if !rows::use_account_token(conn, tenant, &hash, now)? {
            return Ok(None);
        }
        rows::set_email_verified(conn, tenant, &account, now)?;
        let data = serde_json::json!({ "changed": ["email_verified"] });
        events::account_updated(conn, tenant, &account, data)?;
        return Ok(Some(Verified::Account(account)));
    }
    let Some(rest) = purpose.strip_prefix("verify-profile:") else {
        return Ok(None);
    };
    let Some((profile, email_index)) = rest.split_once(':') else {
        return Ok(None);
    };
    let Some(row) = rows::find_profile(conn, tenant, &profile.into())? else {
        return Ok(None);
    };
    if row.email_index.as_deref() != Some(email_index)
        || !rows::use_account_token(conn, tenant, &hash, now)?
    {
        return Ok(None);
    }
    let profile = ProfileId::from_stored(row.id);
    rows::set_profile_email_verified(conn, tenant, &profile, now)?;
    let data = serde_json::json!({ "changed": ["email_verified"] });
    let subject = events::Subject::Profile(&profile);
    events::emit(conn, tenant, events::Kind::ProfileUpdated, subject, data)?;
    Ok(Some(Verified::Profile(profile)))
}
