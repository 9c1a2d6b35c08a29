//! Envelope encryption of secrets at rest: XChaCha20-Poly1305 under the master key, with the
//! owner's identity as associated data so a ciphertext cannot be moved to another row.

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use super::MasterKey;

const NONCE_LEN: usize = 24;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvelopeError {
    #[error("encrypted under master key {stored}, but the configured master key is {configured}: configure the master key this data was created with")]
    WrongMasterKey { stored: String, configured: String },
    #[error("decryption failed: the data is corrupted or was encrypted for another record")]
    Corrupted,
    #[error("the data is too large to encrypt")]
    TooLarge,
}

impl From<EnvelopeError> for crate::db::DbError {
    fn from(e: EnvelopeError) -> Self {
        crate::db::DbError::Unreadable(e.to_string())
    }
}

/// A ciphertext and the id of the master key that made it.
pub struct Sealed {
    pub ciphertext: Vec<u8>,
    pub master_key_id: String,
}

pub fn seal(
    master: &MasterKey,
    plaintext: &[u8],
    associated_data: &[u8],
) -> Result<Sealed, EnvelopeError> {
    Ok(Sealed {
        ciphertext: seal_with(master.bytes(), plaintext, associated_data)?,
        master_key_id: master.id().to_owned(),
    })
}

/// Opens what the configured master key, or the previous one during a rotation, sealed.
pub fn open(
    master: &MasterKey,
    master_key_id: &str,
    ciphertext: &[u8],
    associated_data: &[u8],
) -> Result<Vec<u8>, EnvelopeError> {
    let key = master
        .bytes_for(master_key_id)
        .ok_or_else(|| EnvelopeError::WrongMasterKey {
            stored: master_key_id.to_owned(),
            configured: master.id().to_owned(),
        })?;
    open_with(key, ciphertext, associated_data)
}

/// Seals under any 256-bit key (the master key, or a data key): a random 192-bit nonce,
/// then the ciphertext and tag.
pub fn seal_with(
    key: &[u8; 32],
    plaintext: &[u8],
    associated_data: &[u8],
) -> Result<Vec<u8>, EnvelopeError> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let encrypted = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad: associated_data,
            },
        )
        // Encryption fails only for inputs larger than the cipher's limit (~256 GiB).
        .map_err(|_| EnvelopeError::TooLarge)?;
    let mut ciphertext = Vec::with_capacity(NONCE_LEN + encrypted.len());
    ciphertext.extend_from_slice(&nonce);
    ciphertext.extend_from_slice(&encrypted);
    Ok(ciphertext)
}

pub fn open_with(
    key: &[u8; 32],
    ciphertext: &[u8],
    associated_data: &[u8],
) -> Result<Vec<u8>, EnvelopeError> {
    if ciphertext.len() < NONCE_LEN {
        return Err(EnvelopeError::Corrupted);
    }
    let (nonce, body) = ciphertext.split_at(NONCE_LEN);
    XChaCha20Poly1305::new(key.into())
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: body,
                aad: associated_data,
            },
        )
        .map_err(|_| EnvelopeError::Corrupted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let key = MasterKey::generate();
        let sealed = seal(&key, b"secret", b"row-1").unwrap();
        assert_ne!(&sealed.ciphertext[NONCE_LEN..], b"secret");
        let opened = open(&key, &sealed.master_key_id, &sealed.ciphertext, b"row-1").unwrap();
        assert_eq!(opened, b"secret");
    }

    #[test]
    fn wrong_master_key_names_both_ids() {
        let key = MasterKey::generate();
        let other = MasterKey::generate();
        let sealed = seal(&key, b"secret", b"row-1").unwrap();
        let err = open(&other, &sealed.master_key_id, &sealed.ciphertext, b"row-1").unwrap_err();
        assert_eq!(
            err,
            EnvelopeError::WrongMasterKey {
                stored: key.id().to_owned(),
                configured: other.id().to_owned()
            }
        );
        // Even with a forged id, the AEAD refuses the wrong key.
        let err = open(&other, other.id(), &sealed.ciphertext, b"row-1").unwrap_err();
        assert_eq!(err, EnvelopeError::Corrupted);
    }

    #[test]
    fn ciphertext_is_bound_to_its_record() {
        let key = MasterKey::generate();
        let sealed = seal(&key, b"secret", b"row-1").unwrap();
        assert_eq!(
            open(&key, key.id(), &sealed.ciphertext, b"row-2").unwrap_err(),
            EnvelopeError::Corrupted
        );
        let mut tampered = sealed.ciphertext.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(
            open(&key, key.id(), &tampered, b"row-1").unwrap_err(),
            EnvelopeError::Corrupted
        );
        assert_eq!(
            open(&key, key.id(), b"short", b"row-1").unwrap_err(),
            EnvelopeError::Corrupted
        );
    }

    #[test]
    fn previous_key_opens_during_a_rotation_but_never_seals() {
        let old = MasterKey::generate();
        let sealed = seal(&old, b"secret", b"row-1").unwrap();
        let old_again = MasterKey::from_base64(&old.to_base64()).unwrap();
        let new = MasterKey::generate().with_previous(old_again);
        let opened = open(&new, &sealed.master_key_id, &sealed.ciphertext, b"row-1").unwrap();
        assert_eq!(opened, b"secret");
        assert_eq!(seal(&new, b"x", b"r").unwrap().master_key_id, new.id());
        let stranger = MasterKey::generate();
        assert!(matches!(
            open(
                &stranger,
                &sealed.master_key_id,
                &sealed.ciphertext,
                b"row-1"
            ),
            Err(EnvelopeError::WrongMasterKey { .. })
        ));
    }
}
