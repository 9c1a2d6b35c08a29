//! Password hashes imported from other systems, verified as they are and replaced by argon2id
//! at the first successful sign-in (`PasswordHasher::check` says they are outdated):
//!
//! - PBKDF2-HMAC-SHA256 as PHC strings, both RustCrypto's `$pbkdf2-sha256$i=N,l=32$salt$hash`
//!   and passlib's `$pbkdf2-sha256$N$salt$hash` (its base64 writes `.` for `+`);
//! - PBKDF2-HMAC-SHA256 in Django's format, `pbkdf2_sha256$N$salt$hash` (the salt is used as
//!   text, the hash is padded base64);
//! - scrypt as PHC strings, `$scrypt$ln=L,r=R,p=P$salt$hash`.
//!
//! bcrypt and argon2 are read by `password` itself. Every format's cost is capped before any
//! work: an imported hash must not be able to take the process down.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use subtle::ConstantTimeEq;

/// Ceilings on the work an imported hash may ask for per verification.
const MAX_PBKDF2_ITERATIONS: u32 = 2_000_000;
/// scrypt needs 128 · r · 2^ln bytes.
const MAX_SCRYPT_MEMORY_BYTES: u64 = 256 << 20;
const MAX_SCRYPT_PARALLELISM: u32 = 16;
/// Sane bounds on stored material (outputs of 16-64 bytes, salts up to 64).
const HASH_LEN: std::ops::RangeInclusive<usize> = 16..=64;
const MAX_SALT_LEN: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegacyHash {
    Pbkdf2Sha256 {
        iterations: u32,
        salt: Vec<u8>,
        hash: Vec<u8>,
    },
    Scrypt {
        log_n: u8,
        r: u32,
        p: u32,
        salt: Vec<u8>,
        hash: Vec<u8>,
    },
}

impl LegacyHash {
    /// The hash in one of the formats above; `None` for anything else (including a malformed
    /// string in one of them).
    pub fn parse(stored: &str) -> Option<LegacyHash> {
        if let Some(rest) = stored.strip_prefix("pbkdf2_sha256$") {
            let mut parts = rest.split('$');
            let (iterations, salt, hash) = (parts.next()?, parts.next()?, parts.next()?);
            if parts.next().is_some() || salt.is_empty() || salt.len() > MAX_SALT_LEN {
                return None;
            }
            return Self::checked(LegacyHash::Pbkdf2Sha256 {
                iterations: iterations.parse().ok()?,
                salt: salt.as_bytes().to_vec(),
                hash: STANDARD.decode(hash).ok()?,
            });
        }
        let rest = stored.strip_prefix('$')?;
        let mut parts = rest.split('$');
        let (id, params, salt, hash) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let (salt, hash) = (phc_base64(salt)?, phc_base64(hash)?);
        match id {
            "pbkdf2-sha256" => {
                // passlib writes the rounds alone; RustCrypto writes i=N,l=LEN.
                let iterations = match params.parse() {
                    Ok(n) => n,
                    Err(_) => {
                        let pairs = pairs(params)?;
                        if let Some(len) = pairs.iter().find(|(k, _)| *k == "l") {
                            if len.1.parse::<usize>().ok()? != hash.len() {
                                return None;
                            }
                        }
                        pairs.iter().find(|(k, _)| *k == "i")?.1.parse().ok()?
                    }
                };
                Self::checked(LegacyHash::Pbkdf2Sha256 {
                    iterations,
                    salt,
                    hash,
                })
            }
            "scrypt" => {
                let pairs = pairs(params)?;
                let get = |key: &str| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
                Self::checked(LegacyHash::Scrypt {
                    log_n: get("ln")?.parse().ok()?,
                    r: get("r")?.parse().ok()?,
                    p: get("p")?.parse().ok()?,
                    salt,
                    hash,
                })
            }
            _ => None,
        }
    }

    fn checked(hash: LegacyHash) -> Option<LegacyHash> {
        let (salt, output) = match &hash {
            LegacyHash::Pbkdf2Sha256 { salt, hash, .. } | LegacyHash::Scrypt { salt, hash, .. } => {
                (salt, hash)
            }
        };
        (salt.len() <= MAX_SALT_LEN && HASH_LEN.contains(&output.len())).then_some(hash)
    }

    /// Whether verifying costs no more than the ceilings allow.
    pub fn affordable(&self) -> bool {
        match self {
            LegacyHash::Pbkdf2Sha256 { iterations, .. } => {
                (1..=MAX_PBKDF2_ITERATIONS).contains(iterations)
            }
            LegacyHash::Scrypt { log_n, r, p, .. } => {
                let memory = 128u64
                    .saturating_mul(u64::from(*r))
                    .saturating_mul(1u64.checked_shl(u32::from(*log_n)).unwrap_or(u64::MAX));
                (1..64).contains(log_n)
                    && *r >= 1
                    && (1..=MAX_SCRYPT_PARALLELISM).contains(p)
                    && memory <= MAX_SCRYPT_MEMORY_BYTES
            }
        }
    }

    /// Recomputes the hash for `password` and compares in constant time. Call only when
    /// [`LegacyHash::affordable`].
    pub fn matches(&self, password: &str) -> bool {
        match self {
            LegacyHash::Pbkdf2Sha256 {
                iterations,
                salt,
                hash,
            } => {
                let mut output = vec![0u8; hash.len()];
                pbkdf2::pbkdf2_hmac::<sha2::Sha256>(
                    password.as_bytes(),
                    salt,
                    *iterations,
                    &mut output,
                );
                bool::from(output.ct_eq(hash))
            }
            LegacyHash::Scrypt {
                log_n,
                r,
                p,
                salt,
                hash,
            } => {
                let Ok(params) = scrypt::Params::new(*log_n, *r, *p, hash.len()) else {
                    return false;
                };
                let mut output = vec![0u8; hash.len()];
                if scrypt::scrypt(password.as_bytes(), salt, &params, &mut output).is_err() {
                    return false;
                }
                bool::from(output.ct_eq(hash))
            }
        }
    }
}

/// `k=v,k=v` parameters.
fn pairs(params: &str) -> Option<Vec<(&str, &str)>> {
    params.split(',').map(|pair| pair.split_once('=')).collect()
}

/// PHC's base64 (standard alphabet, no padding), also in passlib's variant with `.` for `+`.
fn phc_base64(text: &str) -> Option<Vec<u8>> {
    STANDARD_NO_PAD.decode(text.replace('.', "+")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWORD: &str = "correct horse battery staple";

    /// Vectors made with Python's hashlib (`pbkdf2_hmac`, `scrypt`), written out in each
    /// system's format.
    const VECTORS: &[(&str, &str)] = &[
        (
            "django",
            "pbkdf2_sha256$1000$django-salt$efk9apInV+Xm/mo4fSLSjnrNpSQYT2dBw0rRQPzKcOc=",
        ),
        (
            "RustCrypto PHC",
            "$pbkdf2-sha256$i=1000,l=32$c/oBAmxlZ2FjeS1zYWx0IQ$O3IM+aw7B0WmQ5fgKrM4b3y3T07pCovJxj4HqaZ4oq4",
        ),
        (
            "passlib",
            "$pbkdf2-sha256$1000$c/oBAmxlZ2FjeS1zYWx0IQ$O3IM.aw7B0WmQ5fgKrM4b3y3T07pCovJxj4HqaZ4oq4",
        ),
        (
            "scrypt PHC",
            "$scrypt$ln=10,r=8,p=1$c/oBAmxlZ2FjeS1zYWx0IQ$hv3T3bO+SIWQsB1l0nKf9umg9qbHSXSaF6s0dStzDt0",
        ),
        (
            "passlib scrypt",
            "$scrypt$ln=10,r=8,p=1$c/oBAmxlZ2FjeS1zYWx0IQ$hv3T3bO.SIWQsB1l0nKf9umg9qbHSXSaF6s0dStzDt0",
        ),
    ];

    #[test]
    fn every_format_verifies_the_right_password_only() {
        for (format, stored) in VECTORS {
            let hash = LegacyHash::parse(stored).unwrap_or_else(|| panic!("{format} parses"));
            assert!(hash.affordable(), "{format}");
            assert!(hash.matches(PASSWORD), "{format}");
            assert!(!hash.matches("correct horse battery stapler"), "{format}");
            assert!(!hash.matches(""), "{format}");
        }
    }

    #[test]
    fn malformed_and_foreign_strings_are_not_legacy_hashes() {
        for stored in [
            "",
            "pbkdf2_sha256$1000$salt",
            "pbkdf2_sha256$x$salt$efk9apInV+Xm/mo4fSLSjnrNpSQYT2dBw0rRQPzKcOc=",
            "pbkdf2_sha256$1000$salt$not base64",
            "pbkdf2_sha256$1000$salt$AAAA",
            "$pbkdf2-sha256$i=1000,l=31$c/oBAmxlZ2FjeS1zYWx0IQ$O3IM+aw7B0WmQ5fgKrM4b3y3T07pCovJxj4HqaZ4oq4",
            "$pbkdf2-sha512$1000$c2FsdA$O3IM+aw7B0WmQ5fgKrM4b3y3T07pCovJxj4HqaZ4oq4",
            "$scrypt$ln=10,r=8$c2FsdA$hv3T3bO+SIWQsB1l0nKf9umg9qbHSXSaF6s0dStzDt0",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
            "$2b$04$abcdefghijklmnopqrstuu",
            "md5$salt$hash",
        ] {
            assert_eq!(LegacyHash::parse(stored), None, "{stored}");
        }
    }

    #[test]
    fn costly_hashes_are_refused_before_any_work() {
        let salt = "c2FsdA";
        let hash = "hv3T3bO+SIWQsB1l0nKf9umg9qbHSXSaF6s0dStzDt0";
        for (stored, affordable) in [
            (format!("$pbkdf2-sha256$i=600000,l=32${salt}${hash}"), true),
            (
                format!("$pbkdf2-sha256$i=4000000000,l=32${salt}${hash}"),
                false,
            ),
            (format!("$pbkdf2-sha256$0${salt}${hash}"), false),
            (format!("$scrypt$ln=17,r=8,p=1${salt}${hash}"), true),
            (format!("$scrypt$ln=19,r=8,p=1${salt}${hash}"), false),
            (format!("$scrypt$ln=60,r=8,p=1${salt}${hash}"), false),
            (format!("$scrypt$ln=10,r=8,p=64${salt}${hash}"), false),
            (format!("$scrypt$ln=10,r=0,p=1${salt}${hash}"), false),
        ] {
            let parsed = LegacyHash::parse(&stored).unwrap_or_else(|| panic!("{stored}"));
            assert_eq!(parsed.affordable(), affordable, "{stored}");
        }
    }
}
