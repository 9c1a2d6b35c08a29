//! Who is acting and what they may do. Permissions are read from the database for every
//! request (never from a token's snapshot or the page that was shown), so removing a role
//! takes effect at once.

use serde::Serialize;

use super::AdminError;
use crate::audit::Actor;
use crate::db::{AnyConnection, DbError};
use crate::domain::{ProfileId, TenantId};

/// A tenant-administration permission. `tenant:admin` grants all of them, and an area's
/// `write` grants its `read`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub enum Permission {
    #[serde(rename = "tenant:admin")]
    TenantAdmin,
    #[serde(rename = "clients:read")]
    ClientsRead,
    #[serde(rename = "clients:write")]
    ClientsWrite,
    #[serde(rename = "accounts:read")]
    AccountsRead,
    #[serde(rename = "accounts:write")]
    AccountsWrite,
    #[serde(rename = "roles:write")]
    RolesWrite,
    #[serde(rename = "settings:write")]
    SettingsWrite,
    #[serde(rename = "keys:write")]
    KeysWrite,
    #[serde(rename = "audit:read")]
    AuditRead,
    /// Introspect tokens issued to other clients (resource servers).
    #[serde(rename = "tokens:introspect")]
    TokensIntrospect,
    /// See personal data unmasked (with a reason, audited: `admin::accounts::Reveal`).
    #[serde(rename = "pii:read")]
    PiiRead,
    /// Webhook subscriptions: create, change, delete, redeliver; and the event feed.
    #[serde(rename = "webhooks:write")]
    WebhooksWrite,
}

impl Permission {
    pub const ALL: [Permission; 12] = [
        Permission::TenantAdmin,
        Permission::ClientsRead,
        Permission::ClientsWrite,
        Permission::AccountsRead,
        Permission::AccountsWrite,
        Permission::RolesWrite,
        Permission::SettingsWrite,
        Permission::KeysWrite,
        Permission::AuditRead,
        Permission::TokensIntrospect,
        Permission::PiiRead,
        Permission::WebhooksWrite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::TenantAdmin => "tenant:admin",
            Permission::ClientsRead => "clients:read",
            Permission::ClientsWrite => "clients:write",
            Permission::AccountsRead => "accounts:read",
            Permission::AccountsWrite => "accounts:write",
            Permission::RolesWrite => "roles:write",
            Permission::SettingsWrite => "settings:write",
            Permission::KeysWrite => "keys:write",
            Permission::AuditRead => "audit:read",
            Permission::TokensIntrospect => crate::oidc::introspection::PERMISSION,
            Permission::PiiRead => "pii:read",
            Permission::WebhooksWrite => "webhooks:write",
        }
    }

    /// The administration permission a role permission names, if it is one.
    pub fn parse(input: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == input)
    }

    /// The permissions that satisfy this one.
    fn satisfied_by(self) -> &'static [&'static str] {
        match self {
            Permission::ClientsRead => &["tenant:admin", "clients:read", "clients:write"],
            Permission::AccountsRead => &["tenant:admin", "accounts:read", "accounts:write"],
            Permission::TenantAdmin => &["tenant:admin"],
            Permission::ClientsWrite => &["tenant:admin", "clients:write"],
            Permission::AccountsWrite => &["tenant:admin", "accounts:write"],
            Permission::RolesWrite => &["tenant:admin", "roles:write"],
            Permission::SettingsWrite => &["tenant:admin", "settings:write"],
            Permission::KeysWrite => &["tenant:admin", "keys:write"],
            Permission::AuditRead => &["tenant:admin", "audit:read"],
            Permission::TokensIntrospect => &["tenant:admin", "tokens:introspect"],
            Permission::PiiRead => &["tenant:admin", "pii:read"],
            Permission::WebhooksWrite => &["tenant:admin", "webhooks:write"],
        }
    }
}

/// An authenticated caller inside one tenant: a signed-in profile (console, or an access token
/// from the authorization code flow) or a client acting for itself (client_credentials).
#[derive(Debug, Clone)]
pub struct Principal {
    tenant: TenantId,
    actor: Actor,
    permissions: Vec<String>,
}

impl Principal {
    /// A profile of this tenant, with its permissions as they are now.
    pub fn profile(
        conn: &mut AnyConnection,
        tenant: &TenantId,
        profile: &ProfileId,
        ip: &str,
    ) -> Result<Principal, DbError> {
        let permissions = crate::profiles::authorization(conn, tenant, profile)?.permissions;
        Ok(Principal {
            tenant: tenant.clone(),
            actor: Actor {
                id: profile.to_string(),
                ip: ip.to_owned(),
            },
            permissions,
        })
    }

    /// The profile a user's grant was made for, if the grant is still live: the principal of
    /// a user's access token (found by its `grant_id`, which every user token carries, while
    /// `profile_id` is left out for pairwise clients).
    pub fn of_grant(
        conn: &mut AnyConnection,
        tenant: &TenantId,
        grant: &crate::domain::GrantId,
        ip: &str,
    ) -> Result<Option<Principal>, DbError> {
        let now = crate::domain::unix_now();
        let Some(grant) = crate::db::grants::find_grant(conn, tenant, grant)?
            .filter(|g| g.revoked_at.is_none() && g.expires_at >= now)
        else {
            return Ok(None);
        };
        let profile = ProfileId::from_stored(grant.profile_id);
        Principal::profile(conn, tenant, &profile, ip).map(Some)
    }

    /// A client of this tenant acting for itself, with its roles' permissions as they are now.
    pub fn client(
        conn: &mut AnyConnection,
        tenant: &TenantId,
        client_id: &str,
        ip: &str,
    ) -> Result<Principal, DbError> {
        let permissions =
            crate::profiles::role::client_authorization(conn, tenant, &client_id.into())?
                .permissions;
        Ok(Principal {
            tenant: tenant.clone(),
            actor: Actor {
                id: client_id.to_owned(),
                ip: ip.to_owned(),
            },
            permissions,
        })
    }

    /// The operator at the command line: every permission (the server's operator can do
    /// anything the database allows anyway), recorded as the actor `cli`.
    pub fn cli(tenant: &TenantId) -> Principal {
        Principal {
            tenant: tenant.clone(),
            actor: Actor::cli(),
            permissions: vec![Permission::TenantAdmin.as_str().to_owned()],
        }
    }

    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub fn may(&self, needed: Permission) -> bool {
        let accepted = needed.satisfied_by();
        self.permissions
            .iter()
            .any(|held| accepted.contains(&held.as_str()))
    }

    /// The check every operation makes before anything else.
    pub fn require(&self, needed: Permission) -> Result<(), AdminError> {
        if self.may(needed) {
            Ok(())
        } else {
            Err(AdminError::Forbidden(needed))
        }
    }

    /// Refuses unless the caller holds every administration permission in `permissions`:
    /// the one "only hand on what you hold" rule (granting roles, changing clients or
    /// accounts that hold them). Permissions that are not administration permissions are
    /// application permissions and need nothing.
    pub fn require_holding(&self, permissions: &[String]) -> Result<(), AdminError> {
        permissions
            .iter()
            .filter_map(|p| Permission::parse(p))
            .try_for_each(|p| self.require(p))
    }

    /// Whether the caller may see any part of the console at all.
    pub fn is_admin(&self) -> bool {
        Permission::ALL
            .iter()
            .filter(|p| **p != Permission::TokensIntrospect)
            .any(|p| self.may(*p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(permissions: &[&str]) -> Principal {
        Principal {
            tenant: TenantId::from_stored("t".into()),
            actor: Actor::cli(),
            permissions: permissions.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn admin_grants_all_and_write_grants_read() {
        let admin = with(&["tenant:admin"]);
        assert!(Permission::ALL.iter().all(|p| admin.may(*p)));
        let writer = with(&["clients:write"]);
        assert!(writer.may(Permission::ClientsRead));
        assert!(!writer.may(Permission::AccountsRead));
        assert!(!writer.may(Permission::TenantAdmin));
        let reader = with(&["clients:read"]);
        assert!(!reader.may(Permission::ClientsWrite));
        assert!(matches!(
            reader.require(Permission::KeysWrite),
            Err(AdminError::Forbidden(Permission::KeysWrite))
        ));
        assert!(!with(&["profile:edit", "clients:*"]).is_admin());
    }
}
