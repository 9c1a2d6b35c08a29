//! Legacy imports through the admin API: an NDJSON upload becomes a job that runs in the
//! background on the node that took it (`admin::import` does the work, exactly as
//! `tessera import` does), with its progress and, once done, its report read by id.
//!
//! A job that loses its node (a restart, a crash) stops sending its heartbeat and is shown as
//! `interrupted`. Imports are idempotent, so uploading the same file again finishes it: what
//! committed is reported `unchanged`, the rest is imported.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::import::{self, Batch, OnConflict, Options};
use super::{audited, AdminError, Audited, Page, PageRequest, Permission, Principal};
use crate::db::import_jobs::{self as rows, Finish, JobRow};
use crate::db::{tx, AnyConnection};
use crate::domain::{rfc3339, unix_now};
use crate::identity::password::PasswordHasher;
use crate::keys::envelope;
use crate::keys::vault::import_report_binding;
use crate::keys::Vault;

/// A running job whose heartbeat is older than this lost its node.
const STALE_SECS: i64 = 120;
/// How often a running job records its progress.
const HEARTBEAT_SECS: u64 = 2;

/// A job as the API shows it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ImportJob {
    pub id: String,
    /// `running`, `done`, `failed`, or `interrupted` (its node stopped: upload the file again).
    pub status: String,
    pub dry_run: bool,
    pub on_conflict: String,
    /// Lines with a record, and the emails (accounts) they name.
    pub records: i64,
    pub emails: i64,
    pub emails_done: i64,
    pub created_by: String,
    pub created_at: String,
    pub finished_at: Option<String>,
    pub error: Option<String>,
    /// The report (as `tessera import` prints it), once done; only when one job is read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<Value>,
}

/// The query of `POST /imports`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobRequest {
    #[serde(default)]
    pub dry_run: bool,
    /// `newest` (default), `first` or `skip`.
    pub on_conflict: Option<String>,
}

impl JobRequest {
    pub fn options(&self) -> Result<Options, AdminError> {
        let on_conflict = match &self.on_conflict {
            Some(text) => text
                .parse::<OnConflict>()
                .map_err(|e| AdminError::Invalid(e.replace("--on-conflict", "on_conflict")))?,
            None => OnConflict::default(),
        };
        Ok(Options {
            on_conflict,
            dry_run: self.dry_run,
        })
    }
}

fn on_conflict_name(policy: OnConflict) -> String {
    serde_json::to_value(policy)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn view(row: JobRow, report: Option<Value>, now: i64) -> ImportJob {
    let status = if row.status == "running" && row.updated_at < now - STALE_SECS {
        "interrupted".to_owned()
    } else {
        row.status
    };
    ImportJob {
        id: row.id,
        status,
        dry_run: row.dry_run,
        on_conflict: row.on_conflict,
        records: row.records,
        emails: row.emails,
        emails_done: row.emails_done,
        created_by: row.created_by,
        created_at: rfc3339(row.created_at),
        finished_at: row.finished_at.map(rfc3339),
        error: row.error,
        report,
    }
}

/// An upload, read twice over (`Batch` groups it, then parses each email's records again).
pub type Upload = std::io::Cursor<Vec<u8>>;

/// Reads an upload and records its job (`running`); the caller runs [`execute`] next, in the
/// background. Refuses an upload without a record before anything is stored.
pub fn start(
    conn: &mut AnyConnection,
    who: &Principal,
    hasher: &PasswordHasher,
    upload: Vec<u8>,
    options: Options,
) -> Result<(ImportJob, Batch<Upload>), AdminError> {
    who.require(Permission::AccountsWrite)?;
    let batch = Batch::read(hasher, std::io::Cursor::new(upload)).map_err(|_| {
        AdminError::Invalid("the upload must be UTF-8 text: one JSON record per line".into())
    })?;
    if batch.records() == 0 {
        return Err(AdminError::Invalid(
            "the upload holds no records: send one JSON record per line (docs/import.md)".into(),
        ));
    }
    let now = unix_now();
    let row = JobRow {
        id: uuid::Uuid::now_v7().to_string(),
        tenant_id: who.tenant().to_string(),
        status: "running".into(),
        dry_run: options.dry_run,
        on_conflict: on_conflict_name(options.on_conflict),
        records: batch.records() as i64,
        emails: batch.accounts() as i64,
        emails_done: 0,
        created_by: who.actor().id.clone(),
        created_at: now,
        updated_at: now,
        finished_at: None,
        error: None,
        report: None,
        master_key_id: None,
    };
    audited(conn, who, "import.start", |conn| {
        rows::insert(conn, &row)?;
        Ok(Audited {
            target: row.id.clone(),
            details: json!({
                "records": row.records,
                "emails": row.emails,
                "dry_run": row.dry_run,
                "on_conflict": row.on_conflict,
            }),
            result: (),
        })
    })?;
    Ok((view(row, None, now), batch))
}

/// Runs a started job to its end and records how it ended (its report sealed under the
/// master key). Never fails: a failure is the job's outcome.
pub fn execute(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    job: &str,
    batch: Batch<Upload>,
    options: Options,
) {
    let mut last = std::time::Instant::now();
    let mut done_so_far = 0;
    let outcome = {
        let mut heartbeat = |conn: &mut AnyConnection, done: usize, total: usize| {
            done_so_far = done;
            let due = last.elapsed() >= std::time::Duration::from_secs(HEARTBEAT_SECS);
            if due || done == total {
                last = std::time::Instant::now();
                // Progress is a hint: a busy database skips one beat, never the import.
                let _ = tx::write(conn, |conn| {
                    rows::progress(conn, job, done as i64, unix_now())
                });
            }
        };
        import::run(conn, vault, who, batch, options, &mut heartbeat)
    };
    let now = unix_now();
    let result = match outcome {
        Ok(report) => seal(vault, who, job, &report).map(|sealed| (report, sealed)),
        Err(e) => Err(e),
    };
    let recorded = match &result {
        Ok((report, sealed)) => audited(conn, who, "import.finish", |conn| {
            let end = Finish {
                status: "done",
                emails_done: done_so_far as i64,
                error: None,
                report: Some((&sealed.ciphertext, &sealed.master_key_id)),
            };
            rows::finish(conn, job, &end, now)?;
            Ok(Audited {
                target: job.to_owned(),
                details: json!({
                    "created": report.created,
                    "accounts_created": report.accounts_created,
                    "unchanged": report.unchanged.len(),
                    "skipped": report.skipped.len(),
                    "conflicts": report.conflicts.len(),
                    "errors": report.errors.len(),
                }),
                result: (),
            })
        }),
        Err(e) => {
            tracing::warn!(job, error = %e, "an import job failed");
            let message = e.to_string();
            audited(conn, who, "import.fail", |conn| {
                let end = Finish {
                    status: "failed",
                    emails_done: done_so_far as i64,
                    error: Some(&message),
                    report: None,
                };
                rows::finish(conn, job, &end, now)?;
                Ok(Audited {
                    target: job.to_owned(),
                    details: json!({ "error": message }),
                    result: (),
                })
            })
        }
    };
    if let Err(e) = recorded {
        // The heartbeat stops: the job reads as interrupted, and a new upload finishes it.
        tracing::error!(job, error = %e, "an import job's outcome could not be recorded");
    }
}

fn seal(
    vault: &Vault,
    who: &Principal,
    job: &str,
    report: &import::Report,
) -> Result<envelope::Sealed, AdminError> {
    let json = serde_json::to_vec(report).map_err(|e| AdminError::Internal(e.to_string()))?;
    envelope::seal(
        vault.master(),
        &json,
        &import_report_binding(who.tenant().as_str(), job),
    )
    .map_err(|e| AdminError::Internal(e.to_string()))
}

pub fn get(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    id: &str,
) -> Result<ImportJob, AdminError> {
    who.require(Permission::AccountsWrite)?;
    let row = rows::find(conn, who.tenant(), id)?.ok_or(AdminError::NotFound)?;
    let report = match (&row.report, &row.master_key_id) {
        (Some(sealed), Some(key)) => {
            let binding = import_report_binding(&row.tenant_id, &row.id);
            let json = envelope::open(vault.master(), key, sealed, &binding)
                .map_err(|e| AdminError::Internal(e.to_string()))?;
            Some(serde_json::from_slice(&json).map_err(|e| AdminError::Internal(e.to_string()))?)
        }
        _ => None,
    };
    Ok(view(row, report, unix_now()))
}

pub fn list(
    conn: &mut AnyConnection,
    who: &Principal,
    page: &PageRequest,
) -> Result<Page<ImportJob>, AdminError> {
    who.require(Permission::AccountsWrite)?;
    let limit = page.limit();
    let rows = rows::list(conn, who.tenant(), page.after.as_deref(), limit as i64 + 1)?;
    let now = unix_now();
    let jobs = rows.into_iter().map(|row| view(row, None, now)).collect();
    Ok(Page::from_overfetch(jobs, limit, |j| j.id.clone()))
}
