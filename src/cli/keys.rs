//! `tessera keys …`

use clap::Subcommand;

use super::output::{print_json, print_keys, KeyView};
use crate::admin::{self, Principal};
use crate::config::Settings;
use crate::keys::{self, KeyAlg};
use crate::startup::open_database;
use crate::tenancy::tenants;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List the tenant's keys: active (signing), inactive (published), retired.
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
    /// Make a new active key; the previous one stays in JWKS until retired.
    Rotate {
        #[arg(long)]
        tenant: String,
        /// Algorithm to rotate (repeatable): RS256, ES256, EdDSA. Default: all.
        #[arg(long = "alg", value_parser = parse_alg)]
        algs: Vec<KeyAlg>,
        #[arg(long)]
        json: bool,
    },
    /// Re-wrap every key and secret the master key protects (data keys, signing keys, TOTP
    /// seeds) under the configured master key. Configure every node with the new key as
    /// keys.master_key_file and the old one as keys.previous_master_key_file first; servers
    /// keep running meanwhile. Safe to interrupt and run again.
    RotateMaster {
        /// Rows re-wrapped per transaction.
        #[arg(long, default_value_t = 500)]
        batch_size: i64,
        #[arg(long)]
        json: bool,
    },
    /// Remove an inactive key from JWKS and erase its private half.
    Retire {
        #[arg(long)]
        tenant: String,
        /// The key id (kid) to retire.
        kid: String,
        #[arg(long)]
        json: bool,
    },
}

fn parse_alg(input: &str) -> Result<KeyAlg, String> {
    KeyAlg::parse(input)
        .ok_or_else(|| format!("unknown algorithm {input}: use RS256, ES256 or EdDSA"))
}

pub fn run(settings: &Settings, command: KeysCommand) -> anyhow::Result<()> {
    let (db, vault) = open_database(settings)?;
    let mut conn = db.conn()?;
    match command {
        KeysCommand::List { tenant, json } => {
            let tenant = tenants::find(&mut conn, &tenant)?;
            print_keys(&keys::list(&mut conn, &tenant.id)?, json)
        }
        KeysCommand::Rotate { tenant, algs, json } => {
            let tenant = tenants::find(&mut conn, &tenant)?;
            let who = Principal::cli(&tenant.id);
            let created = admin::keys::rotate(&mut conn, vault.master(), &who, &algs)?;
            if json {
                return print_keys(&created, true);
            }
            for key in &created {
                println!("New active {} key {}", key.alg, key.kid);
            }
            println!(
                "Earlier keys stay published until retired: tessera keys retire --tenant {} KID",
                tenant.slug
            );
            Ok(())
        }
        KeysCommand::RotateMaster { batch_size, json } => {
            let report = crate::platform::rotate_master_key(
                &mut conn,
                &vault,
                &crate::audit::Actor::cli(),
                batch_size.max(1),
            )?;
            if json {
                return print_json(&report);
            }
            for table in &report.tables {
                println!("{:<20} {} re-wrapped", table.what, table.rewrapped);
            }
            if report.remaining > 0 {
                println!(
                    "{} value(s) are still under another key: a node still seals with the old \
                     key. Give every node the new key, then run this again.",
                    report.remaining
                );
            } else {
                println!(
                    "Everything is wrapped under master key {}. The previous key can be removed \
                     from the configuration (keep a backup until you have restarted every node).",
                    report.master_key_id
                );
            }
            Ok(())
        }
        KeysCommand::Retire { tenant, kid, json } => {
            let tenant = tenants::find(&mut conn, &tenant)?;
            let retired = admin::keys::retire(&mut conn, &Principal::cli(&tenant.id), &kid)
                .map_err(|e| match e {
                    admin::AdminError::NotFound => anyhow::anyhow!("no key {kid} in this tenant"),
                    other => other.into(),
                })?;
            if json {
                return print_json(&KeyView::from(&retired));
            }
            println!(
                "Retired {} key {}: no longer published in JWKS.",
                retired.alg, retired.kid
            );
            Ok(())
        }
    }
}
