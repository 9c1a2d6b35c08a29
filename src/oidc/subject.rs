//! Who `sub` names, per client (OIDC Core §8): the profile (default), the account, or a
//! pairwise identifier derived from the sector, the profile and a per-tenant secret salt.
//!
//! A pairwise client sees no identifier another sector could also see: no `profile_id`, no
//! `account_id`, and its `sid` derived per sector like `sub`. Otherwise two relying parties
//! could link one user by comparing them.

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
    /// `profile_id` as this client may see it: absent for pairwise clients.
    pub profile_id: Option<String>,
    /// A pairwise client's sector and the tenant's salt, which derive its other identifiers.
    pairwise: Option<(String, String)>,
}

impl Subject {
    /// The session id as this client sees it (`sid`): derived per sector for pairwise
    /// clients, so two sectors cannot match their users by session.
    pub fn session_id(&self, sid: &str) -> String {
        match &self.pairwise {
            Some((sector, salt)) => pairwise(sector, &format!("sid:{sid}"), salt),
            None => sid.to_owned(),
        }
    }
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
            profile_id: Some(profile.to_string()),
            pairwise: None,
        },
        SubjectMode::Account => Subject {
            sub: account.to_string(),
            account_id: Some(account.to_string()),
            profile_id: Some(profile.to_string()),
            pairwise: None,
        },
        SubjectMode::Pairwise => {
            let salt = tenants::pairwise_salt(conn, tenant)?;
            let sector = client
                .sector_identifier
                .as_deref()
                .unwrap_or(client.id.as_str());
            Subject {
                sub: pairwise(sector, profile.as_str(), &salt),
                account_id: None,
                profile_id: None,
                pairwise: Some((sector.to_owned(), salt)),
            }
        }
    })
}

fn pairwise(sector: &str, local_id: &str, salt: &str) -> String {
    let digest = Sha256::new()
        .chain_update(sector.as_bytes())
        .chain_update([0])
        .chain_update(local_id.as_bytes())
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
        let a = pairwise("app.example.com", profile.as_str(), "salt");
        assert_eq!(a, pairwise("app.example.com", profile.as_str(), "salt"));
        assert_ne!(a, pairwise("other.example.com", profile.as_str(), "salt"));
        assert_ne!(a, pairwise("app.example.com", "p2", "salt"));
        assert_ne!(a, pairwise("app.example.com", profile.as_str(), "pepper"));
        assert!(!a.contains("p1"));
    }
}
