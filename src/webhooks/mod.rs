//! Webhooks: a tenant's subscriptions, and the delivery of its events (`crate::events`) to
//! them, signed as Standard Webhooks.
//!
//! - A subscription names a URL, the event types it wants (`profile.updated`, `profile.*`,
//!   `*`) and has a secret, generated here, shown once, and kept sealed under the master key
//!   (it must be read back to sign).
//! - Delivery is at least once: every node runs [`delivery::run`], which hands new outbox
//!   events to the subscriptions that want them (one delivery row per event and subscription)
//!   and sends the deliveries that are due, each under a lease so two nodes never send one
//!   at the same time. A failure is retried with exponential back-off; after
//!   `webhooks.max_attempts` the delivery is a dead letter, kept until someone sends it again.
//! - Order is kept per subject: a delivery waits while an earlier one for the same account
//!   (or client) to the same subscription is still pending.
//! - Requests go through `crate::outbound`: no private addresses unless allowed.

pub mod delivery;
pub mod signature;

use serde::{Deserialize, Serialize};

use crate::db::webhooks::{self as rows, SubscriptionRow};
use crate::db::{tx, AnyConnection, DbError};
use crate::domain::{rfc3339, unix_now, TenantId};
use crate::keys::envelope;
use crate::keys::vault::webhook_secret_binding;
use crate::keys::MasterKey;

/// Most subscriptions a tenant may have.
pub const MAX_SUBSCRIPTIONS: usize = 20;
const MAX_URL: usize = 2048;
const MAX_DESCRIPTION: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("no such subscription")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    #[error("the secret could not be sealed or opened: {0}")]
    Sealed(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::storage_failure!(WebhookError);

/// A subscription as administrators see it (never its secret).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Subscription {
    pub id: String,
    pub url: String,
    pub event_types: Vec<String>,
    /// Deliveries carry the subject's current personal values (`data.values`).
    pub include_personal_data: bool,
    pub enabled: bool,
    pub description: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<SubscriptionRow> for Subscription {
    fn from(row: SubscriptionRow) -> Subscription {
        Subscription {
            event_types: serde_json::from_str(&row.event_types).unwrap_or_default(),
            id: row.id,
            url: row.url,
            include_personal_data: row.include_personal_data,
            enabled: row.enabled,
            description: row.description,
            created_at: rfc3339(row.created_at),
            updated_at: rfc3339(row.updated_at),
        }
    }
}

/// A new subscription.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubscription {
    /// `https://…` (plain `http` only to `localhost` or a loopback address, for development).
    pub url: String,
    /// Event types (`docs/events.md`), areas (`profile.*`) or `*` for all.
    pub event_types: Vec<String>,
    #[serde(default)]
    pub include_personal_data: bool,
    #[serde(default)]
    pub description: String,
}

/// A change to a subscription; absent fields stay.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionChanges {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub include_personal_data: Option<bool>,
    pub enabled: Option<bool>,
    pub description: Option<String>,
}

fn check_url(url: &str) -> Result<String, WebhookError> {
    let url = url.trim();
    let invalid = |why: &str| WebhookError::Invalid(format!("url: {why}"));
    if url.len() > MAX_URL {
        return Err(invalid("at most 2048 characters"));
    }
    let parsed = url::Url::parse(url).map_err(|_| invalid("not a URL"))?;
    let local = match parsed.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err(invalid("it needs a host")),
    };
    match parsed.scheme() {
        "https" => {}
        "http" if local => {}
        _ => return Err(invalid("it must be https (http only to localhost)")),
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid(
            "credentials do not belong in it; verify the signature instead",
        ));
    }
    if parsed.fragment().is_some() {
        return Err(invalid("a fragment is never sent"));
    }
    Ok(url.to_owned())
}

fn check_types(types: &[String]) -> Result<String, WebhookError> {
    if types.is_empty() {
        return Err(WebhookError::Invalid(
            "event_types: name at least one (or \"*\" for all)".into(),
        ));
    }
    if let Some(bad) = types.iter().find(|t| !crate::events::valid_pattern(t)) {
        return Err(WebhookError::Invalid(format!(
            "event_types: {bad:?} is not an event type, an area like \"profile.*\", or \"*\""
        )));
    }
    let mut types = types.to_vec();
    types.sort();
    types.dedup();
    Ok(serde_json::to_string(&types).unwrap_or_else(|_| "[]".into()))
}

fn check_description(text: &str) -> Result<String, WebhookError> {
    let text = text.trim();
    if text.chars().count() > MAX_DESCRIPTION || text.chars().any(char::is_control) {
        return Err(WebhookError::Invalid(
            "description: one line of at most 200 characters".into(),
        ));
    }
    Ok(text.to_owned())
}

fn seal_secret(
    master: &MasterKey,
    tenant: &TenantId,
    id: &str,
    secret: &[u8],
) -> Result<envelope::Sealed, WebhookError> {
    envelope::seal(master, secret, &webhook_secret_binding(tenant.as_str(), id))
        .map_err(|e| WebhookError::Sealed(e.to_string()))
}

/// The secret's bytes, to sign with.
pub fn open_secret(master: &MasterKey, row: &SubscriptionRow) -> Result<Vec<u8>, WebhookError> {
    envelope::open(
        master,
        &row.master_key_id,
        &row.secret,
        &webhook_secret_binding(&row.tenant_id, &row.id),
    )
    .map_err(|e| WebhookError::Sealed(e.to_string()))
}

/// Creates a subscription; returns it with its secret (`whsec_…`), shown this once.
pub fn create(
    conn: &mut AnyConnection,
    master: &MasterKey,
    tenant: &TenantId,
    new: &NewSubscription,
) -> Result<(Subscription, String), WebhookError> {
    let url = check_url(&new.url)?;
    let event_types = check_types(&new.event_types)?;
    let description = check_description(&new.description)?;
    let id = uuid::Uuid::now_v7().to_string();
    let secret = signature::new_secret();
    let sealed = seal_secret(master, tenant, &id, &secret)?;
    let now = unix_now();
    let row = SubscriptionRow {
        id,
        tenant_id: tenant.to_string(),
        url,
        event_types,
        secret: sealed.ciphertext,
        master_key_id: sealed.master_key_id,
        include_personal_data: new.include_personal_data,
        enabled: true,
        description,
        created_at: now,
        updated_at: now,
    };
    tx::write(conn, |conn| {
        rows::lock_subscriptions(conn, tenant)?;
        if rows::subscriptions(conn, tenant)?.len() >= MAX_SUBSCRIPTIONS {
            return Err(WebhookError::Invalid(format!(
                "a tenant has at most {MAX_SUBSCRIPTIONS} subscriptions"
            )));
        }
        rows::insert_subscription(conn, &row)?;
        Ok(())
    })?;
    Ok((row.into(), signature::display(&secret)))
}

pub fn list(conn: &mut AnyConnection, tenant: &TenantId) -> Result<Vec<Subscription>, DbError> {
    Ok(rows::subscriptions(conn, tenant)?
        .into_iter()
        .map(Subscription::from)
        .collect())
}

pub fn get(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &str,
) -> Result<Subscription, WebhookError> {
    rows::subscription(conn, tenant, id)?
        .map(Subscription::from)
        .ok_or(WebhookError::NotFound)
}

pub fn update(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &str,
    changes: &SubscriptionChanges,
) -> Result<Subscription, WebhookError> {
    let stored = rows::SubscriptionChanges {
        url: changes.url.as_deref().map(check_url).transpose()?,
        event_types: changes
            .event_types
            .as_deref()
            .map(check_types)
            .transpose()?,
        include_personal_data: changes.include_personal_data,
        enabled: changes.enabled,
        description: changes
            .description
            .as_deref()
            .map(check_description)
            .transpose()?,
        updated_at: Some(unix_now()),
    };
    if !rows::update_subscription(conn, tenant, id, &stored)? {
        return Err(WebhookError::NotFound);
    }
    get(conn, tenant, id)
}

/// Replaces the secret at once; returns the new one, shown this once.
pub fn rotate_secret(
    conn: &mut AnyConnection,
    master: &MasterKey,
    tenant: &TenantId,
    id: &str,
) -> Result<String, WebhookError> {
    let secret = signature::new_secret();
    let sealed = seal_secret(master, tenant, id, &secret)?;
    let now = unix_now();
    if !rows::set_secret(
        conn,
        tenant,
        id,
        &sealed.ciphertext,
        &sealed.master_key_id,
        now,
    )? {
        return Err(WebhookError::NotFound);
    }
    Ok(signature::display(&secret))
}

/// Deletes a subscription and its deliveries (pending ones are not sent).
pub fn delete(conn: &mut AnyConnection, tenant: &TenantId, id: &str) -> Result<(), WebhookError> {
    if !tx::write(conn, |conn| rows::delete_subscription(conn, tenant, id))? {
        return Err(WebhookError::NotFound);
    }
    Ok(())
}

/// One delivery as administrators see it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Delivery {
    pub id: String,
    pub event_id: String,
    /// `pending`, `delivered` or `dead`.
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: Option<String>,
    /// The HTTP status of the last attempt, if the receiver answered.
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

impl From<rows::DeliveryRow> for Delivery {
    fn from(row: rows::DeliveryRow) -> Delivery {
        Delivery {
            next_attempt_at: (row.state == rows::PENDING)
                .then(|| rfc3339(row.next_attempt_at_ms / 1000)),
            id: row.id,
            event_id: row.event_id,
            state: row.state,
            attempts: row.attempts,
            last_status: row.last_status,
            last_error: row.last_error,
            created_at: rfc3339(row.created_at),
            finished_at: row.finished_at.map(rfc3339),
        }
    }
}

/// Which deliveries to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    Pending,
    Delivered,
    Dead,
}

impl DeliveryState {
    fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => rows::PENDING,
            DeliveryState::Delivered => rows::DELIVERED,
            DeliveryState::Dead => rows::DEAD,
        }
    }
}

/// The subscription's latest deliveries (newest first), optionally in one state.
pub fn deliveries(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    subscription: &str,
    state: Option<DeliveryState>,
    limit: i64,
) -> Result<Vec<Delivery>, WebhookError> {
    get(conn, tenant, subscription)?;
    Ok(
        rows::deliveries(conn, tenant, subscription, state.map(|s| s.as_str()), limit)?
            .into_iter()
            .map(Delivery::from)
            .collect(),
    )
}

/// How many deliveries wait and how many were given up.
#[derive(Debug, Clone, Copy, Serialize, schemars::JsonSchema)]
pub struct Backlog {
    pub pending: i64,
    pub dead: i64,
}

pub fn backlog(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    subscription: &str,
) -> Result<Backlog, DbError> {
    Ok(Backlog {
        pending: rows::count(conn, tenant, subscription, rows::PENDING)?,
        dead: rows::count(conn, tenant, subscription, rows::DEAD)?,
    })
}

/// Sends dead letters again (one, or all of the subscription's): they go back in line with
/// a fresh count of attempts. Returns how many.
pub fn redeliver(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    subscription: &str,
    delivery: Option<&str>,
) -> Result<usize, WebhookError> {
    get(conn, tenant, subscription)?;
    let now_ms = delivery::now_ms();
    Ok(rows::redeliver(
        conn,
        tenant,
        subscription,
        delivery,
        now_ms,
    )?)
}
