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
        /// A person: an account's email (its default profile) or a profile id.
        #[arg(long, required_unless_present = "client", conflicts_with = "client")]
        profile: Option<String>,
        /// With an email in --profile: the account's profile with this name instead.
        #[arg(long, requires = "profile")]
        profile_name: Option<String>,
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
        /// A person: an account's email (its default profile) or a profile id.
        #[arg(long, required_unless_present = "client", conflicts_with = "client")]
        profile: Option<String>,
        /// With an email in --profile: the account's profile with this name instead.
        #[arg(long, requires = "profile")]
        profile_name: Option<String>,
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
    let (db, vault) = open_database(settings)?;
    let vault = &vault;
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
            profile_name,
            client,
            json,
        } => {
            let holder = Holder::of(conn, vault, &tenant, profile, profile_name, client)?;
            set_holder(conn, &tenant, &name, holder, true, json)
        }
        RoleCommand::Revoke {
            tenant,
            role: name,
            profile,
            profile_name,
            client,
            json,
        } => {
            let holder = Holder::of(conn, vault, &tenant, profile, profile_name, client)?;
            set_holder(conn, &tenant, &name, holder, false, json)
        }
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

    /// The holder the options name; a person named by email is found in the tenant.
    fn of(
        conn: &mut AnyConnection,
        vault: &crate::keys::Vault,
        tenant: &str,
        profile: Option<String>,
        profile_name: Option<String>,
        client: Option<String>,
    ) -> anyhow::Result<Holder> {
        Ok(match (profile, client) {
            (Some(person), _) => {
                let who = operator(conn, tenant)?;
                let id = admin::people::find_profile(
                    conn,
                    vault,
                    &who,
                    &person,
                    profile_name.as_deref(),
                )?;
                Holder::Profile(id.to_string())
            }
            (None, client) => Holder::Client(client.unwrap_or_default()),
        })
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
