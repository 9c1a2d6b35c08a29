//! `tessera role …`

use clap::Subcommand;
use serde_json::json;

use super::output::print_json;
use crate::config::Settings;
use crate::domain::ProfileId;
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
    let db = open_database(settings)?;
    let mut conn = db.conn()?;
    match command {
        RoleCommand::Create { tenant, name, json } => {
            let tenant = tenants::find(&mut conn, &tenant)?;
            let role = role::create(&mut conn, &tenant.id, &name)?;
            super::audit_change(&mut conn, &tenant.id, "role.create", &name, json!({}))?;
            show(&role, json)
        }
        RoleCommand::List { tenant, json } => {
            let tenant = tenants::find(&mut conn, &tenant)?;
            let roles = role::list(&mut conn, &tenant.id)?;
            if json {
                return print_json(&roles);
            }
            roles.iter().try_for_each(|r| show(r, false))
        }
        RoleCommand::Delete { tenant, name, json } => {
            let tenant = tenants::find(&mut conn, &tenant)?;
            role::delete(&mut conn, &tenant.id, &name)?;
            super::audit_change(&mut conn, &tenant.id, "role.delete", &name, json!({}))?;
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
            let tenant = tenants::find(&mut conn, &tenant)?;
            let role = role::permit(&mut conn, &tenant.id, &name, &permission)?;
            super::audit_change(
                &mut conn,
                &tenant.id,
                "role.permit",
                &name,
                json!({ "permission": permission }),
            )?;
            show(&role, json)
        }
        RoleCommand::Unpermit {
            tenant,
            role: name,
            permission,
            json,
        } => {
            let tenant = tenants::find(&mut conn, &tenant)?;
            {
                let role = role::unpermit(&mut conn, &tenant.id, &name, &permission)?;
                super::audit_change(
                    &mut conn,
                    &tenant.id,
                    "role.unpermit",
                    &name,
                    json!({ "permission": permission }),
                )?;
                show(&role, json)
            }
        }
        RoleCommand::Grant {
            tenant,
            role: name,
            profile,
            client,
            json,
        } => {
            let tenant = tenants::find(&mut conn, &tenant)?;
            let holder = Holder::of(profile, client);
            let held = match &holder {
                Holder::Profile(id) => role::grant(
                    &mut conn,
                    &tenant.id,
                    &name,
                    &ProfileId::from_stored(id.clone()),
                )?,
                Holder::Client(id) => role::grant_client(&mut conn, &tenant.id, &name, id)?,
            };
            super::audit_change(&mut conn, &tenant.id, "role.grant", &name, holder.details())?;
            authorization(&holder, &held, json)
        }
        RoleCommand::Revoke {
            tenant,
            role: name,
            profile,
            client,
            json,
        } => {
            let tenant = tenants::find(&mut conn, &tenant)?;
            let holder = Holder::of(profile, client);
            let held = match &holder {
                Holder::Profile(id) => role::revoke(
                    &mut conn,
                    &tenant.id,
                    &name,
                    &ProfileId::from_stored(id.clone()),
                )?,
                Holder::Client(id) => role::revoke_client(&mut conn, &tenant.id, &name, id)?,
            };
            super::audit_change(
                &mut conn,
                &tenant.id,
                "role.revoke",
                &name,
                holder.details(),
            )?;
            authorization(&holder, &held, json)
        }
    }
}

/// Who holds a role: clap guarantees exactly one of the two options.
enum Holder {
    Profile(String),
    Client(String),
}

impl Holder {
    fn details(&self) -> serde_json::Value {
        match self {
            Holder::Profile(id) => json!({ "profile_id": id }),
            Holder::Client(id) => json!({ "client_id": id }),
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
