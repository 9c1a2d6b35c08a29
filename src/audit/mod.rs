//! The audit log: append-only, hash-chained per tenant, written in the same transaction as the
//! change it records (where there is one). Entries hold no secrets: ids, actions, addresses.

use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::db::audit::{self as rows, AuditRow};
use crate::db::{AnyConnection, DbError};
use crate::domain::{unix_now, TenantId};

const GENESIS: &str = "genesis";
const PAGE: i64 = 1000;

/// Who made a change, as recorded: a profile id, a client id, or `cli`; and from where.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: String,
    pub ip: String,
}

impl Actor {
    /// The command line on the server itself.
    pub fn cli() -> Actor {
        Actor {
            id: "cli".into(),
            ip: String::new(),
        }
    }

    /// An event by this actor.
    pub fn event<'a>(&'a self, action: &'a str, target: &'a str, details: Value) -> Event<'a> {
        Event {
            actor: &self.id,
            action,
            target,
            ip: &self.ip,
            details,
        }
    }
}

/// One fact to record.
pub struct Event<'a> {
    /// Who: an account id, a client id, or `cli`.
    pub actor: &'a str,
    /// What, as `area.verb`: `signin.success`, `token.issue`, `keys.rotate`, …
    pub action: &'a str,
    /// On what: an id.
    pub target: &'a str,
    pub ip: &'a str,
    pub details: Value,
}

fn digest(row: &AuditRow) -> String {
    let canonical = json!([
        row.tenant_id,
        row.seq,
        row.at,
        row.actor,
        row.action,
        row.target,
        row.ip,
        row.details,
        row.prev_hash
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// Appends an event to the tenant's chain. Call it inside the transaction of the change.
pub fn record(conn: &mut AnyConnection, tenant: &TenantId, event: Event) -> Result<(), DbError> {
    rows::lock_chain(conn, tenant)?;
    let last = rows::last(conn, tenant)?;
    let mut row = AuditRow {
        id: uuid::Uuid::now_v7().to_string(),
        tenant_id: tenant.to_string(),
        seq: last.as_ref().map_or(1, |l| l.seq + 1),
        at: unix_now(),
        actor: event.actor.to_owned(),
        action: event.action.to_owned(),
        target: event.target.to_owned(),
        ip: event.ip.to_owned(),
        details: event.details.to_string(),
        prev_hash: last.map_or_else(|| GENESIS.to_owned(), |l| l.hash),
        hash: String::new(),
    };
    row.hash = digest(&row);
    rows::insert(conn, &row)
}

/// Records an event in its own transaction (facts that change nothing else, like a failed
/// sign-in). Failures are logged, never shown to the user.
pub fn record_alone(conn: &mut AnyConnection, tenant: &TenantId, event: Event) {
    let result = diesel::Connection::transaction(conn, |conn| record(conn, tenant, event));
    if let Err(e) = result {
        tracing::error!(error = %e, "could not write an audit event");
    }
}

#[derive(Debug, Serialize)]
pub struct Verification {
    pub entries: i64,
    /// The first broken link: its sequence number and why.
    pub broken: Option<(i64, String)>,
}

/// Walks the chain and reports the first entry that was edited, removed or reordered.
pub fn verify(conn: &mut AnyConnection, tenant: &TenantId) -> Result<Verification, DbError> {
    let mut expected_seq = 1;
    let mut prev = GENESIS.to_owned();
    let mut entries = 0;
    loop {
        let page = rows::list(conn, tenant, expected_seq - 1, PAGE)?;
        if page.is_empty() {
            return Ok(Verification {
                entries,
                broken: None,
            });
        }
        for row in page {
            let broken = |why: String| {
                Ok(Verification {
                    entries,
                    broken: Some((row.seq, why)),
                })
            };
            if row.seq != expected_seq {
                return Ok(Verification {
                    entries,
                    broken: Some((
                        expected_seq,
                        format!("entry {expected_seq} is missing (deleted)"),
                    )),
                });
            }
            if row.prev_hash != prev {
                return broken(format!(
                    "entry {} does not follow entry {}",
                    row.seq,
                    row.seq - 1
                ));
            }
            if digest(&row) != row.hash {
                return broken(format!("entry {} was modified", row.seq));
            }
            prev = row.hash.clone();
            expected_seq += 1;
            entries += 1;
        }
    }
}

/// Every entry, oldest first (for `tessera audit export`).
pub fn export(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    mut each: impl FnMut(&AuditRow),
) -> Result<(), DbError> {
    let mut after = 0;
    loop {
        let page = rows::list(conn, tenant, after, PAGE)?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = last.seq;
        page.iter().for_each(&mut each);
    }
}
