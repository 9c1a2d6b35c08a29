//! TOTP second factor (RFC 6238: SHA-1, 6 digits, 30 s, ±1 step, for authenticator-app
//! compatibility) with single-use recovery codes. Seeds are sealed under the master key; a
//! code from a time step already used is refused.
//!
//! Recovery codes carry 80 random bits and are stored as HMAC-SHA256 under a key derived
//! from the account's sealed seed: a copy of the database alone (without the master key)
//! cannot test guesses, and the same code never hashes alike for two accounts.

use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretSlice};
use totp_rs::{Algorithm, Builder, Totp};

use crate::audit::Actor;
use crate::crypto::sha256_hex;
use crate::db::mfa::{self as rows, TotpRow};
use crate::db::{tx, AnyConnection, DbError};
use crate::domain::{unix_now, AccountId, TenantId};
use crate::keys::envelope;
use crate::keys::MasterKey;

pub const RECOVERY_CODES: usize = 10;
/// Length of the 50-bit codes issued before keyed hashing.
const LEGACY_CODE_CHARS: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum MfaError {
    #[error("two-step verification is already on")]
    AlreadyEnrolled,
    #[error("start the set-up first")]
    NotStarted,
    #[error("the code is not valid")]
    InvalidCode,
    #[error("the current password is not correct")]
    WrongPassword,
    #[error("the second factor could not be read: {0}")]
    Sealed(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::storage_failure!(MfaError);

/// What the enrollment page shows: the manual key and the otpauth:// URL for the QR code.
#[derive(Debug)]
pub struct Enrollment {
    pub secret_base32: String,
    pub otpauth_url: String,
}

/// How the second factor was proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    Totp,
    RecoveryCode,
}

fn associated_data(tenant: &TenantId, account: &AccountId) -> Vec<u8> {
    crate::keys::vault::totp_seed_binding(tenant.as_str(), account.as_str())
}

fn totp(secret: Vec<u8>, issuer: &str, label: &str) -> Result<Totp, MfaError> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_skew(1)
        .with_secret(secret)
        .with_issuer(Some(issuer.replace(':', " ")))
        .with_account_name(label.replace(':', " "))
        .build()
        .map_err(|e| MfaError::Sealed(e.to_string()))
}

fn open(
    master: &MasterKey,
    tenant: &TenantId,
    account: &AccountId,
    row: &TotpRow,
) -> Result<SecretSlice<u8>, MfaError> {
    envelope::open(
        master,
        &row.master_key_id,
        &row.secret,
        &associated_data(tenant, account),
    )
    .map(SecretSlice::from)
    .map_err(|e| MfaError::Sealed(e.to_string()))
}

/// Whether the account has a confirmed second factor.
pub fn is_enrolled(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<bool, DbError> {
    Ok(rows::find_totp(conn, tenant, account)?.is_some_and(|f| f.confirmed_at.is_some()))
}

/// Starts (or restarts) enrollment with a fresh 160-bit seed.
pub fn start_enrollment(
    conn: &mut AnyConnection,
    master: &MasterKey,
    tenant: &TenantId,
    account: &AccountId,
    issuer: &str,
    label: &str,
) -> Result<Enrollment, MfaError> {
    if is_enrolled(conn, tenant, account)? {
        return Err(MfaError::AlreadyEnrolled);
    }
    let mut seed = vec![0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    let sealed = envelope::seal(master, &seed, &associated_data(tenant, account))
        .map_err(|e| MfaError::Sealed(e.to_string()))?;
    let generator = totp(seed, issuer, label)?;
    let row = TotpRow {
        account_id: account.to_string(),
        tenant_id: tenant.to_string(),
        secret: sealed.ciphertext,
        master_key_id: sealed.master_key_id,
        confirmed_at: None,
        last_step: 0,
        created_at: unix_now(),
    };
    tx::write(conn, |conn| {
        rows::delete_totp(conn, tenant, account)?;
        rows::insert_totp(conn, &row)?;
        Ok::<_, MfaError>(())
    })?;
    Ok(Enrollment {
        secret_base32: generator.secret().to_base32(),
        otpauth_url: generator
            .to_url()
            .map_err(|e| MfaError::Sealed(e.to_string()))?,
    })
}

/// Confirms enrollment with a current code; returns the recovery codes, shown this once. The
/// factor and its audit entry (`mfa.enroll`, by `actor`) land together, whichever surface
/// turned it on.
pub fn confirm_enrollment(
    conn: &mut AnyConnection,
    master: &MasterKey,
    tenant: &TenantId,
    account: &AccountId,
    code: &str,
    actor: &Actor,
) -> Result<Vec<String>, MfaError> {
    let row = rows::find_totp(conn, tenant, account)?.ok_or(MfaError::NotStarted)?;
    if row.confirmed_at.is_some() {
        return Err(MfaError::AlreadyEnrolled);
    }
    check_totp(conn, master, tenant, account, &row, code)?;
    let key = RecoveryKey::of(&open(master, tenant, account, &row)?, tenant, account)?;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
    tx::write(conn, |conn| {
        let now = unix_now();
        rows::confirm_totp(conn, tenant, account, now)?;
        for code in &codes {
            rows::insert_recovery_code(conn, tenant, account, &key.hash(code), now)?;
        }
        let event = actor.event("mfa.enroll", account.as_str(), serde_json::json!({}));
        crate::audit::record(conn, tenant, event)?;
        mfa_changed(conn, tenant, account)?;
        Ok::<_, MfaError>(())
    })?;
    Ok(codes)
}

/// Crockford's base32 alphabet: no i, l, o or u to misread; 5 bits a character.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
/// Characters of a recovery code: 16 × 5 = 80 bits.
const RECOVERY_CODE_CHARS: usize = 16;

/// `xxxx-xxxx-xxxx-xxxx`: 80 random bits, each character exactly 5 of them (no modulo bias).
fn recovery_code() -> String {
    let mut bytes = [0u8; RECOVERY_CODE_CHARS * 5 / 8];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let bits = bytes
        .iter()
        .fold(0u128, |acc, b| (acc << 8) | u128::from(*b));
    let chars: Vec<char> = (0..RECOVERY_CODE_CHARS)
        .map(|i| ALPHABET[((bits >> (5 * i)) & 0x1f) as usize] as char)
        .collect();
    chars
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// What was typed, as stored: case and separators ignored, and the letters Crockford's
/// alphabet leaves out read as the digits they resemble.
fn normalize(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| match c.to_ascii_lowercase() {
            'o' => '0',
            'i' | 'l' => '1',
            c => c,
        })
        .collect()
}

/// The per-account key recovery codes are hashed under.
struct RecoveryKey(Hmac<sha2::Sha256>);

impl RecoveryKey {
    fn of(
        seed: &SecretSlice<u8>,
        tenant: &TenantId,
        account: &AccountId,
    ) -> Result<RecoveryKey, MfaError> {
        let keyed = |key: &[u8]| {
            Hmac::<sha2::Sha256>::new_from_slice(key).map_err(|e| MfaError::Sealed(e.to_string()))
        };
        let mut derive = keyed(seed.expose_secret())?;
        derive.update(format!("tessera recovery codes\0{tenant}\0{account}").as_bytes());
        Ok(RecoveryKey(keyed(&derive.finalize().into_bytes())?))
    }

    fn hash(&self, code: &str) -> String {
        let mut mac = self.0.clone();
        mac.update(normalize(code).as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

fn check_totp(
    conn: &mut AnyConnection,
    master: &MasterKey,
    tenant: &TenantId,
    account: &AccountId,
    row: &TotpRow,
    code: &str,
) -> Result<(), MfaError> {
    let seed = open(master, tenant, account, row)?;
    let generator = totp(seed.expose_secret().to_vec(), "tessera", "user")?;
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let step = generator
        .check_current(&digits)
        .ok_or(MfaError::InvalidCode)?;
    let step = i64::try_from(step).map_err(|_| MfaError::InvalidCode)?;
    // A step already used (replay, or the same code twice) is refused.
    if !rows::advance_step(conn, tenant, account, step)? {
        return Err(MfaError::InvalidCode);
    }
    Ok(())
}

/// Checks a second-factor code at sign-in: a current TOTP code, or an unused recovery code.
pub fn verify(
    conn: &mut AnyConnection,
    master: &MasterKey,
    tenant: &TenantId,
    account: &AccountId,
    code: &str,
) -> Result<Proof, MfaError> {
    let row = rows::find_totp(conn, tenant, account)?
        .filter(|r| r.confirmed_at.is_some())
        .ok_or(MfaError::NotStarted)?;
    let trimmed = code.trim();
    if trimmed.len() == 6 && trimmed.bytes().all(|b| b.is_ascii_digit()) {
        check_totp(conn, master, tenant, account, &row, trimmed)?;
        return Ok(Proof::Totp);
    }
    let key = RecoveryKey::of(&open(master, tenant, account, &row)?, tenant, account)?;
    if rows::use_recovery_code(conn, tenant, account, &key.hash(trimmed), unix_now())? {
        return Ok(Proof::RecoveryCode);
    }
    // Codes issued before recovery codes were keyed (10 characters, bare SHA-256) stay
    // usable, so nobody is locked out by the upgrade; new codes replace them at re-enrolment.
    let legacy = normalize(trimmed);
    if legacy.len() == LEGACY_CODE_CHARS
        && rows::use_recovery_code(conn, tenant, account, &sha256_hex(&legacy), unix_now())?
    {
        return Ok(Proof::RecoveryCode);
    }
    Err(MfaError::InvalidCode)
}

/// Turns the second factor off, with its audit entry (`mfa.disable`, by `actor`). The caller
/// re-authenticated the account first (`signin::reauthenticate`).
pub fn disable(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    actor: &Actor,
) -> Result<(), MfaError> {
    tx::write(conn, |conn| {
        rows::delete_totp(conn, tenant, account)?;
        let event = actor.event("mfa.disable", account.as_str(), serde_json::json!({}));
        crate::audit::record(conn, tenant, event)?;
        mfa_changed(conn, tenant, account)?;
        Ok(())
    })
}

/// Removes the second factor and its recovery codes without a password: an administrator's
/// reset for a user who lost their device (audited by the caller).
pub fn reset(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<(), MfaError> {
    tx::write(conn, |conn| {
        rows::delete_totp(conn, tenant, account)?;
        mfa_changed(conn, tenant, account)?;
        Ok(())
    })
}

/// The `account.updated` event of a second factor turned on or off.
fn mfa_changed(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<(), crate::db::DbError> {
    let data = serde_json::json!({ "changed": ["mfa"] });
    crate::events::account_updated(conn, tenant, account, data)
}

/// Renders a QR code for `text` as an SVG path (no image crate needed).
pub fn qr_svg(text: &str) -> Option<String> {
    let qr = qrcodegen::QrCode::encode_text(text, qrcodegen::QrCodeEcc::Medium).ok()?;
    let size = qr.size();
    let border = 4;
    let mut path = String::new();
    for y in 0..size {
        for x in 0..size {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + border, y + border));
            }
        }
    }
    let full = size + 2 * border;
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {full} {full}\" width=\"200\" height=\"200\" role=\"img\" aria-label=\"QR code for your authenticator app\" shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_carry_80_bits_in_crockford_base32() {
        let code = recovery_code();
        let groups: Vec<&str> = code.split('-').collect();
        assert_eq!(groups.len(), 4, "{code}");
        assert!(groups.iter().all(|g| g.len() == 4), "{code}");
        assert!(code.bytes().all(|b| b == b'-' || ALPHABET.contains(&b)));
        assert_ne!(recovery_code(), code);
        // Upper case, other separators and misread letters are the same code.
        assert_eq!(normalize("AB0I-l1xy"), normalize("ab01-11XY"));
        assert_eq!(normalize("oO iL"), "0011");
    }

    #[test]
    fn recovery_hashes_are_keyed_per_account() {
        let seed = SecretSlice::from(vec![7u8; 20]);
        let tenant = TenantId::from_stored("t".into());
        let (ada, bob) = (
            AccountId::from_stored("a".into()),
            AccountId::from_stored("b".into()),
        );
        let code = "abcd-efgh-jkmn-pqrs";
        let for_ada = RecoveryKey::of(&seed, &tenant, &ada).unwrap();
        let for_bob = RecoveryKey::of(&seed, &tenant, &bob).unwrap();
        assert_eq!(for_ada.hash(code), for_ada.hash("ABCDEFGHJKMNPQRS"));
        assert_ne!(for_ada.hash(code), for_bob.hash(code));
        assert_ne!(for_ada.hash(code), sha256_hex(&normalize(code)));
    }
}
