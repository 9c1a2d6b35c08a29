//! Customers: verified legal entities (a person or an organization) that accounts act for
//! (issue #14). A customer is not a login: accounts link to it (an organization has many),
//! tokens carry its id, and a verification recorded for it is released as OpenID Connect for
//! Identity Assurance `verified_claims` (`oidc::claims`) when a client asks.
//!
//! Tessera records verification outcomes made elsewhere (an administrator, or a KYC provider
//! through the admin API); it does not check documents. The legal name, identifiers and
//! verification evidence are sealed under the customer's own data key; identifiers have blind
//! indexes so that two customers with one identifier are found as duplicates.

mod model;

pub use model::{
    Customer, CustomerChange, CustomerError, CustomerKind, NewCustomer, NewVerification,
    Verification, EVIDENCE_TYPES,
};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::db::customers::{self as rows, CustomerRow, Hold, IdentifierRow};
use crate::db::{tx, AnyConnection};
use crate::domain::{unix_now, AccountId, CustomerId, TenantId};
use crate::keys::{DataKey, KeyOwner, Vault};

const SEALED: &str = "customer";
const IDENTIFIER_INDEX: &str = "customer identifier";

/// What is sealed: everything personal about the customer.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Sealed {
    legal_name: String,
    #[serde(default)]
    identifiers: BTreeMap<String, String>,
    #[serde(default)]
    verification: Option<Verification>,
}

/// The blind index of an identifier: its kind and its value without case, spaces or
/// punctuation (`DE 123-456` and `de123456` are one tax id).
pub fn identifier_index(vault: &Vault, tenant: &TenantId, kind: &str, value: &str) -> String {
    let normalised: String = value
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect();
    vault
        .index(tenant)
        .of(IDENTIFIER_INDEX, &format!("{kind}\0{normalised}"))
}

fn open(vault: &Vault, row: &CustomerRow) -> Result<(DataKey, Sealed), CustomerError> {
    let key = vault.data_key(
        KeyOwner::Customer(&row.id),
        &row.data_key,
        &row.data_key_master_id,
    )?;
    let sealed = serde_json::from_slice(&key.open(SEALED, &row.sealed)?)
        .map_err(|_| crate::keys::envelope::EnvelopeError::Corrupted)?;
    Ok((key, sealed))
}

fn seal(
    vault: &Vault,
    key: &DataKey,
    row: &mut CustomerRow,
    sealed: &Sealed,
) -> Result<Vec<IdentifierRow>, CustomerError> {
    let json =
        serde_json::to_vec(sealed).map_err(|_| crate::keys::envelope::EnvelopeError::TooLarge)?;
    row.sealed = key.seal(SEALED, &json)?;
    row.trust_framework = sealed
        .verification
        .as_ref()
        .map(|v| v.trust_framework.clone());
    row.assurance_level = sealed
        .verification
        .as_ref()
        .and_then(|v| v.assurance_level.clone());
    row.verified_at = sealed.verification.as_ref().map(|v| v.verified_at);
    let tenant = TenantId::from_stored(row.tenant_id.clone());
    Ok(sealed
        .identifiers
        .iter()
        .map(|(kind, value)| IdentifierRow {
            customer_id: row.id.clone(),
            tenant_id: row.tenant_id.clone(),
            kind: kind.clone(),
            value_index: identifier_index(vault, &tenant, kind, value),
        })
        .collect())
}

fn customer(row: &CustomerRow, sealed: Sealed, accounts: Vec<String>) -> Customer {
    Customer {
        id: CustomerId::from_stored(row.id.clone()),
        kind: CustomerKind::parse(&row.kind),
        legal_name: sealed.legal_name,
        identifiers: sealed.identifiers,
        verification: sealed.verification,
        accounts,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// Creates a customer (not verified yet).
pub fn create(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    new: &NewCustomer,
) -> Result<Customer, CustomerError> {
    let new = new.checked()?;
    let id = CustomerId::generate();
    let now = unix_now();
    let (key, wrapped) = vault.new_data_key(KeyOwner::Customer(id.as_str()))?;
    let mut row = CustomerRow {
        id: id.to_string(),
        tenant_id: tenant.to_string(),
        kind: new.kind.as_str().into(),
        sealed: Vec::new(),
        data_key: wrapped.bytes,
        data_key_master_id: wrapped.master_key_id,
        trust_framework: None,
        assurance_level: None,
        verified_at: None,
        created_at: now,
        updated_at: now,
    };
    let sealed = Sealed {
        legal_name: new.legal_name,
        identifiers: new.identifiers,
        verification: None,
    };
    let indexes = seal(vault, &key, &mut row, &sealed)?;
    tx::write(conn, |conn| {
        rows::insert(conn, &row)?;
        rows::replace_identifiers(conn, &id, &indexes)?;
        Ok::<_, CustomerError>(())
    })?;
    Ok(customer(&row, sealed, Vec::new()))
}

/// The customer with the accounts acting for it.
pub fn find(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    id: &CustomerId,
) -> Result<Customer, CustomerError> {
    let row = rows::find(conn, tenant, id)?.ok_or(CustomerError::NotFound)?;
    let (_, sealed) = open(vault, &row)?;
    let accounts = rows::accounts_of(conn, tenant, id)?;
    Ok(customer(&row, sealed, accounts))
}

/// A page of customers in creation order (without their accounts).
pub fn list(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Customer>, CustomerError> {
    rows::list(conn, tenant, after, limit)?
        .into_iter()
        .map(|row| {
            let (_, sealed) = open(vault, &row)?;
            Ok(customer(&row, sealed, Vec::new()))
        })
        .collect()
}

/// Reads, changes and stores the customer under its lock.
fn change(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    id: &CustomerId,
    mut edit: impl FnMut(&mut Sealed) -> Result<(), CustomerError>,
) -> Result<Customer, CustomerError> {
    tx::write(conn, |conn| {
        let mut row = rows::lock(conn, tenant, id, Hold::Update)?.ok_or(CustomerError::NotFound)?;
        let (key, mut sealed) = open(vault, &row)?;
        edit(&mut sealed)?;
        row.updated_at = unix_now();
        let indexes = seal(vault, &key, &mut row, &sealed)?;
        rows::update(conn, &row)?;
        rows::replace_identifiers(conn, id, &indexes)?;
        let accounts = rows::accounts_of(conn, tenant, id)?;
        Ok(customer(&row, sealed.clone(), accounts))
    })
}

/// Changes the legal name and/or replaces the identifiers.
pub fn update(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    id: &CustomerId,
    changes: &CustomerChange,
) -> Result<Customer, CustomerError> {
    let changes = changes.checked()?;
    change(conn, vault, tenant, id, |sealed| {
        if let Some(name) = &changes.legal_name {
            sealed.legal_name = name.clone();
        }
        if let Some(identifiers) = &changes.identifiers {
            sealed.identifiers = identifiers.clone();
        }
        Ok(())
    })
}

/// Records a verification outcome, replacing the previous one.
pub fn record_verification(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    id: &CustomerId,
    new: &NewVerification,
    recorded_by: &str,
) -> Result<Customer, CustomerError> {
    let verification = new.checked(recorded_by, unix_now())?;
    change(conn, vault, tenant, id, |sealed| {
        sealed.verification = Some(verification.clone());
        Ok(())
    })
}

/// Withdraws the verification (the KYC provider revoked it, or it was recorded in error).
pub fn withdraw_verification(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    id: &CustomerId,
) -> Result<Customer, CustomerError> {
    change(conn, vault, tenant, id, |sealed| {
        sealed.verification = None;
        Ok(())
    })
}

/// Deletes the customer: its accounts are unlinked and its sealed data goes with its key.
/// Returns the accounts that acted for it.
pub fn delete(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &CustomerId,
) -> Result<Vec<String>, CustomerError> {
    tx::write(conn, |conn| {
        rows::lock(conn, tenant, id, Hold::Update)?.ok_or(CustomerError::NotFound)?;
        let unlinked = rows::unlink_all(conn, tenant, id, unix_now())?;
        rows::delete(conn, tenant, id)?;
        Ok(unlinked)
    })
}

/// Links the account to the customer, or unlinks it (`None`). The customer is locked first
/// (customers before accounts), so it cannot be deleted under the new link.
pub fn link(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    customer: Option<&CustomerId>,
) -> Result<(), CustomerError> {
    tx::write(conn, |conn| {
        if let Some(customer) = customer {
            rows::lock(conn, tenant, customer, Hold::Share)?.ok_or(CustomerError::NotFound)?;
        }
        if !rows::link_account(conn, tenant, account, customer, unix_now())? {
            return Err(CustomerError::AccountNotFound);
        }
        Ok(())
    })
}

/// Customers that share an identifier: each group is one identifier kind and the customers
/// holding the same value, in id order.
pub fn duplicates(
    conn: &mut AnyConnection,
    tenant: &TenantId,
) -> Result<Vec<(String, Vec<CustomerId>)>, CustomerError> {
    let mut groups: Vec<(String, String, Vec<CustomerId>)> = Vec::new();
    for row in rows::shared_identifiers(conn, tenant)? {
        match groups.last_mut() {
            Some((index, _, members)) if *index == row.value_index => {
                members.push(CustomerId::from_stored(row.customer_id));
            }
            _ => groups.push((
                row.value_index,
                row.kind,
                vec![CustomerId::from_stored(row.customer_id)],
            )),
        }
    }
    Ok(groups
        .into_iter()
        .map(|(_, kind, members)| (kind, members))
        .collect())
}

/// The trust frameworks the tenant's verifications were made under.
pub fn trust_frameworks(
    conn: &mut AnyConnection,
    tenant: &TenantId,
) -> Result<Vec<String>, CustomerError> {
    Ok(rows::trust_frameworks(conn, tenant)?)
}
