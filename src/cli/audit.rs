//! `tessera audit …`

use clap::Subcommand;

use super::output::print_json;
use crate::config::Settings;
use crate::keys::KeyStore;
use crate::startup::open_database;
use crate::tenancy::tenants;
use anyhow::Context;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the tenant's hash chain; reports the first edited or deleted entry. The chain
    /// is also held to its stored signed checkpoints and to any given ones.
    Verify {
        #[arg(long)]
        tenant: String,
        /// A file holding a checkpoint (its JWS, as `{issuer}/audit/checkpoints` lists it)
        /// kept outside this database (repeatable).
        #[arg(long = "checkpoint")]
        checkpoints: Vec<std::path::PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Sign a checkpoint of the tenant's chain head now (servers also do so every
    /// `audit.checkpoint_interval_secs`); prints it.
    Checkpoint {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
    /// Print every entry as JSON lines, oldest first.
    Export {
        #[arg(long)]
        tenant: String,
        /// Then the stored signed checkpoints, newest first, one `{"checkpoint": …}` line
        /// each (keep them with the export: `audit verify --checkpoint` takes their `jws`),
        /// and, when retention cut the chain, its signed anchor as an `{"anchor": …}` line.
        #[arg(long)]
        with_checkpoints: bool,
    },
}

pub fn run(settings: &Settings, command: AuditCommand) -> anyhow::Result<()> {
    let (db, vault) = open_database(settings)?;
    let keys = KeyStore::new(vault);
    let mut conn = db.conn()?;
    match command {
        AuditCommand::Verify {
            tenant,
            checkpoints,
            json,
        } => {
            let tenant = chain(&mut conn, &tenant)?;
            let given = checkpoints
                .iter()
                .map(|path| {
                    std::fs::read_to_string(path)
                        .with_context(|| format!("could not read {}", path.display()))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let result = crate::checkpoints::verify(&mut conn, &keys, &tenant, &given)?;
            if json {
                print_json(&result)?;
            } else if let Some((_, why)) = &result.broken {
                println!("BROKEN after {} good entries: {why}", result.entries);
            } else {
                println!("OK: {} entries, chain intact", result.entries);
            }
            match result.broken {
                Some((_, why)) => anyhow::bail!("the audit chain is broken: {why}"),
                None => Ok(()),
            }
        }
        AuditCommand::Checkpoint { tenant, json } => {
            let tenant = chain(&mut conn, &tenant)?;
            let now = crate::domain::unix_now();
            let taken = crate::checkpoints::take(&mut conn, &keys, &tenant, now)?;
            let newest = match taken {
                Some(row) => Some(row),
                None => crate::checkpoints::published(&mut conn, &tenant)?
                    .into_iter()
                    .next(),
            };
            let Some(checkpoint) = newest else {
                anyhow::bail!("nothing to sign: the log is empty or the tenant has no signing key");
            };
            if json {
                print_json(&checkpoint)
            } else {
                println!("{}", checkpoint.jws);
                Ok(())
            }
        }
        AuditCommand::Export {
            tenant,
            with_checkpoints,
        } => {
            let tenant = chain(&mut conn, &tenant)?;
            let mut failure = None;
            crate::audit::export(&mut conn, &tenant, |row| {
                if let Err(e) = serde_json::to_string(row).map(|line| println!("{line}")) {
                    failure = Some(e);
                }
            })?;
            if with_checkpoints {
                for checkpoint in crate::checkpoints::published(&mut conn, &tenant)? {
                    println!("{}", serde_json::json!({ "checkpoint": checkpoint }));
                }
                if let Some(anchor) = crate::db::audit::base(&mut conn, &tenant)? {
                    println!("{}", serde_json::json!({ "anchor": anchor }));
                }
            }
            match failure {
                Some(e) => Err(e.into()),
                None => Ok(()),
            }
        }
    }
}

/// The tenant whose chain to read; `_platform` names the platform administrators' own chain
/// (tenant creation, suspension, deletion, platform sign-ins).
fn chain(
    conn: &mut crate::db::AnyConnection,
    slug: &str,
) -> anyhow::Result<crate::domain::TenantId> {
    if slug == crate::tenancy::INTERNAL_SLUG {
        return Ok(crate::platform::internal_tenant(conn)?);
    }
    Ok(tenants::find(conn, slug)?.id)
}
