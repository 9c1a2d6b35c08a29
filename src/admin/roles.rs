//! Roles and their permissions, and who holds them (profiles, and clients for
//! client_credentials). Everything here needs `roles:write`; and since a role grants power, an
//! administrator can only hand out (or take away) administration permissions they hold
//! themselves: `roles:write` alone never leads to `tenant:admin`.

use serde::Deserialize;
use serde_json::json;

use super::{audited, AdminError, Audited, Page, PageRequest, Permission, Principal};
use crate::db::AnyConnection;
use crate::domain::ProfileId;
use crate::profiles::{role, Role, RoleError};

/// Who receives or loses a role.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Holder {
    /// A profile of this tenant…
    pub profile_id: Option<String>,
    /// …or a client (its client_credentials tokens carry the role's permissions).
    pub client_id: Option<String>,
}

/// The permissions of the role named `name` (empty when there is no such role).
fn held_by(
    conn: &mut AnyConnection,
    who: &Principal,
    name: &str,
) -> Result<Vec<String>, AdminError> {
    Ok(role::list(conn, who.tenant())
        .map_err(role_error)?
        .into_iter()
        .find(|r| r.name == name)
        .map(|r| r.permissions)
        .unwrap_or_default())
}

pub(super) fn role_error(e: RoleError) -> AdminError {
    match e {
        RoleError::NotFound(_) | RoleError::NoProfile | RoleError::NoClient => AdminError::NotFound,
        RoleError::Exists(name) => {
            AdminError::Conflict(format!("the role \"{name}\" already exists"))
        }
        RoleError::Db(e) => e.into(),
        other => AdminError::Invalid(other.to_string()),
    }
}

pub fn list(
    conn: &mut AnyConnection,
    who: &Principal,
    page: &PageRequest,
) -> Result<Page<Role>, AdminError> {
    who.require(Permission::RolesWrite)?;
    let all = role::list(conn, who.tenant()).map_err(role_error)?;
    Ok(Page::of_list(all, page, |r| r.name.clone()))
}

pub fn create(conn: &mut AnyConnection, who: &Principal, name: &str) -> Result<Role, AdminError> {
    who.require(Permission::RolesWrite)?;
    audited(conn, who, "role.create", |conn| {
        let role = role::create(conn, who.tenant(), name.trim()).map_err(role_error)?;
        Ok(Audited {
            target: role.name.clone(),
            details: json!({}),
            result: role,
        })
    })
}

pub fn delete(conn: &mut AnyConnection, who: &Principal, name: &str) -> Result<(), AdminError> {
    who.require(Permission::RolesWrite)?;
    who.require_holding(&held_by(conn, who, name)?)?;
    audited(conn, who, "role.delete", |conn| {
        role::delete(conn, who.tenant(), name).map_err(role_error)?;
        Ok(Audited {
            target: name.to_owned(),
            details: json!({}),
            result: (),
        })
    })
}

/// Adds (`granted`) or removes a permission of a role.
pub fn set_permission(
    conn: &mut AnyConnection,
    who: &Principal,
    name: &str,
    permission: &str,
    granted: bool,
) -> Result<Role, AdminError> {
    who.require(Permission::RolesWrite)?;
    let permission = permission.trim();
    who.require_holding(&[permission.to_owned()])?;
    let action = if granted {
        "role.permit"
    } else {
        "role.unpermit"
    };
    audited(conn, who, action, |conn| {
        let role = if granted {
            role::permit(conn, who.tenant(), name, permission)
        } else {
            role::unpermit(conn, who.tenant(), name, permission)
        }
        .map_err(role_error)?;
        Ok(Audited {
            target: role.name.clone(),
            details: json!({ "permission": permission }),
            result: role,
        })
    })
}

/// Gives (`granted`) or takes a role to or from a profile or a client; returns the holder's
/// roles afterwards.
pub fn set_holder(
    conn: &mut AnyConnection,
    who: &Principal,
    name: &str,
    holder: &Holder,
    granted: bool,
) -> Result<Vec<String>, AdminError> {
    who.require(Permission::RolesWrite)?;
    who.require_holding(&held_by(conn, who, name)?)?;
    let action = if granted { "role.grant" } else { "role.revoke" };
    audited(conn, who, action, |conn| {
        let tenant = who.tenant();
        let (authorization, holder_field, holder_id) = match (&holder.profile_id, &holder.client_id)
        {
            (Some(profile), None) => {
                let profile_id = ProfileId::from_stored(profile.trim().to_owned());
                let result = if granted {
                    role::grant(conn, tenant, name, &profile_id)
                } else {
                    role::revoke(conn, tenant, name, &profile_id)
                };
                (result.map_err(role_error)?, "profile_id", profile.trim())
            }
            (None, Some(client)) => {
                let result = if granted {
                    role::grant_client(conn, tenant, name, &client.trim().into())
                } else {
                    role::revoke_client(conn, tenant, name, &client.trim().into())
                };
                (result.map_err(role_error)?, "client_id", client.trim())
            }
            _ => {
                return Err(AdminError::Invalid(
                    "name exactly one holder: profile_id or client_id".into(),
                ))
            }
        };
        Ok(Audited {
            target: name.to_owned(),
            details: json!({ holder_field: holder_id }),
            result: authorization.roles,
        })
    })
}

/// The people holding a role (each profile with its account's masked email and the profile's
/// name, for callers who may read accounts; ids only for the others), so the console shows
/// who, not ids.
pub fn holders(
    conn: &mut AnyConnection,
    vault: &crate::keys::Vault,
    who: &Principal,
    name: &str,
) -> Result<Vec<super::people::Person>, AdminError> {
    who.require(Permission::RolesWrite)?;
    let named = super::people::may_name(who);
    let mut people = Vec::new();
    for (profile, account) in role::holders(conn, who.tenant(), name).map_err(role_error)? {
        if !named {
            // Without accounts:read: which profile, not whose.
            people.push(super::people::Person {
                account_id: account.to_string(),
                email: "(needs accounts:read)".into(),
                profile_id: profile.to_string(),
                profile_name: profile.to_string(),
            });
        } else if let Some(person) = super::people::describe(conn, vault, who, &profile)? {
            people.push(person);
        }
    }
    Ok(people)
}

/// A profile holder named as people name them: an email (with an optional profile name) or
/// a profile id; see [`super::people::find_profile`].
pub fn person_holder(
    conn: &mut AnyConnection,
    vault: &crate::keys::Vault,
    who: &Principal,
    person: &str,
    profile_name: Option<&str>,
) -> Result<Holder, AdminError> {
    who.require(Permission::RolesWrite)?;
    let profile = super::people::find_profile(conn, vault, who, person, profile_name)?;
    Ok(Holder {
        profile_id: Some(profile.to_string()),
        client_id: None,
    })
}
