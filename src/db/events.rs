//! The transactional outbox (`outbox_events`): event rows written in the transaction of the
//! change they describe, read back in `position` order.

use diesel::prelude::*;

use super::schema::outbox_events as events;
use super::{AnyConnection, DbError};
use crate::domain::TenantId;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct EventRow {
    pub position: i64,
    pub id: String,
    pub tenant_id: String,
    pub event_type: String,
    pub subject: String,
    pub occurred_at: i64,
    pub body: String,
    pub dispatched: bool,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = events)]
pub struct NewEventRow<'a> {
    pub id: &'a str,
    pub tenant_id: &'a str,
    pub event_type: &'a str,
    pub subject: &'a str,
    pub occurred_at: i64,
    pub body: &'a str,
    pub dispatched: bool,
}

pub fn insert(conn: &mut AnyConnection, row: &NewEventRow) -> Result<(), DbError> {
    diesel::insert_into(events::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Many events in order, one statement per `ROWS_PER_INSERT` (an import).
pub fn insert_many(conn: &mut AnyConnection, rows: &[NewEventRow]) -> Result<(), DbError> {
    super::insert_many!(conn, events::table, rows)
}

/// The oldest events not yet handed to subscriptions, any tenant.
pub fn undispatched(conn: &mut AnyConnection, limit: i64) -> Result<Vec<EventRow>, DbError> {
    Ok(events::table
        .filter(events::dispatched.eq(false))
        .order(events::position.asc())
        .limit(limit)
        .select(EventRow::as_select())
        .load(conn)?)
}

pub fn mark_dispatched(conn: &mut AnyConnection, positions: &[i64]) -> Result<(), DbError> {
    diesel::update(events::table.filter(events::position.eq_any(positions)))
        .set(events::dispatched.eq(true))
        .execute(conn)?;
    Ok(())
}

/// Events not yet handed to subscriptions (the outbox backlog).
pub fn backlog(conn: &mut AnyConnection) -> Result<i64, DbError> {
    Ok(events::table
        .filter(events::dispatched.eq(false))
        .count()
        .get_result(conn)?)
}

/// The tenant's events after `after` (a position), oldest first, optionally of some types.
pub fn list(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    after: i64,
    types: &[String],
    limit: i64,
) -> Result<Vec<EventRow>, DbError> {
    let mut query = events::table
        .filter(events::tenant_id.eq(tenant.as_str()))
        .filter(events::position.gt(after))
        .order(events::position.asc())
        .limit(limit)
        .select(EventRow::as_select())
        .into_boxed();
    if !types.is_empty() {
        query = query.filter(events::event_type.eq_any(types));
    }
    Ok(query.load(conn)?)
}

/// One event by id.
pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<EventRow>, DbError> {
    Ok(events::table
        .filter(events::id.eq(id))
        .select(EventRow::as_select())
        .first(conn)
        .optional()?)
}

/// Several events by id (the bodies a batch of deliveries sends).
pub fn find_many(conn: &mut AnyConnection, ids: &[String]) -> Result<Vec<EventRow>, DbError> {
    Ok(events::table
        .filter(events::id.eq_any(ids))
        .select(EventRow::as_select())
        .load(conn)?)
}
