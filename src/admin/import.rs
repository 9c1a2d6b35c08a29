//! Importing user bases from role-split legacy systems (customers, partners, administrators
//! each with their own credentials): one JSON record per legacy role record, unified into one
//! account per normalized email with one profile per record.
//!
//! - **Idempotent and resumable.** Each imported record is mapped (source, legacy id) →
//!   profile (`db::legacy_records`) in the transaction that creates it, so running the same
//!   file again changes nothing, and a run that crashed resumes from what it committed.
//! - **Never overwrites.** An email that already belongs to an account this tenant made
//!   itself, or to an imported account changed since its import, is reported as a conflict
//!   and left alone.
//! - **Duplicates** (one email in several records) share the account; which record's
//!   password is kept follows `--on-conflict` and is reported with the reason.
//!
//! Password hashes are stored as they are and replaced by argon2id at the first sign-in
//! (`identity::password`, `identity::legacy_hash`).

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{audited, AdminError, Audited, Permission, Principal};
use crate::db::legacy_records::{self, LegacyRecordRow};
use crate::db::AnyConnection;
use crate::domain::{AccountId, Email};
use crate::identity::password::PasswordHasher;
use crate::identity::{self, NewAccount};
use crate::keys::Vault;
use crate::profiles::{NewProfile, ProfileChanges};

/// Longest accepted values, so a malformed export cannot fill the database.
const MAX_SOURCE: usize = 64;
const MAX_LEGACY_ID: usize = 128;
const MAX_KIND: usize = 32;
const MAX_LINE: usize = 64 * 1024;

/// One legacy record as the file states it (see `docs/import.md`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecord {
    source: String,
    legacy_id: String,
    kind: String,
    email: String,
    #[serde(default)]
    email_confirmed_at: Option<Timestamp>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    password_hash: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    attributes: Option<Value>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    updated_at: Option<Timestamp>,
}

/// Unix seconds or an RFC 3339 string.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Timestamp {
    Seconds(i64),
    Text(String),
}

impl Timestamp {
    fn seconds(&self) -> Result<i64, String> {
        match self {
            Timestamp::Seconds(s) => Ok(*s),
            Timestamp::Text(text) => text
                .parse::<jiff::Timestamp>()
                .map(|t| t.as_second())
                .map_err(|_| format!("\"{text}\" is not an RFC 3339 time or Unix seconds")),
        }
    }
}

/// A checked record and the line it came from.
#[derive(Debug, Clone)]
pub struct Record {
    pub line: usize,
    pub source: String,
    pub legacy_id: String,
    pub kind: String,
    pub email: Email,
    pub email_confirmed: bool,
    pub suspended: bool,
    pub password_hash: Option<String>,
    pub display_name: Option<String>,
    pub attributes: Option<Value>,
    pub roles: Vec<String>,
    pub updated_at: Option<i64>,
}

impl Record {
    /// `source:legacy_id`, how the report names a record.
    pub fn reference(&self) -> String {
        format!("{}:{}", self.source, self.legacy_id)
    }
}

fn bounded(field: &str, value: String, max: usize) -> Result<String, String> {
    let value = value.trim().to_owned();
    if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(format!(
            "{field} must be 1 to {max} characters without control characters"
        ));
    }
    Ok(value)
}

/// Parses and checks one line of the file (`line` counts from 1).
pub fn parse_record(hasher: &PasswordHasher, line: usize, text: &str) -> Result<Record, String> {
    if text.len() > MAX_LINE {
        return Err(format!("the record is longer than {MAX_LINE} bytes"));
    }
    let raw: RawRecord = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let email = Email::parse(&raw.email).map_err(|e| e.to_string())?;
    let suspended = match raw.status.as_deref().unwrap_or("active") {
        "active" => false,
        "suspended" | "disabled" | "locked" => true,
        other => {
            return Err(format!(
                "status \"{other}\" is not one of active, suspended, disabled, locked"
            ))
        }
    };
    let password_hash = match raw.password_hash.map(|h| h.trim().to_owned()) {
        Some(hash) if hash.is_empty() => None,
        Some(hash) if !PasswordHasher::recognises(&hash) => {
            return Err(identity::AccountError::UnsupportedHash.to_string())
        }
        Some(hash) if !hasher.affordable(&hash) => {
            return Err(identity::AccountError::CostlyHash.to_string())
        }
        other => other,
    };
    if let Some(attributes) = &raw.attributes {
        if !attributes.is_object() {
            return Err("attributes must be a JSON object".into());
        }
    }
    Ok(Record {
        line,
        source: bounded("source", raw.source, MAX_SOURCE)?,
        legacy_id: bounded("legacy_id", raw.legacy_id, MAX_LEGACY_ID)?,
        kind: bounded("kind", raw.kind, MAX_KIND)?,
        email,
        email_confirmed: raw
            .email_confirmed_at
            .map(|t| t.seconds())
            .transpose()?
            .is_some(),
        suspended,
        password_hash,
        display_name: raw
            .display_name
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty()),
        attributes: raw.attributes,
        roles: raw
            .roles
            .into_iter()
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty())
            .collect(),
        updated_at: raw.updated_at.map(|t| t.seconds()).transpose()?,
    })
}

/// Whose password an account keeps when its records disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OnConflict {
    /// The record with the latest `updated_at` (records without one count as oldest; ties go
    /// to the first in the file).
    #[default]
    Newest,
    /// The first record in the file.
    First,
    /// None: the email's records are not imported, and the conflict is reported.
    Skip,
}

impl std::str::FromStr for OnConflict {
    type Err = String;

    fn from_str(s: &str) -> Result<OnConflict, String> {
        match s {
            "newest" => Ok(OnConflict::Newest),
            "first" => Ok(OnConflict::First),
            "skip" => Ok(OnConflict::Skip),
            other => Err(format!(
                "--on-conflict must be newest, first or skip (got \"{other}\")"
            )),
        }
    }
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub dry_run: bool,
    /// Records imported: each is now a profile.
    pub created: usize,
    pub accounts_created: usize,
    /// Records that were imported before (by (source, legacy id)): left as they are.
    pub unchanged: Vec<String>,
    /// Records left out, and why.
    pub skipped: Vec<Skipped>,
    pub duplicates: Vec<Duplicate>,
    pub conflicts: Vec<Conflict>,
    pub errors: Vec<LineError>,
    /// Roles the records named that did not exist yet (created without permissions).
    pub roles_created: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Skipped {
    pub record: String,
    pub line: usize,
    pub reason: String,
}

/// One email in several records: which record's password the account kept, and why.
#[derive(Debug, Serialize)]
pub struct Duplicate {
    pub email: String,
    pub records: Vec<String>,
    pub kept_credential: Option<String>,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct Conflict {
    pub email: String,
    pub records: Vec<String>,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct LineError {
    pub line: usize,
    pub error: String,
}

/// Where one record's line is in the input, and the email group it belongs to.
#[derive(Debug, Clone, Copy)]
struct Entry {
    group: u32,
    line: u32,
    offset: u64,
}

/// A file's records grouped by normalized email (in order of first appearance), with the
/// lines that could not be read. A (source, legacy id) that appears twice keeps its first
/// line; the others are errors.
///
/// Memory stays small whatever the file's size: reading it keeps, per record, only where its
/// line is and its email group (16 bytes), plus a 16-byte digest per email and per
/// (source, legacy id) while grouping. Each group's records are parsed again from the input
/// when their turn comes, so the input must be seekable (a file, or an upload in memory).
pub struct Batch<R> {
    input: R,
    hasher: PasswordHasher,
    /// Sorted by group, then line.
    entries: Vec<Entry>,
    /// The next entry to import.
    next: usize,
    groups: usize,
    errors: Vec<LineError>,
    records: usize,
}

/// A 128-bit digest of a key: equal keys, equal digests; distinct keys collide with
/// negligible probability. Two `u64`s rather than a `u128`: 8-byte alignment keeps a
/// (digest, group) map entry at 24 bytes instead of 32 (16 MB less at a million emails).
fn digest(parts: &[&str]) -> [u64; 2] {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let bytes: [u8; 32] = hasher.finalize().into();
    let half = |at: usize| {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(&bytes[at..at + 8]);
        u64::from_le_bytes(eight)
    };
    [half(0), half(8)]
}

/// Reads one line (without its end of line); `None` at the end of the input.
fn next_line(
    input: &mut impl std::io::BufRead,
    buffer: &mut String,
) -> std::io::Result<Option<usize>> {
    buffer.clear();
    let read = input.read_line(buffer)?;
    if read == 0 {
        return Ok(None);
    }
    while buffer.ends_with('\n') || buffer.ends_with('\r') {
        buffer.pop();
    }
    Ok(Some(read))
}

impl<R: std::io::BufRead + std::io::Seek> Batch<R> {
    pub fn read(hasher: &PasswordHasher, mut input: R) -> std::io::Result<Batch<R>> {
        let mut by_email: HashMap<[u64; 2], u32> = HashMap::new();
        let mut seen: HashSet<[u64; 2]> = HashSet::new();
        let (mut entries, mut errors, mut records) = (Vec::new(), Vec::new(), 0);
        let mut offset = input.stream_position()?;
        let mut buffer = String::new();
        let mut number = 0usize;
        while let Some(read) = next_line(&mut input, &mut buffer)? {
            number += 1;
            let at = offset;
            offset += read as u64;
            if buffer.trim().is_empty() {
                continue;
            }
            records += 1;
            match parse_record(hasher, number, &buffer) {
                Ok(record) => {
                    if !seen.insert(digest(&[record.source.as_str(), record.legacy_id.as_str()])) {
                        errors.push(LineError {
                            line: number,
                            error: format!(
                                "{} appears earlier in the file; this line is ignored",
                                record.reference()
                            ),
                        });
                        continue;
                    }
                    let next = by_email.len() as u32;
                    let group = *by_email
                        .entry(digest(&[record.email.as_str()]))
                        .or_insert(next);
                    entries.push(Entry {
                        group,
                        line: number as u32,
                        offset: at,
                    });
                }
                Err(error) => errors.push(LineError {
                    line: number,
                    error,
                }),
            }
        }
        entries.sort_unstable_by_key(|e| (e.group, e.line));
        Ok(Batch {
            input,
            hasher: hasher.clone(),
            entries,
            next: 0,
            groups: by_email.len(),
            errors,
            records,
        })
    }

    /// Lines with a record (blank lines aside).
    pub fn records(&self) -> usize {
        self.records
    }

    /// Emails, each one account.
    pub fn accounts(&self) -> usize {
        self.groups
    }

    /// The records of up to `count` more emails, read again from the input; empty at the end.
    fn take(&mut self, count: usize) -> Result<Vec<Vec<Record>>, AdminError> {
        let changed = || AdminError::Invalid("the file changed while it was imported".into());
        let mut groups: Vec<Vec<Record>> = Vec::new();
        let mut current = None;
        let mut buffer = String::new();
        while let Some(entry) = self.entries.get(self.next).copied() {
            if current != Some(entry.group) {
                if groups.len() == count {
                    break;
                }
                groups.push(Vec::new());
                current = Some(entry.group);
            }
            self.input
                .seek(std::io::SeekFrom::Start(entry.offset))
                .map_err(|_| changed())?;
            next_line(&mut self.input, &mut buffer).map_err(|_| changed())?;
            let record =
                parse_record(&self.hasher, entry.line as usize, &buffer).map_err(|_| changed())?;
            if let Some(group) = groups.last_mut() {
                group.push(record);
            }
            self.next += 1;
        }
        Ok(groups)
    }
}

/// How an import runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub on_conflict: OnConflict,
    pub dry_run: bool,
}

/// Imports `batch` into the principal's tenant; `progress(conn, done, total)` after each
/// email (between transactions: the connection is free to record it).
pub fn run<R: std::io::BufRead + std::io::Seek>(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    mut batch: Batch<R>,
    options: Options,
    progress: &mut dyn FnMut(&mut AnyConnection, usize, usize),
) -> Result<Report, AdminError> {
    who.require(Permission::AccountsWrite)?;
    let mut report = Report {
        dry_run: options.dry_run,
        errors: std::mem::take(&mut batch.errors),
        ..Report::default()
    };
    let total = batch.accounts();
    let (mut done, mut chunks) = (0, 0usize);
    loop {
        let chunk = batch.take(EMAILS_PER_TRANSACTION)?;
        if chunk.is_empty() {
            break;
        }
        // One transaction per chunk: a crash loses at most the chunk in progress, and a new
        // run resumes after the last committed one (its records are found imported). If the
        // engine aborts the chunk (a deadlock with another import), it runs again from a
        // clean report.
        let committed = crate::db::tx::write::<_, AdminError, _>(conn, |conn| {
            let mut chunk_report = Report::default();
            let known = Known::look_up(conn, vault, who.tenant(), &chunk)?;
            let mut fresh = Vec::new();
            for group in &chunk {
                match known.fresh(group) {
                    Some(pending) => fresh.push(pending),
                    None => import_one(conn, vault, who, group, options, &mut chunk_report)?,
                }
            }
            import_fresh(conn, vault, who, &fresh, options, &mut chunk_report)?;
            Ok(chunk_report)
        })?;
        report.absorb(committed);
        done += chunk.len();
        chunks += 1;
        // As the tables double in size, so that lookups stay index lookups (one ANALYZE
        // samples a bounded number of rows; about twenty for a million emails).
        if chunks.is_power_of_two() && !options.dry_run {
            legacy_records::analyze_imported(conn)?;
        }
        progress(conn, done, total);
    }
    report.errors.sort_by_key(|e| e.line);
    Ok(report)
}

/// Emails imported per transaction: commits (a disk flush each) are paid per chunk instead
/// of per email, while a chunk holds the write lock for only a few milliseconds.
const EMAILS_PER_TRANSACTION: usize = 100;

/// Imports one email's records on their own (`import_email`). Another import of the same
/// records may get there first (two runs at once): the email is then looked at again, and
/// its records are found imported.
fn import_one(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    group: &[Record],
    options: Options,
    report: &mut Report,
) -> Result<(), AdminError> {
    let mut attempt = Report::default();
    match import_email(conn, vault, who, group, options, &mut attempt) {
        Err(e) if raced(&e) => import_email(conn, vault, who, group, options, report),
        Err(e) => Err(e),
        Ok(()) => {
            report.absorb(attempt);
            Ok(())
        }
    }
}

/// What one chunk's lookups found (one query per source and one for the emails): the
/// records imported before, and the emails that have an account.
struct Known {
    /// (source, legacy id) → whether its profile still exists.
    records: HashMap<(String, String), bool>,
    /// Normalized emails with an account in the tenant.
    accounts: HashSet<String>,
}

/// The records of an email that no account holds yet, all plain
/// (no roles, attributes or suspension): they are imported together with other such emails,
/// one statement per table (`import_fresh`).
struct Fresh<'a> {
    /// All the email's records, as in the file.
    group: &'a [Record],
    /// Those not imported before.
    records: Vec<&'a Record>,
    /// Records imported before: reported unchanged, or skipped when their person was erased.
    imported: Vec<(&'a Record, bool)>,
}

impl Known {
    fn look_up(
        conn: &mut AnyConnection,
        vault: &Vault,
        tenant: &crate::domain::TenantId,
        chunk: &[Vec<Record>],
    ) -> Result<Known, AdminError> {
        let mut by_source: HashMap<&str, Vec<&str>> = HashMap::new();
        for record in chunk.iter().flatten() {
            by_source
                .entry(&record.source)
                .or_default()
                .push(&record.legacy_id);
        }
        let mut records = HashMap::new();
        for (source, ids) in by_source {
            for row in legacy_records::find_many(conn, tenant, source, &ids)? {
                records.insert((row.source, row.legacy_id), row.profile_id.is_some());
            }
        }
        let emails: Vec<Email> = chunk
            .iter()
            .filter_map(|group| group.first())
            .map(|r| r.email.clone())
            .collect();
        let accounts = identity::existing_emails(conn, vault, tenant, &emails)?;
        Ok(Known { records, accounts })
    }

    /// The email's records if they can go the fast way (`Fresh`): all imported before (only
    /// reported), or the new ones all plain and no account holding the email. `None`
    /// when they need a look of their own (`import_email`).
    fn fresh<'a>(&self, group: &'a [Record]) -> Option<Fresh<'a>> {
        let mut fresh = Fresh {
            group,
            records: Vec::new(),
            imported: Vec::new(),
        };
        for record in group {
            let key = (record.source.clone(), record.legacy_id.clone());
            match self.records.get(&key) {
                Some(&kept) => fresh.imported.push((record, kept)),
                None if record.suspended
                    || !record.roles.is_empty()
                    || record.attributes.is_some() =>
                {
                    return None
                }
                None => fresh.records.push(record),
            }
        }
        let has_account = group
            .first()
            .is_some_and(|r| self.accounts.contains(r.email.as_str()));
        if has_account && !fresh.records.is_empty() {
            return None;
        }
        Some(fresh)
    }
}

/// Imports the `fresh` emails together, one statement per table. If another writer got to
/// one of them first (two runs at once, or someone signing up with that email), the batch is
/// rolled back and each email goes on its own, to be found taken or imported.
fn import_fresh(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    fresh: &[Fresh],
    options: Options,
    report: &mut Report,
) -> Result<(), AdminError> {
    // What the batch writes is reported only once it is written (`planned`); the rest now.
    let mut planned = Report::default();
    let mut accounts = Vec::new();
    for email in fresh {
        let mut outcome = Report::default();
        for (record, kept) in &email.imported {
            if *kept {
                outcome.unchanged.push(record.reference());
            } else {
                outcome.skipped.push(erased(record));
            }
        }
        let kept = email.records.first().and_then(|first| {
            credential(
                &email.records,
                options.on_conflict,
                &first.email,
                &mut outcome,
            )
        });
        match kept {
            Some(kept) => {
                accounts.push((email, kept));
                outcome.accounts_created += 1;
                outcome.created += email.records.len();
                planned.absorb(outcome);
            }
            None => report.absorb(outcome),
        }
    }
    if options.dry_run || accounts.is_empty() {
        report.absorb(planned);
        return Ok(());
    }
    match crate::db::tx::write(conn, |conn| write_fresh(conn, vault, who, &accounts)) {
        Ok(()) => {
            report.absorb(planned);
            Ok(())
        }
        Err(e) if raced(&e) => {
            for (email, _) in &accounts {
                import_one(conn, vault, who, email.group, options, report)?;
            }
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// The accounts `accounts` become (each with the index of the record whose password it keeps),
/// their profiles, mappings and audit entries.
fn write_fresh(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    accounts: &[(&Fresh, usize)],
) -> Result<(), AdminError> {
    let tenant = who.tenant();
    let new = accounts
        .iter()
        .map(|(email, kept)| {
            let record = email.records[*kept];
            Ok(
                NewAccount::imported(record.email.as_str(), record.password_hash.as_deref())?
                    .named(Some(&profile_name(record)))
                    // The address was proven in one of the systems: it is verified, whichever
                    // record's password is kept.
                    .email_verified(email.records.iter().any(|r| r.email_confirmed)),
            )
        })
        .collect::<Result<Vec<_>, identity::AccountError>>()
        .map_err(super::accounts::account_error)?;
    let inserted = identity::insert_accounts(conn, vault, tenant, &new)
        .map_err(super::accounts::account_error)?;
    let ids: Vec<AccountId> = inserted
        .iter()
        .map(|i| AccountId::from_stored(i.row.id.clone()))
        .collect();
    // Every other record of an email becomes one more profile, its name unique on the account.
    let mut extra = Vec::new();
    let mut extra_records = Vec::new();
    for ((email, kept), (id, created)) in accounts.iter().zip(ids.iter().zip(&inserted)) {
        let mut taken: HashSet<String> = HashSet::from([created.profile.name.to_lowercase()]);
        for (index, record) in email.records.iter().enumerate() {
            if index == *kept {
                continue;
            }
            let name = unique_name(record, &taken);
            taken.insert(name.to_lowercase());
            extra.push(crate::profiles::FreshProfile {
                account: id,
                name,
                is_default: false,
            });
            extra_records.push(*record);
        }
    }
    let extra_profiles = crate::profiles::create_for_new_accounts(conn, vault, tenant, &extra)
        .map_err(super::profiles::profile_error)?;
    let now = crate::domain::unix_now();
    let mapping =
        |record: &Record, created: &identity::Inserted, profile: &crate::domain::ProfileId| {
            LegacyRecordRow {
                tenant_id: tenant.to_string(),
                source: record.source.clone(),
                legacy_id: record.legacy_id.clone(),
                kind: record.kind.clone(),
                account_id: created.row.id.clone(),
                profile_id: Some(profile.to_string()),
                imported_at: now,
                // The account as this import leaves it: its own writes are not a later change.
                account_state: fingerprint(&created.row),
            }
        };
    let mut rows = Vec::new();
    for ((email, kept), created) in accounts.iter().zip(&inserted) {
        rows.push(mapping(email.records[*kept], created, &created.profile.id));
    }
    let owner: HashMap<&str, &identity::Inserted> =
        inserted.iter().map(|i| (i.row.id.as_str(), i)).collect();
    for (record, profile) in extra_records.iter().zip(&extra_profiles) {
        let created = owner
            .get(profile.account_id.as_str())
            .ok_or_else(|| AdminError::Internal("a profile without its account".into()))?;
        rows.push(mapping(record, created, &profile.id));
    }
    legacy_records::insert_many(conn, &rows)?;
    let details: Vec<Value> = accounts
        .iter()
        .map(|(email, _)| {
            json!({ "records": email.records.iter().map(|r| r.reference()).collect::<Vec<_>>() })
        })
        .collect();
    crate::audit::record_many(
        conn,
        tenant,
        ids.iter()
            .zip(details)
            .map(|(id, details)| who.actor().event("account.import", id.as_str(), details)),
    )?;
    Ok(())
}

/// A record whose profile was deleted since its import.
fn erased(record: &Record) -> Skipped {
    Skipped {
        record: record.reference(),
        line: record.line,
        reason: "its person was erased: an import never brings them back".into(),
    }
}

/// A concurrent import created the account or mapped a record first.
fn raced(e: &AdminError) -> bool {
    use crate::db::StorageFailure;
    matches!(e, AdminError::Conflict(_))
        || e.storage_error()
            .is_some_and(crate::db::DbError::is_unique_violation)
}

impl Report {
    fn absorb(&mut self, other: Report) {
        self.created += other.created;
        self.accounts_created += other.accounts_created;
        self.unchanged.extend(other.unchanged);
        self.skipped.extend(other.skipped);
        self.duplicates.extend(other.duplicates);
        self.conflicts.extend(other.conflicts);
        self.errors.extend(other.errors);
        for role in other.roles_created {
            if !self.roles_created.contains(&role) {
                self.roles_created.push(role);
            }
        }
    }
}

/// The account one email's records become, or why they do not.
fn import_email(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    group: &[Record],
    options: Options,
    report: &mut Report,
) -> Result<(), AdminError> {
    let tenant = who.tenant();
    let mut pending = Vec::new();
    for record in group {
        match legacy_records::find(conn, tenant, &record.source, &record.legacy_id)? {
            Some(row) if row.profile_id.is_none() => report.skipped.push(erased(record)),
            Some(_) => report.unchanged.push(record.reference()),
            None => pending.push(record),
        }
    }
    let Some(first) = pending.first() else {
        return Ok(());
    };
    let email = first.email.clone();
    let references: Vec<String> = pending.iter().map(|r| r.reference()).collect();
    if let Some(existing) = identity::find_by_email(conn, vault, tenant, &email)? {
        let account = AccountId::from_stored(existing.id.clone());
        let reason = match legacy_records::account_state(conn, tenant, &account)? {
            None => "an account with this email already exists in the tenant (not imported): nothing is merged into it",
            Some(state) if state != fingerprint(&existing) => "the account was changed after its import: an import never overwrites it",
            Some(_) => "",
        };
        if !reason.is_empty() {
            report.conflicts.push(Conflict {
                email: email.to_string(),
                records: references,
                reason: reason.into(),
            });
            return Ok(());
        }
        // An account this import made and nobody changed since: the new records join it
        // as profiles; its password stays.
        if !options.dry_run {
            let account = account.clone();
            let roles = &mut report.roles_created;
            audited(conn, who, "account.import", |conn| {
                let now = crate::domain::unix_now();
                for record in &pending {
                    add_profile(conn, vault, who, &account, record, roles)?;
                }
                settle(conn, tenant, &account, now)?;
                Ok(Audited {
                    target: account.to_string(),
                    details: json!({ "records": references, "added_to_existing": true }),
                    result: (),
                })
            })?;
        }
        if options.dry_run {
            missing_roles(conn, who, &pending, &mut report.roles_created)?;
        }
        report.created += pending.len();
        return Ok(());
    }

    let Some(kept) = credential(&pending, options.on_conflict, &email, report) else {
        return Ok(());
    };
    if !options.dry_run {
        let roles = &mut report.roles_created;
        let kept_record = &pending[kept];
        audited(conn, who, "account.import", |conn| {
            let new = NewAccount::imported(email.as_str(), kept_record.password_hash.as_deref())
                .map_err(super::accounts::account_error)?
                .named(Some(&profile_name(kept_record)));
            let account = identity::insert_account(conn, vault, tenant, &new)
                .map_err(super::accounts::account_error)?;
            let now = crate::domain::unix_now();
            // The address was proven in one of the systems: it is verified, whichever
            // record's password is kept.
            if pending.iter().any(|r| r.email_confirmed) {
                crate::db::accounts::set_email_verified(conn, tenant, &account.id, now)?;
            }
            if pending.iter().any(|r| r.suspended) {
                identity::suspend(conn, vault, tenant, &account.id, who.actor())
                    .map_err(super::accounts::account_error)?;
            }
            let default = crate::profiles::list(conn, vault, tenant, &account.id)
                .map_err(super::profiles::profile_error)?
                .into_iter()
                .next()
                .ok_or_else(|| AdminError::Internal("an account without a profile".into()))?;
            fill_profile(conn, vault, who, &default.id, kept_record, roles)?;
            map(conn, who, &account.id, &default.id, kept_record, now)?;
            for (index, record) in pending.iter().enumerate() {
                if index != kept {
                    add_profile(conn, vault, who, &account.id, record, roles)?;
                }
            }
            settle(conn, tenant, &account.id, crate::domain::unix_now())?;
            Ok(Audited {
                target: account.id.to_string(),
                details: json!({ "records": references }),
                result: (),
            })
        })?;
    }
    if options.dry_run {
        missing_roles(conn, who, &pending, &mut report.roles_created)?;
    }
    report.accounts_created += 1;
    report.created += pending.len();
    Ok(())
}

/// The roles `records` name that do not exist yet: what a dry run reports as created.
fn missing_roles(
    conn: &mut AnyConnection,
    who: &Principal,
    records: &[&Record],
    roles_created: &mut Vec<String>,
) -> Result<(), AdminError> {
    for role in records.iter().flat_map(|r| r.roles.iter()) {
        if roles_created.contains(role) {
            continue;
        }
        if crate::profiles::role::find(conn, who.tenant(), role)
            .map_err(super::roles::role_error)?
            .is_none()
        {
            roles_created.push(role.clone());
        }
    }
    Ok(())
}

/// What an import remembers of an account row to tell, next time, whether anyone changed it
/// since: its password hash (a sign-in re-hashes it), status, verification and update time.
fn fingerprint(row: &crate::db::accounts::AccountRow) -> String {
    use sha2::Digest;
    let state = json!([
        row.password_hash,
        row.status,
        row.email_verified_at,
        row.updated_at,
        row.locked_until,
    ]);
    hex::encode(sha2::Sha256::digest(state.to_string().as_bytes()))
}

/// Records the account as this import leaves it: its own writes are not a later change.
fn settle(
    conn: &mut AnyConnection,
    tenant: &crate::domain::TenantId,
    account: &AccountId,
    now: i64,
) -> Result<(), AdminError> {
    let row = crate::db::accounts::find(conn, tenant, account)?
        .ok_or_else(|| AdminError::Internal("the imported account vanished".into()))?;
    legacy_records::touch_account(conn, tenant, account, now, &fingerprint(&row))?;
    Ok(())
}

/// Which record's password the new account keeps (an index into `records`), reporting
/// duplicates and, under `skip`, conflicts; `None` when the email is skipped.
fn credential(
    records: &[&Record],
    policy: OnConflict,
    email: &Email,
    report: &mut Report,
) -> Option<usize> {
    let references = || records.iter().map(|r| r.reference()).collect::<Vec<_>>();
    let hashes: HashSet<&str> = records
        .iter()
        .filter_map(|r| r.password_hash.as_deref())
        .collect();
    let first_with_hash = records.iter().position(|r| r.password_hash.is_some());
    let (kept, reason) = if hashes.len() <= 1 {
        (
            first_with_hash.unwrap_or(0),
            if hashes.is_empty() {
                "no record has a password"
            } else {
                "the records agree on the password"
            },
        )
    } else {
        match policy {
            OnConflict::Skip => {
                report.conflicts.push(Conflict {
                    email: email.to_string(),
                    records: references(),
                    reason: "the records hold different passwords (--on-conflict skip)".into(),
                });
                for record in records {
                    report.skipped.push(Skipped {
                        record: record.reference(),
                        line: record.line,
                        reason: "its email's records hold different passwords".into(),
                    });
                }
                return None;
            }
            OnConflict::First => (
                first_with_hash.unwrap_or(0),
                "the first record in the file with a password (--on-conflict first)",
            ),
            OnConflict::Newest => {
                let newest = records
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.password_hash.is_some())
                    .max_by_key(|(i, r)| (r.updated_at.unwrap_or(i64::MIN), std::cmp::Reverse(*i)))
                    .map_or(0, |(i, _)| i);
                (
                    newest,
                    "the most recently updated record with a password (--on-conflict newest)",
                )
            }
        }
    };
    if records.len() > 1 {
        report.duplicates.push(Duplicate {
            email: email.to_string(),
            records: references(),
            kept_credential: records[kept]
                .password_hash
                .as_ref()
                .map(|_| records[kept].reference()),
            reason: reason.into(),
        });
    }
    Some(kept)
}

/// The profile's name: the record's display name, else its kind.
fn profile_name(record: &Record) -> String {
    record
        .display_name
        .clone()
        .filter(|n| n.chars().count() <= MAX_PROFILE_NAME)
        .unwrap_or_else(|| record.kind.clone())
}

/// The record's profile name, made unique among `taken` (lowercased names): its display name,
/// else with its kind, else numbered.
/// A suffixed name is cut to fit, so a long display name cannot stop the import.
fn unique_name(record: &Record, taken: &HashSet<String>) -> String {
    let base = profile_name(record);
    let with = |suffix: String| {
        let room = MAX_PROFILE_NAME.saturating_sub(suffix.chars().count());
        let head: String = base.chars().take(room).collect();
        format!("{}{suffix}", head.trim_end())
    };
    std::iter::once(base.clone())
        .chain(std::iter::once(with(format!(" ({})", record.kind))))
        .chain((2..).map(|n| with(format!(" ({n})"))))
        .find(|n| !taken.contains(&n.to_lowercase()))
        .unwrap_or(base)
}

/// The longest profile name (`profiles` refuses longer ones).
const MAX_PROFILE_NAME: usize = 64;

/// A new profile on `account` for `record`, its name made unique on the account.
fn add_profile(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    account: &AccountId,
    record: &Record,
    roles: &mut Vec<String>,
) -> Result<(), AdminError> {
    let tenant = who.tenant();
    let taken: HashSet<String> = crate::profiles::list(conn, vault, tenant, account)
        .map_err(super::profiles::profile_error)?
        .into_iter()
        .map(|p| p.name.to_lowercase())
        .collect();
    let name = unique_name(record, &taken);
    let profile = crate::profiles::create(
        conn,
        vault,
        tenant,
        account,
        NewProfile {
            name,
            email: None,
            email_verified: false,
            picture: None,
            locale: None,
            attributes: None,
            make_default: false,
        },
    )
    .map_err(super::profiles::profile_error)?;
    fill_profile(conn, vault, who, &profile.id, record, roles)?;
    map(
        conn,
        who,
        account,
        &profile.id,
        record,
        crate::domain::unix_now(),
    )
}

/// The record's attributes and roles on its profile.
fn fill_profile(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    profile: &crate::domain::ProfileId,
    record: &Record,
    roles_created: &mut Vec<String>,
) -> Result<(), AdminError> {
    let tenant = who.tenant();
    if let Some(attributes) = &record.attributes {
        crate::profiles::update(
            conn,
            vault,
            tenant,
            profile,
            ProfileChanges {
                attributes: Some(attributes.to_string()),
                ..ProfileChanges::default()
            },
        )
        .map_err(super::profiles::profile_error)?;
    }
    for role in &record.roles {
        if crate::profiles::role::find(conn, tenant, role)
            .map_err(super::roles::role_error)?
            .is_none()
        {
            crate::profiles::role::create(conn, tenant, role).map_err(super::roles::role_error)?;
            if !roles_created.contains(role) {
                roles_created.push(role.clone());
            }
        }
        crate::profiles::role::grant(conn, tenant, role, profile)
            .map_err(super::roles::role_error)?;
    }
    Ok(())
}

fn map(
    conn: &mut AnyConnection,
    who: &Principal,
    account: &AccountId,
    profile: &crate::domain::ProfileId,
    record: &Record,
    now: i64,
) -> Result<(), AdminError> {
    legacy_records::insert(
        conn,
        &LegacyRecordRow {
            tenant_id: who.tenant().to_string(),
            source: record.source.clone(),
            legacy_id: record.legacy_id.clone(),
            kind: record.kind.clone(),
            account_id: account.to_string(),
            profile_id: Some(profile.to_string()),
            imported_at: now,
            // Set by `settle` once the account is as the import leaves it.
            account_state: String::new(),
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Argon2Settings;

    fn hasher() -> PasswordHasher {
        PasswordHasher::from_settings(&Argon2Settings {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
            max_concurrent: 0,
        })
        .unwrap()
    }

    fn line(id: &str, email: &str) -> String {
        json!({"source": "shop", "legacy_id": id, "kind": "customer", "email": email}).to_string()
    }

    #[test]
    fn a_long_name_made_unique_still_fits_a_profile_name() {
        // Two records of one email, both with a 64-character name: the second profile's
        // name gets a suffix and must stay a valid name, or the whole import stops.
        let name = "N".repeat(64);
        let mut record = parse_record(&hasher(), 1, &line("1", "ada@example.com")).unwrap();
        record.display_name = Some(name.clone());
        let mut taken = HashSet::from([name.to_lowercase()]);
        for _ in 0..3 {
            let unique = unique_name(&record, &taken);
            assert!(unique.chars().count() <= 64, "{unique}");
            assert!(!taken.contains(&unique.to_lowercase()), "{unique}");
            taken.insert(unique.to_lowercase());
        }
    }

    #[test]
    fn records_are_grouped_by_email_and_read_again_by_offset() {
        // CRLF and LF lines, a blank line, a bad line, a repeated legacy id, and an email
        // coming back in another case far from its first record.
        let text = [
            line("1", "ada@example.com"),
            line("2", "bob@example.com"),
            String::new(),
            "{broken".to_owned(),
            line("3", "Ada@Example.com"),
            line("2", "carol@example.com"),
            line("4", "carol@example.com"),
        ]
        .join("\r\n")
            + "\n";
        let mut batch = Batch::read(&hasher(), std::io::Cursor::new(text.into_bytes())).unwrap();
        assert_eq!(batch.records(), 6);
        assert_eq!(batch.accounts(), 3);
        let lines: Vec<usize> = batch.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [4, 6]);
        let first = batch.take(2).unwrap();
        let refs: Vec<Vec<String>> = first
            .iter()
            .map(|g| g.iter().map(Record::reference).collect())
            .collect();
        assert_eq!(refs, [vec!["shop:1", "shop:3"], vec!["shop:2"]]);
        assert_eq!(first[0][1].line, 5);
        let rest = batch.take(2).unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0][0].email.as_str(), "carol@example.com");
        assert!(batch.take(2).unwrap().is_empty());
    }
}
