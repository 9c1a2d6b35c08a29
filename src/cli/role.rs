//! `tessera role …`

use clap::Subcommand;
use serde_json::json;

use super::output::print_json;
use crate::admin::{self, Principal};
use crate::config::Settings;
use crate::db::AnyConnection;
use crate::profiles::{role, Role};
use crate::startup::open_database;
use crate::tenancy::tenants;

#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// Create a role.
    Create {
        #[arg(long)]
        tenant: String,
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// List roles with their permissions.
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
    /// Delete a role (profiles lose it at once; tokens at their next refresh).
    Delete {
        #[arg(long)]
        tenant: String,
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Give a role a permission.
    Permit {
        #[arg(long)]
        tenant: String,
        role: String,
        permission: String,
        #[arg(long)]
        json: bool,
    },
    /// Take a permission from a role.
    Unpermit {
        #[arg(long)]
        tenant: String,
        role: String,
        permission: String,
        #[arg(long)]
        json: bool,
    },
    /// Assign a role to a profile, or to a client (for client_credentials tokens).
    Grant {
        #[arg(long)]
        tenant: String,
        role: String,
        #[arg(long, required_unless_present = "client", conflicts_with = "client")]
        profile: Option<String>,
        #[arg(long)]
        client: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Remove a role from a profile or a client.
    Revoke {
        #[arg(long)]
        tenant: String,
        role: String,
        #[arg(long, required_unless_present = "client", conflicts_with = "client")]
        profile: Option<String>,
        #[arg(long)]
        client: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

fn show(role: &Role, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(role);
    }
    println!("{}: {}", role.name, role.permissions.join(", "));
    Ok(())
}

pub fn run(settings: &Settings, command: RoleCommand) -> anyhow::Result<()> {
    let (db, _vault) = open_database(settings)?;
    let mut conn = db.conn()?;
    let conn = &mut conn;
    match command {
        RoleCommand::Create { tenant, name, json } => {
            let who = operator(conn, &tenant)?;
            show(&admin::roles::create(conn, &who, &name)?, json)
        }
        RoleCommand::List { tenant, json } => {
            let tenant = tenants::find(conn, &tenant)?;
            let roles = role::list(conn, &tenant.id)?;
            if json {
                return print_json(&roles);
            }
            roles.iter().try_for_each(|r| show(r, false))
        }
        RoleCommand::Delete { tenant, name, json } => {
            let who = operator(conn, &tenant)?;
            admin::roles::delete(conn, &who, &name)?;
            if json {
                return print_json(&json!({ "name": name, "deleted": true }));
            }
            println!("Deleted role {name}.");
            Ok(())
        }
        RoleCommand::Permit {
            tenant,
            role: name,
            permission,
            json,
        } => {
            let who = operator(conn, &tenant)?;
            show(
                &admin::roles::set_permission(conn, &who, &name, &permission, true)?,
                json,
            )
        }
        RoleCommand::Unpermit {
            tenant,
            role: name,
            permission,
            json,
        } => {
            let who = operator(conn, &tenant)?;
            show(
                &admin::roles::set_permission(conn, &who, &name, &permission, false)?,
                json,
            )
        }
        RoleCommand::Grant {
            tenant,
            role: name,
            profile,
            client,
            json,
        } => set_holder(
            conn,
            &tenant,
            &name,
            Holder::of(profile, client),
            true,
            json,
        ),
        RoleCommand::Revoke {
            tenant,
            role: name,
            profile,
            client,
            json,
        } => set_holder(
            conn,
            &tenant,
            &name,
            Holder::of(profile, client),
            false,
            json,
        ),
    }
}

/// The operator at the command line, acting in the tenant `slug` through the admin layer.
fn operator(conn: &mut AnyConnection, slug: &str) -> anyhow::Result<Principal> {
    Ok(Principal::cli(&tenants::find(conn, slug)?.id))
}

/// Gives or takes a role, then shows the holder's roles and permissions.
fn set_holder(
    conn: &mut AnyConnection,
    tenant: &str,
    name: &str,
    holder: Holder,
    granted: bool,
    json: bool,
) -> anyhow::Result<()> {
    let who = operator(conn, tenant)?;
    admin::roles::set_holder(conn, &who, name, &holder.for_admin(), granted)?;
    let held = match &holder {
        Holder::Profile(id) => {
            crate::profiles::authorization(conn, who.tenant(), &id.as_str().into())?
        }
        Holder::Client(id) => role::client_authorization(conn, who.tenant(), &id.as_str().into())?,
    };
    authorization(&holder, &held, json)
}

/// Who holds a role: clap guarantees exactly one of the two options.
enum Holder {
    Profile(String),
    Client(String),
}

impl Holder {
    fn for_admin(&self) -> admin::roles::Holder {
        match self {
            Holder::Profile(id) => admin::roles::Holder {
                profile_id: Some(id.clone()),
                client_id: None,
            },
            Holder::Client(id) => admin::roles::Holder {
                profile_id: None,
                client_id: Some(id.clone()),
            },
        }
    }

    fn of(profile: Option<String>, client: Option<String>) -> Holder {
        match (profile, client) {
            (Some(profile), _) => Holder::Profile(profile),
            (None, client) => Holder::Client(client.unwrap_or_default()),
        }
    }
}

fn authorization(
    holder: &Holder,
    held: &crate::profiles::Authorization,
    json: bool,
) -> anyhow::Result<()> {
    let (field, id) = match holder {
        Holder::Profile(id) => ("profile_id", id),
        Holder::Client(id) => ("client_id", id),
    };
    if json {
        return print_json(
            &json!({ field: id, "roles": held.roles, "permissions": held.permissions }),
        );
    }
    let kind = field.trim_end_matches("_id");
    println!(
        "{kind} {id}: roles {} / permissions {}",
        held.roles.join(", "),
        held.permissions.join(", ")
    );
    Ok(())
}
