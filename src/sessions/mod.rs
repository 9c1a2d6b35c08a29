//! Browser sessions (SSO) and CSRF protection for hosted pages.
//!
//! A session is a database row keyed by the SHA-256 of a 256-bit cookie value, so a database
//! leak yields no usable cookies. Forms are protected by a token derived from a separate
//! per-browser cookie: an attacker's page can neither read that cookie nor (SameSite=Lax) make
//! the browser send it with a cross-site POST.

use crate::config::SessionSettings;
use crate::crypto::{base64url, constant_time_eq, random_token, sha256_hex};
use crate::db::sessions::{self as rows, SessionRow};
use crate::db::{AnyConnection, DbError};
use crate::domain::{unix_now, AccountId, ProfileId, SessionId, TenantId};

pub const SESSION_COOKIE: &str = "tessera_session";
pub const BROWSER_COOKIE: &str = "tessera_browser";
/// `last_seen_at` is written at most this often, not on every request.
const TOUCH_INTERVAL_SECS: i64 = 60;

#[derive(Debug, Clone)]
pub struct Session {
    pub id: SessionId,
    pub account_id: AccountId,
    pub profile_id: Option<ProfileId>,
    pub auth_time: i64,
    pub amr: Vec<String>,
    pub acr: String,
    pub expires_at: i64,
}

impl From<SessionRow> for Session {
    fn from(row: SessionRow) -> Session {
        Session {
            id: SessionId::from_stored(row.id),
            account_id: AccountId::from_stored(row.account_id),
            profile_id: row.profile_id.map(ProfileId::from_stored),
            auth_time: row.auth_time,
            amr: row
                .amr
                .split(' ')
                .filter(|m| !m.is_empty())
                .map(str::to_owned)
                .collect(),
            acr: row.acr,
            expires_at: row.expires_at,
        }
    }
}

/// Starts a session after a successful sign-in; returns it and the cookie value to set.
#[allow(clippy::too_many_arguments)]
pub fn create(
    conn: &mut AnyConnection,
    settings: &SessionSettings,
    tenant: &TenantId,
    account: &AccountId,
    profile: Option<&ProfileId>,
    amr: &[&str],
    acr: &str,
) -> Result<(Session, String), DbError> {
    let now = unix_now();
    let cookie = random_token();
    let row = SessionRow {
        id: SessionId::generate().to_string(),
        token_hash: sha256_hex(&cookie),
        tenant_id: tenant.to_string(),
        account_id: account.to_string(),
        profile_id: profile.map(ToString::to_string),
        auth_time: now,
        amr: amr.join(" "),
        acr: acr.to_owned(),
        created_at: now,
        last_seen_at: now,
        expires_at: crate::domain::expiry(now, settings.absolute_lifetime_secs),
        ended_at: None,
    };
    rows::insert(conn, &row)?;
    Ok((row.into(), cookie))
}

/// The live session a cookie names, if any: not ended, not past its absolute lifetime, and
/// not idle for longer than the idle timeout.
pub fn current(
    conn: &mut AnyConnection,
    settings: &SessionSettings,
    tenant: &TenantId,
    cookie: &str,
) -> Result<Option<Session>, DbError> {
    let now = unix_now();
    let Some(row) = rows::find_by_token_hash(conn, tenant, &sha256_hex(cookie))? else {
        return Ok(None);
    };
    if row.ended_at.is_some()
        || row.expires_at <= now
        || crate::domain::expiry(row.last_seen_at, settings.idle_timeout_secs) <= now
    {
        return Ok(None);
    }
    if now - row.last_seen_at >= TOUCH_INTERVAL_SECS {
        rows::touch(conn, tenant, &SessionId::from_stored(row.id.clone()), now)?;
    }
    Ok(Some(row.into()))
}

/// Why a session ended, as `session.ended` events say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// Its user signed out (RP-initiated logout, the account page, a platform console).
    Logout,
    /// A new sign-in in the same browser replaced it.
    Replaced,
    /// Its user ended their other sessions.
    EndedByUser,
    /// An administrator signed the account out everywhere.
    SignOutEverywhere,
    Suspension,
    PasswordChange,
    PasswordReset,
    /// The owner of the old address reverted a change of the sign-in email.
    EmailChangeReverted,
    /// Its account was merged into another (`lifecycle::merge`).
    Merged,
    /// The account is being deleted (scheduled or now).
    Erasure,
    /// Past its absolute lifetime or idle timeout (found by the maintenance round).
    Expired,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Logout => "logout",
            EndReason::Replaced => "replaced",
            EndReason::EndedByUser => "ended_by_user",
            EndReason::SignOutEverywhere => "sign_out_everywhere",
            EndReason::Suspension => "suspension",
            EndReason::PasswordChange => "password_change",
            EndReason::PasswordReset => "password_reset",
            EndReason::EmailChangeReverted => "email_change_reverted",
            EndReason::Merged => "merged",
            EndReason::Erasure => "erasure",
            EndReason::Expired => "expired",
        }
    }
}

fn ended(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    session: &str,
    reason: EndReason,
) -> Result<(), DbError> {
    crate::events::emit(
        conn,
        tenant,
        crate::events::Kind::SessionEnded,
        crate::events::Subject::Account(account),
        serde_json::json!({ "session_id": session, "reason": reason.as_str() }),
    )
}

/// Ends a session and revokes the grants made in it, so their access tokens stop at once
/// (refresh tokens stop with the session anyway); `offline_access` grants outlive it.
pub fn end(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    session: &SessionId,
    reason: EndReason,
) -> Result<(), DbError> {
    let now = unix_now();
    crate::db::tx::write(conn, |conn| {
        if let Some(account) = rows::end(conn, tenant, session, now)? {
            let account = AccountId::from_stored(account);
            ended(conn, tenant, &account, session.as_str(), reason)?;
        }
        crate::db::grants::revoke_session_grants(conn, tenant, session, now)?;
        Ok(())
    })
}

/// Ends every session of the account but `keep`, with their grants (as `end`). Returns how
/// many sessions ended.
pub fn end_others(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    keep: &SessionId,
    reason: EndReason,
) -> Result<usize, DbError> {
    let now = unix_now();
    crate::db::tx::write(conn, |conn| {
        let ended_ids = rows::end_others(conn, tenant, account, keep, now)?;
        for id in &ended_ids {
            ended(conn, tenant, account, id, reason)?;
        }
        crate::db::grants::revoke_other_session_grants(conn, tenant, account, keep, now)?;
        Ok(ended_ids.len())
    })
}

/// Ends every session of the account (grants are the caller's: suspension revokes all of
/// them, a password reset only some). Returns how many ended. In the caller's transaction.
pub fn end_all(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    now: i64,
    reason: EndReason,
) -> Result<usize, DbError> {
    let ended_ids = rows::end_all_for_account(conn, tenant, account, now)?;
    for id in &ended_ids {
        ended(conn, tenant, account, id, reason)?;
    }
    Ok(ended_ids.len())
}

/// Ends up to `limit` sessions that expired (past their absolute lifetime, or idle longer
/// than their tenant's timeout, at most `idle_ceiling_secs`) but were never ended, as `end`
/// does: their end is a `session.ended` event and what was issued in them stops. Returns
/// how many this call ended (another node may take some meanwhile).
pub fn end_expired(
    conn: &mut AnyConnection,
    idle_ceiling_secs: i64,
    now: i64,
    limit: i64,
) -> Result<usize, DbError> {
    let mut count = 0;
    for (id, tenant, idle) in rows::expired_unended(conn, now, idle_ceiling_secs, limit)? {
        let (tenant, session) = (TenantId::from_stored(tenant), SessionId::from_stored(id));
        let done = crate::db::tx::write(conn, |conn| {
            // Another node's purge is ending it: go on to the next instead of waiting.
            if !rows::claim_unended(conn, &tenant, &session)? {
                return Ok(false);
            }
            let Some(account) = rows::end_if_expired(conn, &tenant, &session, now, idle)? else {
                return Ok(false);
            };
            let account = AccountId::from_stored(account);
            ended(
                conn,
                &tenant,
                &account,
                session.as_str(),
                EndReason::Expired,
            )?;
            crate::db::grants::revoke_session_grants(conn, &tenant, &session, now)?;
            Ok::<_, DbError>(true)
        })?;
        count += usize::from(done);
    }
    Ok(count)
}

/// The CSRF token for forms shown to the browser holding `browser_cookie`.
pub fn csrf_token(browser_cookie: &str) -> String {
    base64url(
        &sha2::Sha256::new_with_prefix(b"tessera csrf\0")
            .chain_update(browser_cookie)
            .finalize(),
    )
}

pub fn csrf_matches(browser_cookie: &str, presented: &str) -> bool {
    constant_time_eq(&csrf_token(browser_cookie), presented)
}

/// A browser's stored identity in pending requests: the hash of its browser cookie.
pub fn browser_hash(browser_cookie: &str) -> String {
    sha256_hex(&format!("tessera browser\0{browser_cookie}"))
}

use sha2::Digest as _;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_bind_to_the_browser() {
        let browser = random_token();
        let token = csrf_token(&browser);
        assert!(csrf_matches(&browser, &token));
        assert!(!csrf_matches(&random_token(), &token));
        assert!(!csrf_matches(&browser, ""));
        assert_ne!(token, browser);
    }
}
