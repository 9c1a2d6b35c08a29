//! `tessera customer …`: verified legal entities that accounts act for (`admin::customers`).

use std::collections::BTreeMap;

use anyhow::Context;
use clap::Subcommand;

use super::output::print_json;
use super::{everything, operator};
use crate::admin::accounts::Reveal;
use crate::admin::customers::CustomerLink;
use crate::admin::{self, PageRequest};
use crate::config::Settings;
use crate::customers::{Customer, CustomerKind, NewCustomer, NewVerification};
use crate::startup::open_database;

/// The operator at the machine sees the data, as `tessera account show` does (audited).
const REVEAL: Reveal<'static> = Reveal::Because("operator command: tessera customer");

#[derive(Debug, Subcommand)]
pub enum CustomerCommand {
    /// List customers with their verification.
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
    /// Show a customer: identifiers, verification, the accounts acting for it.
    Show {
        #[arg(long)]
        tenant: String,
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Create a customer.
    Create {
        #[arg(long)]
        tenant: String,
        /// person or organization.
        #[arg(long)]
        kind: String,
        #[arg(long)]
        legal_name: String,
        /// An identifier as kind=value (e.g. tax_id=DE123456789); repeat for more.
        #[arg(long = "identifier")]
        identifiers: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Record a verification outcome made elsewhere (it replaces the previous one).
    Verify {
        #[arg(long)]
        tenant: String,
        id: String,
        /// The rules it was made under (de_aml, eidas, uk_tfida, …).
        #[arg(long)]
        trust_framework: String,
        #[arg(long)]
        assurance_level: Option<String>,
        /// document (default), electronic_record, vouch or electronic_signature.
        #[arg(long)]
        evidence_type: Option<String>,
        /// How the evidence was checked (vpip, vri, pvp, kbv, …).
        #[arg(long)]
        method: String,
        /// Who checked: the office or KYC provider.
        #[arg(long)]
        verifier: String,
        /// The verifier's reference for the check.
        #[arg(long)]
        reference: Option<String>,
        /// When it was checked: Unix seconds, RFC 3339, or a date (YYYY-MM-DD).
        #[arg(long)]
        verified_at: String,
        #[arg(long)]
        json: bool,
    },
    /// Withdraw the verification: no verified_claims from now on.
    Withdraw {
        #[arg(long)]
        tenant: String,
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Link an account (by email or id) to a customer.
    Link {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        account: String,
        #[arg(long)]
        customer: String,
    },
    /// Unlink an account (by email or id) from its customer.
    Unlink {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        account: String,
    },
    /// Delete a customer and its sealed data; its accounts stay, unlinked.
    Delete {
        #[arg(long)]
        tenant: String,
        id: String,
    },
    /// Customers that share an identifier.
    Duplicates {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
}

fn identifiers(given: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    given
        .iter()
        .map(|pair| match pair.split_once('=') {
            Some((kind, value)) => Ok((kind.trim().to_owned(), value.trim().to_owned())),
            None => anyhow::bail!("--identifier takes kind=value (got \"{pair}\")"),
        })
        .collect()
}

/// Unix seconds, an RFC 3339 time, or a date (noon UTC).
fn verified_at(text: &str) -> anyhow::Result<i64> {
    if let Ok(seconds) = text.parse::<i64>() {
        return Ok(seconds);
    }
    if let Ok(time) = text.parse::<jiff::Timestamp>() {
        return Ok(time.as_second());
    }
    let date: jiff::civil::Date = text
        .parse()
        .with_context(|| format!("--verified-at: \"{text}\" is not a time or a date"))?;
    Ok(date
        .at(12, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)?
        .timestamp()
        .as_second())
}

fn show(customer: &Customer, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(customer);
    }
    println!(
        "{} · {} · {}",
        customer.id,
        customer.kind.as_str(),
        customer.legal_name
    );
    for (kind, value) in &customer.identifiers {
        println!("  {kind}: {value}");
    }
    match &customer.verification {
        Some(v) => println!(
            "  verified under {} ({}) by {} ({}, {}) at {}",
            v.trust_framework,
            v.assurance_level.as_deref().unwrap_or("no level"),
            v.verifier,
            v.evidence_type,
            v.method,
            crate::domain::rfc3339(v.verified_at)
        ),
        None => println!("  not verified"),
    }
    for account in &customer.accounts {
        println!("  account {account}");
    }
    Ok(())
}

pub fn run(settings: &Settings, command: CustomerCommand) -> anyhow::Result<()> {
    let (db, vault) = open_database(settings)?;
    let mut conn = db.conn()?;
    let conn = &mut conn;
    let vault = &vault;
    match command {
        CustomerCommand::List { tenant, json } => {
            let who = operator(conn, &tenant)?;
            let all = everything();
            let mut customers = Vec::new();
            let mut page = admin::customers::list(conn, vault, &who, &all, REVEAL)?;
            loop {
                customers.append(&mut page.items);
                let Some(after) = page.next.take() else { break };
                let next = PageRequest {
                    after: Some(after),
                    ..all.clone()
                };
                page = admin::customers::list(conn, vault, &who, &next, REVEAL)?;
            }
            if json {
                return print_json(&customers);
            }
            for customer in &customers {
                let verified = customer
                    .verification
                    .as_ref()
                    .map_or("not verified".to_owned(), |v| v.trust_framework.clone());
                println!(
                    "{}  {:<12} {:<16} {}",
                    customer.id,
                    customer.kind.as_str(),
                    verified,
                    customer.legal_name
                );
            }
            Ok(())
        }
        CustomerCommand::Show { tenant, id, json } => {
            let who = operator(conn, &tenant)?;
            show(
                &admin::customers::get(conn, vault, &who, &id, REVEAL)?,
                json,
            )
        }
        CustomerCommand::Create {
            tenant,
            kind,
            legal_name,
            identifiers: given,
            json,
        } => {
            let who = operator(conn, &tenant)?;
            let kind = match kind.as_str() {
                "person" => CustomerKind::Person,
                "organization" => CustomerKind::Organization,
                other => anyhow::bail!("--kind is person or organization (got \"{other}\")"),
            };
            let new = NewCustomer {
                kind,
                legal_name,
                identifiers: identifiers(&given)?,
            };
            show(&admin::customers::create(conn, vault, &who, &new)?, json)
        }
        CustomerCommand::Verify {
            tenant,
            id,
            trust_framework,
            assurance_level,
            evidence_type,
            method,
            verifier,
            reference,
            verified_at: at,
            json,
        } => {
            let who = operator(conn, &tenant)?;
            let new = NewVerification {
                trust_framework,
                assurance_level,
                evidence_type,
                method,
                verifier,
                reference,
                verified_at: verified_at(&at)?,
            };
            show(
                &admin::customers::verify(conn, vault, &who, &id, &new)?,
                json,
            )
        }
        CustomerCommand::Withdraw { tenant, id, json } => {
            let who = operator(conn, &tenant)?;
            let customer = admin::customers::withdraw_verification(conn, vault, &who, &id)?;
            show(&customer, json)
        }
        CustomerCommand::Link {
            tenant,
            account,
            customer,
        } => {
            let who = operator(conn, &tenant)?;
            let found =
                crate::identity::find_account_by_id_or_email(conn, vault, who.tenant(), &account)?;
            let link = CustomerLink {
                customer_id: Some(customer),
            };
            admin::customers::link_account(conn, &who, found.id.as_str(), &link)?;
            println!("account {} acts for the customer", found.id);
            Ok(())
        }
        CustomerCommand::Unlink { tenant, account } => {
            let who = operator(conn, &tenant)?;
            let found =
                crate::identity::find_account_by_id_or_email(conn, vault, who.tenant(), &account)?;
            let link = CustomerLink { customer_id: None };
            admin::customers::link_account(conn, &who, found.id.as_str(), &link)?;
            println!("account {} acts for no customer", found.id);
            Ok(())
        }
        CustomerCommand::Delete { tenant, id } => {
            let who = operator(conn, &tenant)?;
            admin::customers::delete(conn, &who, &id)?;
            println!("customer {id} deleted; its accounts stay, unlinked");
            Ok(())
        }
        CustomerCommand::Duplicates { tenant, json } => {
            let who = operator(conn, &tenant)?;
            let groups = admin::customers::duplicates(conn, &who)?;
            if json {
                return print_json(&groups);
            }
            if groups.is_empty() {
                println!("No customers share an identifier.");
            }
            for group in &groups {
                println!("{}: {}", group.identifier, group.customers.join(", "));
            }
            Ok(())
        }
    }
}
