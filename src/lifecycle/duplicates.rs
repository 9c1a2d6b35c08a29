//! Accounts that look like one person, for an administrator to merge (`lifecycle::merge`):
//! an account whose sign-in address is another account's profile email, and accounts acting
//! for customers that share an identifier. (The same federated subject joins this list once
//! federation exists.)
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

/// Accounts acting for customers that share an identifier (`customers::duplicates`).
#[derive(Debug, Clone)]
pub struct CustomerGroup {
    /// The identifier kind whose value they share.
    pub identifier: String,
    /// Each customer with the accounts acting for it, in id order.
    pub customers: Vec<(String, Vec<String>)>,
}

/// Every group of customers sharing an identifier in which at least two accounts act.
pub fn by_customer_identifier(
    conn: &mut AnyConnection,
    tenant: &TenantId,
) -> Result<Vec<CustomerGroup>, DbError> {
    let groups = match crate::customers::duplicates(conn, tenant) {
        Ok(groups) => groups,
        Err(crate::customers::CustomerError::Db(e)) => return Err(e),
        Err(_) => Vec::new(),
    };
    let mut found = Vec::new();
    for (identifier, members) in groups {
        let mut customers = Vec::new();
        for customer in members {
            let accounts = crate::db::customers::accounts_of(conn, tenant, &customer)?;
            customers.push((customer.to_string(), accounts));
        }
        if customers.iter().map(|(_, a)| a.len()).sum::<usize>() >= 2 {
            found.push(CustomerGroup {
                identifier,
                customers,
            });
        }
    }
    Ok(found)
}
