//! argon2id password hashing with parameters from `[argon2]`. Slow by design: callers run it
//! on the blocking pool, never on an executor thread, and never while holding a database
//! connection or transaction.
//!
//! At most `max_concurrent` hashes run at once per process: each needs `memory_kib` of
//! working memory, and more at once than there are cores is not faster. That memory is
//! allocated once per concurrent slot and reused: a fresh 19 MiB allocation per sign-in costs
//! time to fault in, and the allocator keeps freed blocks per thread arena, so a server that
//! hashed on many blocking threads grew to hundreds of megabytes.

use std::sync::{Arc, Condvar, Mutex};

use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine as _;
use rand::RngCore;
use subtle::ConstantTimeEq;

use super::legacy_hash::LegacyHash;
use crate::config::Argon2Settings;

#[derive(Clone)]
pub struct PasswordHasher {
    argon2: Argon2<'static>,
    argon2_params: Params,
    /// `m=…,t=…,p=…` of the configured parameters, to spot hashes made with older ones.
    params: String,
    /// A hash of a random password with the same parameters, verified when an email is
    /// unknown so that failures take the same time either way.
    dummy: std::sync::Arc<std::sync::OnceLock<String>>,
    gate: Arc<Gate>,
    /// The same number of turns for async callers, who wait here as futures rather than as
    /// parked blocking threads (64 waiting sign-ins would otherwise be 64 threads).
    queue: Arc<tokio::sync::Semaphore>,
}

/// A counting semaphore for blocking threads with one working memory per slot: hashing waits
/// here for its turn and borrows a memory.
struct Gate {
    slots: Mutex<Slots>,
    turn: Condvar,
    limit: usize,
    /// Blocks of the configured parameters: a memory grown past this for an imported hash
    /// is not kept.
    blocks: usize,
}

struct Slots {
    running: usize,
    /// Working memories not in use.
    memories: Vec<Vec<Block>>,
}

struct Turn<'a> {
    gate: &'a Gate,
    memory: Vec<Block>,
}

impl Gate {
    fn new(limit: usize, blocks: usize) -> Gate {
        Gate {
            slots: Mutex::new(Slots {
                running: 0,
                memories: Vec::new(),
            }),
            turn: Condvar::new(),
            limit: limit.max(1),
            blocks,
        }
    }

    fn enter(&self) -> Turn<'_> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        while slots.running >= self.limit {
            slots = self.turn.wait(slots).unwrap_or_else(|e| e.into_inner());
        }
        slots.running += 1;
        let memory = slots.memories.pop().unwrap_or_default();
        Turn { gate: self, memory }
    }
}

impl Turn<'_> {
    /// Working memory of `blocks` blocks (grown once; a hash with other parameters than the
    /// configured ones may grow it further).
    fn memory(&mut self, blocks: usize) -> &mut [Block] {
        if self.memory.len() < blocks {
            self.memory.resize(blocks, Block::default());
        }
        &mut self.memory[..blocks]
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut slots = self.gate.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots.running -= 1;
        let mut memory = std::mem::take(&mut self.memory);
        if memory.len() > self.gate.blocks {
            memory.truncate(self.gate.blocks);
            memory.shrink_to_fit();
        }
        slots.memories.push(memory);
        self.gate.turn.notify_one();
    }
}

/// The most work a stored hash may ask for. Imported hashes carry their own cost; without a
/// ceiling one hash with `m=4000000000` (4 TiB) or bcrypt cost 31 takes the process down or
/// holds a hashing slot for hours on every sign-in attempt for that address.
const MAX_ARGON2_MEMORY_KIB: u32 = 256 * 1024;
const MAX_ARGON2_ITERATIONS: u32 = 16;
const MAX_ARGON2_PARALLELISM: u32 = 16;
const MAX_BCRYPT_COST: u32 = 14;

/// Output length of new hashes (the argon2 crate's default).
const OUTPUT_LEN: usize = 32;
const SALT_LEN: usize = 16;

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHasher(argon2id)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    Mismatch,
    /// The password is right; `outdated` asks for a re-hash with the current parameters.
    Match {
        outdated: bool,
    },
}

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

impl PasswordHasher {
    pub fn from_settings(settings: &Argon2Settings) -> Result<PasswordHasher, HashError> {
        let limit = match settings.max_concurrent {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        let params = Params::new(
            settings.memory_kib,
            settings.iterations,
            settings.parallelism,
            None,
        )
        .map_err(|e| HashError(e.to_string()))?;
        Ok(PasswordHasher {
            gate: Arc::new(Gate::new(limit, params.block_count())),
            argon2: Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone()),
            argon2_params: params,
            params: format!(
                "m={},t={},p={}",
                settings.memory_kib, settings.iterations, settings.parallelism
            ),
            dummy: Default::default(),
            queue: Arc::new(tokio::sync::Semaphore::new(limit)),
        })
    }

    /// A PHC string (`$argon2id$v=19$m=…`) with a fresh random salt.
    pub fn hash(&self, password: &str) -> Result<String, HashError> {
        let mut salt = [0u8; SALT_LEN];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        let mut output = [0u8; OUTPUT_LEN];
        let mut turn = self.gate.enter();
        let memory = turn.memory(self.argon2_params.block_count());
        self.argon2
            .hash_password_into_with_memory(password.as_bytes(), &salt, &mut output, memory)
            .map_err(|e| HashError(e.to_string()))?;
        Ok(format!(
            "$argon2id$v=19${}${}${}",
            self.params,
            STANDARD_NO_PAD.encode(salt),
            STANDARD_NO_PAD.encode(output)
        ))
    }

    /// Whether `password` matches the stored hash; a malformed hash never matches.
    pub fn verify(&self, password: &str, stored: &str) -> bool {
        matches!(self.check(password, stored), Verification::Match { .. })
    }

    /// Checks a password against an argon2 PHC string, an imported bcrypt hash
    /// (`$2a$`/`$2b$`/`$2y$`) or another imported format ([`LegacyHash`]: PBKDF2-SHA256,
    /// scrypt), and says whether the hash should be replaced: any imported format, another
    /// argon2 variant, or parameters other than the configured ones.
    pub fn check(&self, password: &str, stored: &str) -> Verification {
        if !self.affordable(stored) {
            tracing::warn!("a stored password hash asks for more work than allowed; refused");
            return Verification::Mismatch;
        }
        let mut turn = self.gate.enter();
        if let Some(legacy) = LegacyHash::parse(stored) {
            return if legacy.matches(password) {
                Verification::Match { outdated: true }
            } else {
                Verification::Mismatch
            };
        }
        if is_bcrypt(stored) {
            return match bcrypt::verify(password, stored) {
                Ok(true) => Verification::Match { outdated: true },
                _ => Verification::Mismatch,
            };
        }
        let Ok(hash) = PasswordHash::new(stored) else {
            return Verification::Mismatch;
        };
        if !Self::argon2_matches(&mut turn, password, &hash) {
            return Verification::Mismatch;
        }
        let outdated = hash.algorithm.as_str() != "argon2id"
            || hash.version != Some(19)
            || hash.params.to_string() != self.params;
        Verification::Match { outdated }
    }
}

impl PasswordHasher {
    /// Whether `stored` is in a format this server verifies (argon2, bcrypt, or one of the
    /// imported formats of [`LegacyHash`]), whatever its cost.
    pub fn recognises(stored: &str) -> bool {
        LegacyHash::parse(stored).is_some()
            || (is_bcrypt(stored) && stored.len() == 60)
            || PasswordHash::new(stored).is_ok_and(|h| h.algorithm.as_str().starts_with("argon2"))
    }

    /// Whether a stored hash is one this server will verify: a parseable argon2 or bcrypt
    /// hash whose cost is within the ceilings (or the configured parameters, if higher).
    pub fn affordable(&self, stored: &str) -> bool {
        if let Some(legacy) = LegacyHash::parse(stored) {
            return legacy.affordable();
        }
        if is_bcrypt(stored) {
            return stored
                .get(4..6)
                .and_then(|cost| cost.parse::<u32>().ok())
                .is_some_and(|cost| (4..=MAX_BCRYPT_COST).contains(&cost));
        }
        let Some(params) = PasswordHash::new(stored)
            .ok()
            .and_then(|h| Params::try_from(&h).ok())
        else {
            return false;
        };
        let own = &self.argon2_params;
        params.m_cost() <= MAX_ARGON2_MEMORY_KIB.max(own.m_cost())
            && params.t_cost() <= MAX_ARGON2_ITERATIONS.max(own.t_cost())
            && params.p_cost() <= MAX_ARGON2_PARALLELISM.max(own.p_cost())
    }

    /// Runs hashing work on the blocking pool once a turn is free, waiting for it as a future.
    pub async fn run<T, F>(&self, work: F) -> Result<T, HashError>
    where
        T: Send + 'static,
        F: FnOnce(&PasswordHasher) -> T + Send + 'static,
    {
        let _turn = self
            .queue
            .acquire()
            .await
            .map_err(|e| HashError(e.to_string()))?;
        let hasher = self.clone();
        tokio::task::spawn_blocking(move || work(&hasher))
            .await
            .map_err(|e| HashError(e.to_string()))
    }

    /// Recomputes a stored argon2 hash (whatever its variant and parameters) in the turn's
    /// memory and compares in constant time.
    fn argon2_matches(turn: &mut Turn, password: &str, hash: &PasswordHash) -> bool {
        let computed = (|| {
            let algorithm = Algorithm::new(hash.algorithm.as_str()).ok()?;
            let version = match hash.version {
                Some(v) => Version::try_from(v).ok()?,
                None => Version::default(),
            };
            let params = Params::try_from(hash).ok()?;
            let salt = hash.salt.as_ref()?;
            let expected = hash.hash.as_ref()?;
            let mut output = vec![0u8; expected.len()];
            let blocks = params.block_count();
            Argon2::new(algorithm, version, params)
                .hash_password_into_with_memory(
                    password.as_bytes(),
                    salt,
                    &mut output,
                    turn.memory(blocks),
                )
                .ok()?;
            Some(bool::from(output.ct_eq(expected.as_bytes())))
        })();
        computed.unwrap_or(false)
    }

    /// Spends the time of one verification and always fails.
    pub fn verify_dummy(&self, password: &str) {
        let dummy = self.dummy.get_or_init(|| {
            self.hash(&crate::crypto::random_token())
                .unwrap_or_default()
        });
        let _ = self.verify(password, dummy);
    }
}

fn is_bcrypt(stored: &str) -> bool {
    ["$2a$", "$2b$", "$2y$"]
        .iter()
        .any(|p| stored.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast() -> PasswordHasher {
        PasswordHasher::from_settings(&Argon2Settings {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
            max_concurrent: 0,
        })
        .unwrap()
    }

    #[test]
    fn hashes_verify_and_salt() {
        let hasher = fast();
        let a = hasher.hash("correct horse battery staple").unwrap();
        let b = hasher.hash("correct horse battery staple").unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"), "{a}");
        assert_ne!(a, b, "salts must differ");
        assert!(hasher.verify("correct horse battery staple", &a));
        assert!(!hasher.verify("correct horse battery stapl", &a));
        assert!(!hasher.verify("anything", "not a hash"));
    }

    #[test]
    fn outdated_parameters_and_bcrypt_ask_for_a_rehash() {
        let hasher = fast();
        let current = hasher.hash("correct horse battery staple").unwrap();
        assert_eq!(
            hasher.check("correct horse battery staple", &current),
            Verification::Match { outdated: false }
        );
        let stronger = PasswordHasher::from_settings(&Argon2Settings {
            memory_kib: 2048,
            iterations: 1,
            parallelism: 1,
            max_concurrent: 0,
        })
        .unwrap();
        assert_eq!(
            stronger.check("correct horse battery staple", &current),
            Verification::Match { outdated: true }
        );
        let legacy = bcrypt::hash("correct horse battery staple", 4).unwrap();
        assert_eq!(
            hasher.check("correct horse battery staple", &legacy),
            Verification::Match { outdated: true }
        );
        assert_eq!(hasher.check("wrong", &legacy), Verification::Mismatch);
        assert_eq!(hasher.check("wrong", &current), Verification::Mismatch);
    }

    #[test]
    fn imported_pbkdf2_and_scrypt_hashes_match_and_ask_for_a_rehash() {
        let hasher = fast();
        for stored in [
            "pbkdf2_sha256$1000$django-salt$efk9apInV+Xm/mo4fSLSjnrNpSQYT2dBw0rRQPzKcOc=",
            "$scrypt$ln=10,r=8,p=1$c/oBAmxlZ2FjeS1zYWx0IQ$hv3T3bO+SIWQsB1l0nKf9umg9qbHSXSaF6s0dStzDt0",
        ] {
            assert!(hasher.affordable(stored), "{stored}");
            assert_eq!(
                hasher.check("correct horse battery staple", stored),
                Verification::Match { outdated: true },
                "{stored}"
            );
            assert_eq!(hasher.check("wrong", stored), Verification::Mismatch);
        }
        let costly = "$scrypt$ln=20,r=8,p=1$c2FsdA$hv3T3bO+SIWQsB1l0nKf9umg9qbHSXSaF6s0dStzDt0";
        assert!(!hasher.affordable(costly));
        assert_eq!(
            hasher.check("correct horse battery staple", costly),
            Verification::Mismatch
        );
    }

    #[test]
    fn interoperates_with_the_argon2_crates_own_phc_strings() {
        use argon2::{PasswordHasher as _, PasswordVerifier as _};
        let hasher = fast();
        let reference = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(1024, 1, 1, None).unwrap(),
        );
        // Ours verify with the crate's verifier…
        let ours = hasher.hash("correct horse battery staple").unwrap();
        assert!(reference
            .verify_password(
                b"correct horse battery staple",
                &PasswordHash::new(&ours).unwrap()
            )
            .is_ok());
        // …and the crate's (stored by earlier versions) verify with ours, other variants too.
        let theirs = reference
            .hash_password(b"correct horse battery staple")
            .unwrap()
            .to_string();
        assert!(hasher.verify("correct horse battery staple", &theirs));
        assert!(!hasher.verify("correct horse battery stapl", &theirs));
        let argon2i = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x13,
            Params::new(2048, 2, 1, None).unwrap(),
        )
        .hash_password(b"correct horse battery staple")
        .unwrap()
        .to_string();
        assert_eq!(
            hasher.check("correct horse battery staple", &argon2i),
            Verification::Match { outdated: true }
        );
    }

    #[test]
    fn rejects_impossible_parameters() {
        let err = PasswordHasher::from_settings(&Argon2Settings {
            memory_kib: 1,
            iterations: 0,
            parallelism: 1,
            max_concurrent: 0,
        });
        assert!(err.is_err());
    }

    #[test]
    fn costly_stored_hashes_are_refused_before_any_work() {
        let hasher = fast();
        assert!(hasher.affordable(&hasher.hash("x").unwrap()));
        assert!(hasher.affordable(&bcrypt::hash("x", 4).unwrap()));
        let huge = "$argon2id$v=19$m=4000000000,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
        assert!(!hasher.affordable(huge));
        assert_eq!(hasher.check("x", huge), Verification::Mismatch);
        let slow = "$2b$31$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234";
        assert!(!hasher.affordable(slow));
        assert!(!hasher.affordable("$2b$xx$"));
        assert!(!hasher.affordable("not a hash"));
    }
}
