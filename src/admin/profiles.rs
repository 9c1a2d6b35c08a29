//! An account's profiles (personas), as administrators change them: every change checked
//! against `accounts:write` and audited in its own transaction.

use serde_json::json;

use super::{audited, AdminError, Audited, Permission, Principal};
use crate::db::AnyConnection;
use crate::domain::{AccountId, ProfileId};
use crate::keys::Vault;
use crate::profiles::{self, NewProfile, Profile, ProfileChanges, ProfileError};

pub(super) fn profile_error(e: ProfileError) -> AdminError {
    match e {
        ProfileError::NotFound => AdminError::NotFound,
        ProfileError::Db(e) => e.into(),
        ProfileError::Sealed(e) => e.into(),
        ProfileError::NameTaken(_) | ProfileError::EmailTaken(_) | ProfileError::LastProfile => {
            AdminError::Conflict(e.to_string())
        }
        other => AdminError::Invalid(other.to_string()),
    }
}

/// A profile holding administration permissions is changed only by a caller holding them.
fn require_power_over(
    conn: &mut AnyConnection,
    who: &Principal,
    profile: &ProfileId,
) -> Result<(), AdminError> {
    let held = profiles::authorization(conn, who.tenant(), profile)?;
    who.require_holding(&held.permissions)
}

pub fn create(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    account: &AccountId,
    new: NewProfile,
) -> Result<Profile, AdminError> {
    who.require(Permission::AccountsWrite)?;
    audited(conn, who, "profile.create", |conn| {
        let profile = profiles::create(conn, vault, who.tenant(), account, new.clone())
            .map_err(profile_error)?;
        Ok(Audited {
            target: profile.id.to_string(),
            details: json!({ "account_id": account }),
            result: profile,
        })
    })
}

pub fn rename(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    profile: &ProfileId,
    name: &str,
) -> Result<Profile, AdminError> {
    who.require(Permission::AccountsWrite)?;
    audited(conn, who, "profile.rename", |conn| {
        require_power_over(conn, who, profile)?;
        let renamed =
            profiles::rename(conn, vault, who.tenant(), profile, name).map_err(profile_error)?;
        Ok(Audited {
            target: profile.to_string(),
            details: json!({}),
            result: renamed,
        })
    })
}

/// Changes persona data, and makes the profile the default when `make_default`.
pub fn update(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    profile: &ProfileId,
    changes: ProfileChanges,
    make_default: bool,
) -> Result<Profile, AdminError> {
    who.require(Permission::AccountsWrite)?;
    audited(conn, who, "profile.update", |conn| {
        require_power_over(conn, who, profile)?;
        let tenant = who.tenant();
        let mut updated = profiles::update(conn, vault, tenant, profile, changes.clone())
            .map_err(profile_error)?;
        if make_default {
            updated = profiles::set_default(conn, vault, tenant, profile).map_err(profile_error)?;
        }
        Ok(Audited {
            target: profile.to_string(),
            details: json!({}),
            result: updated,
        })
    })
}

/// Deletes a profile; an account's last profile stays.
pub fn delete(
    conn: &mut AnyConnection,
    who: &Principal,
    profile: &ProfileId,
) -> Result<(), AdminError> {
    who.require(Permission::AccountsWrite)?;
    audited(conn, who, "profile.delete", |conn| {
        require_power_over(conn, who, profile)?;
        profiles::delete(conn, who.tenant(), profile).map_err(profile_error)?;
        Ok(Audited {
            target: profile.to_string(),
            details: json!({}),
            result: (),
        })
    })
}
