//! Signed checkpoints of each tenant's audit chain. Every so often (and on demand) a node
//! signs the tenant's chain head (`seq`, `hash`) with the tenant's own signing key and stores
//! the JWS; `{issuer}/audit/checkpoints` publishes the newest. Anyone who keeps a copy can
//! later prove what the log held: `tessera audit verify` checks the chain against the stored
//! checkpoints and any given ones, so removing the newest entries and rewinding the head, or
//! rewriting history consistently, no longer goes unnoticed. Forging a checkpoint needs the
//! tenant's private key, which only the master key opens.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::audit::{self, Reached};
use crate::db::audit::{self as rows, CheckpointRow};
use crate::db::{AnyConnection, Db, DbError};
use crate::domain::{unix_now, TenantId};
use crate::keys::{KeyAlg, KeyError, KeyStore, TenantKeySet};

/// How many checkpoints `{issuer}/audit/checkpoints` lists (and verification re-checks).
pub const PUBLISHED: i64 = 100;
/// Tenants one background round looks at.
const TENANTS_PER_ROUND: i64 = 1000;
/// The JWS `typ` of a checkpoint: it can never pass for an ID or access token.
const TYP: &str = "audit-checkpoint+jwt";
/// The JWS `typ` of a retention anchor: signed only when retention cuts the chain, so an
/// ordinary checkpoint can never be passed off as permission to drop what precedes it.
const ANCHOR_TYP: &str = "audit-anchor+jwt";

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error("could not sign a checkpoint: {0}")]
    Sign(String),
}

/// What a checkpoint's JWS says.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    tenant: String,
    seq: i64,
    hash: String,
    iat: i64,
}

/// Signs the tenant's chain head unless the newest checkpoint already covers it; returns the
/// new checkpoint. Tenants without a signing key (the platform's own) get none.
pub fn take(
    conn: &mut AnyConnection,
    keys: &KeyStore,
    tenant: &TenantId,
    now: i64,
) -> Result<Option<CheckpointRow>, CheckpointError> {
    audit::chain_pending(conn, tenant)?;
    let Some(head) = rows::head(conn, tenant)? else {
        return Ok(None);
    };
    let newest = rows::checkpoints(conn, tenant, 1)?;
    if head.seq == 0 || newest.first().is_some_and(|c| c.seq >= head.seq) {
        return Ok(None);
    }
    let Some(jws) = sign(conn, keys, tenant, TYP, &head.seq, &head.hash, now)? else {
        return Ok(None);
    };
    let row = CheckpointRow {
        tenant_id: tenant.to_string(),
        seq: head.seq,
        hash: head.hash,
        at: now,
        jws,
    };
    rows::insert_checkpoint(conn, &row)?;
    Ok(Some(row))
}

/// Signs a point of the chain with the tenant's key (`None` for a tenant without one).
fn sign(
    conn: &mut AnyConnection,
    keys: &KeyStore,
    tenant: &TenantId,
    typ: &str,
    seq: &i64,
    hash: &str,
    now: i64,
) -> Result<Option<String>, CheckpointError> {
    let key_set = keys.load(conn, tenant)?;
    let Some(signer) = [KeyAlg::Es256, KeyAlg::EdDsa, KeyAlg::Rs256]
        .into_iter()
        .find_map(|alg| key_set.signer(alg))
    else {
        return Ok(None);
    };
    let claims = Claims {
        tenant: tenant.to_string(),
        seq: *seq,
        hash: hash.to_owned(),
        iat: now,
    };
    let payload = serde_json::to_vec(&claims).map_err(|e| CheckpointError::Sign(e.to_string()))?;
    signer
        .sign(typ, &payload)
        .map(Some)
        .map_err(|e| CheckpointError::Sign(e.to_string()))
}

/// Signs the anchor retention cuts the chain at: entry `seq` had `hash`.
pub fn sign_anchor(
    conn: &mut AnyConnection,
    keys: &KeyStore,
    tenant: &TenantId,
    seq: i64,
    hash: &str,
    now: i64,
) -> Result<Option<String>, CheckpointError> {
    sign(conn, keys, tenant, ANCHOR_TYP, &seq, hash, now)
}

/// Re-signs a retention anchor with the tenant's current key when it still verifies but was
/// signed by an older (inactive, still published) key: once that key is retired, an anchor
/// signed only by it would prove nothing and the chain would read as cut. Only an anchor that
/// verifies now is re-signed, so nothing the database alone says gets a new signature.
/// Returns the new JWS when it re-signed.
pub fn refresh_anchor(
    conn: &mut AnyConnection,
    keys: &KeyStore,
    tenant: &TenantId,
    jws: &str,
    now: i64,
) -> Result<Option<String>, CheckpointError> {
    let key_set = keys.load(conn, tenant)?;
    let Ok((header, payload)) = key_set.verify(jws.trim()) else {
        return Ok(None);
    };
    let current = [KeyAlg::Es256, KeyAlg::EdDsa, KeyAlg::Rs256]
        .into_iter()
        .find_map(|alg| key_set.signer(alg))
        .map(|signer| signer.kid().to_string());
    let claims: Option<Claims> = serde_json::from_slice(&payload).ok();
    let (Some(current), Some(claims)) = (current, claims) else {
        return Ok(None);
    };
    if header.token_type() != Some(ANCHOR_TYP)
        || claims.tenant != tenant.as_str()
        || header.key_id() == Some(current.as_str())
    {
        return Ok(None);
    }
    sign_anchor(conn, keys, tenant, claims.seq, &claims.hash, now)
}

/// One round over every tenant whose chain moved; returns how many checkpoints were taken.
pub fn take_all(
    conn: &mut AnyConnection,
    keys: &KeyStore,
    now: i64,
) -> Result<usize, CheckpointError> {
    let mut taken = 0;
    for (tenant, _) in rows::heads(conn, TENANTS_PER_ROUND)? {
        if take(conn, keys, &TenantId::from_stored(tenant), now)?.is_some() {
            taken += 1;
        }
    }
    Ok(taken)
}

/// Takes checkpoints every `interval` (none when zero).
pub async fn run(db: Db, keys: Arc<KeyStore>, interval: Duration) {
    if interval.is_zero() {
        return;
    }
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let keys = keys.clone();
        match db.run(move |conn| take_all(conn, &keys, unix_now())).await {
            Ok(0) => {}
            Ok(taken) => tracing::debug!(taken, "audit checkpoints signed"),
            // The next round tries again; the chain itself is unaffected.
            Err(e) => tracing::warn!(error = %e, "audit checkpoint round failed"),
        }
    }
}

/// The newest checkpoints, newest first (what `{issuer}/audit/checkpoints` shows).
pub fn published(
    conn: &mut AnyConnection,
    tenant: &TenantId,
) -> Result<Vec<CheckpointRow>, DbError> {
    rows::checkpoints(conn, tenant, PUBLISHED)
}

/// The point a checkpoint vouches for, if its signature is the tenant's and it names this
/// tenant.
pub fn open(key_set: &TenantKeySet, tenant: &TenantId, jws: &str) -> Option<Reached> {
    open_typed(key_set, tenant, jws, TYP)
}

fn open_typed(key_set: &TenantKeySet, tenant: &TenantId, jws: &str, typ: &str) -> Option<Reached> {
    let (header, payload) = key_set.verify(jws.trim()).ok()?;
    if header.token_type() != Some(typ) {
        return None;
    }
    let claims: Claims = serde_json::from_slice(&payload).ok()?;
    (claims.tenant == tenant.as_str()).then_some(Reached {
        seq: claims.seq,
        hash: claims.hash,
    })
}

/// Checks the tenant's chain against its stored checkpoints and the `given` ones (JWS kept
/// elsewhere). The chain is hash-linked, so one valid checkpoint vouches for everything up
/// to it. Stored checkpoints that no longer verify (signed by a key since retired, or
/// planted) prove nothing and are skipped; a given one that does not verify is reported.
pub fn verify(
    conn: &mut AnyConnection,
    keys: &KeyStore,
    tenant: &TenantId,
    given: &[String],
) -> Result<audit::Verification, CheckpointError> {
    let key_set = keys.load(conn, tenant)?;
    let anchor = |jws: &str| open_typed(&key_set, tenant, jws, ANCHOR_TYP);
    let mut reached: Vec<Reached> = published(conn, tenant)?
        .iter()
        .filter_map(|c| open(&key_set, tenant, &c.jws))
        .collect();
    for jws in given {
        match open(&key_set, tenant, jws) {
            Some(point) => reached.push(point),
            None => {
                let mut result = audit::verify(conn, tenant, &[], &anchor)?;
                result.broken.get_or_insert((
                    0,
                    "a given checkpoint does not carry this tenant's signature (forged, for \
                     another tenant, or signed by a key since retired)"
                        .to_owned(),
                ));
                return Ok(result);
            }
        }
    }
    Ok(audit::verify(conn, tenant, &reached, &anchor)?)
}
