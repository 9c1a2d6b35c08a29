//! Initial access tokens for dynamic client registration (RFC 7591 §3): an administrator
//! hands one to a developer (or a deployment pipeline) so that it can register clients while
//! the tenant's policy is `token`. Tokens are random, shown once, stored as hashes, and
//! limited in uses and lifetime. Needs `clients:write`.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{audited, AdminError, Audited, Permission, Principal};
use crate::crypto::{random_token, sha256_hex};
use crate::db::registration::{self as rows, TokenRow};
use crate::db::AnyConnection;
use crate::domain::{rfc3339, unix_now};

/// Bounds of a token's uses and lifetime.
pub const MAX_USES: i64 = 1000;
pub const LIFETIME_SECS: (i64, i64) = (60, 30 * 86_400);
const DEFAULT_LIFETIME_SECS: i64 = 86_400;

/// A new initial access token.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRegistrationToken {
    /// How many clients it may register (1 to 1000; default 1).
    #[serde(default)]
    pub max_uses: Option<i64>,
    /// Seconds it stays valid (60 s to 30 days; default one day).
    #[serde(default)]
    pub expires_in_secs: Option<i64>,
    #[serde(default)]
    pub description: String,
}

/// A token as administrators see it (never the token itself).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RegistrationToken {
    pub id: String,
    pub description: String,
    pub max_uses: i64,
    pub uses: i64,
    pub created_at: String,
    pub expires_at: String,
}

impl From<TokenRow> for RegistrationToken {
    fn from(row: TokenRow) -> RegistrationToken {
        RegistrationToken {
            id: row.id,
            description: row.description,
            max_uses: row.max_uses,
            uses: row.uses,
            created_at: rfc3339(row.created_at),
            expires_at: rfc3339(row.expires_at),
        }
    }
}

/// A new token and its secret value, shown only here.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CreatedRegistrationToken {
    #[serde(flatten)]
    pub info: RegistrationToken,
    /// Send as `Authorization: Bearer …` to `{issuer}/register`.
    pub token: String,
}

pub fn create(
    conn: &mut AnyConnection,
    who: &Principal,
    new: &NewRegistrationToken,
) -> Result<CreatedRegistrationToken, AdminError> {
    who.require(Permission::ClientsWrite)?;
    let max_uses = new.max_uses.unwrap_or(1);
    if !(1..=MAX_USES).contains(&max_uses) {
        return Err(AdminError::Invalid(format!(
            "a token registers 1 to {MAX_USES} clients"
        )));
    }
    let lifetime = new.expires_in_secs.unwrap_or(DEFAULT_LIFETIME_SECS);
    let (low, high) = LIFETIME_SECS;
    if !(low..=high).contains(&lifetime) {
        return Err(AdminError::Invalid(format!(
            "a token lives {low} seconds to {} days",
            high / 86_400
        )));
    }
    let description = new.description.trim();
    if description.chars().count() > 200 || description.chars().any(char::is_control) {
        return Err(AdminError::Invalid(
            "a description is at most 200 characters, without control characters".into(),
        ));
    }
    audited(conn, who, "registration_token.create", |conn| {
        let token = random_token();
        let now = unix_now();
        let row = TokenRow {
            id: uuid::Uuid::now_v7().to_string(),
            tenant_id: who.tenant().to_string(),
            token_hash: sha256_hex(&token),
            description: description.to_owned(),
            max_uses,
            uses: 0,
            created_at: now,
            expires_at: now + lifetime,
        };
        rows::insert(conn, &row)?;
        Ok(Audited {
            target: row.id.clone(),
            details: json!({ "max_uses": max_uses, "expires_in_secs": lifetime }),
            result: CreatedRegistrationToken {
                info: row.into(),
                token,
            },
        })
    })
}

pub fn list(
    conn: &mut AnyConnection,
    who: &Principal,
) -> Result<Vec<RegistrationToken>, AdminError> {
    who.require(Permission::ClientsWrite)?;
    Ok(rows::list(conn, who.tenant())?
        .into_iter()
        .map(RegistrationToken::from)
        .collect())
}

pub fn revoke(conn: &mut AnyConnection, who: &Principal, id: &str) -> Result<(), AdminError> {
    who.require(Permission::ClientsWrite)?;
    audited(conn, who, "registration_token.revoke", |conn| {
        if !rows::delete(conn, who.tenant(), id)? {
            return Err(AdminError::NotFound);
        }
        Ok(Audited {
            target: id.to_owned(),
            details: json!({}),
            result: (),
        })
    })
}
