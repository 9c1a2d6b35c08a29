//! Customers (`crate::customers`): create, show, change, record or withdraw a verification,
//! delete, link accounts, and find customers that share an identifier. Reading needs
//! `accounts:read`, changing `accounts:write`; names and identifiers are personal data, masked
//! unless revealed (`pii:read` and a reason, audited).

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::accounts::Reveal;
use super::{audited, AdminError, Audited, Page, PageRequest, Permission, Principal};
use crate::customers::{
    self, Customer, CustomerChange, CustomerError, NewCustomer, NewVerification,
};
use crate::db::AnyConnection;
use crate::domain::{AccountId, CustomerId};
use crate::events::{self, Kind, Subject};
use crate::keys::Vault;

fn customer_error(e: CustomerError) -> AdminError {
    match e {
        CustomerError::NotFound | CustomerError::AccountNotFound => AdminError::NotFound,
        CustomerError::Invalid(message) => AdminError::Invalid(message),
        CustomerError::Envelope(e) => AdminError::Internal(e.to_string()),
        CustomerError::Db(e) => e.into(),
    }
}

/// Keeps the first character of a value: enough to tell rows apart, not to read them.
fn mask(value: &str) -> String {
    let first: String = value.chars().take(1).collect();
    format!("{first}••••")
}

fn masked(mut customer: Customer, shown: bool) -> Customer {
    if shown {
        return customer;
    }
    customer.legal_name = mask(&customer.legal_name);
    for value in customer.identifiers.values_mut() {
        *value = "••••".into();
    }
    if let Some(v) = customer.verification.as_mut() {
        v.reference = v.reference.as_ref().map(|_| "••••".into());
    }
    customer
}

pub fn list(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    page: &PageRequest,
    reveal: Reveal,
) -> Result<Page<Customer>, AdminError> {
    who.require(Permission::AccountsRead)?;
    let shown = reveal.record(conn, who, "customers", who.tenant().as_str())?;
    let limit = page.limit();
    let items = customers::list(
        conn,
        vault,
        who.tenant(),
        page.after.as_deref(),
        limit as i64 + 1,
    )
    .map_err(customer_error)?;
    Ok(Page::from_overfetch(items, limit, |c| c.id.to_string()).map(|c| masked(c, shown)))
}

pub fn get(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    id: &str,
    reveal: Reveal,
) -> Result<Customer, AdminError> {
    who.require(Permission::AccountsRead)?;
    let customer = customers::find(conn, vault, who.tenant(), &CustomerId::from(id))
        .map_err(customer_error)?;
    let shown = reveal.record(conn, who, "customer", id)?;
    Ok(masked(customer, shown))
}

pub fn create(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    new: &NewCustomer,
) -> Result<Customer, AdminError> {
    who.require(Permission::AccountsWrite)?;
    audited(conn, who, "customer.create", |conn| {
        let customer = customers::create(conn, vault, who.tenant(), new).map_err(customer_error)?;
        Ok(Audited {
            target: customer.id.to_string(),
            details: json!({
                "kind": customer.kind,
                "identifiers": customer.identifiers.keys().collect::<Vec<_>>(),
            }),
            result: customer,
        })
    })
}

pub fn update(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    id: &str,
    changes: &CustomerChange,
) -> Result<Customer, AdminError> {
    who.require(Permission::AccountsWrite)?;
    audited(conn, who, "customer.update", |conn| {
        let customer = customers::update(conn, vault, who.tenant(), &id.into(), changes)
            .map_err(customer_error)?;
        let mut changed = Vec::new();
        if changes.legal_name.is_some() {
            changed.push("legal_name");
        }
        if changes.identifiers.is_some() {
            changed.push("identifiers");
        }
        Ok(Audited {
            target: id.to_owned(),
            details: json!({ "changed": changed }),
            result: customer,
        })
    })
}

/// `NotFound` unless the customer exists (checked before a body is read).
pub fn require_exists(
    conn: &mut AnyConnection,
    who: &Principal,
    id: &str,
) -> Result<(), AdminError> {
    who.require(Permission::AccountsWrite)?;
    match crate::db::customers::find(conn, who.tenant(), &CustomerId::from(id))? {
        Some(_) => Ok(()),
        None => Err(AdminError::NotFound),
    }
}

/// Records a verification outcome (from the console, or a KYC provider through the API).
pub fn verify(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    id: &str,
    new: &NewVerification,
) -> Result<Customer, AdminError> {
    who.require(Permission::AccountsWrite)?;
    let recorded_by = who.actor().id.clone();
    audited(conn, who, "customer.verify", |conn| {
        let customer = customers::record_verification(
            conn,
            vault,
            who.tenant(),
            &id.into(),
            new,
            &recorded_by,
        )
        .map_err(customer_error)?;
        let v = customer.verification.as_ref();
        Ok(Audited {
            target: id.to_owned(),
            details: json!({
                "trust_framework": v.map(|v| &v.trust_framework),
                "assurance_level": v.and_then(|v| v.assurance_level.as_ref()),
                "evidence_type": v.map(|v| &v.evidence_type),
                "method": v.map(|v| &v.method),
                "verifier": v.map(|v| &v.verifier),
                "verified_at": v.map(|v| v.verified_at),
            }),
            result: customer,
        })
    })
}

pub fn withdraw_verification(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    id: &str,
) -> Result<Customer, AdminError> {
    who.require(Permission::AccountsWrite)?;
    audited(conn, who, "customer.verification_withdrawn", |conn| {
        let customer = customers::withdraw_verification(conn, vault, who.tenant(), &id.into())
            .map_err(customer_error)?;
        Ok(Audited {
            target: id.to_owned(),
            details: json!({}),
            result: customer,
        })
    })
}

/// Deletes the customer; the accounts acting for it stay, unlinked.
pub fn delete(conn: &mut AnyConnection, who: &Principal, id: &str) -> Result<(), AdminError> {
    who.require(Permission::AccountsWrite)?;
    audited(conn, who, "customer.delete", |conn| {
        let unlinked = customers::delete(conn, who.tenant(), &id.into()).map_err(customer_error)?;
        for account in &unlinked {
            account_changed(conn, who, account)?;
        }
        Ok(Audited {
            target: id.to_owned(),
            details: json!({ "unlinked": unlinked }),
            result: (),
        })
    })
}

fn account_changed(
    conn: &mut AnyConnection,
    who: &Principal,
    account: &str,
) -> Result<(), AdminError> {
    events::emit(
        conn,
        who.tenant(),
        Kind::AccountUpdated,
        Subject::Account(&AccountId::from(account)),
        json!({ "changed": ["customer"] }),
    )?;
    Ok(())
}

/// The body of `PUT /accounts/{id}/customer`: the customer, or `null` to unlink.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerLink {
    pub customer_id: Option<String>,
}

/// Links an account to a customer (its tokens carry `customer_id`, and `verified_claims`
/// when asked for), or unlinks it.
pub fn link_account(
    conn: &mut AnyConnection,
    who: &Principal,
    account: &str,
    link: &CustomerLink,
) -> Result<(), AdminError> {
    who.require(Permission::AccountsWrite)?;
    let customer = link.customer_id.as_deref().map(CustomerId::from);
    audited(conn, who, "account.customer_link", |conn| {
        customers::link(conn, who.tenant(), &account.into(), customer.as_ref())
            .map_err(customer_error)?;
        account_changed(conn, who, account)?;
        Ok(Audited {
            target: account.to_owned(),
            details: json!({ "customer_id": link.customer_id }),
            result: (),
        })
    })
}

/// Customers holding one identifier (its value is not shown: the kind says which).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CustomerDuplicate {
    /// The identifier kind they share a value of.
    pub identifier: String,
    pub customers: Vec<String>,
}

pub fn duplicates(
    conn: &mut AnyConnection,
    who: &Principal,
) -> Result<Vec<CustomerDuplicate>, AdminError> {
    who.require(Permission::AccountsRead)?;
    Ok(customers::duplicates(conn, who.tenant())
        .map_err(customer_error)?
        .into_iter()
        .map(|(identifier, members)| CustomerDuplicate {
            identifier,
            customers: members.into_iter().map(|c| c.to_string()).collect(),
        })
        .collect())
}
