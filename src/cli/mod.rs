//! The `tessera` command line: `serve`, `migrate`, and administration commands.
//! Every create/list/show command takes `--json` and prints one JSON document on stdout;
//! errors go to stderr with a non-zero exit code.

mod account;
mod admin;
mod attribute;
mod audit;
mod client;
mod customer;
mod import;
mod keys;
mod output;
mod profile;
mod purpose;
mod resource;
mod role;
mod serve;
mod tenant;
mod webhook;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Settings;

#[derive(Debug, Parser)]
#[command(
    name = "tessera",
    version,
    about = "A multi-tenant OpenID Connect provider"
)]
struct Cli {
    /// A TOML file overriding the built-in defaults (see config/default.toml).
    #[arg(long, global = true, env = "TESSERA_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP server (applies pending migrations first).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate {
        #[arg(long)]
        json: bool,
    },
    /// Delete expired rows now (every server node also does this on its own, every
    /// `maintenance.purge_interval_secs`).
    Purge {
        #[arg(long)]
        json: bool,
    },
    /// Apply every tenant's retention policy now, for the tenants whose daily run is due
    /// (each server node also checks every `maintenance.retention_interval_secs`); mails the
    /// inactivity warnings.
    Retention {
        #[arg(long)]
        json: bool,
    },
    /// Platform administrators (who manage tenants in the platform console).
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// Create and manage tenants.
    #[command(subcommand)]
    Tenant(tenant::TenantCommand),
    /// Register and manage relying parties (OAuth clients).
    #[command(subcommand)]
    Client(client::ClientCommand),
    /// Import a legacy user base: one JSON record per line, one account per email, one
    /// profile per record; running the same file again changes nothing.
    Import(import::ImportArgs),
    /// Create and manage user accounts.
    #[command(subcommand)]
    Account(account::AccountCommand),
    /// Manage an account's profiles (personas).
    #[command(subcommand)]
    Profile(profile::ProfileCommand),
    /// Manage roles and their permissions, and assign them to profiles.
    #[command(subcommand)]
    Role(role::RoleCommand),
    /// Declare custom profile attributes: type, sensitivity, releasing scope, retention.
    #[command(subcommand)]
    Attribute(attribute::AttributeCommand),
    /// Customers: verified legal entities accounts act for, and their verifications.
    #[command(subcommand)]
    Customer(customer::CustomerCommand),
    /// Define consent purposes (terms, marketing…) and publish new versions of them.
    #[command(subcommand)]
    Purpose(purpose::PurposeCommand),
    /// Verify and export the tenant's hash-chained audit log.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// List, rotate and retire a tenant's signing keys.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Send a tenant's change events to URLs (signed webhooks), and redeliver dead letters.
    #[command(subcommand)]
    Webhook(webhook::WebhookCommand),
    /// Register APIs (RFC 8707 resources): their scopes and which clients may ask for them.
    #[command(subcommand)]
    Resource(resource::ResourceCommand),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve => serve::run(settings),
        command => {
            // Administration commands log warnings only, so their stdout stays clean.
            let mut log = settings.log.clone();
            if std::env::var_os("RUST_LOG").is_none() {
                log.level = "warn".into();
            }
            crate::telemetry::init(&log, false);
            match command {
                Command::Migrate { json } => migrate(&settings, json),
                Command::Purge { json } => purge(&settings, json),
                Command::Retention { json } => retention(&settings, json),
                Command::Admin(command) => admin::run(&settings, command),
                Command::Tenant(command) => tenant::run(&settings, command),
                Command::Keys(command) => keys::run(&settings, command),
                Command::Client(command) => client::run(&settings, command),
                Command::Account(command) => account::run(&settings, command),
                Command::Profile(command) => profile::run(&settings, command),
                Command::Role(command) => role::run(&settings, command),
                Command::Customer(command) => customer::run(&settings, command),
                Command::Purpose(command) => purpose::run(&settings, command),
                Command::Attribute(command) => attribute::run(&settings, command),
                Command::Audit(command) => audit::run(&settings, command),
                Command::Import(args) => import::run(&settings, args),
                Command::Webhook(command) => webhook::run(&settings, command),
                Command::Resource(command) => resource::run(&settings, command),
                Command::Serve => unreachable!("handled above"),
            }
        }
    }
}

fn purge(settings: &Settings, json: bool) -> anyhow::Result<()> {
    let db = crate::db::Db::connect(
        secrecy::ExposeSecret::expose_secret(&settings.database.url),
        crate::db::PoolOptions {
            size: 1,
            ..crate::db::PoolOptions::from_settings(&settings.database)
        },
    )?;
    let mut conn = db.conn()?;
    let purged = crate::maintenance::purge_once(
        &mut conn,
        crate::domain::unix_now(),
        settings.maintenance.purge_batch_rows,
        settings.sessions.idle_timeout_secs,
    )?;
    if json {
        return output::print_json(&purged);
    }
    for t in &purged.tables {
        println!("{:<24} {}", t.table, t.deleted);
    }
    println!("{:<24} {}", "total", purged.total);
    Ok(())
}

fn retention(settings: &Settings, json: bool) -> anyhow::Result<()> {
    let (db, vault) = crate::startup::open_database(settings)?;
    let keys = crate::keys::KeyStore::new(vault);
    let round = {
        let mut conn = db.conn()?;
        crate::privacy::retention::run_once(&mut conn, &keys, crate::domain::unix_now())?
    };
    let (mailer, from) = crate::mail::Mailer::from_settings(settings)?;
    let warnings = round.warned.clone();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(crate::privacy::retention::send_warnings(
            settings, &mailer, &from, warnings,
        ));
    if json {
        return output::print_json(&serde_json::json!({
            "tenants": round.tenants,
            "warned": round.warned.len(),
            "accounts_erased": round.accounts_erased,
            "attributes_dropped": round.attributes_dropped,
            "audit_entries_dropped": round.audit_entries_dropped,
        }));
    }
    println!("tenants due        {}", round.tenants);
    println!("warned             {}", round.warned.len());
    println!("accounts erased    {}", round.accounts_erased);
    println!("attribute values   {}", round.attributes_dropped);
    println!("audit entries      {}", round.audit_entries_dropped);
    Ok(())
}

/// The CLI as a tenant's operator: every permission of the tenant, audited as `cli`.
fn operator(
    conn: &mut crate::db::AnyConnection,
    slug: &str,
) -> anyhow::Result<crate::admin::Principal> {
    Ok(crate::admin::Principal::cli(
        &crate::tenancy::tenants::find(conn, slug)?.id,
    ))
}

/// One page as long as the API allows: what the `list` commands print.
fn everything() -> crate::admin::PageRequest {
    crate::admin::PageRequest {
        limit: Some(crate::admin::MAX_PAGE),
        after: None,
    }
}

fn migrate(settings: &Settings, json: bool) -> anyhow::Result<()> {
    let (db, _vault, applied) = crate::startup::migrate_database(
        settings,
        crate::db::PoolOptions {
            size: 1,
            ..crate::db::PoolOptions::from_settings(&settings.database)
        },
    )?;
    if json {
        output::print_json(&serde_json::json!({ "engine": db.engine(), "applied": applied }))
    } else {
        if applied.is_empty() {
            println!("The {} database is up to date.", db.engine());
        }
        for version in applied {
            println!("applied {version}");
        }
        Ok(())
    }
}
