//! `tessera purpose …`: the consent purposes a tenant asks people to agree to.

use std::io::Read;

use anyhow::Context;
use clap::Subcommand;

use super::output::print_json;
use super::{everything, operator};
use crate::admin::{self, PageRequest};
use crate::config::Settings;
use crate::consent::purposes::{NewPurpose, NewVersion, Purpose};
use crate::startup::open_database;

#[derive(Debug, Subcommand)]
pub enum PurposeCommand {
    /// List purposes with their current version.
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
    /// Show a purpose with every version.
    Show {
        #[arg(long)]
        tenant: String,
        key: String,
        #[arg(long)]
        json: bool,
    },
    /// Define a purpose and its first version.
    Create {
        #[arg(long)]
        tenant: String,
        /// Stable key: lowercase letters, digits and '-' (e.g. terms, marketing-email).
        key: String,
        #[arg(long)]
        name: String,
        /// People must accept it to use the clients that need it.
        #[arg(long)]
        required: bool,
        #[command(flatten)]
        terms: Terms,
        #[arg(long)]
        json: bool,
    },
    /// Publish the next version: people who accepted an earlier one are asked again.
    Publish {
        #[arg(long)]
        tenant: String,
        key: String,
        /// What changed, shown to everyone asked again.
        #[arg(long)]
        changes: String,
        /// Make the purpose required (true) or optional (false); absent: as before.
        #[arg(long)]
        required: Option<bool>,
        #[command(flatten)]
        terms: Terms,
        #[arg(long)]
        json: bool,
    },
    /// Stop asking for a purpose (its history stays).
    Retire {
        #[arg(long)]
        tenant: String,
        key: String,
        #[arg(long)]
        json: bool,
    },
}

/// The words of a version: inline, from a file (`-` for standard input), and/or an address.
#[derive(Debug, clap::Args)]
pub struct Terms {
    #[arg(long, conflicts_with = "text_file")]
    text: Option<String>,
    #[arg(long)]
    text_file: Option<std::path::PathBuf>,
    /// The https address where the words are published.
    #[arg(long)]
    url: Option<String>,
}

impl Terms {
    fn text(&self) -> anyhow::Result<Option<String>> {
        match (&self.text, &self.text_file) {
            (Some(text), _) => Ok(Some(text.clone())),
            (None, Some(path)) if path.as_os_str() == "-" => {
                let mut text = String::new();
                std::io::stdin()
                    .read_to_string(&mut text)
                    .context("could not read the text from standard input")?;
                Ok(Some(text))
            }
            (None, Some(path)) => std::fs::read_to_string(path)
                .map(Some)
                .with_context(|| format!("could not read {}", path.display())),
            (None, None) => Ok(None),
        }
    }
}

fn show(purpose: &Purpose, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(purpose);
    }
    println!(
        "{} ({}){}",
        purpose.key,
        purpose.name,
        if purpose.retired { " — retired" } else { "" }
    );
    for v in &purpose.versions {
        let kind = if v.required { "required" } else { "optional" };
        println!(
            "  version {} · {kind} · published {}",
            v.version, v.published_at
        );
        if !v.changes.is_empty() {
            println!("    changes: {}", v.changes);
        }
        if let Some(url) = &v.url {
            println!("    url: {url}");
        }
    }
    Ok(())
}

pub fn run(settings: &Settings, command: PurposeCommand) -> anyhow::Result<()> {
    let (db, _vault) = open_database(settings)?;
    let mut conn = db.conn()?;
    let conn = &mut conn;
    match command {
        PurposeCommand::List { tenant, json } => {
            let who = operator(conn, &tenant)?;
            let all = everything();
            let mut purposes = Vec::new();
            let mut page = admin::purposes::list(conn, &who, &all)?;
            loop {
                purposes.append(&mut page.items);
                let Some(after) = page.next.take() else { break };
                page = admin::purposes::list(
                    conn,
                    &who,
                    &PageRequest {
                        after: Some(after),
                        ..all.clone()
                    },
                )?;
            }
            if json {
                return print_json(&purposes);
            }
            println!(
                "{:<24} {:<8} {:<9} {:<8} NAME",
                "KEY", "VERSION", "KIND", "STATUS"
            );
            for p in &purposes {
                let current = p.current();
                println!(
                    "{:<24} {:<8} {:<9} {:<8} {}",
                    p.key,
                    current.map_or(0, |v| v.version),
                    if current.is_some_and(|v| v.required) {
                        "required"
                    } else {
                        "optional"
                    },
                    if p.retired { "retired" } else { "asked" },
                    p.name
                );
            }
            Ok(())
        }
        PurposeCommand::Show { tenant, key, json } => {
            let who = operator(conn, &tenant)?;
            show(&admin::purposes::get(conn, &who, &key)?, json)
        }
        PurposeCommand::Create {
            tenant,
            key,
            name,
            required,
            terms,
            json,
        } => {
            let who = operator(conn, &tenant)?;
            let new = NewPurpose {
                key,
                name,
                required,
                text: terms.text()?,
                url: terms.url.clone(),
            };
            show(&admin::purposes::create(conn, &who, &new)?, json)
        }
        PurposeCommand::Publish {
            tenant,
            key,
            changes,
            required,
            terms,
            json,
        } => {
            let who = operator(conn, &tenant)?;
            let new = NewVersion {
                required,
                text: terms.text()?,
                url: terms.url.clone(),
                changes,
            };
            show(&admin::purposes::publish(conn, &who, &key, &new)?, json)
        }
        PurposeCommand::Retire { tenant, key, json } => {
            let who = operator(conn, &tenant)?;
            show(&admin::purposes::retire(conn, &who, &key)?, json)
        }
    }
}
