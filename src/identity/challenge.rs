//! Login challenges: a password was accepted and a second factor is still due. A challenge is
//! bound to the browser that started it, lives five minutes, allows five attempts at a code,
//! and is void as soon as its account is locked. It also carries where the sign-in goes next
//! (`target`, opaque here) and whether the factor still has to be set up.

use crate::crypto::random_token;
use crate::db::mfa::{self as rows, ChallengeRow};
use crate::db::{AnyConnection, DbError};
use crate::domain::{unix_now, AccountId, TenantId};

pub const LIFETIME_SECS: i64 = 300;
pub const MAX_ATTEMPTS: i64 = 5;

/// What the challenge waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A code from the factor the account has.
    Code,
    /// Setting up a factor first (the tenant requires one and the account has none).
    Enrolment,
    /// The factor was set up and proven during this sign-in; only continuing is left.
    Enrolled,
}

impl Kind {
    fn prefix(self) -> &'static str {
        match self {
            Kind::Code => "",
            Kind::Enrolment => "enrol:",
            Kind::Enrolled => "enrolled:",
        }
    }

    fn split(stored: &str) -> (Kind, &str) {
        for kind in [Kind::Enrolled, Kind::Enrolment] {
            if let Some(target) = stored.strip_prefix(kind.prefix()) {
                return (kind, target);
            }
        }
        (Kind::Code, stored)
    }
}

#[derive(Debug, Clone)]
pub struct Challenge {
    pub id: String,
    pub account: AccountId,
    pub kind: Kind,
    pub target: String,
}

pub fn start(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    browser_hash: &str,
    kind: Kind,
    target: &str,
) -> Result<String, DbError> {
    let now = unix_now();
    let id = random_token();
    rows::insert_challenge(
        conn,
        &ChallengeRow {
            id: id.clone(),
            tenant_id: tenant.to_string(),
            account_id: account.to_string(),
            browser_hash: browser_hash.to_owned(),
            target: format!("{}{target}", kind.prefix()),
            failures: 0,
            created_at: now,
            expires_at: crate::domain::expiry(now, LIFETIME_SECS),
        },
    )?;
    Ok(id)
}

/// The unexpired challenge `id`, if the browser with this hash started it.
pub fn find(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &str,
    browser_hash: &str,
) -> Result<Option<Challenge>, DbError> {
    let row = rows::find_challenge(conn, tenant, id, browser_hash, unix_now())?;
    Ok(row.map(|row| {
        let (kind, target) = Kind::split(&row.target);
        Challenge {
            id: row.id.clone(),
            account: AccountId::from_stored(row.account_id.clone()),
            kind,
            target: target.to_owned(),
        }
    }))
}

/// Takes one attempt at a code before it is checked: how many are taken now, or `None` when
/// none were left.
pub fn take_attempt(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    challenge: &Challenge,
) -> Result<Option<i64>, DbError> {
    rows::take_challenge_attempt(conn, tenant, &challenge.id, MAX_ATTEMPTS)
}

pub fn mark_enrolled(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    challenge: &Challenge,
) -> Result<(), DbError> {
    let target = format!("{}{}", Kind::Enrolled.prefix(), challenge.target);
    rows::set_challenge_target(conn, tenant, &challenge.id, &target)
}

pub fn finish(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    challenge: &Challenge,
) -> Result<(), DbError> {
    rows::delete_challenge(conn, tenant, &challenge.id)
}

/// Voids every open challenge of the account (it was just locked).
pub fn void_all(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<(), DbError> {
    rows::delete_account_challenges(conn, tenant, account)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_the_stored_target() {
        for kind in [Kind::Code, Kind::Enrolment, Kind::Enrolled] {
            let stored = format!("{}request:abc", kind.prefix());
            assert_eq!(Kind::split(&stored), (kind, "request:abc"));
        }
    }
}
