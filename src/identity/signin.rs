//! Signing in: the one place that decides whether someone may sign in and how, for tenant
//! users and platform administrators alike. Handlers call these steps inside the step's write
//! transaction and only map the typed answer to a page or a redirect; nothing else writes
//! sign-in rows.
//!
//! A password sign-in runs in three phases that keep the slow part out of the database:
//!
//! 1. [`find`]: the account an email names, if any (a read).
//! 2. [`check`]: the password against its hash: argon2 on the blocking pool, with no database
//!    connection or transaction held. Unknown emails and locked accounts are checked against a
//!    dummy hash, so every failure costs the same time. An outdated hash is recomputed here.
//! 3. [`password`]: inside the write transaction: a failure is counted toward the lockout
//!    (exactly, even under concurrent attempts) and audited; a success stores the upgraded
//!    hash, applies the email-verification gate and the second-factor rule, and either starts
//!    a session or opens a challenge.
//!
//! The second factor ([`code`]), its set-up during sign-in ([`begin_enrolment`],
//! [`confirm_enrolment`], [`finish_enrolment`]) and re-authentication of a signed-in account
//! ([`reauthenticate`]) are steps here too, so lockout, status checks and audit apply to every
//! way in alike. Every step first locks the account's row: steps of one account never
//! interleave, and take their other locks in one order.

use serde_json::json;

use super::accounts::{count_failed_attempt, load, may_sign_in, Account, LoginError};
use super::challenge::{self, Challenge, Kind};
use super::mfa::{self, Enrollment, MfaError};
use super::password::{PasswordHasher, Verification};
use super::MAX_PASSWORD_BYTES;
use crate::audit::{self, Actor};
use crate::config::{SecuritySettings, SessionSettings};
use crate::db::accounts::{self as rows, AccountRow};
use crate::db::{tx, AnyConnection, DbError};
use crate::domain::{unix_now, AccountId, Email, ProfileId, TenantId};
use crate::keys::Vault;
use crate::sessions::{self, Session};

/// `acr` of a session signed in with a password alone.
pub const PASSWORD_ACR: &str = "urn:tessera:acr:pwd";
/// `acr` of a session signed in with a password and a second factor.
pub const MFA_ACR: &str = "urn:tessera:acr:mfa";

/// Where and for whom a sign-in step runs.
pub struct Attempt<'a> {
    pub tenant: &'a TenantId,
    /// Opens the account's sealed data and finds it by its email's blind index.
    pub vault: &'a Vault,
    pub security: &'a SecuritySettings,
    pub sessions: &'a SessionSettings,
    /// The client's address, for the audit log.
    pub ip: &'a str,
    /// The browser the step came from (challenges are bound to it).
    pub browser_hash: &'a str,
    /// The browser's current session cookie: it ends when a new session starts.
    pub previous_session: Option<&'a str>,
}

/// When a password needs a second factor after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactorRule {
    /// Only when the client asks for one (the tenant turned second factors off).
    WhenAsked,
    /// When the account has one, or the client asks.
    WhenEnrolled,
    /// Always: an account without one sets it up during sign-in.
    Always,
}

/// How the second factor is asked for.
#[derive(Debug, Clone, Copy)]
pub enum Factor<'a> {
    /// On a page of its own (hosted sign-in): a challenge remembers `target`, where the
    /// sign-in goes afterwards.
    Challenge {
        rule: FactorRule,
        asked_by_client: bool,
        target: &'a str,
    },
    /// In the same form as the password (platform console): required once the account has
    /// a factor, and a missing or wrong code is refused like a wrong password.
    Inline(Option<&'a str>),
}

/// A session just started, with a new id: the previous one (if any) ended.
pub struct SignedIn {
    pub account: Account,
    pub session: Session,
    /// The new session cookie's value.
    pub cookie: String,
    /// The browser's new binding cookie (CSRF tokens and pending requests derive from it):
    /// rotated at every sign-in, so a value planted or read before no longer counts.
    pub browser: String,
}

/// What a password step decided.
pub enum Step {
    SignedIn(Box<SignedIn>),
    /// The challenge to send the browser to for a code.
    NeedsCode(String),
    /// The challenge to send the browser to for setting up a factor.
    NeedsEnrolment(String),
    /// The password was right but the tenant wants a confirmed address first: mail this link
    /// token to the account's address.
    EmailUnverified {
        email: Email,
        link_token: String,
    },
    /// The client asked for a second factor the account does not have (OIDC Core §3.1.2.6
    /// `unmet_authentication_requirements`); none is offered here.
    Unmet,
    /// One answer for every failure: unknown email, wrong password or code, locked or
    /// suspended account.
    Refused,
}

/// What a second-factor step decided.
pub enum CodeStep {
    SignedIn {
        signed_in: Box<SignedIn>,
        target: String,
    },
    /// A wrong code; more attempts are left.
    Wrong,
    /// No attempts left: the challenge is gone, sign in again.
    Exhausted,
    /// Unknown, expired, or another browser's challenge.
    Expired,
    /// The account is locked or may not sign in.
    Refused,
}

/// What confirming a factor set up during sign-in decided.
pub enum EnrolStep {
    /// The factor is on: show these recovery codes, then continue.
    RecoveryCodes(Vec<String>),
    /// A wrong code: set up again.
    Wrong,
    Expired,
}

/// The way in an attempt uses: each has its own per-address budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    /// A password (sign-in, or re-authentication of a signed-in account).
    Password,
    /// A second-factor code.
    Code,
}

/// Counts one attempt against the caller's address in this tenant, before any work is spent
/// on it. `Some(seconds)` when the caller must wait. `ip` is the address resolved through
/// the trusted proxies (`ClientIp`), never the TCP peer of a proxy.
pub fn admit(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    ip: &str,
    door: Door,
    per_minute: i64,
) -> Result<Option<i64>, DbError> {
    let door = match door {
        Door::Password => "login",
        Door::Code => "mfa",
    };
    let limited = crate::rate_limit::hit(conn, &format!("{door}:{tenant}"), ip, per_minute)?;
    if limited.is_some() && door == "login" {
        crate::metrics::record(|m| m.signins.with_label_values(&["rate_limited"]).inc());
    }
    Ok(limited)
}

/// The account an email names, as read before the password check.
pub struct Candidate {
    row: Option<AccountRow>,
    locked: bool,
    /// As typed (audited for failures).
    email: String,
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

impl Checked {
    /// A password its owner chose a moment ago through a link that reached their address (an
    /// accepted invitation): nothing left to compare; the rest of the password step applies.
    pub(super) fn chosen(row: AccountRow) -> Checked {
        Checked {
            candidate: Candidate {
                row: Some(row),
                locked: false,
                email: String::new(),
            },
            verdict: Verdict::Right { rehash: None },
        }
    }
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
    vault: &Vault,
    tenant: &TenantId,
    email: &str,
) -> Result<Candidate, DbError> {
    let row = match Email::parse(email) {
        Ok(email) => super::accounts::find_by_email(conn, vault, tenant, &email)?,
        Err(_) => None,
    };
    let now = unix_now();
    let locked = row
        .as_ref()
        .is_some_and(|r| r.locked_until.is_some_and(|until| until > now));
    Ok(Candidate {
        row,
        locked,
        email: email.to_owned(),
    })
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

/// Settles a checked password inside the step's write transaction. A wrong password for an
/// existing, unlocked account counts toward its lockout.
pub fn settle(
    conn: &mut AnyConnection,
    attempt: &Attempt,
    checked: &Checked,
    require_verified_email: bool,
) -> Result<Account, LoginError> {
    let (security, tenant) = (attempt.security, attempt.tenant);
    let Some(row) = &checked.candidate.row else {
        return Err(LoginError::InvalidCredentials);
    };
    let id = AccountId::from_stored(row.id.clone());
    rows::lock(conn, tenant, &id)?;
    let rehash = match &checked.verdict {
        Verdict::Wrong => {
            if !checked.candidate.locked {
                count_failed_attempt(conn, security, tenant, &id)?;
            }
            return Err(LoginError::InvalidCredentials);
        }
        Verdict::Right { rehash } => rehash,
    };
    // Read again inside the transaction: a suspension or a lock set by concurrent failures
    // while the password was being checked must hold.
    let now = unix_now();
    let Some(row) =
        rows::find(conn, tenant, &id)?.filter(|r| r.locked_until.is_none_or(|until| until <= now))
    else {
        return Err(LoginError::InvalidCredentials);
    };
    let account = load(attempt.vault, row)?;
    if let Some(hash) = rehash {
        rows::set_password_hash(conn, tenant, &account.id, hash, unix_now())?;
    }
    may_sign_in(&account)?;
    if require_verified_email && !account.email_verified {
        return Err(LoginError::EmailNotVerified(account.id));
    }
    Ok(account)
}

/// The password step: settles the checked password, then the email-verification gate and the
/// second factor, and starts the session when nothing else is due. Inside the step's write
/// transaction.
pub fn password(
    conn: &mut AnyConnection,
    attempt: &Attempt,
    checked: &Checked,
    factor: Factor,
    require_verified_email: bool,
) -> Result<Step, DbError> {
    let step = password_step(conn, attempt, checked, factor, require_verified_email)?;
    let outcome = match &step {
        Step::SignedIn(_) => "success",
        Step::NeedsCode(_) | Step::NeedsEnrolment(_) => "second_factor",
        Step::Refused => "failure",
        Step::EmailUnverified { .. } => "email_unverified",
        Step::Unmet => "unmet",
    };
    crate::metrics::record(|m| m.signins.with_label_values(&[outcome]).inc());
    Ok(step)
}

fn password_step(
    conn: &mut AnyConnection,
    attempt: &Attempt,
    checked: &Checked,
    factor: Factor,
    require_verified_email: bool,
) -> Result<Step, DbError> {
    let master = attempt.vault.master();
    let account = match settle(conn, attempt, checked, require_verified_email) {
        Ok(account) => account,
        Err(LoginError::Db(e)) => return Err(e),
        Err(LoginError::Sealed(e)) => return Err(e.into()),
        Err(LoginError::EmailNotVerified(id)) => {
            // Only someone who knows the password gets here: a fresh link for the owner.
            let link_token = super::verification::account_token(conn, attempt.tenant, &id)?;
            let email = match checked.candidate.row.clone() {
                Some(row) => Some(load(attempt.vault, row)?.email),
                None => None,
            };
            return Ok(match email {
                Some(email) => Step::EmailUnverified { email, link_token },
                None => Step::Refused,
            });
        }
        Err(_) => {
            // Nothing typed is kept in clear: a known address is named by its account, an
            // unknown value (perhaps a password typed into the wrong field, or someone else's
            // address) only by a keyed hash, so repeats can be told apart.
            let (target, details) = match &checked.candidate.row {
                Some(row) => (row.id.as_str(), json!({})),
                None => {
                    let typed = checked.candidate.email.as_str();
                    let hash = attempt
                        .vault
                        .index(attempt.tenant)
                        .of("audit unknown email", typed);
                    ("password", json!({ "unknown_email_hash": hash }))
                }
            };
            record(
                conn,
                attempt,
                "anonymous",
                "signin.failure",
                target,
                details,
            )?;
            return Ok(Step::Refused);
        }
    };
    let enrolled = mfa::is_enrolled(conn, attempt.tenant, &account.id)?;
    match factor {
        Factor::Inline(code) => {
            if !enrolled {
                return start_session(conn, attempt, account, &["pwd"], "password")
                    .map(|s| Step::SignedIn(Box::new(s)));
            }
            match mfa::verify(
                conn,
                master,
                attempt.tenant,
                &account.id,
                code.unwrap_or_default(),
            ) {
                Ok(proof) => {
                    record_factor(conn, attempt, &account.id, Ok(proof))?;
                    start_session(conn, attempt, account, &["pwd", "otp"], "password")
                        .map(|s| Step::SignedIn(Box::new(s)))
                }
                Err(MfaError::Db(e)) => Err(e),
                Err(_) => {
                    count_failed_attempt(conn, attempt.security, attempt.tenant, &account.id)?;
                    record_factor(conn, attempt, &account.id, Err(()))?;
                    Ok(Step::Refused)
                }
            }
        }
        Factor::Challenge {
            rule,
            asked_by_client,
            target,
        } => {
            let needed = match rule {
                FactorRule::WhenAsked => asked_by_client,
                FactorRule::WhenEnrolled => enrolled || asked_by_client,
                FactorRule::Always => true,
            };
            if !needed {
                return start_session(conn, attempt, account, &["pwd"], "password")
                    .map(|s| Step::SignedIn(Box::new(s)));
            }
            if enrolled {
                let id = challenge::start(
                    conn,
                    attempt.tenant,
                    &account.id,
                    attempt.browser_hash,
                    Kind::Code,
                    target,
                )?;
                return Ok(Step::NeedsCode(id));
            }
            // Setting a factor up during sign-in only where the tenant requires one: a client
            // asking for step-up must not let whoever holds the password enrol their own.
            if rule != FactorRule::Always {
                return Ok(Step::Unmet);
            }
            let id = challenge::start(
                conn,
                attempt.tenant,
                &account.id,
                attempt.browser_hash,
                Kind::Enrolment,
                target,
            )?;
            Ok(Step::NeedsEnrolment(id))
        }
    }
}

/// A second-factor code for a challenge. Refused while the account is locked; each attempt is
/// taken before the code is checked, so parallel submissions cannot pass the limit; a wrong
/// code counts toward the account's lockout, and a lock voids every open challenge.
pub fn code(
    conn: &mut AnyConnection,
    attempt: &Attempt,
    challenge_id: &str,
    code: &str,
) -> Result<CodeStep, DbError> {
    let Some(challenge) =
        challenge::find(conn, attempt.tenant, challenge_id, attempt.browser_hash)?
    else {
        return Ok(CodeStep::Expired);
    };
    let Some(account) = signable(conn, attempt, &challenge.account)? else {
        challenge::void_all(conn, attempt.tenant, &challenge.account)?;
        return Ok(CodeStep::Refused);
    };
    let Some(attempts) = challenge::take_attempt(conn, attempt.tenant, &challenge)? else {
        challenge::finish(conn, attempt.tenant, &challenge)?;
        return Ok(CodeStep::Exhausted);
    };
    match mfa::verify(
        conn,
        attempt.vault.master(),
        attempt.tenant,
        &account.id,
        code,
    ) {
        Ok(proof) => record_factor(conn, attempt, &account.id, Ok(proof))?,
        Err(MfaError::Db(e)) => return Err(e),
        Err(_) => {
            record_factor(conn, attempt, &account.id, Err(()))?;
            // A lock this failure sets voids the challenge with the account's others.
            if count_failed_attempt(conn, attempt.security, attempt.tenant, &account.id)? {
                return Ok(CodeStep::Exhausted);
            }
            if attempts >= challenge::MAX_ATTEMPTS {
                challenge::finish(conn, attempt.tenant, &challenge)?;
                return Ok(CodeStep::Exhausted);
            }
            return Ok(CodeStep::Wrong);
        }
    }
    challenge::finish(conn, attempt.tenant, &challenge)?;
    let signed_in = start_session(conn, attempt, account, &["pwd", "otp"], "password")?;
    Ok(CodeStep::SignedIn {
        signed_in: Box::new(signed_in),
        target: challenge.target,
    })
}

/// A new factor for an enrolment challenge (the tenant requires one); `None` when the
/// challenge is not one, or is gone.
pub fn begin_enrolment(
    conn: &mut AnyConnection,
    attempt: &Attempt,
    challenge_id: &str,
    issuer_name: &str,
) -> Result<Option<Enrollment>, DbError> {
    let Some((challenge, account)) =
        enrolment_challenge(conn, attempt, challenge_id, Kind::Enrolment)?
    else {
        return Ok(None);
    };
    match mfa::start_enrollment(
        conn,
        attempt.vault.master(),
        attempt.tenant,
        &challenge.account,
        issuer_name,
        account.email.as_str(),
    ) {
        Ok(enrollment) => Ok(Some(enrollment)),
        Err(MfaError::Db(e)) => Err(e),
        Err(_) => Ok(None),
    }
}

/// The first code of a factor set up during sign-in: turns it on (audited), marks the
/// challenge so only continuing is left, and hands back the recovery codes.
pub fn confirm_enrolment(
    conn: &mut AnyConnection,
    attempt: &Attempt,
    challenge_id: &str,
    code: &str,
) -> Result<EnrolStep, DbError> {
    let Some((challenge, account)) =
        enrolment_challenge(conn, attempt, challenge_id, Kind::Enrolment)?
    else {
        return Ok(EnrolStep::Expired);
    };
    let actor = actor(attempt, &account.id);
    match mfa::confirm_enrollment(
        conn,
        attempt.vault.master(),
        attempt.tenant,
        &account.id,
        code,
        &actor,
    ) {
        Ok(codes) => {
            challenge::mark_enrolled(conn, attempt.tenant, &challenge)?;
            Ok(EnrolStep::RecoveryCodes(codes))
        }
        Err(MfaError::Db(e)) => Err(e),
        Err(_) => Ok(EnrolStep::Wrong),
    }
}

/// Finishes a sign-in whose factor was set up and proven during it.
pub fn finish_enrolment(
    conn: &mut AnyConnection,
    attempt: &Attempt,
    challenge_id: &str,
) -> Result<CodeStep, DbError> {
    let Some((challenge, account)) =
        enrolment_challenge(conn, attempt, challenge_id, Kind::Enrolled)?
    else {
        return Ok(CodeStep::Expired);
    };
    challenge::finish(conn, attempt.tenant, &challenge)?;
    let signed_in = start_session(conn, attempt, account, &["pwd", "otp"], "password")?;
    Ok(CodeStep::SignedIn {
        signed_in: Box::new(signed_in),
        target: challenge.target,
    })
}

/// Starts a session for an account that proved everything it had to: past failures are
/// forgotten, the browser's previous session ends, a new one (new id: no fixation) begins
/// with its single profile chosen, and the sign-in is audited.
pub fn start_session(
    conn: &mut AnyConnection,
    attempt: &Attempt,
    account: Account,
    amr: &[&str],
    method: &str,
) -> Result<SignedIn, DbError> {
    let tenant = attempt.tenant;
    rows::clear_failed_logins(conn, tenant, &account.id)?;
    // Retention counts from the last sign-in; it also answers an inactivity warning.
    rows::touch_activity(conn, tenant, &account.id, unix_now())?;
    // Signing in is how a person takes back a deletion they asked for.
    super::erasure::cancel(conn, tenant, &account.id, &actor(attempt, &account.id))?;
    if let Some(previous) = attempt.previous_session {
        if let Some(old) = sessions::current(conn, attempt.sessions, tenant, previous)? {
            sessions::end(conn, tenant, &old.id, sessions::EndReason::Replaced)?;
        }
    }
    // One profile is chosen at once; with several, the picker asks.
    let choices = rows::profiles(conn, tenant, &account.id)?;
    let profile = match choices.as_slice() {
        [only] => Some(ProfileId::from_stored(only.id.clone())),
        _ => None,
    };
    let acr = if amr.contains(&"otp") {
        MFA_ACR
    } else {
        PASSWORD_ACR
    };
    let (session, cookie) = sessions::create(
        conn,
        attempt.sessions,
        tenant,
        &account.id,
        profile.as_ref(),
        amr,
        acr,
    )?;
    let browser = crate::crypto::random_token();
    crate::db::pending::rebind_browser(
        conn,
        tenant,
        attempt.browser_hash,
        &sessions::browser_hash(&browser),
    )?;
    record(
        conn,
        attempt,
        account.id.as_str(),
        "signin.success",
        account.id.as_str(),
        json!({ "method": method }),
    )?;
    Ok(SignedIn {
        account,
        session,
        cookie,
        browser,
    })
}

/// The answer to a re-authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reauth {
    Confirmed,
    /// Wrong, or the account is locked: one answer.
    Refused,
    /// Too many attempts from this address: retry after this many seconds.
    RateLimited(i64),
}

/// Re-authenticates a signed-in account with its current password (changing the password,
/// turning the second factor off): the same per-address limit and lockout as a sign-in, and a
/// wrong password counts toward both. Blocking (argon2, with the connection held but no
/// transaction).
pub fn reauthenticate_password(
    conn: &mut AnyConnection,
    hasher: &PasswordHasher,
    attempt: &Attempt,
    account: &AccountId,
    password: &str,
) -> Result<Reauth, DbError> {
    let limit = attempt.security.login_attempts_per_minute;
    if let Some(retry_after) = admit(conn, attempt.tenant, attempt.ip, Door::Password, limit)? {
        return Ok(Reauth::RateLimited(retry_after));
    }
    let candidate = find_by_id(conn, attempt.tenant, account)?;
    let checked = check(hasher, candidate, password);
    let confirmed = tx::write(conn, |conn| {
        reauthenticate(conn, attempt, account, &checked)
    })?;
    Ok(if confirmed {
        Reauth::Confirmed
    } else {
        Reauth::Refused
    })
}

/// The candidate for re-authenticating a signed-in account.
pub fn find_by_id(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<Candidate, DbError> {
    let row = rows::find(conn, tenant, account)?;
    let now = unix_now();
    let locked = row
        .as_ref()
        .is_some_and(|r| r.locked_until.is_some_and(|until| until > now));
    // Re-authentication audits failures by account id, never by the typed value.
    Ok(Candidate {
        row,
        locked,
        email: String::new(),
    })
}

/// Settles a checked current password of a signed-in account inside the step's write
/// transaction: false when wrong (counted toward the lockout) or when the account is locked.
pub fn reauthenticate(
    conn: &mut AnyConnection,
    attempt: &Attempt,
    account: &AccountId,
    checked: &Checked,
) -> Result<bool, DbError> {
    let same_account = checked
        .candidate
        .row
        .as_ref()
        .is_some_and(|row| row.id == account.as_str());
    if !same_account {
        return Ok(false);
    }
    match settle(conn, attempt, checked, false) {
        Ok(_) => Ok(true),
        Err(LoginError::Db(e)) => Err(e),
        Err(LoginError::Sealed(e)) => Err(e.into()),
        Err(_) => {
            record(
                conn,
                attempt,
                account.as_str(),
                "reauth.failure",
                account.as_str(),
                json!({}),
            )?;
            Ok(false)
        }
    }
}

/// The account behind a challenge, locked for this step, if it may sign in now.
fn signable(
    conn: &mut AnyConnection,
    attempt: &Attempt,
    account: &AccountId,
) -> Result<Option<Account>, DbError> {
    rows::lock(conn, attempt.tenant, account)?;
    let now = unix_now();
    let Some(row) = rows::find(conn, attempt.tenant, account)?
        .filter(|row| row.locked_until.is_none_or(|until| until <= now))
    else {
        return Ok(None);
    };
    Ok(Some(load(attempt.vault, row)?).filter(|account| may_sign_in(account).is_ok()))
}

fn enrolment_challenge(
    conn: &mut AnyConnection,
    attempt: &Attempt,
    challenge_id: &str,
    kind: Kind,
) -> Result<Option<(Challenge, Account)>, DbError> {
    let Some(challenge) =
        challenge::find(conn, attempt.tenant, challenge_id, attempt.browser_hash)?
            .filter(|c| c.kind == kind)
    else {
        return Ok(None);
    };
    let Some(account) = signable(conn, attempt, &challenge.account)? else {
        challenge::void_all(conn, attempt.tenant, &challenge.account)?;
        return Ok(None);
    };
    Ok(Some((challenge, account)))
}

fn actor(attempt: &Attempt, account: &AccountId) -> Actor {
    Actor {
        id: account.to_string(),
        ip: attempt.ip.to_owned(),
    }
}

fn record(
    conn: &mut AnyConnection,
    attempt: &Attempt,
    actor: &str,
    action: &str,
    target: &str,
    details: serde_json::Value,
) -> Result<(), DbError> {
    audit::record(
        conn,
        attempt.tenant,
        audit::Event {
            actor,
            action,
            target,
            ip: attempt.ip,
            details,
        },
    )
}

fn record_factor(
    conn: &mut AnyConnection,
    attempt: &Attempt,
    account: &AccountId,
    outcome: Result<mfa::Proof, ()>,
) -> Result<(), DbError> {
    let (action, details) = match outcome {
        Ok(proof) => ("mfa.success", json!({ "method": format!("{proof:?}") })),
        Err(()) => ("mfa.failure", json!({})),
    };
    record(
        conn,
        attempt,
        account.as_str(),
        action,
        account.as_str(),
        details,
    )
}

/// The answer to proving a second account in the same flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proof {
    Proved(AccountId),
    /// Wrong address, password or code, a locked or unavailable account: one answer.
    Refused,
    /// The password was right and the account has a second factor: its code is needed.
    CodeNeeded,
    /// Too many attempts from this address: retry after this many seconds.
    RateLimited(i64),
}

/// A signed-in person proves a second account of theirs (a self-service merge): its address
/// and password, and a code from its second factor if it has one, under the rules of a
/// sign-in (the per-address limits, the lockout a wrong password counts toward, one answer
/// for an unknown address and a wrong password). Blocking (argon2).
pub fn prove_other_account(
    conn: &mut AnyConnection,
    hasher: &PasswordHasher,
    master: &crate::keys::MasterKey,
    attempt: &Attempt,
    email: &str,
    password: &str,
    code: Option<&str>,
) -> Result<Proof, DbError> {
    let limit = attempt.security.login_attempts_per_minute;
    if let Some(retry_after) = admit(conn, attempt.tenant, attempt.ip, Door::Password, limit)? {
        return Ok(Proof::RateLimited(retry_after));
    }
    let candidate = find(conn, attempt.vault, attempt.tenant, email)?;
    let account = candidate
        .row
        .as_ref()
        .map(|row| AccountId::from_stored(row.id.clone()));
    // Hashed whether or not the address has an account: the time says nothing either.
    let checked = check(hasher, candidate, password);
    let Some(account) = account else {
        return Ok(Proof::Refused);
    };
    if !tx::write(conn, |conn| {
        reauthenticate(conn, attempt, &account, &checked)
    })? || !super::accounts::may_sign_in_by_id(conn, attempt.tenant, &account)?
    {
        return Ok(Proof::Refused);
    }
    if !super::mfa::is_enrolled(conn, attempt.tenant, &account)? {
        return Ok(Proof::Proved(account));
    }
    let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(Proof::CodeNeeded);
    };
    if let Some(retry_after) = admit(conn, attempt.tenant, attempt.ip, Door::Code, limit)? {
        return Ok(Proof::RateLimited(retry_after));
    }
    let verified = tx::write(conn, |conn| {
        rows::lock(conn, attempt.tenant, &account)?;
        match super::mfa::verify(conn, master, attempt.tenant, &account, code) {
            Ok(_) => Ok(true),
            Err(super::mfa::MfaError::Db(e)) => Err(e),
            Err(_) => Ok(false),
        }
    })?;
    if verified {
        return Ok(Proof::Proved(account));
    }
    // Unlike a sign-in's challenge, this form can be sent again and again: a wrong code counts
    // toward the account's lockout, so guessing from many addresses ends in a lock.
    super::accounts::count_failed_attempt(conn, attempt.security, attempt.tenant, &account)?;
    Ok(Proof::Refused)
}
