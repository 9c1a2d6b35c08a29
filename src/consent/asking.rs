//! Which purposes a profile must be asked about, and its answers. The decision in force about
//! a purpose is the latest ledger entry for it; a profile is asked when
//! - it never answered;
//! - it accepted an earlier version (the words changed: it is shown what changed);
//! - the purpose is required and it is not accepted (declined while optional, say).
//!
//! An optional purpose someone declined or withdrew is not asked again: saying no once is
//! enough, and they can accept it later by being asked after its next required change.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::json;

use super::purposes::{self, Purpose, Version};
use super::{append, Decision};
use crate::audit::Actor;
use crate::db::purposes::{self as rows, Decided};
use crate::db::{tx, AnyConnection, DbError};
use crate::domain::{rfc3339, unix_now, AccountId, ClientId, ProfileId, TenantId};
use crate::keys::Vault;

/// The ledger's name for a decision.
const GRANTED: &str = "granted";
const DECLINED: &str = "declined";
const WITHDRAWN: &str = "withdrawn";

/// A purpose a profile must answer now, at its current version.
#[derive(Debug, Clone)]
pub struct Due {
    pub purpose: Purpose,
    pub current: Version,
    /// The earlier version the profile accepted, when it did.
    pub accepted: Option<i64>,
}

impl Due {
    /// What changed since the version the profile accepted.
    pub fn changes(&self) -> Vec<String> {
        self.accepted
            .map(|v| self.purpose.changes_since(v))
            .unwrap_or_default()
    }
}

/// The decision in force about one purpose for one profile.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PurposeState {
    pub profile_id: String,
    pub purpose: String,
    pub name: String,
    /// The version the decision was about, and the purpose's current one.
    pub version: i64,
    pub current_version: i64,
    pub required: bool,
    /// `granted`, `declined` or `withdrawn`.
    pub decision: String,
    pub at: String,
}

fn latest<'a>(decided: &'a [Decided], key: &str) -> Option<&'a Decided> {
    decided.iter().find(|d| d.purpose.as_deref() == Some(key))
}

/// The purposes among `keys` (a client's) this profile must be asked about now.
pub fn due(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    profile: &ProfileId,
    keys: &[String],
) -> Result<Vec<Due>, DbError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let decided = rows::decisions(conn, tenant, profile.as_str(), keys)?;
    let mut due = Vec::new();
    for purpose in purposes::named(conn, tenant, keys)? {
        let Some(current) = purpose.current().cloned().filter(|_| !purpose.retired) else {
            continue;
        };
        let accepted = match latest(&decided, &purpose.key) {
            None => Some(None),
            Some(d) if d.decision == GRANTED => {
                let version = d.version.unwrap_or(0);
                (version < current.version).then_some(Some(version))
            }
            Some(_) => current.required.then_some(None),
        };
        if let Some(accepted) = accepted {
            due.push(Due {
                purpose,
                current,
                accepted,
            });
        }
    }
    // Required ones first, then as the client lists them.
    due.sort_by_key(|d| {
        (
            !d.current.required,
            keys.iter().position(|k| *k == d.purpose.key),
        )
    });
    Ok(due)
}

/// What asked a profile, and from where.
pub struct Asker<'a> {
    pub client: &'a ClientId,
    pub scope: &'a str,
    pub ip: &'a str,
}

/// Records the answers to the purposes a profile was asked about: required ones accepted (the
/// page only offers accepting them or denying the request), optional ones accepted when
/// ticked and declined otherwise. The ledger entries and one audit entry, in the caller's
/// transaction.
pub fn decide_purposes(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    profile: &ProfileId,
    asker: &Asker,
    due: &[Due],
    ticked: &BTreeSet<String>,
) -> Result<(), DbError> {
    if due.is_empty() {
        return Ok(());
    }
    let now = unix_now();
    let mut answers = Vec::with_capacity(due.len());
    for d in due {
        let decision = if d.current.required || ticked.contains(&d.purpose.key) {
            GRANTED
        } else {
            DECLINED
        };
        let entry = Decision {
            profile,
            client: asker.client,
            scope: asker.scope,
            purpose: Some((&d.purpose.key, d.current.version)),
            decision,
            ip: asker.ip,
        };
        append(conn, vault, tenant, entry, now)?;
        answers.push(json!({
            "purpose": d.purpose.key,
            "version": d.current.version,
            "decision": decision,
        }));
    }
    crate::events::emit(
        conn,
        tenant,
        crate::events::Kind::ConsentPurposesDecided,
        crate::events::Subject::Profile(profile),
        json!({ "client_id": asker.client, "purposes": answers }),
    )?;
    crate::audit::record(
        conn,
        tenant,
        crate::audit::Event {
            actor: profile.as_str(),
            action: "consent.purposes",
            target: asker.client.as_str(),
            ip: asker.ip,
            details: json!({ "purposes": answers }),
        },
    )
}

/// The outcome of withdrawing a purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Withdrawal {
    Withdrawn,
    /// It was not accepted (or was already withdrawn).
    NotGranted,
    /// Required purposes are not withdrawn one by one: remove the app, or the account.
    Required,
}

/// Withdraws an optional purpose a profile of this account accepted. The account row orders
/// concurrent withdrawals, so each is recorded once.
pub fn withdraw_purpose(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    account: &AccountId,
    profile: &ProfileId,
    key: &str,
    actor: &Actor,
) -> Result<Withdrawal, DbError> {
    tx::write(conn, |conn| {
        crate::db::accounts::lock(conn, tenant, account)?;
        let keys = [key.to_owned()];
        let Some(purpose) = purposes::named(conn, tenant, &keys)?.pop() else {
            return Ok(Withdrawal::NotGranted);
        };
        let decided = rows::decisions(conn, tenant, profile.as_str(), &keys)?;
        let Some(version) = latest(&decided, key)
            .filter(|d| d.decision == GRANTED)
            .map(|d| d.version.unwrap_or(0))
        else {
            return Ok(Withdrawal::NotGranted);
        };
        if purpose.current().is_some_and(|v| v.required) && !purpose.retired {
            return Ok(Withdrawal::Required);
        }
        // Withdrawn at the account page, not through a client.
        let entry = Decision {
            profile,
            client: &ClientId::from(""),
            scope: "",
            purpose: Some((key, version)),
            decision: WITHDRAWN,
            ip: &actor.ip,
        };
        append(conn, vault, tenant, entry, unix_now())?;
        crate::events::emit(
            conn,
            tenant,
            crate::events::Kind::ConsentPurposeWithdrawn,
            crate::events::Subject::Profile(profile),
            json!({ "purpose": key, "version": version }),
        )?;
        crate::audit::record(
            conn,
            tenant,
            actor.event(
                "consent.withdraw",
                key,
                json!({ "profile_id": profile, "version": version }),
            ),
        )?;
        Ok(Withdrawal::Withdrawn)
    })
}

/// The decisions in force about every purpose these profiles ever answered, by profile and
/// purpose key.
pub fn in_force(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    profile_ids: &[String],
) -> Result<Vec<PurposeState>, DbError> {
    let all = purposes::list(conn, tenant)?;
    let keys: Vec<String> = all.iter().map(|p| p.key.clone()).collect();
    let mut states = Vec::new();
    for profile_id in profile_ids {
        let decided = rows::decisions(conn, tenant, profile_id, &keys)?;
        let mut seen = BTreeSet::new();
        for d in &decided {
            let Some(key) = d.purpose.as_deref() else {
                continue;
            };
            if !seen.insert(key.to_owned()) {
                continue;
            }
            let Some(purpose) = all.iter().find(|p| p.key == key) else {
                continue;
            };
            let current = purpose.current();
            states.push(PurposeState {
                profile_id: profile_id.clone(),
                purpose: purpose.key.clone(),
                name: purpose.name.clone(),
                version: d.version.unwrap_or(0),
                current_version: current.map_or(0, |v| v.version),
                required: current.is_some_and(|v| v.required),
                decision: d.decision.clone(),
                at: rfc3339(d.at),
            });
        }
    }
    states.sort_by(|a, b| (&a.profile_id, &a.purpose).cmp(&(&b.profile_id, &b.purpose)));
    Ok(states)
}
