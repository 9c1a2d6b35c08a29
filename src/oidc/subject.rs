//! Who `sub` names, per client (OIDC Core §8): the profile (default), the account, or a
//! pairwise identifier derived from the sector, the profile and a per-tenant secret salt.

use sha2::{Digest, Sha256};

use crate::clients::{Client, SubjectMode};
use crate::crypto::base64url;
use crate::db::{tenants, AnyConnection, DbError};
use crate::domain::{AccountId, ProfileId, TenantId};

#[derive(Debug, Clone)]
pub struct Subject {
    pub sub: String,
    /// Set in account mode, where tokens also carry `account_id`.
    pub account_id: Option<String>,
}

pub fn subject(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    client: &Client,
    account: &AccountId,
    profile: &ProfileId,
) -> Result<Subject, DbError> {
    Ok(match client.subject_mode {
        SubjectMode::Profile => Subject {
            sub: profile.to_string(),
            account_id: None,
        },
        SubjectMode::Account => Subject {
            sub: account.to_string(),
            account_id: Some(account.to_string()),
        },
        SubjectMode::Pairwise => {
            let salt = tenants::pairwise_salt(conn, tenant)?;
            let sector = client
                .sector_identifier
                .as_deref()
                .unwrap_or(client.id.as_str());
            Subject {
                sub: pairwise(sector, profile, &salt),
                account_id: None,
            }
        }
    })
}

fn pairwise(sector: &str, profile: &ProfileId, salt: &str) -> String {
    let digest = Sha256::new()
        .chain_update(sector.as_bytes())
        .chain_update([0])
        .chain_update(profile.as_str().as_bytes())
        .chain_update([0])
        .chain_update(salt.as_bytes())
        .finalize();
    base64url(&digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_is_stable_per_sector_and_differs_across() {
        let profile = ProfileId::from_stored("p1".into());
        let a = pairwise("app.example.com", &profile, "salt");
        assert_eq!(a, pairwise("app.example.com", &profile, "salt"));
        assert_ne!(a, pairwise("other.example.com", &profile, "salt"));
        assert_ne!(
            a,
            pairwise(
                "app.example.com",
                &ProfileId::from_stored("p2".into()),
                "salt"
            )
        );
        assert_ne!(a, pairwise("app.example.com", &profile, "pepper"));
        assert!(!a.contains("p1"));
    }
}
