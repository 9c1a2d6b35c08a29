//! argon2id password hashing with parameters from `[argon2]`. Slow by design: callers run it
//! on the blocking pool, never on an executor thread, and never while holding a database
//! connection or transaction. At most `max_concurrent` hashes run at once per process: each
//! takes `memory_kib` of memory, and more at once than there are cores is not faster.

use std::sync::{Arc, Condvar, Mutex};

use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher as _, PasswordVerifier as _, Version,
};

use crate::config::Argon2Settings;

#[derive(Clone)]
pub struct PasswordHasher {
    argon2: Argon2<'static>,
    /// `m=…,t=…,p=…` of the configured parameters, to spot hashes made with older ones.
    params: String,
    /// A hash of a random password with the same parameters, verified when an email is
    /// unknown so that failures take the same time either way.
    dummy: std::sync::Arc<std::sync::OnceLock<String>>,
    gate: Arc<Gate>,
}

/// A counting semaphore for blocking threads: hashing waits here for its turn.
struct Gate {
    running: Mutex<usize>,
    turn: Condvar,
    limit: usize,
}

struct Turn<'a>(&'a Gate);

impl Gate {
    fn new(limit: usize) -> Gate {
        Gate {
            running: Mutex::new(0),
            turn: Condvar::new(),
            limit: limit.max(1),
        }
    }

    fn enter(&self) -> Turn<'_> {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        while *running >= self.limit {
            running = self.turn.wait(running).unwrap_or_else(|e| e.into_inner());
        }
        *running += 1;
        Turn(self)
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut running = self.0.running.lock().unwrap_or_else(|e| e.into_inner());
        *running -= 1;
        self.0.turn.notify_one();
    }
}

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
        let params = Params::new(
            settings.memory_kib,
            settings.iterations,
            settings.parallelism,
            None,
        )
        .map_err(|e| HashError(e.to_string()))?;
        Ok(PasswordHasher {
            argon2: Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
            params: format!(
                "m={},t={},p={}",
                settings.memory_kib, settings.iterations, settings.parallelism
            ),
            dummy: Default::default(),
            gate: Arc::new(Gate::new(match settings.max_concurrent {
                0 => std::thread::available_parallelism().map_or(1, usize::from),
                n => n,
            })),
        })
    }

    /// A PHC string (`$argon2id$v=19$m=…`) with a fresh random salt.
    pub fn hash(&self, password: &str) -> Result<String, HashError> {
        let _turn = self.gate.enter();
        self.argon2
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|e| HashError(e.to_string()))
    }

    /// Whether `password` matches the stored hash; a malformed hash never matches.
    pub fn verify(&self, password: &str, stored: &str) -> bool {
        matches!(self.check(password, stored), Verification::Match { .. })
    }

    /// Checks a password against an argon2 PHC string or an imported bcrypt hash
    /// (`$2a$`/`$2b$`/`$2y$`), and says whether the hash should be replaced: bcrypt, another
    /// argon2 variant, or parameters other than the configured ones.
    pub fn check(&self, password: &str, stored: &str) -> Verification {
        let _turn = self.gate.enter();
        if ["$2a$", "$2b$", "$2y$"]
            .iter()
            .any(|p| stored.starts_with(p))
        {
            return match bcrypt::verify(password, stored) {
                Ok(true) => Verification::Match { outdated: true },
                _ => Verification::Mismatch,
            };
        }
        let Ok(hash) = PasswordHash::new(stored) else {
            return Verification::Mismatch;
        };
        if self
            .argon2
            .verify_password(password.as_bytes(), &hash)
            .is_err()
        {
            return Verification::Mismatch;
        }
        let outdated = hash.algorithm.as_str() != "argon2id"
            || hash.version != Some(19)
            || hash.params.to_string() != self.params;
        Verification::Match { outdated }
    }
}

impl PasswordHasher {
    /// Spends the time of one verification and always fails.
    pub fn verify_dummy(&self, password: &str) {
        let dummy = self.dummy.get_or_init(|| {
            self.hash(&crate::crypto::random_token())
                .unwrap_or_default()
        });
        let _ = self.verify(password, dummy);
    }
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
    fn rejects_impossible_parameters() {
        let err = PasswordHasher::from_settings(&Argon2Settings {
            memory_kib: 1,
            iterations: 0,
            parallelism: 1,
            max_concurrent: 0,
        });
        assert!(err.is_err());
    }
}
