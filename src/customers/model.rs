//! What a customer is, and the checks on what administrators send about one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::db::DbError;
use crate::domain::CustomerId;
use crate::keys::envelope::EnvelopeError;

/// The evidence types of OpenID Connect for Identity Assurance 1.0 (§5.1.1).
pub const EVIDENCE_TYPES: &[&str] = &[
    "document",
    "electronic_record",
    "vouch",
    "electronic_signature",
];
const MAX_IDENTIFIERS: usize = 10;
/// Clock skew allowed for a verification time sent by another machine.
const FUTURE_SKEW_SECS: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CustomerKind {
    Person,
    Organization,
}

impl CustomerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CustomerKind::Person => "person",
            CustomerKind::Organization => "organization",
        }
    }

    pub fn parse(kind: &str) -> CustomerKind {
        match kind {
            "organization" => CustomerKind::Organization,
            _ => CustomerKind::Person,
        }
    }
}

/// A customer as the admin surfaces show it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Customer {
    #[schemars(with = "String")]
    pub id: CustomerId,
    pub kind: CustomerKind,
    pub legal_name: String,
    /// Identifier kind (`tax_id`, `document_number`, …) to value.
    pub identifiers: BTreeMap<String, String>,
    pub verification: Option<Verification>,
    /// The accounts acting for it (empty in lists).
    pub accounts: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A recorded verification outcome. `trust_framework`, `assurance_level` and `verified_at`
/// go out in `verified_claims`; the evidence is described by `evidence_type`, `method`
/// (its check method, e.g. `vpip`), `verifier` (who checked) and `reference` (the
/// verifier's transaction).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Verification {
    pub trust_framework: String,
    pub assurance_level: Option<String>,
    pub evidence_type: String,
    pub method: String,
    pub verifier: String,
    pub reference: Option<String>,
    /// When the verifier checked (Unix seconds).
    pub verified_at: i64,
    /// Who recorded it here (the administrator or API client).
    pub recorded_by: String,
    pub recorded_at: i64,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCustomer {
    pub kind: CustomerKind,
    /// 1 to 300 characters.
    pub legal_name: String,
    /// Up to 10: kind (lowercase letters, digits, `_`) to value (1 to 100 characters).
    #[serde(default)]
    pub identifiers: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerChange {
    pub legal_name: Option<String>,
    /// Replaces every identifier.
    pub identifiers: Option<BTreeMap<String, String>>,
}

/// A verification outcome to record.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVerification {
    /// The rules it was made under (`de_aml`, `eidas`, `uk_tfida`, …).
    pub trust_framework: String,
    pub assurance_level: Option<String>,
    /// `document` (default), `electronic_record`, `vouch` or `electronic_signature`.
    pub evidence_type: Option<String>,
    /// How the evidence was checked (`vpip`, `vri`, `pvp`, `kbv`, …).
    pub method: String,
    /// Who checked: the KYC provider or the office.
    pub verifier: String,
    /// The verifier's reference for the check.
    pub reference: Option<String>,
    /// When it was checked (Unix seconds; not in the future).
    pub verified_at: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum CustomerError {
    #[error("{0}")]
    Invalid(String),
    #[error("no such customer")]
    NotFound,
    #[error("no such account")]
    AccountNotFound,
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl crate::db::StorageFailure for CustomerError {
    fn storage_error(&self) -> Option<&DbError> {
        match self {
            CustomerError::Db(e) => Some(e),
            _ => None,
        }
    }
}

fn invalid(message: impl Into<String>) -> CustomerError {
    CustomerError::Invalid(message.into())
}

fn text(field: &str, value: &str, max: usize) -> Result<String, CustomerError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(invalid(format!(
            "{field} must be 1 to {max} characters, without control characters"
        )));
    }
    Ok(value.to_owned())
}

/// A machine word: lowercase ASCII letters, digits and `_ - . :`.
fn word(field: &str, value: &str, max: usize) -> Result<String, CustomerError> {
    let ok = !value.is_empty()
        && value.len() <= max
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-.:".contains(&b));
    if !ok {
        return Err(invalid(format!(
            "{field} must be 1 to {max} lowercase letters, digits or _ - . :"
        )));
    }
    Ok(value.to_owned())
}

fn identifiers(
    given: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, CustomerError> {
    if given.len() > MAX_IDENTIFIERS {
        return Err(invalid(format!(
            "a customer has at most {MAX_IDENTIFIERS} identifiers"
        )));
    }
    given
        .iter()
        .map(|(kind, value)| {
            let kind = word("an identifier kind", kind, 40)?;
            let value = text(&format!("identifier {kind}"), value, 100)?;
            if !value.chars().any(char::is_alphanumeric) {
                return Err(invalid(format!(
                    "identifier {kind} has no letters or digits"
                )));
            }
            Ok((kind, value))
        })
        .collect()
}

impl NewCustomer {
    pub(super) fn checked(&self) -> Result<NewCustomer, CustomerError> {
        Ok(NewCustomer {
            kind: self.kind,
            legal_name: text("legal_name", &self.legal_name, 300)?,
            identifiers: identifiers(&self.identifiers)?,
        })
    }
}

impl CustomerChange {
    pub(super) fn checked(&self) -> Result<CustomerChange, CustomerError> {
        Ok(CustomerChange {
            legal_name: self
                .legal_name
                .as_deref()
                .map(|n| text("legal_name", n, 300))
                .transpose()?,
            identifiers: self.identifiers.as_ref().map(identifiers).transpose()?,
        })
    }
}

impl NewVerification {
    pub(super) fn checked(
        &self,
        recorded_by: &str,
        now: i64,
    ) -> Result<Verification, CustomerError> {
        let evidence_type = self.evidence_type.as_deref().unwrap_or("document");
        if !EVIDENCE_TYPES.contains(&evidence_type) {
            return Err(invalid(format!(
                "evidence_type must be one of {}",
                EVIDENCE_TYPES.join(", ")
            )));
        }
        if self.verified_at <= 0 || self.verified_at > now + FUTURE_SKEW_SECS {
            return Err(invalid(
                "verified_at must be a time in the past (Unix seconds)",
            ));
        }
        Ok(Verification {
            trust_framework: word("trust_framework", &self.trust_framework, 64)?,
            assurance_level: self
                .assurance_level
                .as_deref()
                .map(|l| word("assurance_level", l, 64))
                .transpose()?,
            evidence_type: evidence_type.to_owned(),
            method: word("method", &self.method, 64)?,
            verifier: text("verifier", &self.verifier, 200)?,
            reference: self
                .reference
                .as_deref()
                .map(|r| text("reference", r, 200))
                .transpose()?,
            verified_at: self.verified_at,
            recorded_by: recorded_by.to_owned(),
            recorded_at: now,
        })
    }
}
