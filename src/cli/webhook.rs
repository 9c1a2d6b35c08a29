//! `tessera webhook …`: where a tenant's change events are sent (docs/events.md).

use clap::Subcommand;

use super::output::print_json;
use super::{everything, operator};
use crate::admin;
use crate::config::Settings;
use crate::startup::open_database;
use crate::webhooks::{DeliveryState, NewSubscription, SubscriptionChanges};

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// List subscriptions with their pending and dead deliveries.
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
    /// Subscribe a URL; prints the signing secret, shown this once.
    Create {
        #[arg(long)]
        tenant: String,
        /// `https://…` (plain http only to localhost).
        #[arg(long)]
        url: String,
        /// Event types, areas (`profile.*`) or `*`, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        events: Vec<String>,
        /// Deliveries carry the subject's current personal values.
        #[arg(long)]
        personal_data: bool,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long)]
        json: bool,
    },
    /// Pause (`--enabled false`) or resume a subscription, or change what it receives.
    Update {
        #[arg(long)]
        tenant: String,
        id: String,
        #[arg(long)]
        url: Option<String>,
        #[arg(long, value_delimiter = ',')]
        events: Option<Vec<String>>,
        #[arg(long)]
        personal_data: Option<bool>,
        #[arg(long)]
        enabled: Option<bool>,
        #[arg(long)]
        json: bool,
    },
    /// Delete a subscription and its deliveries.
    Delete {
        #[arg(long)]
        tenant: String,
        id: String,
    },
    /// Replace the signing secret at once; prints the new one.
    RotateSecret {
        #[arg(long)]
        tenant: String,
        id: String,
    },
    /// The latest deliveries of a subscription.
    Deliveries {
        #[arg(long)]
        tenant: String,
        id: String,
        /// pending, delivered or dead.
        #[arg(long)]
        state: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Send dead deliveries again: one (`--delivery`), or all of the subscription's.
    Redeliver {
        #[arg(long)]
        tenant: String,
        id: String,
        #[arg(long)]
        delivery: Option<String>,
    },
}

fn state(text: Option<&str>) -> anyhow::Result<Option<DeliveryState>> {
    text.map(|t| {
        serde_json::from_value(serde_json::Value::String(t.to_owned()))
            .map_err(|_| anyhow::anyhow!("--state is pending, delivered or dead"))
    })
    .transpose()
}

pub fn run(settings: &Settings, command: WebhookCommand) -> anyhow::Result<()> {
    let (db, vault) = open_database(settings)?;
    let mut conn = db.conn()?;
    let conn = &mut conn;
    match command {
        WebhookCommand::List { tenant, json } => {
            let who = operator(conn, &tenant)?;
            let all = everything();
            let page = admin::webhooks::list(conn, &who, &all)?;
            if json {
                return print_json(&page.items);
            }
            println!(
                "{:<36} {:<8} {:>7} {:>5} URL",
                "ID", "STATE", "PENDING", "DEAD"
            );
            for s in &page.items {
                println!(
                    "{:<36} {:<8} {:>7} {:>5} {} ({})",
                    s.subscription.id,
                    if s.subscription.enabled {
                        "enabled"
                    } else {
                        "paused"
                    },
                    s.backlog.pending,
                    s.backlog.dead,
                    s.subscription.url,
                    s.subscription.event_types.join(",")
                );
            }
            Ok(())
        }
        WebhookCommand::Create {
            tenant,
            url,
            events,
            personal_data,
            description,
            json,
        } => {
            let who = operator(conn, &tenant)?;
            let new = NewSubscription {
                url,
                event_types: events,
                include_personal_data: personal_data,
                description,
            };
            let created = admin::webhooks::create(conn, &who, vault.master(), &new)?;
            if json {
                return print_json(&created);
            }
            println!("subscription {}", created.subscription.id);
            println!(
                "secret {}  (shown only now: verify webhook-signature with it)",
                created.secret
            );
            Ok(())
        }
        WebhookCommand::Update {
            tenant,
            id,
            url,
            events,
            personal_data,
            enabled,
            json,
        } => {
            let who = operator(conn, &tenant)?;
            let changes = SubscriptionChanges {
                url,
                event_types: events,
                include_personal_data: personal_data,
                enabled,
                description: None,
            };
            let updated = admin::webhooks::update(conn, &who, &id, &changes)?;
            if json {
                return print_json(&updated);
            }
            println!(
                "{} {} {}",
                updated.id,
                if updated.enabled { "enabled" } else { "paused" },
                updated.url
            );
            Ok(())
        }
        WebhookCommand::Delete { tenant, id } => {
            let who = operator(conn, &tenant)?;
            admin::webhooks::delete(conn, &who, &id)?;
            println!("deleted {id}");
            Ok(())
        }
        WebhookCommand::RotateSecret { tenant, id } => {
            let who = operator(conn, &tenant)?;
            let secret = admin::webhooks::rotate_secret(conn, &who, vault.master(), &id)?;
            println!("secret {secret}  (shown only now; the old one no longer signs)");
            Ok(())
        }
        WebhookCommand::Deliveries {
            tenant,
            id,
            state: wanted,
            limit,
            json,
        } => {
            let who = operator(conn, &tenant)?;
            let list =
                admin::webhooks::deliveries(conn, &who, &id, state(wanted.as_deref())?, limit)?;
            if json {
                return print_json(&list);
            }
            println!(
                "{:<36} {:<9} {:>8} {:<6} EVENT",
                "ID", "STATE", "ATTEMPTS", "STATUS"
            );
            for d in &list {
                println!(
                    "{:<36} {:<9} {:>8} {:<6} {}{}",
                    d.id,
                    d.state,
                    d.attempts,
                    d.last_status
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| "-".into()),
                    d.event_id,
                    d.last_error
                        .as_deref()
                        .map(|e| format!("  ({e})"))
                        .unwrap_or_default()
                );
            }
            Ok(())
        }
        WebhookCommand::Redeliver {
            tenant,
            id,
            delivery,
        } => {
            let who = operator(conn, &tenant)?;
            let requeued = admin::webhooks::redeliver(conn, &who, &id, delivery.as_deref())?;
            println!("{requeued} deliveries will be sent again");
            Ok(())
        }
    }
}
