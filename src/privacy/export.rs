//! Export (GDPR Art. 15 and 20): everything Tessera holds about one account, as one JSON
//! document of a documented, versioned schema (`tessera.export/1`, docs/privacy.md), also
//! rendered as a readable page. It holds no secret (no password hash, second-factor seed,
//! token or link) and nothing of anyone else: audit entries where someone else acted on the
//! person show that someone else did, not who or from where.

use serde::Serialize;
use serde_json::Value;

use crate::consent::{ConnectedApp, ConsentEntry, PurposeState};
use crate::db::{accounts as rows, audit, mfa, sessions, AnyConnection, DbError};
use crate::domain::{rfc3339, unix_now, AccountId, TenantId};
use crate::identity::{self, AccountError};
use crate::keys::Vault;

pub const SCHEMA: &str = "tessera.export/1";

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Export {
    /// `tessera.export/1`.
    pub schema: String,
    pub generated_at: String,
    /// The tenant (organisation) the account belongs to, by its slug.
    pub tenant: String,
    pub account: ExportAccount,
    /// The customer the account acts for: all of it for a person (it is about them); the
    /// name and kind only for an organization.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<crate::customers::Customer>,
    pub profiles: Vec<ExportProfile>,
    pub sessions: Vec<ExportSession>,
    /// Changes of the sign-in email still held (up to 7 days after each is confirmed).
    pub email_changes: Vec<crate::identity::email_change::EmailChangeEntry>,
    pub connected_apps: Vec<ConnectedApp>,
    /// The decision in force about each consent purpose (terms, marketing…).
    pub consent_purposes: Vec<PurposeState>,
    pub consent_history: Vec<ConsentEntry>,
    pub audit: Vec<ExportAuditEntry>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ExportAccount {
    pub id: String,
    pub email: String,
    pub email_verified: bool,
    pub status: String,
    pub created_at: String,
    pub two_step_verification: bool,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ExportProfile {
    pub id: String,
    pub name: String,
    pub is_default: bool,
    pub email: Option<String>,
    pub email_verified: bool,
    pub picture: Option<String>,
    pub locale: Option<String>,
    pub attributes: Value,
    pub roles: Vec<String>,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ExportSession {
    pub started_at: String,
    pub last_seen_at: String,
    pub expires_at: String,
    pub ended_at: Option<String>,
    /// How the session signed in, e.g. `pwd otp`.
    pub methods: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ExportAuditEntry {
    pub at: String,
    pub action: String,
    /// `you`, or `someone else` (an administrator, the system) without saying who.
    pub by: String,
    /// The account, a profile, or what the entry was about.
    pub target: String,
    /// The address the action came from, only for your own actions.
    pub ip: Option<String>,
    pub details: Value,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("no such account")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::storage_failure!(ExportError);

impl From<AccountError> for ExportError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::NotFound => ExportError::NotFound,
            AccountError::Db(e) => ExportError::Db(e),
            other => ExportError::Db(DbError::Unreadable(other.to_string())),
        }
    }
}

impl From<crate::profiles::ProfileError> for ExportError {
    fn from(e: crate::profiles::ProfileError) -> Self {
        match e {
            crate::profiles::ProfileError::Db(e) => ExportError::Db(e),
            other => ExportError::Db(DbError::Unreadable(other.to_string())),
        }
    }
}

/// Everything held about the account, read in one snapshot.
pub fn export(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    tenant_slug: &str,
    account_id: &AccountId,
) -> Result<Export, ExportError> {
    crate::db::tx::read::<_, ExportError, _>(conn, |conn| {
        let row = rows::find(conn, tenant, account_id)?.ok_or(ExportError::NotFound)?;
        let created_at = row.created_at;
        let account = identity::load_account(vault, row).map_err(DbError::from)?;
        let customer = match &account.customer_id {
            Some(id) => match crate::customers::find(conn, vault, tenant, &id.as_str().into()) {
                Ok(mut customer) => {
                    customer.accounts = vec![account_id.to_string()];
                    if customer.kind == crate::customers::CustomerKind::Organization {
                        customer.identifiers.clear();
                        customer.verification = None;
                    }
                    Some(customer)
                }
                Err(crate::customers::CustomerError::Db(e)) => return Err(e.into()),
                Err(_) => None,
            },
            None => None,
        };
        let mut profiles = Vec::new();
        for p in crate::profiles::list(conn, vault, tenant, account_id)? {
            let roles = crate::profiles::authorization(conn, tenant, &p.id)?.roles;
            profiles.push(ExportProfile {
                id: p.id.to_string(),
                name: p.name,
                is_default: p.is_default,
                email: p.email.map(|e| e.to_string()),
                email_verified: p.email_verified,
                picture: p.picture,
                locale: p.locale,
                attributes: p.attributes,
                roles,
                updated_at: rfc3339(p.updated_at),
            });
        }
        let ids: Vec<String> = profiles.iter().map(|p| p.id.clone()).collect();
        let sessions = sessions::list_for_account(conn, tenant, account_id)?
            .into_iter()
            .map(|s| ExportSession {
                started_at: rfc3339(s.created_at),
                last_seen_at: rfc3339(s.last_seen_at),
                expires_at: rfc3339(s.expires_at),
                ended_at: s.ended_at.map(rfc3339),
                methods: s.amr,
            })
            .collect();
        let mut about = ids.clone();
        about.push(account_id.to_string());
        let audit = audit::about(conn, tenant, &about)?
            .into_iter()
            .map(|e| {
                let mine = about.contains(&e.actor);
                ExportAuditEntry {
                    at: rfc3339(e.at),
                    action: e.action,
                    by: if mine { "you" } else { "someone else" }.into(),
                    target: e.target,
                    ip: (mine && !e.ip.is_empty()).then_some(e.ip),
                    details: serde_json::from_str(&e.details).unwrap_or(Value::Null),
                }
            })
            .collect();
        Ok(Export {
            schema: SCHEMA.into(),
            generated_at: rfc3339(unix_now()),
            tenant: tenant_slug.to_owned(),
            account: ExportAccount {
                id: account.id.to_string(),
                email: account.email.to_string(),
                email_verified: account.email_verified,
                status: account.status.as_str().into(),
                created_at: rfc3339(created_at),
                two_step_verification: mfa::find_totp(conn, tenant, account_id)?
                    .is_some_and(|t| t.confirmed_at.is_some()),
            },
            customer,
            profiles,
            sessions,
            email_changes: crate::identity::email_change::history(conn, vault, tenant, account_id)
                .map_err(|e| match e {
                    crate::identity::email_change::EmailChangeError::Account(e) => {
                        ExportError::from(e)
                    }
                    other => ExportError::Db(DbError::Unreadable(other.to_string())),
                })?,
            connected_apps: crate::consent::connected_apps(conn, tenant, &ids)?,
            consent_purposes: crate::consent::in_force(conn, tenant, &ids)?,
            consent_history: crate::consent::history(conn, vault, tenant, &ids)?,
            audit,
        })
    })
}
