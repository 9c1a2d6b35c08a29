//! Import jobs started through the admin API (`import_jobs`): status, progress heartbeat and
//! the sealed report.

use diesel::prelude::*;

use super::schema::import_jobs as jobs;
use super::{AnyConnection, DbError};
use crate::domain::TenantId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = jobs)]
pub struct JobRow {
    pub id: String,
    pub tenant_id: String,
    /// `running`, `done` or `failed`.
    pub status: String,
    pub dry_run: bool,
    pub on_conflict: String,
    pub records: i64,
    pub emails: i64,
    pub emails_done: i64,
    pub created_by: String,
    pub created_at: i64,
    /// The heartbeat: set with every progress report.
    pub updated_at: i64,
    pub finished_at: Option<i64>,
    pub error: Option<String>,
    /// The JSON report, sealed under the master key named beside it.
    pub report: Option<Vec<u8>>,
    pub master_key_id: Option<String>,
}

pub fn insert(conn: &mut AnyConnection, row: &JobRow) -> Result<(), DbError> {
    diesel::insert_into(jobs::table).values(row).execute(conn)?;
    Ok(())
}

pub fn find(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &str,
) -> Result<Option<JobRow>, DbError> {
    Ok(jobs::table
        .filter(jobs::tenant_id.eq(tenant.as_str()))
        .filter(jobs::id.eq(id))
        .select(JobRow::as_select())
        .first(conn)
        .optional()?)
}

/// Up to `limit` jobs after `after`, oldest first.
pub fn list(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<JobRow>, DbError> {
    let mut query = jobs::table
        .filter(jobs::tenant_id.eq(tenant.as_str()))
        .select(JobRow::as_select())
        .order(jobs::id)
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(jobs::id.gt(after.to_owned()));
    }
    Ok(query.load(conn)?)
}

/// Records progress (and so the heartbeat) of a running job.
pub fn progress(
    conn: &mut AnyConnection,
    id: &str,
    emails_done: i64,
    now: i64,
) -> Result<(), DbError> {
    diesel::update(
        jobs::table
            .filter(jobs::id.eq(id))
            .filter(jobs::status.eq("running")),
    )
    .set((jobs::emails_done.eq(emails_done), jobs::updated_at.eq(now)))
    .execute(conn)?;
    Ok(())
}

/// How a job ended.
pub struct Finish<'a> {
    pub status: &'a str,
    pub emails_done: i64,
    pub error: Option<&'a str>,
    pub report: Option<(&'a [u8], &'a str)>,
}

pub fn finish(conn: &mut AnyConnection, id: &str, end: &Finish, now: i64) -> Result<(), DbError> {
    diesel::update(jobs::table.filter(jobs::id.eq(id)))
        .set((
            jobs::status.eq(end.status),
            jobs::emails_done.eq(end.emails_done),
            jobs::error.eq(end.error),
            jobs::report.eq(end.report.map(|(bytes, _)| bytes)),
            jobs::master_key_id.eq(end.report.map(|(_, key)| key)),
            jobs::updated_at.eq(now),
            jobs::finished_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}
