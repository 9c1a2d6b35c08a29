//! Which profile a browser session acts as. Only the session's own account's profiles can be
//! chosen; a choice is audited.

use super::{Profile, ProfileError};
use crate::audit::{self, Event};
use crate::db::{AnyConnection, DbError};
use crate::domain::{ProfileId, TenantId};
use crate::keys::Vault;
use crate::sessions::Session;

/// The profiles the session's account may act as.
pub fn available(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    session: &Session,
) -> Result<Vec<Profile>, DbError> {
    super::list(conn, vault, tenant, &session.account_id).map_err(|e| match e {
        ProfileError::Db(e) => e,
        // Listing fails otherwise only when sealed data does not open.
        other => DbError::Unreadable(other.to_string()),
    })
}

/// Makes the chosen profile the session's persona, when it is one of the session's account's.
/// `None` (and nothing changed) when `chosen` names no such profile. `details` go into the
/// audit entry (e.g. the client the choice was made for).
pub fn choose(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    session: &mut Session,
    chosen: Option<&str>,
    details: serde_json::Value,
) -> Result<Option<Profile>, DbError> {
    let Some(chosen) = chosen else {
        return Ok(None);
    };
    let Some(profile) = available(conn, vault, tenant, session)?
        .into_iter()
        .find(|p| p.id.as_str() == chosen)
    else {
        return Ok(None);
    };
    remember(conn, tenant, session, &profile.id)?;
    session.profile_id = Some(profile.id.clone());
    audit::record(
        conn,
        tenant,
        Event {
            actor: session.account_id.as_str(),
            action: "profile.select",
            target: profile.id.as_str(),
            ip: "",
            details,
        },
    )?;
    Ok(Some(profile))
}

/// Remembers the persona a session acts as; the caller has checked it is the account's.
pub fn remember(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    session: &Session,
    profile: &ProfileId,
) -> Result<(), DbError> {
    if session.profile_id.as_ref() != Some(profile) {
        crate::db::sessions::set_profile(conn, tenant, &session.id, profile)?;
    }
    Ok(())
}
