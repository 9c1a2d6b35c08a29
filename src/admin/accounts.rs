//! Accounts: search by email, view profiles and sessions, suspend/resume, reset the second
//! factor, send a password-reset mail, sign out everywhere. Administrators can trigger a reset
//! but never set or see a password.

use serde::Serialize;
use serde_json::json;

use super::{audited, AdminError, Audited, Page, PageRequest, Permission, Principal};
use crate::db::{accounts as rows, grants, sessions, AnyConnection};
use crate::domain::{rfc3339, unix_now, AccountId, Email, ProfileId};
use crate::identity::{self, mfa, AccountError};
use crate::keys::Vault;

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AccountSummary {
    pub id: String,
    pub email: String,
    pub email_verified: bool,
    /// `pending`, `active`, `suspended` or `deleted` (erased, or merged into another).
    pub status: String,
    /// Set while the account's invitation waits for its owner to choose a password.
    pub invited_at: Option<String>,
    pub created_at: String,
    /// For a merged account: the account it went into (in `account` subject mode, its `sub`
    /// is now that account's id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<String>,
    /// The customer the account acts for (`/customers/{id}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ProfileSummary {
    pub id: String,
    pub name: String,
    pub is_default: bool,
    pub email: Option<String>,
    pub email_verified: bool,
    pub roles: Vec<String>,
    /// Custom attributes; sensitive ones (and those outside the attribute schema) masked
    /// unless revealed.
    pub attributes: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SessionSummary {
    pub id: String,
    pub created_at: String,
    pub last_seen_at: String,
    pub expires_at: String,
    /// Authentication methods, e.g. `pwd otp`.
    pub amr: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AccountDetail {
    #[serde(flatten)]
    pub account: AccountSummary,
    pub mfa_enrolled: bool,
    /// Set while the account is locked after failed sign-ins.
    pub locked_until: Option<String>,
    pub profiles: Vec<ProfileSummary>,
    pub sessions: Vec<SessionSummary>,
    /// While the invitation is pending: when its newest link stops working (`null` once it
    /// has expired: re-send it).
    pub invitation_link_expires_at: Option<String>,
}

/// A password-reset mail to send (the web layer sends it; the link is never stored or logged).
pub struct ResetMail {
    pub to: Email,
    pub token: String,
}

/// Whether personal data is shown as it is or masked. Showing needs `pii:read` and a reason,
/// and leaves an audit entry (`pii.reveal`: who, what, why); masked is the default everywhere.
#[derive(Debug, Clone, Copy)]
pub enum Reveal<'a> {
    Masked,
    Because(&'a str),
}

impl Reveal<'_> {
    /// Checks and records a reveal of `what` (about `target`); a no-op when masked. True
    /// when the data may be shown.
    pub fn record(
        self,
        conn: &mut AnyConnection,
        who: &Principal,
        what: &str,
        target: &str,
    ) -> Result<bool, AdminError> {
        self.record_fields(conn, who, what, target, &[])
    }

    /// As [`Reveal::record`], naming the masked fields the reveal shows.
    pub fn record_fields(
        self,
        conn: &mut AnyConnection,
        who: &Principal,
        what: &str,
        target: &str,
        fields: &[String],
    ) -> Result<bool, AdminError> {
        let Reveal::Because(reason) = self else {
            return Ok(false);
        };
        who.require(Permission::PiiRead)?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 200 || reason.chars().any(char::is_control)
        {
            return Err(AdminError::Invalid(
                "say why the personal data is needed (1 to 200 characters)".into(),
            ));
        }
        audited(conn, who, "pii.reveal", |_| {
            Ok(Audited {
                target: target.to_owned(),
                details: match fields {
                    [] => json!({ "what": what, "reason": reason }),
                    fields => json!({ "what": what, "fields": fields, "reason": reason }),
                },
                result: (),
            })
        })?;
        Ok(true)
    }

    fn email(shown: bool, email: &str) -> String {
        if shown || email.is_empty() {
            email.to_owned()
        } else {
            mask_email(email)
        }
    }
}

fn summary(
    vault: &Vault,
    row: &rows::AccountRow,
    shown: bool,
) -> Result<AccountSummary, AdminError> {
    let account = identity::load_account(vault, row.clone())?;
    Ok(AccountSummary {
        id: row.id.clone(),
        email: Reveal::email(shown, account.email.as_str()),
        email_verified: row.email_verified_at.is_some(),
        status: row.status.clone(),
        invited_at: row.invited_at.map(rfc3339),
        created_at: rfc3339(row.created_at),
        merged_into: row.merged_into.clone(),
        customer_id: row.customer_id.clone(),
    })
}

fn account_row(
    conn: &mut AnyConnection,
    who: &Principal,
    id: &str,
) -> Result<rows::AccountRow, AdminError> {
    rows::find(conn, who.tenant(), &AccountId::from_stored(id.to_owned()))?
        .ok_or(AdminError::NotFound)
}

/// The account a change is about, once the caller is found to hold every administration
/// permission its profiles hold: `accounts:write` alone must not suspend, sign out, unlock,
/// strip the second factor of, or set the password of a stronger administrator.
pub(super) fn changeable_account(
    conn: &mut AnyConnection,
    who: &Principal,
    id: &str,
) -> Result<rows::AccountRow, AdminError> {
    let row = account_row(conn, who, id)?;
    let account = AccountId::from_stored(row.id.clone());
    for profile in rows::profiles(conn, who.tenant(), &account)? {
        let profile = ProfileId::from_stored(profile.id);
        let held = crate::profiles::authorization(conn, who.tenant(), &profile)?;
        who.require_holding(&held.permissions)?;
    }
    Ok(row)
}

pub(super) fn account_error(e: AccountError) -> AdminError {
    match e {
        AccountError::NotFound => AdminError::NotFound,
        AccountError::EmailTaken => AdminError::Conflict(e.to_string()),
        AccountError::Db(e) => e.into(),
        AccountError::Sealed(e) => e.into(),
        AccountError::Profile(e) => super::profiles::profile_error(e),
        other => AdminError::Invalid(other.to_string()),
    }
}

/// The account with exactly this email (any case), or with no email given, every account
/// in creation order. Emails are sealed: there is no substring search (docs/privacy.md).
pub fn search(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    email: &str,
    page: &PageRequest,
    reveal: Reveal,
) -> Result<Page<AccountSummary>, AdminError> {
    who.require(Permission::AccountsRead)?;
    let shown = reveal.record(conn, who, "account list", "accounts")?;
    let email = email.trim();
    if !email.is_empty() {
        let email = Email::parse(email).map_err(|_| {
            AdminError::Invalid(
                "search by a whole email address (emails are encrypted, so parts of one \
                 cannot be matched)"
                    .into(),
            )
        })?;
        let found = identity::find_by_email(conn, vault, who.tenant(), &email)?;
        let items = found
            .iter()
            .map(|row| summary(vault, row, shown))
            .collect::<Result<_, _>>()?;
        return Ok(Page { items, next: None });
    }
    let limit = page.limit();
    let after = page.after.clone().map(AccountId::from_stored);
    let found = rows::list(conn, who.tenant(), after.as_ref(), limit as i64 + 1)?;
    let page = Page::from_overfetch(found, limit, |row| row.id.clone());
    Ok(Page {
        items: page
            .items
            .iter()
            .map(|row| summary(vault, row, shown))
            .collect::<Result<_, _>>()?,
        next: page.next,
    })
}

pub fn detail(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    id: &str,
    reveal: Reveal,
) -> Result<AccountDetail, AdminError> {
    who.require(Permission::AccountsRead)?;
    let row = account_row(conn, who, id)?;
    let account = AccountId::from_stored(row.id.clone());
    let now = unix_now();
    let listed = crate::profiles::list(conn, vault, who.tenant(), &account)
        .map_err(super::profiles::profile_error)?;
    let schema = crate::profiles::attributes::Schema::load(conn, who.tenant())?;
    // What a reveal shows: the emails, and each masked attribute by name.
    let mut fields = vec!["email".to_owned()];
    for p in &listed {
        for name in p.attributes.as_object().into_iter().flat_map(|m| m.keys()) {
            let field = format!("attributes.{name}");
            if schema.is_sensitive(name) && !fields.contains(&field) {
                fields.push(field);
            }
        }
    }
    let shown = reveal.record_fields(conn, who, "account", &row.id, &fields)?;
    let mut profiles = Vec::new();
    for p in listed {
        let roles = crate::profiles::authorization(conn, who.tenant(), &p.id)?.roles;
        profiles.push(ProfileSummary {
            id: p.id.to_string(),
            email_verified: p.email_verified,
            attributes: schema.masked(&p.attributes, shown),
            name: p.name,
            is_default: p.is_default,
            email: p.email.map(|e| Reveal::email(shown, e.as_str())),
            roles,
        });
    }
    let sessions = sessions::list_active_for_account(conn, who.tenant(), &account, now)?
        .into_iter()
        .map(|s| SessionSummary {
            id: s.id,
            created_at: rfc3339(s.created_at),
            last_seen_at: rfc3339(s.last_seen_at),
            expires_at: rfc3339(s.expires_at),
            amr: s.amr,
        })
        .collect();
    Ok(AccountDetail {
        account: summary(vault, &row, shown)?,
        mfa_enrolled: mfa::is_enrolled(conn, who.tenant(), &account)?,
        locked_until: row.locked_until.filter(|t| *t > now).map(rfc3339),
        profiles,
        sessions,
        invitation_link_expires_at: crate::identity::invitation::pending(
            conn,
            who.tenant(),
            &account,
        )?
        .and_then(|p| p.link_expires_at)
        .map(rfc3339),
    })
}

/// Suspends (ending sessions, revoking grants) or resumes an account.
pub fn set_suspended(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    id: &str,
    suspended: bool,
) -> Result<AccountDetail, AdminError> {
    who.require(Permission::AccountsWrite)?;
    let row = changeable_account(conn, who, id)?;
    // Resuming lifts a suspension only: it never activates a pending or deleted account.
    match (suspended, row.status.as_str()) {
        (true, "deleted") => {
            return Err(AdminError::Conflict(
                "a deleted account cannot be suspended".into(),
            ))
        }
        (false, status) if status != "suspended" => {
            return Err(AdminError::Conflict(format!(
                "only a suspended account can be resumed (this one is {status})"
            )))
        }
        _ => {}
    }
    let account = AccountId::from_stored(row.id);
    let result = if suspended {
        identity::suspend(conn, vault, who.tenant(), &account, who.actor())
    } else {
        identity::resume(conn, vault, who.tenant(), &account, who.actor())
    };
    result.map_err(account_error)?;
    detail(conn, vault, who, id, Reveal::Masked)
}

/// Creates an active account with one default profile, from an account checked and hashed
/// (`NewAccount::prepare`, argon2) before the transaction.
pub fn create(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    new: &identity::NewAccount,
) -> Result<identity::Account, AdminError> {
    who.require(Permission::AccountsWrite)?;
    audited(conn, who, "account.create", |conn| {
        let account =
            identity::insert_account(conn, vault, who.tenant(), new).map_err(account_error)?;
        Ok(Audited {
            target: account.id.to_string(),
            details: json!({}),
            result: account,
        })
    })
}

/// Lifts a brute-force lock and forgets past failures.
pub fn unlock(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    id: &str,
) -> Result<identity::Account, AdminError> {
    who.require(Permission::AccountsWrite)?;
    audited(conn, who, "account.unlock", |conn| {
        let account = AccountId::from_stored(changeable_account(conn, who, id)?.id);
        let account =
            identity::unlock(conn, vault, who.tenant(), &account).map_err(account_error)?;
        Ok(Audited {
            target: account.id.to_string(),
            details: json!({}),
            result: account,
        })
    })
}

/// Stores an imported password hash (argon2 or bcrypt), upgraded at the next sign-in. The
/// audit entry never holds the hash.
pub fn import_password_hash(
    conn: &mut AnyConnection,
    hasher: &crate::identity::password::PasswordHasher,
    who: &Principal,
    id: &str,
    hash: &str,
) -> Result<(), AdminError> {
    who.require(Permission::AccountsWrite)?;
    audited(conn, who, "account.import_password_hash", |conn| {
        let account = AccountId::from_stored(changeable_account(conn, who, id)?.id);
        identity::import_password_hash(conn, hasher, who.tenant(), &account, hash)
            .map_err(account_error)?;
        Ok(Audited {
            target: account.to_string(),
            details: json!({}),
            result: (),
        })
    })
}

/// Removes the account's second factor; it enrolls again at its next sign-in if the policy
/// requires one.
pub fn reset_mfa(conn: &mut AnyConnection, who: &Principal, id: &str) -> Result<(), AdminError> {
    who.require(Permission::AccountsWrite)?;
    audited(conn, who, "account.reset_mfa", |conn| {
        let account = AccountId::from_stored(changeable_account(conn, who, id)?.id);
        mfa::reset(conn, who.tenant(), &account).map_err(|e| match e {
            mfa::MfaError::Db(e) => AdminError::from(e),
            other => AdminError::Internal(other.to_string()),
        })?;
        Ok(Audited {
            target: account.to_string(),
            details: json!({}),
            result: (),
        })
    })
}

/// Creates a reset link for the account's own address; the caller mails it.
pub fn send_reset(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    id: &str,
) -> Result<ResetMail, AdminError> {
    who.require(Permission::AccountsWrite)?;
    audited(conn, who, "account.send_reset", |conn| {
        let row = changeable_account(conn, who, id)?;
        let email = identity::load_account(vault, row.clone())?.email;
        let Some((to, token)) =
            identity::recovery::request_reset(conn, vault, who.tenant(), email.as_str())?
        else {
            return Err(AdminError::Conflict(
                "only an active account can be sent a reset link".into(),
            ));
        };
        Ok(Audited {
            target: row.id,
            details: json!({}),
            result: ResetMail { to, token },
        })
    })
}

/// Ends every session and revokes every grant (refresh tokens, and through them access tokens).
pub fn sign_out_everywhere(
    conn: &mut AnyConnection,
    who: &Principal,
    id: &str,
) -> Result<(), AdminError> {
    who.require(Permission::AccountsWrite)?;
    audited(conn, who, "account.sign_out_everywhere", |conn| {
        let account = AccountId::from_stored(changeable_account(conn, who, id)?.id);
        let now = unix_now();
        let ended = crate::sessions::end_all(
            conn,
            who.tenant(),
            &account,
            now,
            crate::sessions::EndReason::SignOutEverywhere,
        )?;
        grants::revoke_account_grants(conn, who.tenant(), &account, now)?;
        Ok(Audited {
            target: account.to_string(),
            details: json!({ "sessions_ended": ended }),
            result: (),
        })
    })
}

/// An account's connected apps and its whole consent ledger.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Consents {
    pub connected_apps: Vec<crate::consent::ConnectedApp>,
    /// The decision in force about each consent purpose the profiles answered.
    pub purposes: Vec<crate::consent::PurposeState>,
    pub history: Vec<crate::consent::ConsentEntry>,
}

pub fn consents(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    id: &str,
    reveal: Reveal,
) -> Result<Consents, AdminError> {
    who.require(Permission::AccountsRead)?;
    let row = account_row(conn, who, id)?;
    let shown = reveal.record(conn, who, "consent history", &row.id)?;
    let ids: Vec<String> = rows::profiles(conn, who.tenant(), &AccountId::from_stored(row.id))?
        .into_iter()
        .map(|p| p.id)
        .collect();
    let mut history = crate::consent::history(conn, vault, who.tenant(), &ids)?;
    if !shown {
        for entry in &mut history {
            entry.ip = entry.ip.as_ref().map(|_| "••••".to_owned());
        }
    }
    Ok(Consents {
        connected_apps: crate::consent::connected_apps(conn, who.tenant(), &ids)?,
        purposes: crate::consent::in_force(conn, who.tenant(), &ids)?,
        history,
    })
}

/// Everything held about the account (see `privacy::export`), unmasked: needs `pii:read`
/// (which shows personal data, so it is more than `accounts:read`); audited.
pub fn export(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    tenant_slug: &str,
    id: &str,
) -> Result<crate::privacy::export::Export, AdminError> {
    who.require(Permission::PiiRead)?;
    let account = AccountId::from_stored(account_row(conn, who, id)?.id);
    audited(conn, who, "account.export", |conn| {
        let export =
            crate::privacy::export::export(conn, vault, who.tenant(), tenant_slug, &account)
                .map_err(|e| match e {
                    crate::privacy::export::ExportError::NotFound => AdminError::NotFound,
                    crate::privacy::export::ExportError::Db(e) => e.into(),
                })?;
        Ok(Audited {
            target: account.to_string(),
            details: json!({}),
            result: export,
        })
    })
}

/// Erases the account now: personal data destroyed, sessions ended, grants revoked (see
/// `identity::erasure`). Erasing an erased account is a conflict.
pub fn erase(conn: &mut AnyConnection, who: &Principal, id: &str) -> Result<(), AdminError> {
    who.require(Permission::AccountsWrite)?;
    let account = AccountId::from_stored(changeable_account(conn, who, id)?.id);
    if !identity::erasure::erase(conn, who.tenant(), &account, who.actor())? {
        return Err(AdminError::Conflict(
            "this account is already erased".into(),
        ));
    }
    Ok(())
}

/// `alice@example.com` → `a••••@example.com`: enough to recognise, not to harvest.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}••••@{domain}")
        }
        None => "••••".into(),
    }
}

/// Whether any profile of the account may open the tenant console (where an accepted
/// invitation lands, and what its mail promises).
pub fn administers(
    conn: &mut AnyConnection,
    tenant: &crate::domain::TenantId,
    account: &AccountId,
) -> Result<bool, crate::db::DbError> {
    for profile in rows::profiles(conn, tenant, account)? {
        let profile = ProfileId::from_stored(profile.id);
        if Principal::profile(conn, tenant, &profile, "")?.is_admin() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// What merging account `from` into account `into` would move (nothing changes).
pub fn merge_preview(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    into: &str,
    from: &str,
) -> Result<crate::lifecycle::merge::MergePlan, AdminError> {
    who.require(Permission::AccountsWrite)?;
    let (into, from) = merging(conn, vault, who, into, from)?;
    crate::lifecycle::merge::preview(conn, vault, who.tenant(), &into, &from).map_err(merge_error)
}

/// Merges account `from` into account `into` (`lifecycle::merge`); returns what moved.
pub fn merge(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    into: &str,
    from: &str,
) -> Result<crate::lifecycle::merge::MergePlan, AdminError> {
    who.require(Permission::AccountsWrite)?;
    let (into, from) = merging(conn, vault, who, into, from)?;
    crate::lifecycle::merge::merge(conn, vault, who.tenant(), &into, &from, who.actor())
        .map_err(merge_error)
}

/// Both accounts of a merge (each by id, or `from` also by its whole email), once the caller
/// is found to hold what each one's profiles hold (a merge hands `from`'s profiles to
/// whoever holds `into`, and the other way round).
fn merging(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    into: &str,
    from: &str,
) -> Result<(AccountId, AccountId), AdminError> {
    let into = AccountId::from_stored(changeable_account(conn, who, into)?.id);
    let from = match from.contains('@') {
        true => {
            let email = Email::parse(from).map_err(|e| AdminError::Invalid(e.to_string()))?;
            let row = identity::find_by_email(conn, vault, who.tenant(), &email)?
                .ok_or(AdminError::NotFound)?;
            row.id
        }
        false => from.to_owned(),
    };
    let from = AccountId::from_stored(changeable_account(conn, who, &from)?.id);
    Ok((into, from))
}

fn merge_error(e: crate::lifecycle::merge::MergeError) -> AdminError {
    use crate::lifecycle::merge::MergeError;
    match e {
        MergeError::NotFound => AdminError::NotFound,
        MergeError::SameAccount => AdminError::Invalid(e.to_string()),
        MergeError::Gone(..) => AdminError::Conflict(e.to_string()),
        MergeError::Account(e) => account_error(e),
    }
}

/// Accounts that look like one person (`lifecycle::duplicates`).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DuplicateGroup {
    /// What they share: `email` (the account's sign-in address is a profile email of each of
    /// the others) or `customer_identifier` (they act for customers with one identifier).
    pub shared: String,
    /// The shared address, masked unless revealed (empty for a customer identifier).
    pub email: String,
    /// The shared identifier's kind (`customer_identifier` only; the value is not shown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    /// The account that signs in with the address, or the first account of the group.
    pub account: String,
    /// The accounts holding the address as a profile email, with that profile; or the
    /// group's other accounts, with the customer each acts for.
    pub others: Vec<DuplicateHolder>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DuplicateHolder {
    pub account: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub profile: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
}

/// Every group of accounts that look like one person; addresses masked unless revealed.
pub fn duplicates(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    reveal: Reveal,
) -> Result<Vec<DuplicateGroup>, AdminError> {
    who.require(Permission::AccountsRead)?;
    let shown = reveal.record(conn, who, "duplicate accounts", who.tenant().as_str())?;
    let groups = crate::lifecycle::duplicates::find(conn, vault, who.tenant())?;
    let mut found: Vec<DuplicateGroup> = groups
        .into_iter()
        .map(|g| DuplicateGroup {
            shared: "email".into(),
            email: Reveal::email(shown, g.email.as_str()),
            identifier: None,
            account: g.account.to_string(),
            others: g
                .others
                .into_iter()
                .map(|(account, profile)| DuplicateHolder {
                    account,
                    profile,
                    customer: None,
                })
                .collect(),
        })
        .collect();
    for group in crate::lifecycle::duplicates::by_customer_identifier(conn, who.tenant())? {
        let mut accounts = group
            .customers
            .into_iter()
            .flat_map(|(customer, accounts)| {
                accounts
                    .into_iter()
                    .map(move |account| (account, customer.clone()))
            });
        let Some((first, _)) = accounts.next() else {
            continue;
        };
        found.push(DuplicateGroup {
            shared: "customer_identifier".into(),
            email: String::new(),
            identifier: Some(group.identifier),
            account: first,
            others: accounts
                .map(|(account, customer)| DuplicateHolder {
                    account,
                    profile: String::new(),
                    customer: Some(customer),
                })
                .collect(),
        });
    }
    Ok(found)
}
