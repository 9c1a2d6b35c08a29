//! Roles and permissions per tenant. A profile's permissions are the union of its roles'.

use serde::Serialize;

use crate::db::roles::{self as rows, RoleRow};
use crate::db::{AnyConnection, DbError};
use crate::domain::{unix_now, ClientId, ProfileId, RoleId, TenantId};
use crate::events::{Kind, Subject};

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Role {
    #[schemars(with = "String")]
    pub id: RoleId,
    pub name: String,
    pub permissions: Vec<String>,
}

/// What a profile may do, snapshotted into tokens when they are minted.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Authorization {
    pub roles: Vec<String>,
    pub permissions: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RoleError {
    #[error("a role name must be 1 to 64 characters: letters, digits and - _ . :")]
    InvalidName,
    #[error("a permission must be 1 to 100 characters: lowercase letters, digits and - _ . : *")]
    InvalidPermission,
    #[error("the role \"{0}\" already exists")]
    Exists(String),
    #[error("no role \"{0}\" in this tenant")]
    NotFound(String),
    #[error("no such profile in this tenant")]
    NoProfile,
    #[error("no such client in this tenant")]
    NoClient,
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::storage_failure!(RoleError);

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

fn valid_permission(permission: &str) -> bool {
    (1..=100).contains(&permission.len())
        && permission.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.' | ':' | '*')
        })
}

fn role(conn: &mut AnyConnection, tenant: &TenantId, name: &str) -> Result<RoleRow, RoleError> {
    rows::find_by_name(conn, tenant, name)?.ok_or_else(|| RoleError::NotFound(name.to_owned()))
}

fn view(conn: &mut AnyConnection, tenant: &TenantId, row: RoleRow) -> Result<Role, RoleError> {
    Ok(Role {
        permissions: rows::permissions(conn, tenant, &row.role_id())?,
        id: row.role_id(),
        name: row.name,
    })
}

pub fn create(conn: &mut AnyConnection, tenant: &TenantId, name: &str) -> Result<Role, RoleError> {
    if !valid_name(name) {
        return Err(RoleError::InvalidName);
    }
    if rows::find_by_name(conn, tenant, name)?.is_some() {
        return Err(RoleError::Exists(name.to_owned()));
    }
    let row = RoleRow {
        id: RoleId::generate().to_string(),
        tenant_id: tenant.to_string(),
        name: name.to_owned(),
        created_at: unix_now(),
    };
    rows::insert(conn, &row).map_err(|e| {
        if e.is_unique_violation() {
            RoleError::Exists(name.to_owned())
        } else {
            e.into()
        }
    })?;
    view(conn, tenant, row)
}

pub fn list(conn: &mut AnyConnection, tenant: &TenantId) -> Result<Vec<Role>, RoleError> {
    rows::list(conn, tenant)?
        .into_iter()
        .map(|row| view(conn, tenant, row))
        .collect()
}

pub fn delete(conn: &mut AnyConnection, tenant: &TenantId, name: &str) -> Result<(), RoleError> {
    let row = role(conn, tenant, name)?;
    let role_id = row.role_id();
    crate::db::tx::write(conn, |conn| {
        // Holders lose the role with it: each is told as a revocation.
        let profiles = rows::holders(conn, tenant, &role_id)?;
        let clients = rows::client_holders(conn, tenant, &role_id)?;
        rows::delete(conn, tenant, &role_id)?;
        for (profile, _) in profiles {
            let profile = ProfileId::from_stored(profile);
            membership(
                conn,
                tenant,
                Kind::RoleRevoked,
                name,
                Subject::Profile(&profile),
                true,
            )?;
        }
        for client in clients {
            let client = ClientId::from(client);
            membership(
                conn,
                tenant,
                Kind::RoleRevoked,
                name,
                Subject::Client(&client),
                true,
            )?;
        }
        Ok::<_, DbError>(())
    })?;
    Ok(())
}

pub fn permit(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    name: &str,
    permission: &str,
) -> Result<Role, RoleError> {
    if !valid_permission(permission) {
        return Err(RoleError::InvalidPermission);
    }
    let row = role(conn, tenant, name)?;
    rows::permit(conn, tenant, &row.role_id(), permission)?;
    view(conn, tenant, row)
}

pub fn unpermit(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    name: &str,
    permission: &str,
) -> Result<Role, RoleError> {
    let row = role(conn, tenant, name)?;
    rows::unpermit(conn, tenant, &row.role_id(), permission)?;
    view(conn, tenant, row)
}

pub fn grant(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    name: &str,
    profile: &ProfileId,
) -> Result<Authorization, RoleError> {
    let row = role(conn, tenant, name)?;
    if crate::db::accounts::find_profile(conn, tenant, profile)?.is_none() {
        return Err(RoleError::NoProfile);
    }
    let subject = Subject::Profile(profile);
    changed_membership(conn, tenant, Kind::RoleGranted, name, subject, |conn| {
        rows::grant(conn, tenant, &row.role_id(), profile)
    })?;
    Ok(authorization(conn, tenant, profile)?)
}

pub fn revoke(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    name: &str,
    profile: &ProfileId,
) -> Result<Authorization, RoleError> {
    let row = role(conn, tenant, name)?;
    let subject = Subject::Profile(profile);
    changed_membership(conn, tenant, Kind::RoleRevoked, name, subject, |conn| {
        rows::revoke(conn, tenant, &row.role_id(), profile)
    })?;
    Ok(authorization(conn, tenant, profile)?)
}

/// The role named `name`, if the tenant has one.
pub fn find(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    name: &str,
) -> Result<Option<Role>, RoleError> {
    match rows::find_by_name(conn, tenant, name)? {
        Some(row) => Ok(Some(view(conn, tenant, row)?)),
        None => Ok(None),
    }
}

/// The profiles holding a role, each with its account.
pub fn holders(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    name: &str,
) -> Result<Vec<(ProfileId, crate::domain::AccountId)>, RoleError> {
    let row = role(conn, tenant, name)?;
    Ok(rows::holders(conn, tenant, &row.role_id())?
        .into_iter()
        .map(|(profile, account)| {
            (
                ProfileId::from_stored(profile),
                crate::domain::AccountId::from_stored(account),
            )
        })
        .collect())
}

/// The profile's roles and the union of their permissions, read now (tokens snapshot it).
pub fn authorization(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    profile: &ProfileId,
) -> Result<Authorization, DbError> {
    let (roles, permissions) = rows::authorization(conn, tenant, profile)?;
    Ok(Authorization { roles, permissions })
}

/// Gives a client a role: its client_credentials tokens carry the role's permissions, and the
/// admin API authorizes it with them.
pub fn grant_client(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    name: &str,
    client_id: &ClientId,
) -> Result<Authorization, RoleError> {
    let row = role(conn, tenant, name)?;
    if crate::db::clients::find(conn, tenant, client_id)?.is_none() {
        return Err(RoleError::NoClient);
    }
    let subject = Subject::Client(client_id);
    changed_membership(conn, tenant, Kind::RoleGranted, name, subject, |conn| {
        rows::grant_client(conn, tenant, &row.role_id(), client_id)
    })?;
    Ok(client_authorization(conn, tenant, client_id)?)
}

pub fn revoke_client(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    name: &str,
    client_id: &ClientId,
) -> Result<Authorization, RoleError> {
    let row = role(conn, tenant, name)?;
    let subject = Subject::Client(client_id);
    changed_membership(conn, tenant, Kind::RoleRevoked, name, subject, |conn| {
        rows::revoke_client(conn, tenant, &row.role_id(), client_id)
    })?;
    Ok(client_authorization(conn, tenant, client_id)?)
}

/// The client's roles and the union of their permissions, read now.
pub fn client_authorization(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    client_id: &ClientId,
) -> Result<Authorization, DbError> {
    let (roles, permissions) = rows::client_authorization(conn, tenant, client_id)?;
    Ok(Authorization { roles, permissions })
}

/// Grants or revokes (`change`, true when it changed anything) and writes the event of it,
/// in one transaction; nothing changed, no event.
fn changed_membership(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    kind: Kind,
    role: &str,
    holder: Subject,
    change: impl Fn(&mut AnyConnection) -> Result<bool, DbError>,
) -> Result<(), DbError> {
    crate::db::tx::write(conn, |conn| {
        if change(conn)? {
            membership(conn, tenant, kind, role, holder, false)?;
        }
        Ok(())
    })
}

/// The `role.granted` / `role.revoked` event of one holder.
fn membership(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    kind: Kind,
    role: &str,
    holder: Subject,
    role_deleted: bool,
) -> Result<(), DbError> {
    let data = if role_deleted {
        serde_json::json!({ "role": role, "reason": "role_deleted" })
    } else {
        serde_json::json!({ "role": role })
    };
    crate::events::emit(conn, tenant, kind, holder, data)
}
