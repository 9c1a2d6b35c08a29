//! Tenant signing keys: generation, envelope encryption under the master key, rotation and
//! retirement, JWKS, and a per-process cache of decrypted signers.

pub mod envelope;
mod master_key;
pub mod rotation;
mod signing;
mod store;
pub mod vault;
mod verify;

pub use master_key::{MasterKey, MasterKeySource};
pub use signing::{KeyAlg, KeyStatus, Signer};
pub use store::{
    check_master_key, check_master_key_in, generate as generate_keys, install, list, retire,
    rotate, KeyError, KeyInfo, KeyStore, TenantKeySet,
};
pub use vault::{BlindIndex, DataKey, KeyOwner, Vault, VaultError};
pub use verify::{decode_header, decode_payload_unverified, verify_compact, Verifier, VerifyError};
