//! Platform administration: the people who run this Tessera and manage its tenants.
//!
//! Platform administrators are accounts of a reserved internal tenant (`_platform`, a slug no
//! request, list or command accepts as a tenant), so their sign-in, lockout, password hashing,
//! sessions and audit chain are the identity, session and audit modules' own — nothing about
//! credentials is written twice. The first administrator is created through a one-time setup
//! link (printed at start while there is none, valid for an hour) or `tessera admin create`.

use serde::Serialize;
use serde_json::json;

use crate::audit::Actor;
use crate::crypto::{random_token, sha256_hex};
use crate::db::tenants as rows;
use crate::db::{AnyConnection, DbError};
use crate::domain::{rfc3339, unix_now, Email, ProfileId, TenantId};
use crate::identity::{self, password::PasswordHasher, Account, AccountError};
use crate::keys::Vault;
use crate::tenancy::tenants;
use crate::tenancy::{Tenant, TenantError, TenantStatus, INTERNAL_SLUG};

/// How long a setup link works.
pub const SETUP_LIFETIME_SECS: i64 = 3600;
/// Platform administrators' passwords: at least this long.
pub const ADMIN_PASSWORD_MIN: usize = 12;
/// The role a new tenant's first administrator receives.
pub const TENANT_ADMIN_ROLE: &str = "tenant-admins";

#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    #[error("this setup link is unknown, used or expired: start the server again for a new one, or use `tessera admin create`")]
    SetupLinkInvalid,
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Tenant(#[from] TenantError),
    #[error(transparent)]
    Rotation(#[from] crate::keys::rotation::RotationError),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl crate::db::StorageFailure for PlatformError {
    fn storage_error(&self) -> Option<&DbError> {
        match self {
            PlatformError::Db(e) => Some(e),
            PlatformError::Account(e) => e.storage_error(),
            PlatformError::Tenant(e) => e.storage_error(),
            PlatformError::Rotation(e) => e.storage_error(),
            _ => None,
        }
    }
}

/// The internal tenant's id, creating its row on first use. It has no keys or clients.
pub fn internal_tenant(conn: &mut AnyConnection) -> Result<TenantId, DbError> {
    if let Some(row) = rows::find_by_slug(conn, INTERNAL_SLUG)? {
        return Ok(TenantId::from_stored(row.id));
    }
    let row = crate::tenancy::service::new_row(INTERNAL_SLUG, "Platform".into());
    match rows::insert(conn, &row) {
        Ok(()) => Ok(TenantId::from_stored(row.id)),
        // Another node created it at the same moment.
        Err(e) if e.is_unique_violation() => rows::find_by_slug(conn, INTERNAL_SLUG)?
            .map(|row| TenantId::from_stored(row.id))
            .ok_or(e),
        Err(e) => Err(e),
    }
}

pub fn has_admin(conn: &mut AnyConnection) -> Result<bool, DbError> {
    let platform = internal_tenant(conn)?;
    Ok(!crate::db::accounts::list(conn, &platform, None, 1)?.is_empty())
}

/// A new one-time setup token while no administrator exists (earlier links stop working).
pub fn issue_setup_token(conn: &mut AnyConnection) -> Result<Option<String>, DbError> {
    if has_admin(conn)? {
        return Ok(None);
    }
    let token = random_token();
    let now = unix_now();
    rows::insert_setup_token(
        conn,
        &sha256_hex(&token),
        now,
        crate::domain::expiry(now, SETUP_LIFETIME_SECS),
    )?;
    Ok(Some(token))
}

pub fn setup_token_is_live(conn: &mut AnyConnection, token: &str) -> Result<bool, DbError> {
    Ok(!has_admin(conn)? && rows::setup_token_is_live(conn, &sha256_hex(token), unix_now())?)
}

/// Creates a platform administrator (CLI, or the setup link's form).
pub fn create_admin(
    conn: &mut AnyConnection,
    vault: &Vault,
    hasher: &PasswordHasher,
    email: &str,
    password: &str,
    actor: &Actor,
) -> Result<Account, PlatformError> {
    let platform = internal_tenant(conn)?;
    crate::db::tx::write(conn, |conn| {
        let account = identity::create_account(
            conn,
            vault,
            hasher,
            &platform,
            email,
            password,
            ADMIN_PASSWORD_MIN,
        )?;
        crate::audit::record(
            conn,
            &platform,
            actor.event("platform.admin.create", account.id.as_str(), json!({})),
        )?;
        Ok(account)
    })
}

/// Uses a setup token to create the first administrator; refused once one exists.
pub fn complete_setup(
    conn: &mut AnyConnection,
    vault: &Vault,
    hasher: &PasswordHasher,
    token: &str,
    email: &str,
    password: &str,
    ip: &str,
) -> Result<Account, PlatformError> {
    crate::db::tx::write(conn, |conn| {
        if has_admin(conn)? || !rows::use_setup_token(conn, &sha256_hex(token), unix_now())? {
            return Err(PlatformError::SetupLinkInvalid);
        }
        let actor = Actor {
            id: "setup-link".into(),
            ip: ip.to_owned(),
        };
        create_admin(conn, vault, hasher, email, password, &actor)
    })
}

/// A tenant as the platform console lists it.
#[derive(Debug, Clone, Serialize)]
pub struct TenantSummary {
    pub slug: String,
    pub name: String,
    pub status: String,
    pub accounts: i64,
    pub clients: i64,
    pub created_at: String,
}

pub fn tenant_summaries(conn: &mut AnyConnection) -> Result<Vec<TenantSummary>, DbError> {
    let counts = rows::counts(conn)?;
    Ok(rows::list(conn)?
        .into_iter()
        .filter(|row| row.slug != INTERNAL_SLUG)
        .map(|row| {
            let (accounts, clients) = counts
                .iter()
                .find(|(id, _, _)| *id == row.id)
                .map_or((0, 0), |(_, a, c)| (*a, *c));
            TenantSummary {
                slug: row.slug,
                name: row.name,
                status: row.status,
                accounts,
                clients,
                created_at: rfc3339(row.created_at),
            }
        })
        .collect())
}

pub use crate::identity::invitation::Invitation;
use crate::identity::invitation::{self, InvitationError};

/// Creates a tenant (with its signing keys) and, given an email, invites its first
/// administrator: an account holding `tenant:admin` (through the `tenant-admins` role) whose
/// owner chooses a password through the invitation link.
pub fn create_tenant(
    conn: &mut AnyConnection,
    vault: &Vault,
    actor: &Actor,
    slug: &str,
    name: &str,
    admin_email: Option<&str>,
) -> Result<(Tenant, Option<Invitation>), PlatformError> {
    let admin_email = admin_email.map(str::trim).filter(|e| !e.is_empty());
    if let Some(email) = admin_email {
        Email::parse(email).map_err(|e| PlatformError::Invalid(e.to_string()))?;
    }
    let platform = internal_tenant(conn)?;
    // One transaction: no half-made tenant if the invitation fails (the tenant's own creation
    // nests as a savepoint).
    crate::db::tx::write::<_, PlatformError, _>(conn, |conn| {
        let tenant = tenants::create(conn, vault.master(), slug, name)?;
        let invitation = match admin_email {
            Some(email) => Some(invite(conn, vault, actor, &tenant, email)?),
            None => None,
        };
        crate::audit::record(
            conn,
            &platform,
            actor.event(
                "tenant.create",
                tenant.slug.as_str(),
                json!({ "name": tenant.name, "admin_invited": invitation.is_some() }),
            ),
        )?;
        Ok((tenant, invitation))
    })
}

/// Invites an administrator to an existing tenant (a new account: an address that already
/// has one is given the role from the tenant console or `tessera role grant` instead).
pub fn invite_admin(
    conn: &mut AnyConnection,
    vault: &Vault,
    actor: &Actor,
    slug: &str,
    email: &str,
) -> Result<Invitation, PlatformError> {
    Email::parse(email.trim()).map_err(|e| PlatformError::Invalid(e.to_string()))?;
    let platform = internal_tenant(conn)?;
    crate::db::tx::write::<_, PlatformError, _>(conn, |conn| {
        let tenant = tenants::find(conn, slug)?;
        let invitation = invite(conn, vault, actor, &tenant, email.trim())?;
        crate::audit::record(
            conn,
            &platform,
            actor.event(
                "tenant.invite_admin",
                tenant.slug.as_str(),
                json!({ "account_id": invitation.account.id }),
            ),
        )?;
        Ok(invitation)
    })
}

/// A new link for a tenant administrator's pending invitation (the older links stop working).
pub fn resend_invitation(
    conn: &mut AnyConnection,
    vault: &Vault,
    actor: &Actor,
    slug: &str,
    account: &str,
) -> Result<Invitation, PlatformError> {
    let platform = internal_tenant(conn)?;
    crate::db::tx::write::<_, PlatformError, _>(conn, |conn| {
        let tenant = tenants::find(conn, slug)?;
        let account = crate::domain::AccountId::from_stored(account.to_owned());
        // Only administrators' invitations: the platform does not manage a tenant's users.
        let holders = match crate::profiles::role::holders(conn, &tenant.id, TENANT_ADMIN_ROLE) {
            Ok(holders) => holders,
            Err(crate::profiles::RoleError::NotFound(_)) => Vec::new(),
            Err(e) => return Err(role_error(e)),
        };
        if !holders.iter().any(|(_, holder)| *holder == account) {
            return Err(PlatformError::Invalid(
                "only a tenant administrator's invitation can be re-sent here".into(),
            ));
        }
        let invitation =
            invitation::reissue(conn, vault, &tenant.id, &account).map_err(invitation_error)?;
        for (tenant_id, target) in [
            (&tenant.id, account.as_str()),
            (&platform, tenant.slug.as_str()),
        ] {
            crate::audit::record(
                conn,
                tenant_id,
                actor.event(
                    "account.invitation_resent",
                    target,
                    json!({ "account_id": account }),
                ),
            )?;
        }
        Ok(invitation)
    })
}

fn invitation_error(e: InvitationError) -> PlatformError {
    match e {
        InvitationError::Account(e) => e.into(),
        other => PlatformError::Invalid(other.to_string()),
    }
}

/// A tenant administrator as the platform console shows them.
#[derive(Debug, Clone, Serialize)]
pub struct TenantAdmin {
    pub account_id: String,
    /// Masked (`a***@example.com`).
    pub email: String,
    pub profile_name: String,
    /// Set while the invitation waits for its owner.
    pub invited_at: Option<i64>,
    /// When the newest invitation link stops working (`None`: expired, re-send it).
    pub link_expires_at: Option<i64>,
}

/// The holders of the tenant's `tenant-admins` role.
pub fn tenant_admins(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &Tenant,
) -> Result<Vec<TenantAdmin>, PlatformError> {
    if crate::profiles::role::find(conn, &tenant.id, TENANT_ADMIN_ROLE)
        .map_err(role_error)?
        .is_none()
    {
        return Ok(Vec::new());
    }
    let holders =
        crate::profiles::role::holders(conn, &tenant.id, TENANT_ADMIN_ROLE).map_err(role_error)?;
    let mut admins = Vec::new();
    for (profile, account) in holders {
        let account_row = identity::find_account(conn, vault, &tenant.id, &account)?;
        let profile_name = crate::profiles::find(conn, vault, &tenant.id, &profile)
            .map(|p| p.name)
            .unwrap_or_default();
        let pending = invitation::pending(conn, &tenant.id, &account)?;
        admins.push(TenantAdmin {
            account_id: account.to_string(),
            email: crate::admin::accounts::mask_email(account_row.email.as_str()),
            profile_name,
            invited_at: pending.as_ref().map(|p| p.invited_at),
            link_expires_at: pending.and_then(|p| p.link_expires_at),
        });
    }
    Ok(admins)
}

fn role_error(e: crate::profiles::RoleError) -> PlatformError {
    match e {
        crate::profiles::RoleError::Db(e) => e.into(),
        other => PlatformError::Invalid(other.to_string()),
    }
}

/// Invites `email` to administer `tenant`: the `tenant-admins` role (made, with
/// `tenant:admin`, when missing) on the new account's first profile. Audited in the tenant's
/// own log, so it explains where its administrators came from.
fn invite(
    conn: &mut AnyConnection,
    vault: &Vault,
    actor: &Actor,
    tenant: &Tenant,
    email: &str,
) -> Result<Invitation, PlatformError> {
    let new = identity::NewAccount::without_password(email)?;
    let invitation = invitation::invite(conn, vault, &tenant.id, &new)?;
    let account = &invitation.account.id;
    let mut entries = vec![("account.invite", account.to_string(), json!({}))];
    let role = match crate::profiles::role::find(conn, &tenant.id, TENANT_ADMIN_ROLE)
        .map_err(role_error)?
    {
        Some(role) => role,
        None => {
            entries.push(("role.create", TENANT_ADMIN_ROLE.into(), json!({})));
            crate::profiles::role::create(conn, &tenant.id, TENANT_ADMIN_ROLE)
                .map_err(role_error)?
        }
    };
    if !role.permissions.iter().any(|p| p == "tenant:admin") {
        crate::profiles::role::permit(conn, &tenant.id, TENANT_ADMIN_ROLE, "tenant:admin")
            .map_err(role_error)?;
        entries.push((
            "role.permit",
            TENANT_ADMIN_ROLE.into(),
            json!({ "permission": "tenant:admin" }),
        ));
    }
    let profile = crate::db::accounts::profiles(conn, &tenant.id, account)?
        .into_iter()
        .next()
        .ok_or_else(|| PlatformError::Invalid("the account has no profile".into()))?;
    crate::profiles::role::grant(
        conn,
        &tenant.id,
        TENANT_ADMIN_ROLE,
        &ProfileId::from_stored(profile.id.clone()),
    )
    .map_err(role_error)?;
    entries.push((
        "role.grant",
        TENANT_ADMIN_ROLE.into(),
        json!({ "profile_id": profile.id }),
    ));
    for (action, target, details) in entries {
        crate::audit::record(conn, &tenant.id, actor.event(action, &target, details))?;
    }
    Ok(invitation)
}

/// Suspends (every hosted page and endpoint answers 403) or resumes a tenant.
pub fn set_status(
    conn: &mut AnyConnection,
    actor: &Actor,
    slug: &str,
    status: TenantStatus,
) -> Result<Tenant, PlatformError> {
    let platform = internal_tenant(conn)?;
    crate::db::tx::write(conn, |conn| {
        let tenant = tenants::set_status(conn, slug, status)?;
        let action = match status {
            TenantStatus::Active => "tenant.resume",
            TenantStatus::Suspended => "tenant.suspend",
        };
        crate::audit::record(conn, &platform, actor.event(action, slug, json!({})))?;
        Ok(tenant)
    })
}

/// Deletes a tenant and everything it owns; `confirmation` must repeat its slug.
pub fn delete_tenant(
    conn: &mut AnyConnection,
    actor: &Actor,
    slug: &str,
    confirmation: &str,
) -> Result<(), PlatformError> {
    if confirmation.trim() != slug {
        return Err(PlatformError::Invalid(format!(
            "type the tenant's slug ({slug}) to confirm: everything it holds is deleted"
        )));
    }
    let platform = internal_tenant(conn)?;
    crate::db::tx::write(conn, |conn| {
        let tenant = tenants::find(conn, slug)?;
        rows::delete(conn, &tenant.id)?;
        // Recorded in the platform's chain: the tenant's own went with it.
        crate::audit::record(
            conn,
            &platform,
            actor.event("tenant.delete", slug, json!({ "name": tenant.name })),
        )?;
        Ok(())
    })
}

/// Re-wraps every value the master key wraps under the configured key (see
/// `keys::rotation`), and records the run in the platform's audit log.
pub fn rotate_master_key(
    conn: &mut AnyConnection,
    vault: &Vault,
    actor: &Actor,
    batch: i64,
) -> Result<crate::keys::rotation::RotationReport, PlatformError> {
    let report = crate::keys::rotation::rotate_master(conn, vault, batch)?;
    let platform = internal_tenant(conn)?;
    crate::db::tx::write(conn, |conn| {
        crate::audit::record(
            conn,
            &platform,
            actor.event(
                "keys.rotate_master",
                &report.master_key_id,
                json!({ "rewrapped": report.rewrapped, "remaining": report.remaining }),
            ),
        )
    })?;
    Ok(report)
}
