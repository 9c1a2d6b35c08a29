//! Personal data at rest (docs/privacy.md): every account and profile seals its personal
//! values under its own data key, wrapped by the master key; lookups and uniqueness use blind
//! indexes, HMACs under a per-tenant key, so the database never needs a value in clear.
//! Destroying a data key (erasure) leaves its ciphertexts unreadable and every id intact.

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretBox};
use sha2::Sha256;

use super::envelope::{self, EnvelopeError};
use super::MasterKey;
use crate::db::{wrapped_keys, AnyConnection, DbError};
use crate::domain::{unix_now, TenantId};

const KEY_LEN: usize = 32;
/// The instance key every tenant's blind-index key is derived from.
const INDEX_ROOT: &str = "index-root";

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("the blind-index root key cannot be opened: {0}")]
    IndexRoot(EnvelopeError),
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::storage_failure!(VaultError);

/// The master key and the index root, opened once per process.
pub struct Vault {
    master: MasterKey,
    index_root: SecretBox<[u8; KEY_LEN]>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("master", &self.master)
            .finish_non_exhaustive()
    }
}

/// Whose data a data key seals: bound into the wrapping, so a key cannot be moved to
/// another row.
#[derive(Debug, Clone, Copy)]
pub enum KeyOwner<'a> {
    Account(&'a str),
    Profile(&'a str),
    Customer(&'a str),
}

impl KeyOwner<'_> {
    fn label(&self) -> String {
        match self {
            KeyOwner::Account(id) => format!("account\0{id}"),
            KeyOwner::Profile(id) => format!("profile\0{id}"),
            KeyOwner::Customer(id) => format!("customer\0{id}"),
        }
    }
}

/// A data key as stored: wrapped by the master key named beside it.
#[derive(Debug, Clone)]
pub struct WrappedKey {
    pub bytes: Vec<u8>,
    pub master_key_id: String,
}

/// An opened data key; seals and opens the personal values of one account or profile.
pub struct DataKey {
    key: SecretBox<[u8; KEY_LEN]>,
    owner: String,
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataKey").finish_non_exhaustive()
    }
}

impl DataKey {
    /// `field` names the value, so ciphertexts cannot be swapped between fields.
    pub fn seal(&self, field: &str, plaintext: &[u8]) -> Result<Vec<u8>, EnvelopeError> {
        envelope::seal_with(
            self.key.expose_secret(),
            plaintext,
            &self.associated_data(field),
        )
    }

    pub fn open(&self, field: &str, ciphertext: &[u8]) -> Result<Vec<u8>, EnvelopeError> {
        envelope::open_with(
            self.key.expose_secret(),
            ciphertext,
            &self.associated_data(field),
        )
    }

    fn associated_data(&self, field: &str) -> Vec<u8> {
        format!("{}\0{field}", self.owner).into_bytes()
    }
}

/// A tenant's blind-index key.
pub struct BlindIndex {
    key: SecretBox<[u8; KEY_LEN]>,
}

impl BlindIndex {
    /// HMAC-SHA256 (hex) of a normalised value for one purpose: equal values give equal
    /// indexes within a tenant and purpose, and nothing without the key links them to a value.
    pub fn of(&self, purpose: &str, value: &str) -> String {
        hex::encode(hmac(
            self.key.expose_secret(),
            &[purpose.as_bytes(), value.as_bytes()],
        ))
    }
}

fn hmac(key: &[u8; KEY_LEN], parts: &[&[u8]]) -> [u8; KEY_LEN] {
    let mut padded = [0u8; 64];
    padded[..KEY_LEN].copy_from_slice(key);
    let mut mac = <Hmac<Sha256> as KeyInit>::new(&padded.into());
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            mac.update(b"\0");
        }
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

fn random_key() -> [u8; KEY_LEN] {
    let mut key = [0u8; KEY_LEN];
    rand::rngs::OsRng.fill_bytes(&mut key);
    key
}

/// What a webhook subscription's signing secret is bound to when sealed under the master key
/// (`webhooks`): it opens only as that subscription's.
pub fn webhook_secret_binding(tenant: &str, subscription: &str) -> Vec<u8> {
    format!("webhook secret\0{tenant}\0{subscription}").into_bytes()
}

/// What an import job's report is bound to when sealed under the master key
/// (`admin::import_jobs`): it opens only as that job's.
pub fn import_report_binding(tenant: &str, job: &str) -> Vec<u8> {
    format!("import report\0{tenant}\0{job}").into_bytes()
}

/// What a TOTP seed is bound to when sealed under the master key (`identity::mfa`).
pub fn totp_seed_binding(tenant: &str, account: &str) -> Vec<u8> {
    format!("tessera totp\0{tenant}\0{account}").into_bytes()
}

fn wrap_label(owner: &str) -> Vec<u8> {
    format!("tessera data key\0{owner}").into_bytes()
}

impl Vault {
    /// Opens the index root, creating it on first use (a concurrent node's wins).
    pub fn open(conn: &mut AnyConnection, master: MasterKey) -> Result<Vault, VaultError> {
        let associated_data = wrap_label(INDEX_ROOT);
        loop {
            if let Some((wrapped, master_key_id)) = wrapped_keys::instance_key(conn, INDEX_ROOT)? {
                let bytes = envelope::open(&master, &master_key_id, &wrapped, &associated_data)
                    .map_err(VaultError::IndexRoot)?;
                let root: [u8; KEY_LEN] = bytes
                    .try_into()
                    .map_err(|_| VaultError::IndexRoot(EnvelopeError::Corrupted))?;
                return Ok(Vault {
                    master,
                    index_root: SecretBox::new(Box::new(root)),
                });
            }
            let sealed = envelope::seal(&master, &random_key(), &associated_data)
                .map_err(VaultError::IndexRoot)?;
            wrapped_keys::insert_instance_key(
                conn,
                INDEX_ROOT,
                &sealed.ciphertext,
                &sealed.master_key_id,
                unix_now(),
            )?;
        }
    }

    pub fn master(&self) -> &MasterKey {
        &self.master
    }

    /// The tenant's blind-index key, derived from the root: stable across master-key
    /// rotations (the root is re-wrapped, never replaced).
    pub fn index(&self, tenant: &TenantId) -> BlindIndex {
        let key = hmac(
            self.index_root.expose_secret(),
            &[b"tenant blind-index key", tenant.as_str().as_bytes()],
        );
        BlindIndex {
            key: SecretBox::new(Box::new(key)),
        }
    }

    /// A fresh data key for `owner`, and its wrapped form to store.
    pub fn new_data_key(&self, owner: KeyOwner) -> Result<(DataKey, WrappedKey), EnvelopeError> {
        let owner = owner.label();
        let key = random_key();
        let sealed = envelope::seal(&self.master, &key, &wrap_label(&owner))?;
        Ok((
            DataKey {
                key: SecretBox::new(Box::new(key)),
                owner,
            },
            WrappedKey {
                bytes: sealed.ciphertext,
                master_key_id: sealed.master_key_id,
            },
        ))
    }

    /// Opens a stored data key.
    pub fn data_key(
        &self,
        owner: KeyOwner,
        bytes: &[u8],
        master_key_id: &str,
    ) -> Result<DataKey, EnvelopeError> {
        let owner = owner.label();
        let opened = envelope::open(&self.master, master_key_id, bytes, &wrap_label(&owner))?;
        let key: [u8; KEY_LEN] = opened.try_into().map_err(|_| EnvelopeError::Corrupted)?;
        Ok(DataKey {
            key: SecretBox::new(Box::new(key)),
            owner,
        })
    }

    /// Re-wraps a stored key or secret under the current master key (rotation). `table`
    /// tells how its owner was bound into the wrapping.
    pub fn rewrap(
        &self,
        table: wrapped_keys::WrappedTable,
        row: &wrapped_keys::WrappedRow,
    ) -> Result<envelope::Sealed, EnvelopeError> {
        use wrapped_keys::WrappedTable as T;
        let associated_data = match table {
            T::InstanceKeys => wrap_label(&row.id),
            T::AccountDataKeys => wrap_label(&KeyOwner::Account(&row.id).label()),
            T::ProfileDataKeys => wrap_label(&KeyOwner::Profile(&row.id).label()),
            T::CustomerDataKeys => wrap_label(&KeyOwner::Customer(&row.id).label()),
            T::SigningKeys => super::store::associated_data(
                &TenantId::from_stored(row.tenant_id.clone()),
                &row.id,
            ),
            T::TotpSeeds => totp_seed_binding(&row.tenant_id, &row.id),
            T::WebhookSecrets => webhook_secret_binding(&row.tenant_id, &row.id),
            T::ImportReports => import_report_binding(&row.tenant_id, &row.id),
        };
        let plaintext = secrecy::SecretSlice::from(envelope::open(
            &self.master,
            &row.master_key_id,
            &row.wrapped,
            &associated_data,
        )?);
        envelope::seal(&self.master, plaintext.expose_secret(), &associated_data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault() -> Vault {
        Vault {
            master: MasterKey::generate(),
            index_root: SecretBox::new(Box::new(random_key())),
        }
    }

    #[test]
    fn data_keys_seal_per_owner_and_field() {
        let vault = vault();
        let (key, wrapped) = vault.new_data_key(KeyOwner::Account("a1")).unwrap();
        let sealed = key.seal("email", b"ada@example.com").unwrap();
        let again = vault
            .data_key(
                KeyOwner::Account("a1"),
                &wrapped.bytes,
                &wrapped.master_key_id,
            )
            .unwrap();
        assert_eq!(again.open("email", &sealed).unwrap(), b"ada@example.com");
        assert!(again.open("name", &sealed).is_err(), "bound to its field");
        assert!(
            vault
                .data_key(
                    KeyOwner::Account("a2"),
                    &wrapped.bytes,
                    &wrapped.master_key_id
                )
                .is_err(),
            "a wrapped key is bound to its owner"
        );
        assert!(vault
            .data_key(
                KeyOwner::Profile("a1"),
                &wrapped.bytes,
                &wrapped.master_key_id
            )
            .is_err());
    }

    #[test]
    fn blind_indexes_are_per_tenant_and_purpose() {
        let vault = vault();
        let (a, b) = (
            TenantId::from_stored("t1".into()),
            TenantId::from_stored("t2".into()),
        );
        let one = vault.index(&a).of("account email", "ada@example.com");
        assert_eq!(one, vault.index(&a).of("account email", "ada@example.com"));
        assert_ne!(one, vault.index(&b).of("account email", "ada@example.com"));
        assert_ne!(one, vault.index(&a).of("profile email", "ada@example.com"));
        // A keyed hash, not an encoding of the address: fixed-length hex
        // whatever the input (a hex digest may contain "ada" by chance).
        assert_eq!(one.len(), 64);
        assert!(one.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(vault.index(&a).of("account email", "a@b.c").len(), 64);
        assert!(!one.contains("example"));
    }
}
