//! Key lifecycle in the database and the in-memory cache of decrypted keys.
//!
//! Every change to a tenant's keys bumps `tenants.key_set_version` in the same transaction.
//! Requests already load the tenant row, so comparing versions tells each node whether its
//! cached, decrypted keys are current without an extra query and without decrypting per request.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use secrecy::ExposeSecret;
use serde::Serialize;

use super::envelope::{self, EnvelopeError};
use super::signing::{self, GeneratedKey, KeyAlg, KeyStatus, Signer};
use super::{MasterKey, Verifier, VerifyError};
use crate::db::signing_keys::{self as rows, SigningKeyRow};
use crate::db::{self, AnyConnection, DbError};
use crate::domain::{unix_now, KeyId, TenantId};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("signing key {kid}: {source}")]
    Envelope {
        kid: String,
        #[source]
        source: EnvelopeError,
    },
    #[error("signing key {kid} is unusable: {reason}")]
    Invalid { kid: String, reason: String },
    #[error("{count} stored {what} were encrypted under a different master key than the configured one ({configured}): configure the master key this database was created with (during a rotation, the old one as keys.previous_master_key_file)")]
    WrongMasterKey {
        count: i64,
        what: &'static str,
        configured: String,
    },
    #[error("key generation failed: {0}")]
    Generation(String),
    #[error("no key {0} in this tenant")]
    NotFound(String),
    #[error("key {0} is active and signs new tokens: rotate first, then retire it")]
    StillActive(String),
    #[error("key {0} is already retired")]
    AlreadyRetired(String),
    #[error("key {0} signs the audit log's retention anchor: run `tessera retention` (it signs the anchor again with the active key), then retire it")]
    SignsAnchor(String),
}

crate::storage_failure!(KeyError);

/// What the CLI and admin surfaces show about a key: never key material.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct KeyInfo {
    pub kid: String,
    pub alg: String,
    pub status: String,
    pub created_at: i64,
    pub deactivated_at: Option<i64>,
    pub retired_at: Option<i64>,
}

impl From<&SigningKeyRow> for KeyInfo {
    fn from(row: &SigningKeyRow) -> Self {
        KeyInfo {
            kid: row.id.clone(),
            alg: row.alg.clone(),
            status: row.status.clone(),
            created_at: row.created_at,
            deactivated_at: row.deactivated_at,
            retired_at: row.retired_at,
        }
    }
}

/// Generates one key per algorithm; slow (RSA), so call it outside transactions.
pub fn generate(algs: &[KeyAlg]) -> Result<Vec<GeneratedKey>, KeyError> {
    algs.iter()
        .map(|&alg| signing::generate(alg).map_err(|e| KeyError::Generation(e.to_string())))
        .collect()
}

/// The associated data binding a ciphertext to its tenant and key id.
pub(super) fn associated_data(tenant: &TenantId, kid: &str) -> Vec<u8> {
    format!("tessera signing key\0{tenant}\0{kid}").into_bytes()
}

/// Encrypts and stores `keys` as the tenant's active keys, demoting the previous active key of
/// each algorithm to inactive. Call inside a transaction; bumps the key-set version.
pub fn install(
    conn: &mut AnyConnection,
    master: &MasterKey,
    tenant: &TenantId,
    keys: &[GeneratedKey],
) -> Result<Vec<KeyInfo>, KeyError> {
    let now = unix_now();
    let mut installed = Vec::with_capacity(keys.len());
    for key in keys {
        let sealed = envelope::seal(
            master,
            key.private_der.expose_secret(),
            &associated_data(tenant, key.kid.as_str()),
        )
        .map_err(|source| KeyError::Envelope {
            kid: key.kid.to_string(),
            source,
        })?;
        rows::deactivate_active(conn, tenant, key.alg.as_str(), now)?;
        let row = SigningKeyRow {
            id: key.kid.to_string(),
            tenant_id: tenant.to_string(),
            alg: key.alg.as_str().to_owned(),
            status: KeyStatus::Active.as_str().to_owned(),
            public_jwk: key.public_jwk.clone(),
            private_key: Some(sealed.ciphertext),
            master_key_id: sealed.master_key_id,
            created_at: now,
            deactivated_at: None,
            retired_at: None,
        };
        rows::insert(conn, &row)?;
        installed.push(KeyInfo::from(&row));
    }
    db::tenants::bump_key_set_version(conn, tenant)?;
    Ok(installed)
}

/// Makes a new active key for each of `algs`; earlier keys stay published until retired.
pub fn rotate(
    conn: &mut AnyConnection,
    master: &MasterKey,
    tenant: &TenantId,
    algs: &[KeyAlg],
    actor: &crate::audit::Actor,
) -> Result<Vec<KeyInfo>, KeyError> {
    let keys = generate(algs)?;
    crate::db::tx::write(conn, |conn| {
        let installed = install(conn, master, tenant, &keys)?;
        let kids: Vec<&str> = installed.iter().map(|k| k.kid.as_str()).collect();
        crate::audit::record(
            conn,
            tenant,
            actor.event(
                "keys.rotate",
                tenant.as_str(),
                serde_json::json!({ "new": kids }),
            ),
        )?;
        Ok(installed)
    })
}

/// Unpublishes an inactive key and erases its private half.
pub fn retire(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    kid: &str,
    actor: &crate::audit::Actor,
) -> Result<KeyInfo, KeyError> {
    crate::db::tx::write(conn, |conn| {
        let row =
            rows::find(conn, tenant, &kid.into())?.ok_or_else(|| KeyError::NotFound(kid.into()))?;
        match KeyStatus::parse(&row.status) {
            Some(KeyStatus::Active) => return Err(KeyError::StillActive(row.id)),
            Some(KeyStatus::Retired) => return Err(KeyError::AlreadyRetired(row.id)),
            _ => {}
        }
        // Retiring the only key that vouches for a pruned chain would make it read as cut.
        let anchor = crate::db::audit::base(conn, tenant)?;
        let anchor_kid = anchor
            .and_then(|b| super::verify::decode_header(&b.jws))
            .and_then(|h| h.key_id().map(str::to_owned));
        if anchor_kid.as_deref() == Some(row.id.as_str()) {
            return Err(KeyError::SignsAnchor(row.id));
        }
        let kid = KeyId::from_stored(row.id);
        rows::retire(conn, tenant, &kid, unix_now())?;
        crate::audit::record(
            conn,
            tenant,
            actor.event("keys.retire", kid.as_str(), serde_json::json!({})),
        )?;
        db::tenants::bump_key_set_version(conn, tenant)?;
        let row =
            rows::find(conn, tenant, &kid)?.ok_or_else(|| KeyError::NotFound(kid.to_string()))?;
        Ok(KeyInfo::from(&row))
    })
}

/// Fails when stored keys were sealed under another master key, so a misconfigured node stops
/// at startup with the reason instead of failing requests later.
pub fn check_master_key(conn: &mut AnyConnection, master: &MasterKey) -> Result<(), KeyError> {
    check_master_key_in(conn, master, &crate::db::wrapped_keys::WrappedTable::ALL)
}

/// [`check_master_key`] over some tables only: during migrations, later tables do not exist
/// yet.
pub fn check_master_key_in(
    conn: &mut AnyConnection,
    master: &MasterKey,
    tables: &[crate::db::wrapped_keys::WrappedTable],
) -> Result<(), KeyError> {
    use crate::db::wrapped_keys::count_under_other_keys;
    for &table in tables {
        let foreign = count_under_other_keys(conn, table, master.id(), master.previous_id())?;
        if foreign > 0 {
            return Err(KeyError::WrongMasterKey {
                count: foreign,
                what: table.label(),
                configured: master.id().to_owned(),
            });
        }
    }
    Ok(())
}

pub fn list(conn: &mut AnyConnection, tenant: &TenantId) -> Result<Vec<KeyInfo>, KeyError> {
    Ok(rows::list(conn, tenant)?
        .iter()
        .map(KeyInfo::from)
        .collect())
}

/// A tenant's published keys and decrypted active signers, as of one key-set version.
#[derive(Debug)]
pub struct TenantKeySet {
    version: i64,
    signers: Vec<Signer>,
    /// Every published key, inactive ones included: tokens they signed still verify.
    verifiers: Vec<Verifier>,
    jwks: Vec<u8>,
}

impl TenantKeySet {
    pub fn version(&self) -> i64 {
        self.version
    }

    /// The active signer for `alg`.
    pub fn signer(&self, alg: KeyAlg) -> Option<&Signer> {
        self.signers.iter().find(|s| s.alg() == alg)
    }

    /// The JWKS document (public keys only), serialised once per key-set version.
    pub fn jwks_json(&self) -> &[u8] {
        &self.jwks
    }

    /// Verifies a compact JWS signed by one of this tenant's published keys.
    pub fn verify(&self, token: &str) -> Result<(josekit::jws::JwsHeader, Vec<u8>), VerifyError> {
        super::verify_compact(token, &self.verifiers)
    }

    /// Algorithms this tenant can sign with now.
    pub fn algorithms(&self) -> Vec<KeyAlg> {
        KeyAlg::SUPPORTED
            .into_iter()
            .filter(|&alg| self.signer(alg).is_some())
            .collect()
    }
}

/// Per-process cache of decrypted key sets, keyed by tenant and checked against the version.
pub struct KeyStore {
    vault: super::Vault,
    cache: RwLock<HashMap<TenantId, Arc<TenantKeySet>>>,
}

impl std::fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyStore")
            .field("vault", &self.vault)
            .finish_non_exhaustive()
    }
}

impl KeyStore {
    pub fn new(vault: super::Vault) -> KeyStore {
        KeyStore {
            vault,
            cache: RwLock::default(),
        }
    }

    pub fn master(&self) -> &MasterKey {
        self.vault.master()
    }

    /// Personal-data keys: blind indexes and data keys.
    pub fn vault(&self) -> &super::Vault {
        &self.vault
    }

    /// The cached key set when it is as new as `version` (from the tenant row just read).
    pub fn cached(&self, tenant: &TenantId, version: i64) -> Option<Arc<TenantKeySet>> {
        let cache = self.cache.read().unwrap_or_else(|e| e.into_inner());
        cache
            .get(tenant)
            .filter(|set| set.version >= version)
            .cloned()
    }

    /// Reads, decrypts and caches the tenant's current key set.
    pub fn load(
        &self,
        conn: &mut AnyConnection,
        tenant: &TenantId,
    ) -> Result<Arc<TenantKeySet>, KeyError> {
        // Version and rows from one snapshot, so the label never claims newer keys than loaded.
        let (version, published) = crate::db::tx::read::<_, KeyError, _>(conn, |conn| {
            let version = db::tenants::key_set_version(conn, tenant)?;
            Ok((version, rows::list_published(conn, tenant)?))
        })?;
        let set = Arc::new(self.build(tenant, version, &published)?);
        let mut cache = self.cache.write().unwrap_or_else(|e| e.into_inner());
        let entry = cache.entry(tenant.clone()).or_insert_with(|| set.clone());
        if entry.version < set.version {
            *entry = set.clone();
        }
        Ok(entry.clone())
    }

    fn build(
        &self,
        tenant: &TenantId,
        version: i64,
        published: &[SigningKeyRow],
    ) -> Result<TenantKeySet, KeyError> {
        let mut signers = Vec::new();
        let mut jwks = Vec::with_capacity(published.len());
        for row in published {
            let invalid = |reason: String| KeyError::Invalid {
                kid: row.id.clone(),
                reason,
            };
            let jwk: serde_json::Value = serde_json::from_str(&row.public_jwk)
                .map_err(|e| invalid(format!("stored JWK is not JSON: {e}")))?;
            jwks.push(jwk);
            if KeyStatus::parse(&row.status) != Some(KeyStatus::Active) {
                continue;
            }
            let alg = KeyAlg::parse(&row.alg)
                .ok_or_else(|| invalid(format!("unknown algorithm {}", row.alg)))?;
            let ciphertext = row
                .private_key
                .as_deref()
                .ok_or_else(|| invalid("active key has no private key".into()))?;
            let der = secrecy::SecretSlice::from(
                envelope::open(
                    self.vault.master(),
                    &row.master_key_id,
                    ciphertext,
                    &associated_data(tenant, &row.id),
                )
                .map_err(|source| KeyError::Envelope {
                    kid: row.id.clone(),
                    source,
                })?,
            );
            let signer =
                Signer::from_der(KeyId::from_stored(row.id.clone()), alg, der.expose_secret())
                    .map_err(|e| invalid(e.to_string()))?;
            signers.push(signer);
        }
        let document = serde_json::json!({ "keys": jwks });
        let verifiers = Verifier::from_jwks(&document);
        let jwks =
            serde_json::to_vec(&document).map_err(|e| KeyError::Generation(e.to_string()))?;
        Ok(TenantKeySet {
            version,
            signers,
            verifiers,
            jwks,
        })
    }
}
