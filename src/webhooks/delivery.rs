//! Getting events to receivers: fan-out (outbox → deliveries), leasing, sending, and
//! recording what happened. Receivers are webhook subscriptions, and clients owed a
//! back-channel logout token for a session that ended (`crate::oidc::backchannel`). Every
//! node runs [`run`]; the database decides who sends what.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::open_secret;
use crate::config::{Settings, WebhookSettings};
use crate::db::events as event_rows;
use crate::db::webhooks::{self as rows, Attempted, DeliveryRow, SubscriptionRow};
use crate::db::{tx, AnyConnection, Db, DbError};
use crate::domain::{unix_now, AccountId, ClientId, ProfileId, SessionId, TenantId};
use crate::keys::KeyStore;
use crate::oidc::backchannel::{self, BackchannelError};
use crate::outbound::Outbound;

/// Events handed out per fan-out transaction.
const FAN_OUT_BATCH: i64 = 500;
/// Fan-out transactions per round at most (the next round goes on).
const FAN_OUT_ROUNDS: usize = 20;
/// Send rounds per tick at most, so one tick cannot run forever behind a huge backlog.
const SEND_ROUNDS: usize = 50;
/// Characters of a receiver's error kept for the console.
const MAX_ERROR: usize = 300;

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Hands up to `limit` new events to the enabled subscriptions that want them, one delivery
/// per event and subscription; returns how many events were handed out. Safe on several
/// nodes at once: a delivery made twice is stored once.
pub fn fan_out(conn: &mut AnyConnection, limit: i64) -> Result<usize, DbError> {
    // A read first: most polls find nothing, and then take no write lock.
    if event_rows::undispatched(conn, 1)?.is_empty() {
        return Ok(0);
    }
    tx::write(conn, |conn| {
        let events = event_rows::undispatched(conn, limit)?;
        let mut tenants: Vec<String> = events.iter().map(|e| e.tenant_id.clone()).collect();
        tenants.sort();
        tenants.dedup();
        let subscriptions = rows::enabled_for(conn, &tenants)?;
        let (now, now_ms) = (unix_now(), now_ms());
        let delivery = |event: &event_rows::EventRow, to: Receiver| DeliveryRow {
            id: uuid::Uuid::now_v7().to_string(),
            tenant_id: event.tenant_id.clone(),
            subscription_id: match &to {
                Receiver::Subscription(id) => Some(id.clone()),
                Receiver::Client(_) => None,
            },
            client_id: match to {
                Receiver::Client(id) => Some(id),
                Receiver::Subscription(_) => None,
            },
            event_id: event.id.clone(),
            event_position: event.position,
            subject: event.subject.clone(),
            state: rows::PENDING.into(),
            attempts: 0,
            next_attempt_at_ms: now_ms,
            leased_until_ms: None,
            lease_token: None,
            last_status: None,
            last_error: None,
            created_at: now,
            finished_at: None,
        };
        let mut deliveries = Vec::new();
        for event in &events {
            for subscription in subscriptions
                .iter()
                .filter(|s| s.tenant_id == event.tenant_id && wants(s, &event.event_type))
            {
                deliveries.push(delivery(
                    event,
                    Receiver::Subscription(subscription.id.clone()),
                ));
            }
            for client in logout_receivers(conn, event)? {
                deliveries.push(delivery(event, Receiver::Client(client)));
            }
        }
        rows::insert_deliveries(conn, &deliveries)?;
        let positions: Vec<i64> = events.iter().map(|e| e.position).collect();
        event_rows::mark_dispatched(conn, &positions)?;
        Ok(events.len())
    })
}

/// Who a delivery goes to.
enum Receiver {
    Subscription(String),
    /// A client owed a back-channel logout token.
    Client(String),
}

/// The clients owed a logout token for a `session.ended` event (none for other events).
fn logout_receivers(
    conn: &mut AnyConnection,
    event: &event_rows::EventRow,
) -> Result<Vec<String>, DbError> {
    if event.event_type != crate::events::Kind::SessionEnded.as_str() {
        return Ok(Vec::new());
    }
    let document: Value = serde_json::from_str(&event.body).unwrap_or(Value::Null);
    let Some(session) = document["data"]["session_id"].as_str() else {
        return Ok(Vec::new());
    };
    let tenant = TenantId::from_stored(event.tenant_id.clone());
    let session = SessionId::from_stored(session.to_owned());
    Ok(backchannel::targets(conn, &tenant, &session)?
        .into_iter()
        .map(|c| c.to_string())
        .collect())
}

fn wants(subscription: &SubscriptionRow, event_type: &str) -> bool {
    serde_json::from_str::<Vec<String>>(&subscription.event_types)
        .unwrap_or_default()
        .iter()
        .any(|pattern| crate::events::matches(pattern, event_type))
}

/// A delivery this node holds, ready to send.
pub struct Leased {
    pub delivery: DeliveryRow,
    pub token: String,
    pub request: Request,
}

/// What to send.
pub enum Request {
    /// An event to a subscription: signed with its secret (or why the secret could not be
    /// opened: the attempt then fails).
    Webhook {
        url: String,
        secret: Result<Vec<u8>, String>,
        body: Vec<u8>,
    },
    /// A logout token to a client's back-channel logout URI.
    Logout { uri: String, token: String },
    /// Nothing can be sent (the receiver is gone): given up at once, with the reason.
    Nothing(String),
    /// Nothing can be sent now (why); the attempt fails and is retried as usual.
    Failed(String),
}

/// Leases up to `limit` due deliveries and prepares their requests.
pub fn lease_due(
    conn: &mut AnyConnection,
    keys: &KeyStore,
    settings: &Settings,
    limit: i64,
) -> Result<Vec<Leased>, DbError> {
    let now = now_ms();
    let until = now.saturating_add(settings.webhooks.lease_secs.saturating_mul(1000));
    let mut held = Vec::new();
    for delivery in rows::due(conn, now, limit)? {
        let token = crate::crypto::random_token();
        if tx::statement(conn, |conn| {
            rows::lease(conn, &delivery.id, &token, now, until)
        })? {
            held.push((delivery, token));
        }
    }
    if held.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = held
        .iter()
        .filter_map(|(d, _)| d.subscription_id.clone())
        .collect();
    let subscriptions = rows::subscriptions_by_id(conn, &ids)?;
    let event_ids: Vec<String> = held.iter().map(|(d, _)| d.event_id.clone()).collect();
    let events = event_rows::find_many(conn, &event_ids)?;
    let mut leased = Vec::with_capacity(held.len());
    for (delivery, token) in held {
        let Some(event) = events.iter().find(|e| e.id == delivery.event_id) else {
            // The event went meanwhile (purged): nothing to send.
            let request = Request::Nothing("the event no longer exists".into());
            leased.push(Leased {
                delivery,
                token,
                request,
            });
            continue;
        };
        let mut document: Value = serde_json::from_str(&event.body).unwrap_or(Value::Null);
        let request = match (&delivery.subscription_id, &delivery.client_id) {
            (Some(id), _) => match subscriptions.iter().find(|s| &s.id == id) {
                Some(subscription) => {
                    if subscription.include_personal_data {
                        let values =
                            personal_values(conn, keys, &event.tenant_id, &document["data"])?;
                        if let Some(data) = document.get_mut("data").and_then(Value::as_object_mut)
                        {
                            data.insert("values".into(), values);
                        }
                    }
                    Request::Webhook {
                        url: subscription.url.clone(),
                        secret: open_secret(keys.master(), subscription).map_err(|e| e.to_string()),
                        body: document.to_string().into_bytes(),
                    }
                }
                None => Request::Nothing("the subscription no longer exists".into()),
            },
            (None, Some(client)) => logout_request(conn, keys, settings, event, &document, client)?,
            (None, None) => Request::Nothing("no receiver".into()),
        };
        leased.push(Leased {
            delivery,
            token,
            request,
        });
    }
    Ok(leased)
}

/// The logout token owed to `client` for the session a `session.ended` event names.
fn logout_request(
    conn: &mut AnyConnection,
    keys: &KeyStore,
    settings: &Settings,
    event: &event_rows::EventRow,
    document: &Value,
    client: &str,
) -> Result<Request, DbError> {
    let Some(session) = document["data"]["session_id"].as_str() else {
        return Ok(Request::Nothing("the event names no session".into()));
    };
    let tenant = TenantId::from_stored(event.tenant_id.clone());
    let client = ClientId::from_stored(client.to_owned());
    let session = SessionId::from_stored(session.to_owned());
    Ok(
        match backchannel::logout_token(conn, keys, settings, &tenant, &client, &session) {
            Ok(logout) => Request::Logout {
                uri: logout.uri,
                token: logout.token,
            },
            Err(BackchannelError::Db(e)) => return Err(e),
            Err(BackchannelError::Gone) => {
                Request::Nothing("the client no longer takes back-channel logouts".into())
            }
            // Signing can work again (a key rotated in): fail this attempt, retry later.
            Err(e @ BackchannelError::Signing(_)) => Request::Failed(e.to_string()),
        },
    )
}

/// The subject's personal values now, from the profile (or account) store: what a
/// subscription allowed personal data sees. `null` when the subject is gone (erased).
/// Sensitive attributes stay masked, as for administrators without `pii:read`.
fn personal_values(
    conn: &mut AnyConnection,
    keys: &KeyStore,
    tenant: &str,
    data: &Value,
) -> Result<Value, DbError> {
    let tenant = TenantId::from_stored(tenant.to_owned());
    let vault = keys.vault();
    if let Some(profile) = data["profile_id"].as_str() {
        let profile = ProfileId::from_stored(profile.to_owned());
        return match crate::profiles::find(conn, vault, &tenant, &profile) {
            Ok(found) => {
                let schema = crate::profiles::attributes::Schema::load(conn, &tenant)?;
                Ok(serde_json::json!({
                    "name": found.name,
                    "email": found.email,
                    "email_verified": found.email_verified,
                    "picture": found.picture,
                    "locale": found.locale,
                    "attributes": schema.masked(&found.attributes, false),
                }))
            }
            Err(crate::profiles::ProfileError::Db(e)) => Err(e),
            Err(_) => Ok(Value::Null),
        };
    }
    if let Some(account) = data["account_id"].as_str() {
        let account = AccountId::from_stored(account.to_owned());
        return match crate::identity::find_account(conn, vault, &tenant, &account) {
            Ok(found) => Ok(serde_json::json!({
                "email": found.email,
                "email_verified": found.email_verified,
            })),
            Err(crate::identity::AccountError::Db(e)) => Err(e),
            Err(_) => Ok(Value::Null),
        };
    }
    Ok(Value::Null)
}

/// What one attempt came to.
pub struct Outcome {
    pub delivery: DeliveryRow,
    pub token: String,
    pub status: Option<u16>,
    pub error: Option<String>,
    /// Nothing could be sent, nor ever will: dead at once.
    pub hopeless: bool,
}

impl Outcome {
    fn accepted(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Sends one delivery. A webhook carries the Standard Webhooks headers over the event
/// document (the `webhook-id` is the event's id, the same on every attempt, so receivers can
/// drop duplicates); a back-channel logout is the form `logout_token=…` (§2.5).
pub async fn send(outbound: &Outbound, leased: Leased) -> Outcome {
    let Leased {
        delivery,
        token,
        request,
    } = leased;
    let answered = |result: Result<u16, crate::outbound::FetchError>| match result {
        Ok(status) if (200..300).contains(&status) => (Some(status), None),
        Ok(status) => (Some(status), Some(format!("answered {status}"))),
        Err(e) => (None, Some(e.to_string())),
    };
    let (status, error, hopeless) = match request {
        Request::Nothing(why) => (None, Some(why), true),
        Request::Failed(why) => (None, Some(why), false),
        Request::Webhook { url, secret, body } => {
            let timestamp = unix_now();
            let signed = secret.and_then(|secret| {
                super::signature::sign(&secret, &delivery.event_id, timestamp, &body)
                    .map_err(|e| e.to_string())
            });
            match signed {
                Err(e) => (None, Some(e), false),
                Ok(signature) => {
                    let headers = [
                        ("webhook-id", delivery.event_id.clone()),
                        ("webhook-timestamp", timestamp.to_string()),
                        ("webhook-signature", signature),
                    ];
                    let json = "application/json";
                    let (status, error) = answered(outbound.post(&url, json, &headers, body).await);
                    (status, error, false)
                }
            }
        }
        Request::Logout { uri, token: jwt } => {
            let body = serde_urlencoded::to_string([("logout_token", jwt)]).unwrap_or_default();
            let form = "application/x-www-form-urlencoded";
            let (status, error) = answered(outbound.post(&uri, form, &[], body.into_bytes()).await);
            (status, error, false)
        }
    };
    Outcome {
        delivery,
        token,
        status,
        error,
        hopeless,
    }
}

/// The wait before attempt `attempts + 1`: `retry_base_ms` doubled per earlier failure, at
/// most `retry_max_secs`, less up to a fifth at random so that many receivers that failed
/// together do not all come back at once.
pub fn backoff_ms(settings: &WebhookSettings, attempts: i64) -> i64 {
    use rand::Rng;
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 40)).unwrap_or(40);
    let full = settings
        .retry_base_ms
        .saturating_mul(1_i64 << doublings)
        .min(settings.retry_max_secs.saturating_mul(1000));
    full - rand::thread_rng().gen_range(0..=full / 5)
}

/// Records the outcomes: delivered, to be retried later, or dead after the last attempt.
pub fn record(
    conn: &mut AnyConnection,
    settings: &WebhookSettings,
    outcomes: &[Outcome],
) -> Result<(), DbError> {
    let now = now_ms();
    for outcome in outcomes {
        let attempts = outcome.delivery.attempts + 1;
        let error: Option<String> = outcome
            .error
            .as_ref()
            .map(|e| e.chars().take(MAX_ERROR).collect());
        let attempted = if outcome.accepted() {
            Attempted {
                state: rows::DELIVERED,
                attempts,
                next_attempt_at_ms: now,
                status: outcome.status.map(i64::from),
                error: None,
                finished_at: Some(now / 1000),
            }
        } else if attempts >= settings.max_attempts || outcome.hopeless {
            Attempted {
                state: rows::DEAD,
                attempts,
                next_attempt_at_ms: now,
                status: outcome.status.map(i64::from),
                error: error.as_deref(),
                finished_at: Some(now / 1000),
            }
        } else {
            Attempted {
                state: rows::PENDING,
                attempts,
                next_attempt_at_ms: now.saturating_add(backoff_ms(settings, attempts)),
                status: outcome.status.map(i64::from),
                error: error.as_deref(),
                finished_at: None,
            }
        };
        if !outcome.accepted() {
            tracing::info!(
                delivery = %outcome.delivery.id,
                subscription = outcome.delivery.subscription_id.as_deref().unwrap_or(""),
                client = outcome.delivery.client_id.as_deref().unwrap_or(""),
                attempts,
                state = attempted.state,
                error = error.as_deref().unwrap_or(""),
                "webhook delivery failed"
            );
        }
        let (id, token) = (&outcome.delivery.id, &outcome.token);
        tx::statement(conn, |conn| {
            rows::record_attempt(conn, id, token, &attempted)
        })?;
        let kind = match outcome.delivery.client_id {
            Some(_) => "backchannel_logout",
            None => "webhook",
        };
        let result = match attempted.state {
            rows::DELIVERED => "delivered",
            rows::DEAD => "dead",
            _ => "failed",
        };
        crate::metrics::record(|m| m.deliveries.with_label_values(&[kind, result]).inc());
    }
    Ok(())
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Round {
    pub handed_out: usize,
    pub sent: usize,
}

/// One round: hand out new events, then send what is due until nothing is.
pub async fn round(
    db: &Db,
    keys: &Arc<KeyStore>,
    outbound: &Arc<Outbound>,
    settings: &Arc<Settings>,
) -> Result<Round, DbError> {
    let mut done = Round::default();
    for _ in 0..FAN_OUT_ROUNDS {
        let handed = db.run(|conn| fan_out(conn, FAN_OUT_BATCH)).await?;
        done.handed_out += handed;
        if (handed as i64) < FAN_OUT_BATCH {
            break;
        }
    }
    let limit = i64::try_from(settings.webhooks.concurrency).unwrap_or(8);
    for _ in 0..SEND_ROUNDS {
        let (store, hooks) = (keys.clone(), settings.clone());
        let leased = db
            .run(move |conn| lease_due(conn, &store, &hooks, limit))
            .await?;
        if leased.is_empty() {
            break;
        }
        let mut sending = tokio::task::JoinSet::new();
        for one in leased {
            let outbound = outbound.clone();
            sending.spawn(async move { send(&outbound, one).await });
        }
        let mut outcomes = Vec::new();
        while let Some(outcome) = sending.join_next().await {
            match outcome {
                Ok(outcome) => outcomes.push(outcome),
                // A panicked send leaves its lease to run out; another round retries it.
                Err(e) => tracing::error!(error = %e, "a webhook send task failed"),
            }
        }
        done.sent += outcomes.len();
        let hooks = settings.webhooks.clone();
        db.run(move |conn| record(conn, &hooks, &outcomes)).await?;
    }
    Ok(done)
}

/// Runs delivery rounds every `poll_interval_ms` until the process ends (0: never).
pub async fn run(db: Db, keys: Arc<KeyStore>, outbound: Arc<Outbound>, settings: Arc<Settings>) {
    let poll = settings.webhooks.poll_interval_ms;
    if poll == 0 {
        return;
    }
    let mut ticker = tokio::time::interval(Duration::from_millis(poll));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match round(&db, &keys, &outbound, &settings).await {
            Ok(done) if done.handed_out + done.sent > 0 => tracing::debug!(
                handed_out = done.handed_out,
                sent = done.sent,
                "webhook round"
            ),
            Ok(_) => {}
            // Nothing is lost: events and deliveries wait in their tables for the next round.
            Err(e) => tracing::warn!(error = %e, "webhook round failed"),
        }
    }
}

/// What waits, for `/metrics`.
#[derive(Debug, Clone, Copy)]
pub struct Status {
    /// Events not yet handed to their receivers.
    pub backlog: i64,
    pub pending: i64,
    pub dead: i64,
    /// Age of the oldest event still waiting for a delivery (0: none waits).
    pub lag_secs: i64,
}

pub fn status(conn: &mut AnyConnection) -> Result<Status, DbError> {
    let oldest = rows::oldest_pending_event_at(conn)?;
    Ok(Status {
        backlog: event_rows::backlog(conn)?,
        pending: rows::count_all(conn, rows::PENDING)?,
        dead: rows::count_all(conn, rows::DEAD)?,
        lag_secs: oldest.map_or(0, |at| unix_now().saturating_sub(at).max(0)),
    })
}
