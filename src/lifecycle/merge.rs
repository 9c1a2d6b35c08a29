//! Merging account B into account A: the same person with two logins. In one transaction
//! every profile of B moves to A (renamed where A already has the name), with its consents
//! and roles; B's sessions end, what was issued to it is revoked, its second factor and
//! mailed links go, and B becomes a tombstone (status `deleted`, personal data destroyed,
//! its address free) that names A (`merged_into`). Profiles keep their ids, so `profile`-mode subjects do not
//! change; in `account` mode relying parties learn B's successor from the `account.merged`
//! event and from B's record in the admin API.

use std::collections::HashSet;

use serde::Serialize;
use serde_json::json;

use crate::audit::Actor;
use crate::db::{accounts as rows, grants, mfa, tx, AnyConnection, DbError};
use crate::domain::{unix_now, AccountId, ProfileId, TenantId};
use crate::identity::AccountError;
use crate::keys::Vault;

/// Longest profile name (`profiles` refuses longer ones).
const MAX_NAME_CHARS: usize = 64;

/// What a merge moves (shown before it is confirmed, and returned by it).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct MergePlan {
    /// The account that stays.
    pub into: String,
    /// The account merged away.
    pub from: String,
    /// Every profile of `from`, in the order they move, with the name each gets in `into`.
    pub profiles: Vec<MovingProfile>,
    /// Live sessions of `from` that end.
    pub sessions: usize,
    /// Whether `from` has a second factor (it is removed; `into`'s stays).
    pub second_factor: bool,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct MovingProfile {
    pub id: String,
    pub name: String,
    /// The name in `into` (`name`, or `name (2)` when `into` has one already).
    pub new_name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("an account cannot be merged into itself")]
    SameAccount,
    #[error("no such account")]
    NotFound,
    #[error("the account {0} is {1}: only live accounts merge")]
    Gone(String, &'static str),
    #[error(transparent)]
    Account(#[from] AccountError),
}

impl From<DbError> for MergeError {
    fn from(e: DbError) -> Self {
        MergeError::Account(AccountError::Db(e))
    }
}

impl From<crate::profiles::ProfileError> for MergeError {
    fn from(e: crate::profiles::ProfileError) -> Self {
        MergeError::Account(AccountError::Profile(e))
    }
}

impl crate::db::StorageFailure for MergeError {
    fn storage_error(&self) -> Option<&DbError> {
        match self {
            MergeError::Account(e) => e.storage_error(),
            _ => None,
        }
    }
}

/// `name`, or the first of `name (2)`, `name (3)`, … that `taken` (lowercased) lacks, cut to
/// fit the longest profile name.
fn free_name(name: &str, taken: &HashSet<String>) -> String {
    if !taken.contains(&name.to_lowercase()) {
        return name.to_owned();
    }
    (2..)
        .map(|n| {
            let suffix = format!(" ({n})");
            let room = MAX_NAME_CHARS.saturating_sub(suffix.chars().count());
            let stem: String = name.chars().take(room).collect();
            format!("{}{suffix}", stem.trim_end())
        })
        .find(|candidate| !taken.contains(&candidate.to_lowercase()))
        .unwrap_or_else(|| name.to_owned())
}

/// The plan for merging `from` into `into`, as the database has them now.
pub fn preview(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    into: &AccountId,
    from: &AccountId,
) -> Result<MergePlan, MergeError> {
    if into == from {
        return Err(MergeError::SameAccount);
    }
    for account in [into, from] {
        let row = rows::find(conn, tenant, account)?.ok_or(MergeError::NotFound)?;
        match (row.status.as_str(), &row.merged_into) {
            ("deleted", Some(_)) => return Err(MergeError::Gone(row.id, "merged already")),
            ("deleted", None) => return Err(MergeError::Gone(row.id, "erased")),
            _ => {}
        }
    }
    let mut taken: HashSet<String> = crate::profiles::list(conn, vault, tenant, into)?
        .into_iter()
        .map(|p| p.name.to_lowercase())
        .collect();
    let mut moving = crate::profiles::list(conn, vault, tenant, from)?;
    // The default first, then by id: the order is the plan's, and stable.
    moving.sort_by(|a, b| b.is_default.cmp(&a.is_default).then(a.id.cmp(&b.id)));
    let profiles = moving
        .into_iter()
        .map(|p| {
            let new_name = free_name(&p.name, &taken);
            taken.insert(new_name.to_lowercase());
            MovingProfile {
                id: p.id.to_string(),
                name: p.name,
                new_name,
            }
        })
        .collect();
    let sessions = crate::db::sessions::list_active_for_account(conn, tenant, from, unix_now())?;
    Ok(MergePlan {
        into: into.to_string(),
        from: from.to_string(),
        profiles,
        sessions: sessions.len(),
        second_factor: crate::identity::mfa::is_enrolled(conn, tenant, from)?,
    })
}

/// Merges `from` into `into` as planned at the moment it runs; returns what moved. Audited
/// on both accounts, as `actor`.
pub fn merge(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    into: &AccountId,
    from: &AccountId,
    actor: &Actor,
) -> Result<MergePlan, MergeError> {
    if into == from {
        return Err(MergeError::SameAccount);
    }
    tx::write(conn, |conn| {
        let now = unix_now();
        // The lock order (docs/architecture.md): mailed links, then the accounts, in id order
        // so that two merges of the same pair, either way round, cannot deadlock.
        rows::delete_account_tokens(conn, tenant, from)?;
        // The customer the merged-away account acts for goes with it (unless the surviving
        // account acts for one already), locked before the accounts as everywhere.
        let carried = match rows::find(conn, tenant, from)?.and_then(|a| a.customer_id) {
            Some(customer) => {
                let id = crate::domain::CustomerId::from_stored(customer);
                let hold = crate::db::customers::Hold::Share;
                crate::db::customers::lock(conn, tenant, &id, hold)?.map(|_| id)
            }
            None => None,
        };
        let (first, second) = if into.as_str() < from.as_str() {
            (into, from)
        } else {
            (from, into)
        };
        rows::lock(conn, tenant, first)?;
        rows::lock(conn, tenant, second)?;
        let plan = preview(conn, vault, tenant, into, from)?;
        for profile in &plan.profiles {
            let id = ProfileId::from_stored(profile.id.clone());
            crate::profiles::absorb(conn, vault, tenant, &id, from, into, &profile.new_name)?;
        }
        crate::db::email_changes::delete_for_account(conn, tenant, from)?;
        mfa::delete_totp(conn, tenant, from)?;
        mfa::delete_account_challenges(conn, tenant, from)?;
        let reason = crate::sessions::EndReason::Merged;
        crate::sessions::end_all(conn, tenant, from, now, reason)?;
        grants::revoke_account_grants(conn, tenant, from, now)?;
        crate::db::legacy_records::move_account(conn, tenant, from, into)?;
        let into_customer = rows::find(conn, tenant, into)?.and_then(|a| a.customer_id);
        let from_customer = rows::find(conn, tenant, from)?.and_then(|a| a.customer_id);
        if let (None, Some(carried)) = (into_customer, carried) {
            if from_customer.as_deref() == Some(carried.as_str()) {
                crate::db::customers::link_account(conn, tenant, into, Some(&carried), now)?;
            }
        }
        if !rows::tombstone_merged(conn, tenant, from, into, now)? {
            return Err(MergeError::Gone(from.to_string(), "merged already"));
        }
        let moved: Vec<&str> = plan.profiles.iter().map(|p| p.id.as_str()).collect();
        let details = json!({ "from": from, "profiles": moved });
        crate::audit::record(
            conn,
            tenant,
            actor.event("account.merge", into.as_str(), details),
        )?;
        let details = json!({ "into": into });
        let event = actor.event("account.merged_into", from.as_str(), details);
        crate::audit::record(conn, tenant, event)?;
        let data = json!({ "into": into, "profiles": moved });
        crate::events::emit(
            conn,
            tenant,
            crate::events::Kind::AccountMerged,
            crate::events::Subject::Account(from),
            data,
        )?;
        Ok(plan)
    })
}

/// How long a self-service merge's proof of the second account lasts (its preview page).
pub const PROOF_LIFETIME_SECS: i64 = 10 * 60;

/// The proof's purpose names the account it may be merged into: proven while signed in to
/// one account, it cannot merge into another.
fn proof_purpose(into: &AccountId) -> String {
    format!("merge-into:{into}")
}

/// A single-use proof, for the person signed in to `into`, that they also hold `from`
/// (`identity::signin::prove_other_account` checked it): the preview page carries it to the
/// confirmation. Stored hashed, like a mailed link.
pub fn issue_proof(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    into: &AccountId,
    from: &AccountId,
) -> Result<String, DbError> {
    let token = crate::crypto::random_token();
    let now = unix_now();
    let expires_at = crate::domain::expiry(now, PROOF_LIFETIME_SECS);
    let hash = crate::crypto::sha256_hex(&token);
    let purpose = proof_purpose(into);
    tx::write(conn, |conn| {
        rows::insert_account_token(conn, tenant, from, &hash, &purpose, now, expires_at)
    })?;
    Ok(token)
}

/// The account a live proof for `into` names.
pub fn proven(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    into: &AccountId,
    token: &str,
) -> Result<Option<AccountId>, DbError> {
    let hash = crate::crypto::sha256_hex(token);
    let found = rows::find_account_token(conn, tenant, &hash, &proof_purpose(into), unix_now())?;
    Ok(found.map(AccountId::from_stored))
}

/// The self-service merge: spends the proof, then merges what it names into `into`.
pub fn merge_with_proof(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    into: &AccountId,
    token: &str,
    actor: &Actor,
) -> Result<Option<MergePlan>, MergeError> {
    let hash = crate::crypto::sha256_hex(token);
    tx::write(conn, |conn| {
        let Some(from) = proven(conn, tenant, into, token)? else {
            return Ok(None);
        };
        // Spending it is the claim: a form sent twice merges once.
        if !rows::use_account_token(conn, tenant, &hash, unix_now())? {
            return Ok(None);
        }
        merge(conn, vault, tenant, into, &from, actor).map(Some)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_taken_in_the_surviving_account_get_a_number() {
        let taken: HashSet<String> = ["work", "work (2)"].map(str::to_owned).into();
        assert_eq!(free_name("Home", &taken), "Home");
        assert_eq!(free_name("Work", &taken), "Work (3)");
        let long = "x".repeat(MAX_NAME_CHARS);
        let taken: HashSet<String> = [long.clone()].into();
        let renamed = free_name(&long, &taken);
        assert_eq!(renamed.chars().count(), MAX_NAME_CHARS);
        assert!(renamed.ends_with(" (2)"));
    }
}
