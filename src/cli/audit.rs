//! `tessera audit …`

use clap::Subcommand;

use super::output::print_json;
use crate::config::Settings;
use crate::startup::open_database;
use crate::tenancy::tenants;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the tenant's hash chain; reports the first edited or deleted entry.
    Verify {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
    /// Print every entry as JSON lines, oldest first.
    Export {
        #[arg(long)]
        tenant: String,
    },
}

pub fn run(settings: &Settings, command: AuditCommand) -> anyhow::Result<()> {
    let db = open_database(settings)?;
    let mut conn = db.conn()?;
    match command {
        AuditCommand::Verify { tenant, json } => {
            let tenant = chain(&mut conn, &tenant)?;
            let result = crate::audit::verify(&mut conn, &tenant)?;
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
        AuditCommand::Export { tenant } => {
            let tenant = chain(&mut conn, &tenant)?;
            let mut failure = None;
            crate::audit::export(&mut conn, &tenant, |row| {
                if let Err(e) = serde_json::to_string(row).map(|line| println!("{line}")) {
                    failure = Some(e);
                }
            })?;
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
