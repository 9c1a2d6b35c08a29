//! Webhook subscriptions and the deliveries of events (`webhook_subscriptions`,
//! `event_deliveries`: to a subscription, or a back-channel logout to a client). A delivery
//! is sent by whichever node leases it first; a lease is a conditional update, so two nodes
//! never hold one delivery at the same time.

use diesel::dsl::{exists, not};
use diesel::prelude::*;

use super::schema::event_deliveries as deliveries;
use super::schema::webhook_subscriptions as subscriptions;
use super::{AnyConnection, DbError};
use crate::domain::TenantId;

pub const PENDING: &str = "pending";
pub const DELIVERED: &str = "delivered";
pub const DEAD: &str = "dead";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = subscriptions)]
pub struct SubscriptionRow {
    pub id: String,
    pub tenant_id: String,
    pub url: String,
    pub event_types: String,
    pub secret: Vec<u8>,
    pub master_key_id: String,
    pub include_personal_data: bool,
    pub enabled: bool,
    pub description: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = subscriptions)]
pub struct SubscriptionChanges {
    pub url: Option<String>,
    pub event_types: Option<String>,
    pub include_personal_data: Option<bool>,
    pub enabled: Option<bool>,
    pub description: Option<String>,
    pub updated_at: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = deliveries)]
pub struct DeliveryRow {
    pub id: String,
    pub tenant_id: String,
    /// A webhook delivery's subscription…
    pub subscription_id: Option<String>,
    /// …or a back-channel logout's client.
    pub client_id: Option<String>,
    pub event_id: String,
    pub event_position: i64,
    pub subject: String,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at_ms: i64,
    pub leased_until_ms: Option<i64>,
    pub lease_token: Option<String>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

pub fn insert_subscription(conn: &mut AnyConnection, row: &SubscriptionRow) -> Result<(), DbError> {
    diesel::insert_into(subscriptions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Makes the tenant's subscription changes take turns until the transaction ends, so a
/// count checked before an insert still holds at commit (PostgreSQL: a transaction-scoped
/// advisory lock; SQLite's write transaction already excludes other writers). Locks nothing
/// else a business transaction takes.
pub fn lock_subscriptions(conn: &mut AnyConnection, tenant: &TenantId) -> Result<(), DbError> {
    if let AnyConnection::Postgresql(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind::<diesel::sql_types::Text, _>(format!("webhook subscriptions {tenant}"))
            .execute(pg)?;
    }
    Ok(())
}

pub fn subscriptions(
    conn: &mut AnyConnection,
    tenant: &TenantId,
) -> Result<Vec<SubscriptionRow>, DbError> {
    Ok(subscriptions::table
        .filter(subscriptions::tenant_id.eq(tenant.as_str()))
        .order(subscriptions::created_at.asc())
        .select(SubscriptionRow::as_select())
        .load(conn)?)
}

/// Enabled subscriptions of several tenants (the fan-out of a batch of events).
pub fn enabled_for(
    conn: &mut AnyConnection,
    tenants: &[String],
) -> Result<Vec<SubscriptionRow>, DbError> {
    Ok(subscriptions::table
        .filter(subscriptions::tenant_id.eq_any(tenants))
        .filter(subscriptions::enabled.eq(true))
        .select(SubscriptionRow::as_select())
        .load(conn)?)
}

pub fn subscription(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &str,
) -> Result<Option<SubscriptionRow>, DbError> {
    Ok(subscriptions::table
        .filter(subscriptions::tenant_id.eq(tenant.as_str()))
        .filter(subscriptions::id.eq(id))
        .select(SubscriptionRow::as_select())
        .first(conn)
        .optional()?)
}

/// Subscriptions by id, any tenant (the senders of a batch of deliveries).
pub fn subscriptions_by_id(
    conn: &mut AnyConnection,
    ids: &[String],
) -> Result<Vec<SubscriptionRow>, DbError> {
    Ok(subscriptions::table
        .filter(subscriptions::id.eq_any(ids))
        .select(SubscriptionRow::as_select())
        .load(conn)?)
}

pub fn update_subscription(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &str,
    changes: &SubscriptionChanges,
) -> Result<bool, DbError> {
    Ok(diesel::update(
        subscriptions::table
            .filter(subscriptions::tenant_id.eq(tenant.as_str()))
            .filter(subscriptions::id.eq(id)),
    )
    .set(changes)
    .execute(conn)?
        == 1)
}

pub fn set_secret(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &str,
    secret: &[u8],
    master_key_id: &str,
    now: i64,
) -> Result<bool, DbError> {
    Ok(diesel::update(
        subscriptions::table
            .filter(subscriptions::tenant_id.eq(tenant.as_str()))
            .filter(subscriptions::id.eq(id)),
    )
    .set((
        subscriptions::secret.eq(secret),
        subscriptions::master_key_id.eq(master_key_id),
        subscriptions::updated_at.eq(now),
    ))
    .execute(conn)?
        == 1)
}

/// Deletes a subscription with its deliveries.
pub fn delete_subscription(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &str,
) -> Result<bool, DbError> {
    diesel::delete(
        deliveries::table
            .filter(deliveries::tenant_id.eq(tenant.as_str()))
            .filter(deliveries::subscription_id.eq(id)),
    )
    .execute(conn)?;
    Ok(diesel::delete(
        subscriptions::table
            .filter(subscriptions::tenant_id.eq(tenant.as_str()))
            .filter(subscriptions::id.eq(id)),
    )
    .execute(conn)?
        == 1)
}

/// Adds deliveries; one that exists already (a node fanned the event out first) is kept.
pub fn insert_deliveries(conn: &mut AnyConnection, rows: &[DeliveryRow]) -> Result<(), DbError> {
    // `ON CONFLICT` is engine syntax (diesel's multi-connection backend does not carry it).
    macro_rules! insert_each {
        ($conn:expr) => {
            for row in rows {
                let insert = diesel::insert_into(deliveries::table).values(row);
                if row.subscription_id.is_some() {
                    insert
                        .on_conflict((deliveries::subscription_id, deliveries::event_id))
                        .do_nothing()
                        .execute($conn)?;
                } else {
                    insert
                        .on_conflict((deliveries::client_id, deliveries::event_id))
                        .do_nothing()
                        .execute($conn)?;
                }
            }
        };
    }
    match conn {
        AnyConnection::Postgresql(pg) => insert_each!(pg),
        AnyConnection::Sqlite(lite) => insert_each!(lite),
    }
    Ok(())
}

/// Pending deliveries whose time has come, nobody holds, and no earlier delivery of the same
/// subject to the same subscription waits before: the ones that may be sent now, oldest
/// event first.
pub fn due(conn: &mut AnyConnection, now_ms: i64, limit: i64) -> Result<Vec<DeliveryRow>, DbError> {
    let earlier = diesel::alias!(deliveries as earlier);
    let blocked = earlier
        .filter(
            earlier
                .field(deliveries::subscription_id)
                .eq(deliveries::subscription_id),
        )
        .filter(earlier.field(deliveries::subject).eq(deliveries::subject))
        .filter(earlier.field(deliveries::state).eq(PENDING))
        .filter(
            earlier
                .field(deliveries::event_position)
                .lt(deliveries::event_position),
        );
    Ok(deliveries::table
        .filter(deliveries::state.eq(PENDING))
        .filter(deliveries::next_attempt_at_ms.le(now_ms))
        .filter(
            deliveries::leased_until_ms
                .is_null()
                .or(deliveries::leased_until_ms.le(now_ms)),
        )
        .filter(not(exists(blocked)))
        .order(deliveries::event_position.asc())
        .limit(limit)
        .select(DeliveryRow::as_select())
        .load(conn)?)
}

/// Takes a delivery for sending until `until_ms`; false when another node holds it or it is
/// no longer pending.
pub fn lease(
    conn: &mut AnyConnection,
    id: &str,
    token: &str,
    now_ms: i64,
    until_ms: i64,
) -> Result<bool, DbError> {
    Ok(diesel::update(
        deliveries::table
            .filter(deliveries::id.eq(id))
            .filter(deliveries::state.eq(PENDING))
            .filter(
                deliveries::leased_until_ms
                    .is_null()
                    .or(deliveries::leased_until_ms.le(now_ms)),
            ),
    )
    .set((
        deliveries::leased_until_ms.eq(Some(until_ms)),
        deliveries::lease_token.eq(Some(token)),
    ))
    .execute(conn)?
        == 1)
}

/// What became of one attempt.
pub struct Attempted<'a> {
    pub state: &'a str,
    pub attempts: i64,
    pub next_attempt_at_ms: i64,
    pub status: Option<i64>,
    pub error: Option<&'a str>,
    pub finished_at: Option<i64>,
}

/// Records an attempt by the holder of the lease (a holder whose lease ran out and was taken
/// over changes nothing).
pub fn record_attempt(
    conn: &mut AnyConnection,
    id: &str,
    token: &str,
    attempted: &Attempted,
) -> Result<bool, DbError> {
    Ok(diesel::update(
        deliveries::table
            .filter(deliveries::id.eq(id))
            .filter(deliveries::lease_token.eq(token)),
    )
    .set((
        deliveries::state.eq(attempted.state),
        deliveries::attempts.eq(attempted.attempts),
        deliveries::next_attempt_at_ms.eq(attempted.next_attempt_at_ms),
        deliveries::last_status.eq(attempted.status),
        deliveries::last_error.eq(attempted.error),
        deliveries::finished_at.eq(attempted.finished_at),
        deliveries::leased_until_ms.eq(None::<i64>),
        deliveries::lease_token.eq(None::<String>),
    ))
    .execute(conn)?
        == 1)
}

/// The subscription's deliveries in one state (or all), newest first.
pub fn deliveries(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    subscription: &str,
    state: Option<&str>,
    limit: i64,
) -> Result<Vec<DeliveryRow>, DbError> {
    let mut query = deliveries::table
        .filter(deliveries::tenant_id.eq(tenant.as_str()))
        .filter(deliveries::subscription_id.eq(subscription))
        .order(deliveries::event_position.desc())
        .limit(limit)
        .select(DeliveryRow::as_select())
        .into_boxed();
    if let Some(state) = state {
        query = query.filter(deliveries::state.eq(state.to_owned()));
    }
    Ok(query.load(conn)?)
}

/// How many of the subscription's deliveries are in `state`.
pub fn count(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    subscription: &str,
    state: &str,
) -> Result<i64, DbError> {
    Ok(deliveries::table
        .filter(deliveries::tenant_id.eq(tenant.as_str()))
        .filter(deliveries::subscription_id.eq(subscription))
        .filter(deliveries::state.eq(state))
        .count()
        .get_result(conn)?)
}

/// Puts dead deliveries of the subscription (one, or all when `id` is `None`) back in line,
/// to be sent at once; returns how many.
pub fn redeliver(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    subscription: &str,
    id: Option<&str>,
    now_ms: i64,
) -> Result<usize, DbError> {
    let mut target = diesel::update(deliveries::table)
        .filter(deliveries::tenant_id.eq(tenant.as_str()))
        .filter(deliveries::subscription_id.eq(subscription))
        .filter(deliveries::state.eq(DEAD))
        .into_boxed();
    if let Some(id) = id {
        target = target.filter(deliveries::id.eq(id.to_owned()));
    }
    Ok(target
        .set((
            deliveries::state.eq(PENDING),
            deliveries::attempts.eq(0),
            deliveries::next_attempt_at_ms.eq(now_ms),
            deliveries::finished_at.eq(None::<i64>),
        ))
        .execute(conn)?)
}

/// How many deliveries, of every tenant, are in `state`.
pub fn count_all(conn: &mut AnyConnection, state: &str) -> Result<i64, DbError> {
    Ok(deliveries::table
        .filter(deliveries::state.eq(state))
        .count()
        .get_result(conn)?)
}

/// When the oldest event whose delivery is still pending happened (Unix seconds).
pub fn oldest_pending_event_at(conn: &mut AnyConnection) -> Result<Option<i64>, DbError> {
    use super::schema::outbox_events as events;
    let position: Option<i64> = deliveries::table
        .filter(deliveries::state.eq(PENDING))
        .select(diesel::dsl::min(deliveries::event_position))
        .first(conn)?;
    let Some(position) = position else {
        return Ok(None);
    };
    Ok(events::table
        .filter(events::position.eq(position))
        .select(events::occurred_at)
        .first(conn)
        .optional()?)
}
