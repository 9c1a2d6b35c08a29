//! Consent (docs/privacy.md): what a profile allowed a client. Two views of one fact: the
//! current state sign-in checks (`db::consents` live rows), and an append-only ledger of
//! every grant and withdrawal with its time and the address it came from (sealed under the
//! profile's data key). Withdrawing ends what the client holds for that profile at once:
//! its grants, and through them its refresh and access tokens.
//!
//! Purposes (`purposes`) are what a tenant asks people to agree to beyond scopes, in
//! versions; `asking` decides which of them a profile must be asked about at sign-in and
//! records the answers in the same ledger.

mod asking;
pub mod purposes;

pub use asking::{
    decide_purposes, due, in_force, withdraw_purpose, Asker, Due, PurposeState, Withdrawal,
};

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::json;

use crate::audit::Actor;
use crate::db::consents::{self as rows, ConsentRecordRow};
use crate::db::{grants, tx, AnyConnection, DbError};
use crate::domain::{rfc3339, unix_now, ClientId, ProfileId, TenantId};
use crate::keys::{DataKey, Vault};

const IP_FIELD: &str = "consent ip";

/// A client a profile has consented to, and what it may ask for.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ConnectedApp {
    pub profile_id: String,
    pub client_id: String,
    pub client_name: String,
    pub scopes: Vec<String>,
    /// When the oldest consent still in force was given (RFC 3339).
    pub since: String,
    /// The consent purposes the client needs (keys); the profile's decisions about them are
    /// in [`in_force`].
    pub purposes: Vec<String>,
}

/// One ledger entry.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ConsentEntry {
    pub profile_id: String,
    pub client_id: String,
    pub scope: String,
    pub purpose: Option<String>,
    pub purpose_version: Option<i64>,
    /// `granted` or `withdrawn`.
    pub decision: String,
    pub at: String,
    /// The address the decision came from, when known.
    pub ip: Option<String>,
}

fn profile_key(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    profile: &ProfileId,
) -> Result<Option<DataKey>, DbError> {
    crate::profiles::profile_key(conn, vault, tenant, profile).map_err(|e| match e {
        crate::profiles::ProfileError::Db(e) => e,
        other => DbError::Unreadable(other.to_string()),
    })
}

struct Decision<'a> {
    profile: &'a ProfileId,
    client: &'a ClientId,
    scope: &'a str,
    /// A purpose and its version; `None` for consent to scopes.
    purpose: Option<(&'a str, i64)>,
    decision: &'static str,
    ip: &'a str,
}

fn append(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    d: Decision,
    now: i64,
) -> Result<(), DbError> {
    let ip_sealed = match (
        d.ip.is_empty(),
        profile_key(conn, vault, tenant, d.profile)?,
    ) {
        (false, Some(key)) => Some(key.seal(IP_FIELD, d.ip.as_bytes())?),
        _ => None,
    };
    rows::insert_record(
        conn,
        &ConsentRecordRow {
            id: uuid::Uuid::now_v7().to_string(),
            tenant_id: tenant.to_string(),
            profile_id: d.profile.to_string(),
            client_id: d.client.to_string(),
            scope: d.scope.to_owned(),
            purpose: d.purpose.map(|(key, _)| key.to_owned()),
            purpose_version: d.purpose.map(|(_, version)| version),
            decision: d.decision.to_owned(),
            at: now,
            ip_sealed,
        },
    )
}

/// Records a profile's consent to a client's scopes: the live row, the ledger entry and the
/// audit entry, in the caller's transaction.
pub fn grant(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    profile: &ProfileId,
    client: &ClientId,
    scope: &str,
    ip: &str,
) -> Result<(), DbError> {
    let now = unix_now();
    let id = uuid::Uuid::now_v7().to_string();
    rows::insert(conn, tenant, &id, profile, client, scope, now)?;
    let decision = Decision {
        profile,
        client,
        scope,
        purpose: None,
        decision: "granted",
        ip,
    };
    append(conn, vault, tenant, decision, now)?;
    crate::events::emit(
        conn,
        tenant,
        crate::events::Kind::ConsentGranted,
        crate::events::Subject::Profile(profile),
        json!({ "client_id": client, "scope": scope }),
    )?;
    crate::audit::record(
        conn,
        tenant,
        crate::audit::Event {
            actor: profile.as_str(),
            action: "consent.grant",
            target: client.as_str(),
            ip,
            details: json!({ "scope": scope }),
        },
    )
}

/// Withdraws every consent the profile gave the client and revokes what the client holds
/// for it; false when there was none in force (a concurrent withdrawal got there first).
pub fn withdraw(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    profile: &ProfileId,
    client: &ClientId,
    actor: &Actor,
) -> Result<bool, DbError> {
    tx::write(conn, |conn| {
        let now = unix_now();
        let live = rows::scopes(conn, tenant, profile, client)?;
        if rows::revoke(conn, tenant, profile, client, now)? == 0 {
            return Ok(false);
        }
        let revoked = grants::revoke_profile_grants(conn, tenant, profile, Some(client), now)?;
        let scope = live.join(" ");
        let decision = Decision {
            profile,
            client,
            scope: &scope,
            purpose: None,
            decision: "withdrawn",
            ip: &actor.ip,
        };
        append(conn, vault, tenant, decision, now)?;
        crate::events::emit(
            conn,
            tenant,
            crate::events::Kind::ConsentWithdrawn,
            crate::events::Subject::Profile(profile),
            json!({ "client_id": client, "scope": scope }),
        )?;
        crate::audit::record(
            conn,
            tenant,
            actor.event(
                "consent.revoke",
                client.as_str(),
                json!({ "profile_id": profile, "grants_revoked": revoked }),
            ),
        )?;
        Ok(true)
    })
}

/// The clients these profiles have consented to, one entry per profile and client.
pub fn connected_apps(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    profile_ids: &[String],
) -> Result<Vec<ConnectedApp>, DbError> {
    let mut apps: BTreeMap<(String, String), ConnectedApp> = BTreeMap::new();
    for (profile_id, client_id, client_name, scope, granted_at, purposes) in
        rows::live(conn, tenant, profile_ids)?
    {
        let app = apps
            .entry((profile_id.clone(), client_id.clone()))
            .or_insert_with(|| ConnectedApp {
                profile_id,
                client_id,
                client_name,
                scopes: Vec::new(),
                since: rfc3339(granted_at),
                purposes: purposes.split_whitespace().map(str::to_owned).collect(),
            });
        for s in scope.split_whitespace() {
            if !app.scopes.iter().any(|have| have == s) {
                app.scopes.push(s.to_owned());
            }
        }
    }
    Ok(apps.into_values().collect())
}

/// The ledger of these profiles, oldest first, with the addresses opened.
pub fn history(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    profile_ids: &[String],
) -> Result<Vec<ConsentEntry>, DbError> {
    let mut keys: BTreeMap<String, Option<DataKey>> = BTreeMap::new();
    let mut entries = Vec::new();
    for row in rows::records(conn, tenant, profile_ids)? {
        if !keys.contains_key(&row.profile_id) {
            let profile = ProfileId::from_stored(row.profile_id.clone());
            keys.insert(
                row.profile_id.clone(),
                profile_key(conn, vault, tenant, &profile)?,
            );
        }
        let ip = match (
            &row.ip_sealed,
            keys.get(&row.profile_id).and_then(Option::as_ref),
        ) {
            (Some(sealed), Some(key)) => Some(
                String::from_utf8(key.open(IP_FIELD, sealed)?)
                    .map_err(|_| DbError::Unreadable("a sealed address is not text".into()))?,
            ),
            _ => None,
        };
        entries.push(ConsentEntry {
            profile_id: row.profile_id,
            client_id: row.client_id,
            scope: row.scope,
            purpose: row.purpose,
            purpose_version: row.purpose_version,
            decision: row.decision,
            at: rfc3339(row.at),
            ip,
        });
    }
    Ok(entries)
}
