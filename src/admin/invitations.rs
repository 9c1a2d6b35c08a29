//! Inviting people to a tenant: an account without a password, an optional role on its first
//! profile, and a link (mailed by the surface that asked) with which its owner chooses a
//! password and lands signed in. Re-sending issues a new link and voids the older ones.

use serde_json::json;

use super::accounts::{account_error, changeable_account};
use super::{audited, AdminError, Audited, Permission, Principal};
use crate::db::AnyConnection;
use crate::domain::{AccountId, ProfileId};
use crate::identity::invitation::{self, Invitation, InvitationError};
use crate::identity::NewAccount;
use crate::keys::Vault;

/// An invitation to mail, and whether it invites an administrator (its mail and page say so).
pub struct Invited {
    pub invitation: Invitation,
    pub as_admin: bool,
}

/// Invites `email` (a new account; `name` names its first profile, else the email's local
/// part). A `role` is given to that profile under the usual rules: `roles:write`, and only
/// administration permissions the caller holds.
pub fn invite(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    email: &str,
    name: Option<&str>,
    role: Option<&str>,
) -> Result<Invited, AdminError> {
    who.require(Permission::AccountsWrite)?;
    let role = role.map(str::trim).filter(|r| !r.is_empty());
    if let Some(role) = role {
        who.require(Permission::RolesWrite)?;
        let Some(found) = crate::profiles::role::find(conn, who.tenant(), role)
            .map_err(super::roles::role_error)?
        else {
            return Err(AdminError::Invalid(format!(
                "there is no role named \"{role}\""
            )));
        };
        who.require_holding(&found.permissions)?;
    }
    let new = NewAccount::without_password(email)
        .map_err(account_error)?
        .named(name);
    audited(conn, who, "account.invite", |conn| {
        let invitation =
            invitation::invite(conn, vault, who.tenant(), &new).map_err(account_error)?;
        let account = invitation.account.id.clone();
        if let Some(role) = role {
            let profile = crate::db::accounts::profiles(conn, who.tenant(), &account)?
                .into_iter()
                .next()
                .ok_or(AdminError::NotFound)?;
            let profile = ProfileId::from_stored(profile.id);
            crate::profiles::role::grant(conn, who.tenant(), role, &profile)
                .map_err(super::roles::role_error)?;
        }
        let as_admin = super::accounts::administers(conn, who.tenant(), &account)?;
        Ok(Audited {
            target: account.to_string(),
            details: json!({ "role": role }),
            result: Invited {
                invitation,
                as_admin,
            },
        })
    })
}

/// A new link for an account's pending invitation (the older ones stop working).
pub fn resend(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    id: &str,
) -> Result<Invited, AdminError> {
    who.require(Permission::AccountsWrite)?;
    audited(conn, who, "account.invitation_resent", |conn| {
        let account = AccountId::from_stored(changeable_account(conn, who, id)?.id);
        let invitation =
            invitation::reissue(conn, vault, who.tenant(), &account).map_err(|e| match e {
                InvitationError::Account(e) => account_error(e),
                other => AdminError::Conflict(other.to_string()),
            })?;
        let as_admin = super::accounts::administers(conn, who.tenant(), &account)?;
        Ok(Audited {
            target: account.to_string(),
            details: json!({}),
            result: Invited {
                invitation,
                as_admin,
            },
        })
    })
}

/// Moves one of an account's profiles to a new, invited account for `email` (a split:
/// `lifecycle::split`), with its consents and roles; the invitation is for the surface to
/// mail. The caller must hold whatever administration permissions the account's profiles do.
pub fn split(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    account_id: &str,
    profile_id: &str,
    email: &str,
) -> Result<Invited, AdminError> {
    who.require(Permission::AccountsWrite)?;
    let from = AccountId::from_stored(changeable_account(conn, who, account_id)?.id);
    let profile = ProfileId::from_stored(profile_id.to_owned());
    let invitation = crate::lifecycle::split::split(
        conn,
        vault,
        who.tenant(),
        &from,
        &profile,
        email,
        who.actor(),
    )
    .map_err(account_error)?;
    let as_admin = super::accounts::administers(conn, who.tenant(), &invitation.account.id)?;
    Ok(Invited {
        invitation,
        as_admin,
    })
}
