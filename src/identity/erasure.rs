//! Erasure (GDPR Art. 17, docs/privacy.md). Erasing an account destroys its data key with its
//! sealed email (crypto-shredding), deletes its profiles (their keys and personas with them),
//! its second factor and mailed links, ends its sessions and revokes every grant, in one
//! transaction. The account row stays with its id and the status `deleted`, so the audit
//! chain (which names people only by ids) still verifies and now names nobody. The address
//! can be registered again.
//!
//! A person deleting their own account gets a grace period: the deletion is scheduled,
//! every session and token ends at once, and signing in again before it is due cancels it.
//! Every node's maintenance round erases what is due; a row erased by one node is skipped by
//! the others.

use serde_json::json;

use crate::audit::Actor;
use crate::db::{accounts as rows, grants, mfa, tx, AnyConnection, DbError};
use crate::domain::{unix_now, AccountId, TenantId};
use crate::events::{self, Kind, Subject};
use crate::sessions::EndReason;

/// Erases an account now; false when it was erased already.
pub fn erase(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    actor: &Actor,
) -> Result<bool, DbError> {
    erase_when(conn, tenant, account, actor, |_| Ok(true))
}

/// Erases an account if `still`, asked once the account row is locked, says it should go
/// (retention: it must still be unused); false when it did not.
pub fn erase_when(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    actor: &Actor,
    still: impl Fn(&mut AnyConnection) -> Result<bool, DbError>,
) -> Result<bool, DbError> {
    tx::write(conn, |conn| {
        let now = unix_now();
        // Mailed links first, as everywhere (they come first in the lock order).
        rows::delete_account_tokens(conn, tenant, account)?;
        rows::lock(conn, tenant, account)?;
        if !still(conn)? {
            return Ok(false);
        }
        if !rows::shred_account(conn, tenant, account, now)? {
            return Ok(false);
        }
        // Old and new sign-in addresses of its email changes.
        crate::db::email_changes::delete_for_account(conn, tenant, account)?;
        let profiles = rows::delete_account_profiles(conn, tenant, account)?;
        mfa::delete_totp(conn, tenant, account)?;
        mfa::delete_account_challenges(conn, tenant, account)?;
        let sessions = crate::sessions::end_all(conn, tenant, account, now, EndReason::Erasure)?;
        let grants = grants::revoke_account_grants(conn, tenant, account, now)?;
        crate::audit::record(
            conn,
            tenant,
            actor.event(
                "account.erase",
                account.as_str(),
                json!({ "profiles": profiles, "sessions_ended": sessions, "grants_revoked": grants }),
            ),
        )?;
        events::emit(
            conn,
            tenant,
            Kind::AccountErased,
            Subject::Account(account),
            json!({ "profiles_deleted": profiles }),
        )?;
        Ok(true)
    })
}

/// Schedules the account's own deletion `grace_secs` from now, ending its sessions and
/// revoking its tokens at once; returns when it is due. Signing in before then cancels it.
pub fn schedule(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    grace_secs: i64,
    actor: &Actor,
) -> Result<i64, DbError> {
    tx::write(conn, |conn| {
        let now = unix_now();
        let due = crate::domain::expiry(now, grace_secs.max(0));
        rows::lock(conn, tenant, account)?;
        rows::set_erase_after(conn, tenant, account, Some(due))?;
        crate::sessions::end_all(conn, tenant, account, now, EndReason::Erasure)?;
        grants::revoke_account_grants(conn, tenant, account, now)?;
        crate::audit::record(
            conn,
            tenant,
            actor.event(
                "account.erase_scheduled",
                account.as_str(),
                json!({ "due": due }),
            ),
        )?;
        events::emit(
            conn,
            tenant,
            Kind::AccountErasureScheduled,
            Subject::Account(account),
            json!({ "erase_at": crate::domain::rfc3339(due) }),
        )?;
        Ok(due)
    })
}

/// Cancels a scheduled deletion (the person signed in again); true when one was cancelled.
/// Inside the sign-in's transaction.
pub fn cancel(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    actor: &Actor,
) -> Result<bool, DbError> {
    if !rows::set_erase_after(conn, tenant, account, None)? {
        return Ok(false);
    }
    crate::audit::record(
        conn,
        tenant,
        actor.event("account.erase_cancelled", account.as_str(), json!({})),
    )?;
    events::emit(
        conn,
        tenant,
        Kind::AccountErasureCancelled,
        Subject::Account(account),
        json!({}),
    )?;
    Ok(true)
}

/// Erases up to `limit` accounts whose scheduled deletion is due; returns how many this
/// call erased (others may have been taken by another node meanwhile).
pub fn erase_due(conn: &mut AnyConnection, now: i64, limit: i64) -> Result<usize, DbError> {
    let mut erased = 0;
    for (tenant, account) in rows::due_for_erasure(conn, now, limit)? {
        let (tenant, account) = (
            TenantId::from_stored(tenant),
            AccountId::from_stored(account),
        );
        if erase(conn, &tenant, &account, &Actor::system())? {
            erased += 1;
        }
    }
    Ok(erased)
}
