//! Reading the audit log: filter by actor, action and time, newest first; export as JSON lines.

use serde::Serialize;

use super::{AdminError, Page, PageRequest, Permission, Principal};
use crate::db::audit::{self as rows, AuditFilter, AuditRow, Cursor};
use crate::db::AnyConnection;
use crate::domain::rfc3339;

const EXPORT_BATCH: i64 = 1000;

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub ip: String,
    pub details: serde_json::Value,
    /// This entry's link in the tenant's hash chain.
    pub hash: String,
}

impl From<AuditRow> for AuditEntry {
    fn from(row: AuditRow) -> AuditEntry {
        AuditEntry {
            seq: row.seq,
            at: rfc3339(row.at),
            actor: row.actor,
            action: row.action,
            target: row.target,
            ip: row.ip,
            details: serde_json::from_str(&row.details).unwrap_or(serde_json::Value::Null),
            hash: row.hash,
        }
    }
}

/// Matching entries, newest first; the cursor is a sequence number.
pub fn list(
    conn: &mut AnyConnection,
    who: &Principal,
    filter: &AuditFilter,
    page: &PageRequest,
) -> Result<Page<AuditEntry>, AdminError> {
    who.require(Permission::AuditRead)?;
    crate::audit::chain_pending(conn, who.tenant())?;
    let before = match page.after.as_deref() {
        None | Some("") => None,
        Some(cursor) => Some(
            cursor
                .parse::<i64>()
                .map_err(|_| AdminError::Invalid("the cursor must be a sequence number".into()))?,
        ),
    };
    let limit = page.limit();
    let found = rows::search(
        conn,
        who.tenant(),
        filter,
        Cursor::NewestBefore(before),
        limit as i64 + 1,
    )?;
    Ok(Page::from_overfetch(found, limit, |row| row.seq.to_string()).map(AuditEntry::from))
}

/// Every matching entry, oldest first, as JSON lines.
pub fn export(
    conn: &mut AnyConnection,
    who: &Principal,
    filter: &AuditFilter,
) -> Result<String, AdminError> {
    who.require(Permission::AuditRead)?;
    crate::audit::chain_pending(conn, who.tenant())?;
    let mut out = String::new();
    let mut after = 0;
    loop {
        let batch = rows::search(
            conn,
            who.tenant(),
            filter,
            Cursor::OldestAfter(after),
            EXPORT_BATCH,
        )?;
        let Some(last) = batch.last() else {
            return Ok(out);
        };
        after = last.seq;
        for row in batch {
            let line = serde_json::to_string(&AuditEntry::from(row))
                .map_err(|e| AdminError::Internal(e.to_string()))?;
            out.push_str(&line);
            out.push('\n');
        }
    }
}
