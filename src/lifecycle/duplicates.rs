//! Accounts that look like one person, for an administrator to merge (`lifecycle::merge`):
//! today, an account whose sign-in address is another account's profile email. (The same
//! customer identifier and the same federated subject join this list once customers and
//! federation exist.)
//!
//! Addresses are sealed, and account and profile emails have blind indexes of their own
//! purposes, so no join finds them: the profile-email indexes are read once (no decryption),
//! then each account's address is opened and its profile-email index looked up. One pass,
//! in pages of accounts; memory grows with the profiles that have an email, not with the
//! accounts.

use std::collections::HashMap;

use crate::db::{accounts as rows, AnyConnection, DbError};
use crate::domain::{AccountId, Email, TenantId};
use crate::keys::Vault;

/// Accounts read per page.
const PAGE: i64 = 500;

/// One group: the account whose sign-in address is `email`, and the accounts that hold it as
/// a profile email.
#[derive(Debug, Clone)]
pub struct Group {
    pub email: Email,
    pub account: AccountId,
    /// (account, profile) pairs holding the address as a profile email.
    pub others: Vec<(String, String)>,
}

/// Every group in the tenant, in account order.
pub fn find(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
) -> Result<Vec<Group>, DbError> {
    let mut holders: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for (index, profile, account) in rows::profile_email_indexes(conn, tenant)? {
        holders.entry(index).or_default().push((account, profile));
    }
    let mut groups = Vec::new();
    if holders.is_empty() {
        return Ok(groups);
    }
    let mut after: Option<AccountId> = None;
    loop {
        let page = rows::list(conn, tenant, after.as_ref(), PAGE)?;
        let Some(last) = page.last() else {
            break;
        };
        after = Some(AccountId::from_stored(last.id.clone()));
        let full = page.len() as i64 == PAGE;
        for row in page {
            if row.data_key.is_none() {
                continue; // erased or merged: no address any more
            }
            let account = crate::identity::load_account(vault, row)?;
            let index = crate::profiles::profile_email_index(vault, tenant, &account.email);
            let Some(found) = holders.get(&index) else {
                continue;
            };
            let others: Vec<(String, String)> = found
                .iter()
                .filter(|(holder, _)| holder != account.id.as_str())
                .cloned()
                .collect();
            if !others.is_empty() {
                groups.push(Group {
                    email: account.email,
                    account: account.id,
                    others,
                });
            }
        }
        if !full {
            break;
        }
    }
    Ok(groups)
}
