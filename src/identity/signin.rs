//! Signing in with a password, in three steps that keep the slow part out of the database:
//!
//! 1. [`find`]: the account an email names, if any (a read).
//! 2. [`check`]: the password against its hash: argon2 on the blocking pool, with no database
//!    connection or transaction held. Unknown emails and locked accounts are checked against a
//!    dummy hash, so every failure costs the same time. An outdated hash is recomputed here.
//! 3. [`settle`]: inside the write transaction of the sign-in step: a failure is counted
//!    toward the lockout (exactly, even under concurrent attempts), a success stores the
//!    upgraded hash and hands back the account if it may sign in.

use super::accounts::{count_failed_attempt, load, may_sign_in, Account, LoginError};
use super::password::{PasswordHasher, Verification};
use super::MAX_PASSWORD_BYTES;
use crate::config::SecuritySettings;
use crate::db::accounts::{self as rows, AccountRow};
use crate::db::{tx, AnyConnection, DbError};
use crate::domain::{unix_now, Email, TenantId};

/// The account an email names, as read before the password check.
pub struct Candidate {
    row: Option<AccountRow>,
    locked: bool,
}

impl Candidate {
    /// Whether the email names an account of the tenant.
    pub fn exists(&self) -> bool {
        self.row.is_some()
    }
}

/// The outcome of the password check, waiting to be settled.
pub struct Checked {
    candidate: Candidate,
    verdict: Verdict,
}

enum Verdict {
    Wrong,
    /// The password is right; `rehash` replaces an outdated stored hash.
    Right {
        rehash: Option<String>,
    },
}

pub fn find(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    email: &str,
) -> Result<Candidate, DbError> {
    let row = match Email::parse(email) {
        Ok(email) => rows::find_by_email(conn, tenant, email.as_str())?,
        Err(_) => None,
    };
    let now = unix_now();
    let locked = row
        .as_ref()
        .is_some_and(|r| r.locked_until.is_some_and(|until| until > now));
    Ok(Candidate { row, locked })
}

/// Checks the password. Blocking (argon2): run it on the blocking pool, holding no
/// connection.
pub fn check(hasher: &PasswordHasher, candidate: Candidate, password: &str) -> Checked {
    let stored = candidate
        .row
        .as_ref()
        .and_then(|r| r.password_hash.as_deref())
        .filter(|_| !candidate.locked);
    let verification = match stored {
        Some(hash) if password.len() <= MAX_PASSWORD_BYTES => hasher.check(password, hash),
        _ => {
            hasher.verify_dummy(password);
            Verification::Mismatch
        }
    };
    let verdict = match verification {
        Verification::Mismatch => Verdict::Wrong,
        Verification::Match { outdated } => Verdict::Right {
            rehash: outdated
                .then(|| match hasher.hash(password) {
                    Ok(hash) => Some(hash),
                    Err(e) => {
                        tracing::error!(error = %e, "could not re-hash a password");
                        None
                    }
                })
                .flatten(),
        },
    };
    Checked { candidate, verdict }
}

/// Settles a checked password inside the sign-in step's write transaction. A wrong password
/// for an existing, unlocked account counts toward its lockout.
pub fn settle(
    conn: &mut AnyConnection,
    security: &SecuritySettings,
    tenant: &TenantId,
    checked: &Checked,
    require_verified_email: bool,
) -> Result<Account, LoginError> {
    let Some(row) = &checked.candidate.row else {
        return Err(LoginError::InvalidCredentials);
    };
    let rehash = match &checked.verdict {
        Verdict::Wrong => {
            if !checked.candidate.locked {
                count_failed_attempt(conn, security, tenant, &load(row.clone()).id)?;
            }
            return Err(LoginError::InvalidCredentials);
        }
        Verdict::Right { rehash } => rehash,
    };
    // Read again inside the transaction: a suspension or a lock set by concurrent failures
    // while the password was being checked must hold.
    let now = unix_now();
    let Some(row) = rows::find(conn, tenant, &load(row.clone()).id)?
        .filter(|r| r.locked_until.is_none_or(|until| until <= now))
    else {
        return Err(LoginError::InvalidCredentials);
    };
    let account = load(row);
    if let Some(hash) = rehash {
        rows::set_password_hash(conn, tenant, &account.id, hash, unix_now())?;
    }
    may_sign_in(&account)?;
    if require_verified_email && !account.email_verified {
        return Err(LoginError::EmailNotVerified(account.id));
    }
    Ok(account)
}

/// Checks an email and password in one call: the three steps above, with the
/// password checked while `conn` is held (for callers outside the request path).
pub fn authenticate(
    conn: &mut AnyConnection,
    hasher: &PasswordHasher,
    security: &SecuritySettings,
    tenant: &TenantId,
    email: &str,
    password: &str,
    require_verified_email: bool,
) -> Result<Account, LoginError> {
    let candidate = find(conn, tenant, email)?;
    let checked = check(hasher, candidate, password);
    tx::write(conn, |conn| {
        settle(conn, security, tenant, &checked, require_verified_email)
    })
}
