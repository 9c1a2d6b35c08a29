//! Webhook subscriptions and the event feed. Every operation needs `webhooks:write`: a
//! subscription decides where the tenant's events go.

use serde::Serialize;
use serde_json::json;

use super::{audited, AdminError, Audited, Page, PageRequest, Permission, Principal};
use crate::db::AnyConnection;
use crate::keys::MasterKey;
use crate::webhooks::{
    self, Backlog, Delivery, DeliveryState, NewSubscription, Subscription, SubscriptionChanges,
    WebhookError,
};

fn webhook_error(e: WebhookError) -> AdminError {
    match e {
        WebhookError::NotFound => AdminError::NotFound,
        WebhookError::Invalid(message) => AdminError::Invalid(message),
        WebhookError::Sealed(message) => AdminError::Internal(message),
        WebhookError::Db(e) => e.into(),
    }
}

/// A subscription with what waits for it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SubscriptionView {
    #[serde(flatten)]
    pub subscription: Subscription,
    pub backlog: Backlog,
}

/// A new subscription and its secret (shown only here).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CreatedSubscription {
    pub subscription: Subscription,
    /// `whsec_…`: verify `webhook-signature` with it (Standard Webhooks). Only in this
    /// response; stored sealed.
    pub secret: String,
}

pub fn list(
    conn: &mut AnyConnection,
    who: &Principal,
    page: &PageRequest,
) -> Result<Page<SubscriptionView>, AdminError> {
    who.require(Permission::WebhooksWrite)?;
    let tenant = who.tenant();
    let mut all = Vec::new();
    for subscription in webhooks::list(conn, tenant)? {
        let backlog = webhooks::backlog(conn, tenant, &subscription.id)?;
        all.push(SubscriptionView {
            subscription,
            backlog,
        });
    }
    Ok(Page::of_list(all, page, |s| s.subscription.id.clone()))
}

pub fn get(
    conn: &mut AnyConnection,
    who: &Principal,
    id: &str,
) -> Result<SubscriptionView, AdminError> {
    who.require(Permission::WebhooksWrite)?;
    let subscription = webhooks::get(conn, who.tenant(), id).map_err(webhook_error)?;
    let backlog = webhooks::backlog(conn, who.tenant(), id)?;
    Ok(SubscriptionView {
        subscription,
        backlog,
    })
}

pub fn create(
    conn: &mut AnyConnection,
    who: &Principal,
    master: &MasterKey,
    new: &NewSubscription,
) -> Result<CreatedSubscription, AdminError> {
    who.require(Permission::WebhooksWrite)?;
    audited(conn, who, "webhook.create", |conn| {
        let (subscription, secret) =
            webhooks::create(conn, master, who.tenant(), new).map_err(webhook_error)?;
        Ok(Audited {
            target: subscription.id.clone(),
            details: json!({
                "url": subscription.url,
                "event_types": subscription.event_types,
                "include_personal_data": subscription.include_personal_data,
            }),
            result: CreatedSubscription {
                subscription,
                secret,
            },
        })
    })
}

pub fn update(
    conn: &mut AnyConnection,
    who: &Principal,
    id: &str,
    changes: &SubscriptionChanges,
) -> Result<Subscription, AdminError> {
    who.require(Permission::WebhooksWrite)?;
    audited(conn, who, "webhook.update", |conn| {
        let subscription =
            webhooks::update(conn, who.tenant(), id, changes).map_err(webhook_error)?;
        Ok(Audited {
            target: subscription.id.clone(),
            details: json!({
                "url": changes.url.as_ref().map(|_| &subscription.url),
                "event_types": changes.event_types.as_ref().map(|_| &subscription.event_types),
                "include_personal_data": changes.include_personal_data,
                "enabled": changes.enabled,
            }),
            result: subscription,
        })
    })
}

/// A new secret, at once (the old one stops signing); shown only in the answer.
pub fn rotate_secret(
    conn: &mut AnyConnection,
    who: &Principal,
    master: &MasterKey,
    id: &str,
) -> Result<String, AdminError> {
    who.require(Permission::WebhooksWrite)?;
    audited(conn, who, "webhook.rotate_secret", |conn| {
        let secret =
            webhooks::rotate_secret(conn, master, who.tenant(), id).map_err(webhook_error)?;
        Ok(Audited {
            target: id.to_owned(),
            details: json!({}),
            result: secret,
        })
    })
}

pub fn delete(conn: &mut AnyConnection, who: &Principal, id: &str) -> Result<(), AdminError> {
    who.require(Permission::WebhooksWrite)?;
    audited(conn, who, "webhook.delete", |conn| {
        webhooks::delete(conn, who.tenant(), id).map_err(webhook_error)?;
        Ok(Audited {
            target: id.to_owned(),
            details: json!({}),
            result: (),
        })
    })
}

pub fn deliveries(
    conn: &mut AnyConnection,
    who: &Principal,
    id: &str,
    state: Option<DeliveryState>,
    limit: usize,
) -> Result<Vec<Delivery>, AdminError> {
    who.require(Permission::WebhooksWrite)?;
    let limit = limit.clamp(1, super::MAX_PAGE) as i64;
    webhooks::deliveries(conn, who.tenant(), id, state, limit).map_err(webhook_error)
}

/// Sends dead letters again: one, or all of the subscription's.
pub fn redeliver(
    conn: &mut AnyConnection,
    who: &Principal,
    id: &str,
    delivery: Option<&str>,
) -> Result<usize, AdminError> {
    who.require(Permission::WebhooksWrite)?;
    audited(conn, who, "webhook.redeliver", |conn| {
        let requeued =
            webhooks::redeliver(conn, who.tenant(), id, delivery).map_err(webhook_error)?;
        if delivery.is_some() && requeued == 0 {
            return Err(AdminError::Conflict(
                "only a dead delivery can be sent again".into(),
            ));
        }
        Ok(Audited {
            target: id.to_owned(),
            details: json!({ "delivery": delivery, "requeued": requeued }),
            result: requeued,
        })
    })
}

/// One event of the feed (its document as delivered, without personal values).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct FeedEvent {
    /// The cursor: ask for events `after` it.
    pub position: i64,
    pub event: serde_json::Value,
}

/// The tenant's events after a position, oldest first: a pull alternative to webhooks.
pub fn events(
    conn: &mut AnyConnection,
    who: &Principal,
    after: i64,
    types: &[String],
    limit: usize,
) -> Result<Page<FeedEvent>, AdminError> {
    who.require(Permission::WebhooksWrite)?;
    let limit = limit.clamp(1, super::MAX_PAGE);
    let rows = crate::db::events::list(conn, who.tenant(), after, types, limit as i64 + 1)?;
    let items: Vec<FeedEvent> = rows
        .into_iter()
        .map(|row| FeedEvent {
            position: row.position,
            event: serde_json::from_str(&row.body).unwrap_or_default(),
        })
        .collect();
    Ok(Page::from_overfetch(items, limit, |e| {
        e.position.to_string()
    }))
}
