//! `tessera attribute …`: the tenant's attribute schema.

use clap::Subcommand;
use serde_json::json;

use super::output::print_json;
use crate::admin::{self, Principal};
use crate::config::Settings;
use crate::profiles::attributes::{AttributeKind, DefinitionChanges, NewDefinition};
use crate::startup::open_database;
use crate::tenancy::tenants;

#[derive(Debug, Subcommand)]
pub enum AttributeCommand {
    /// List the attribute schema.
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
    /// Declare or change an attribute.
    Define {
        #[arg(long)]
        tenant: String,
        /// Letters, digits and '_', starting with a letter.
        name: String,
        /// string, number, boolean or date (YYYY-MM-DD).
        #[arg(long, value_parser = parse_kind)]
        kind: AttributeKind,
        /// Masked for administrators without pii:read.
        #[arg(long)]
        sensitive: bool,
        /// Release it as a claim with this scope (profile or email).
        #[arg(long)]
        claim_scope: Option<String>,
        /// Drop a value this many days after it was set.
        #[arg(long)]
        retention_days: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    /// Remove an attribute from the schema (stored values stay, masked, never released).
    Remove {
        #[arg(long)]
        tenant: String,
        name: String,
        #[arg(long)]
        json: bool,
    },
}

fn parse_kind(input: &str) -> Result<AttributeKind, String> {
    serde_json::from_value(json!(input))
        .map_err(|_| "expected string, number, boolean or date".to_owned())
}

pub fn run(settings: &Settings, command: AttributeCommand) -> anyhow::Result<()> {
    let (db, _vault) = open_database(settings)?;
    let mut conn = db.conn()?;
    let conn = &mut conn;
    match command {
        AttributeCommand::List { tenant, json } => {
            let who = Principal::cli(&tenants::find(conn, &tenant)?.id);
            let schema = admin::attributes::list(conn, &who)?;
            if json {
                return print_json(&schema);
            }
            println!(
                "{:<24} {:<8} {:<10} {:<8} RETENTION",
                "NAME", "KIND", "SENSITIVE", "CLAIM"
            );
            for d in &schema {
                println!(
                    "{:<24} {:<8} {:<10} {:<8} {}",
                    d.name,
                    json!(d.kind).as_str().unwrap_or_default(),
                    if d.sensitive { "yes" } else { "no" },
                    d.claim_scope.as_deref().unwrap_or("-"),
                    d.retention_days
                        .map_or("-".to_owned(), |days| format!("{days} days"))
                );
            }
            Ok(())
        }
        AttributeCommand::Define {
            tenant,
            name,
            kind,
            sensitive,
            claim_scope,
            retention_days,
            json,
        } => {
            let who = Principal::cli(&tenants::find(conn, &tenant)?.id);
            // Declared as given: a new attribute, or an existing one replaced.
            let exists = admin::attributes::list(conn, &who)?
                .iter()
                .any(|d| d.name == name);
            let defined = if exists {
                let changes = DefinitionChanges {
                    kind: Some(kind),
                    sensitive: Some(sensitive),
                    claim_scope: Some(claim_scope.unwrap_or_default()),
                    retention_days: Some(retention_days.unwrap_or(0)),
                };
                admin::attributes::change(conn, &who, &name, &changes)?
            } else {
                let new = NewDefinition {
                    name,
                    kind,
                    sensitive,
                    claim_scope,
                    retention_days,
                };
                admin::attributes::create(conn, &who, &new)?
            };
            if json {
                return print_json(&defined);
            }
            println!("Declared attribute {}.", defined.name);
            Ok(())
        }
        AttributeCommand::Remove { tenant, name, json } => {
            let who = Principal::cli(&tenants::find(conn, &tenant)?.id);
            admin::attributes::remove(conn, &who, &name)?;
            if json {
                return print_json(&json!({ "name": name, "removed": true }));
            }
            println!("Removed attribute {name} from the schema.");
            Ok(())
        }
    }
}
