//! The master key: 32 random bytes that encrypt every secret Tessera must read back.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use base64::Engine;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretBox};
use sha2::{Digest, Sha256};

use crate::config::Settings;

pub const MASTER_KEY_LEN: usize = 32;

/// Holds the key bytes zeroised on drop; `Debug` shows only the key id.
pub struct MasterKey {
    bytes: SecretBox<[u8; MASTER_KEY_LEN]>,
    id: String,
    /// The key being rotated away from (`keys.previous_master_key*`): it still opens what
    /// it sealed until `tessera keys rotate-master` has re-wrapped everything under this one.
    previous: Option<Box<MasterKey>>,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterKey")
            .field("id", &self.id)
            .field("previous", &self.previous.as_ref().map(|p| p.id.as_str()))
            .finish_non_exhaustive()
    }
}

/// Where the master key came from, so startup can warn about a generated one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MasterKeySource {
    Environment,
    File(PathBuf),
    Generated(PathBuf),
}

impl MasterKey {
    pub fn from_bytes(bytes: [u8; MASTER_KEY_LEN]) -> MasterKey {
        // The id is stored beside every ciphertext: a mismatch names the problem (wrong key)
        // instead of failing as an opaque decryption error, and lets the key rotate later.
        let digest = Sha256::new()
            .chain_update(b"tessera master key id\0")
            .chain_update(bytes)
            .finalize();
        MasterKey {
            bytes: SecretBox::new(Box::new(bytes)),
            id: hex::encode(&digest[..8]),
            previous: None,
        }
    }

    pub fn generate() -> MasterKey {
        let mut bytes = [0u8; MASTER_KEY_LEN];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        MasterKey::from_bytes(bytes)
    }

    /// Parses the base64 text form (surrounding whitespace ignored).
    pub fn from_base64(text: &str) -> anyhow::Result<MasterKey> {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .context("the master key is not valid base64")?;
        let bytes: [u8; MASTER_KEY_LEN] = decoded.try_into().map_err(|v: Vec<u8>| {
            anyhow::anyhow!(
                "the master key must be {MASTER_KEY_LEN} bytes, got {} bytes",
                v.len()
            )
        })?;
        Ok(MasterKey::from_bytes(bytes))
    }

    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.bytes.expose_secret())
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub(super) fn bytes(&self) -> &[u8; MASTER_KEY_LEN] {
        self.bytes.expose_secret()
    }

    /// Adds the key this one replaces, so data it sealed still opens during a rotation.
    pub fn with_previous(mut self, previous: MasterKey) -> MasterKey {
        if previous.id != self.id {
            self.previous = Some(Box::new(MasterKey {
                previous: None,
                ..previous
            }));
        }
        self
    }

    pub fn previous_id(&self) -> Option<&str> {
        self.previous.as_deref().map(MasterKey::id)
    }

    /// The key bytes for a stored master-key id: this key's, or the previous key's.
    pub(super) fn bytes_for(&self, id: &str) -> Option<&[u8; MASTER_KEY_LEN]> {
        if id == self.id {
            return Some(self.bytes());
        }
        self.previous
            .as_deref()
            .filter(|p| p.id == id)
            .map(MasterKey::bytes)
    }

    /// The configured key (see [`MasterKey::load_current`]) with the previous one when
    /// `keys.previous_master_key` or `keys.previous_master_key_file` is set.
    pub fn load(settings: &Settings) -> anyhow::Result<(MasterKey, MasterKeySource)> {
        let (key, source) = MasterKey::load_current(settings)?;
        let previous = match (
            &settings.keys.previous_master_key,
            &settings.keys.previous_master_key_file,
        ) {
            (Some(inline), _) => Some(
                MasterKey::from_base64(inline.expose_secret())
                    .context("invalid keys.previous_master_key")?,
            ),
            (None, Some(path)) => Some(read_key_file(path)?),
            (None, None) => None,
        };
        Ok(match previous {
            Some(previous) => (key.with_previous(previous), source),
            None => (key, source),
        })
    }

    /// `keys.master_key` (environment), else `keys.master_key_file` (must exist), else
    /// `{data_dir}/master.key`, generated with mode 0600 when missing.
    fn load_current(settings: &Settings) -> anyhow::Result<(MasterKey, MasterKeySource)> {
        if let Some(inline) = &settings.keys.master_key {
            let key = MasterKey::from_base64(inline.expose_secret())
                .context("invalid keys.master_key")?;
            return Ok((key, MasterKeySource::Environment));
        }
        if let Some(path) = &settings.keys.master_key_file {
            let key = read_key_file(path)?;
            return Ok((key, MasterKeySource::File(path.clone())));
        }
        let path = settings.server.data_dir.join("master.key");
        if path.exists() {
            let key = read_key_file(&path)?;
            return Ok((key, MasterKeySource::File(path)));
        }
        let key = MasterKey::generate();
        write_key_file(&path, &key)?;
        Ok((key, MasterKeySource::Generated(path)))
    }
}

fn read_key_file(path: &Path) -> anyhow::Result<MasterKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("could not read the master key file {}", path.display()))?;
    warn_if_readable_by_others(path);
    MasterKey::from_base64(&text)
        .with_context(|| format!("invalid master key in {}", path.display()))
}

fn write_key_file(path: &Path, key: &MasterKey) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("could not create {}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            bail!(
                "{} appeared while generating a master key; start again",
                path.display()
            )
        }
        Err(e) => {
            return Err(e).with_context(|| format!("could not create {}", path.display()));
        }
    };
    writeln!(file, "{}", key.to_base64())
        .and_then(|_| file.sync_all())
        .with_context(|| format!("could not write {}", path.display()))?;
    // The file's name is durable only once its directory is: without the key, every sealed
    // value in the database is lost.
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("could not sync {}", dir.display()))
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(
                path = %path.display(),
                "the master key file is readable by other users; chmod 600 it"
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip_keeps_id() {
        let key = MasterKey::generate();
        let again = MasterKey::from_base64(&format!("  {}\n", key.to_base64())).unwrap();
        assert_eq!(key.id(), again.id());
        assert_eq!(key.bytes(), again.bytes());
    }

    #[test]
    fn wrong_length_is_a_clear_error() {
        let err = MasterKey::from_base64("c2hvcnQ=").unwrap_err();
        assert!(err.to_string().contains("32 bytes"), "{err}");
    }

    #[test]
    fn debug_hides_key_material() {
        let key = MasterKey::from_bytes([7u8; 32]);
        let debug = format!("{key:?}");
        assert!(debug.contains(key.id()));
        assert!(!debug.contains(&key.to_base64()));
        assert!(!debug.contains("7, 7"));
    }

    #[test]
    fn generated_file_is_private_and_reloads() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::defaults().unwrap();
        settings.server.data_dir = dir.path().join("data");
        let (key, source) = MasterKey::load(&settings).unwrap();
        let path = dir.path().join("data/master.key");
        assert_eq!(source, MasterKeySource::Generated(path.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (again, source) = MasterKey::load(&settings).unwrap();
        assert_eq!(source, MasterKeySource::File(path));
        assert_eq!(again.id(), key.id());
    }

    #[test]
    fn configured_file_must_exist() {
        let mut settings = Settings::defaults().unwrap();
        settings.keys.master_key_file = Some("/nonexistent/master.key".into());
        let err = MasterKey::load(&settings).unwrap_err();
        assert!(format!("{err:#}").contains("/nonexistent/master.key"));
    }
}
