//! "Give this profile to a new email": the profile moves, with its consents and roles, to a
//! new account for that address, which is invited to choose a password. The profile's id,
//! and so its `profile`-mode `sub`, survive; what was issued for it is revoked.

use serde_json::json;

use crate::audit::Actor;
use crate::db::{accounts as rows, tx, AnyConnection};
use crate::domain::{AccountId, ProfileId, TenantId};
use crate::identity::invitation::{self, Invitation};
use crate::identity::{AccountError, NewAccount};
use crate::keys::Vault;

/// Moves `profile` from account `from` to a new, invited account for `email`; returns the
/// invitation to mail. Refused when the address has an account (`EmailTaken`), when the
/// profile is not `from`'s (`NotFound`) or is its last one (`Profile(LastProfile)`).
/// Audited on both accounts, as `actor`.
pub fn split(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    from: &AccountId,
    profile: &ProfileId,
    email: &str,
    actor: &Actor,
) -> Result<Invitation, AccountError> {
    let new = NewAccount::without_password(email)?.without_first_profile();
    tx::write(conn, |conn| {
        // The account's lock first: two splits of one account at once cannot both take what
        // turns out to be its last profile.
        rows::lock(conn, tenant, from)?;
        if rows::find(conn, tenant, from)?.is_none_or(|row| row.status == "deleted") {
            return Err(AccountError::NotFound);
        }
        let invitation = invitation::invite(conn, vault, tenant, &new)?;
        let to = invitation.account.id.clone();
        crate::profiles::move_to(conn, vault, tenant, profile, from, &to)?;
        let moved = json!({ "profile_id": profile, "to_account": to });
        crate::audit::record(
            conn,
            tenant,
            actor.event("account.split", from.as_str(), moved),
        )?;
        let came = json!({ "profile_id": profile, "from_account": from });
        let event = actor.event("account.created_by_split", to.as_str(), came);
        crate::audit::record(conn, tenant, event)?;
        Ok(invitation)
    })
}
