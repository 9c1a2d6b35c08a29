//! `tessera resource …`: the APIs a tenant's access tokens can be for (RFC 8707), and which
//! clients may ask for their scopes. A resource is named by its id or its identifier.

use clap::Subcommand;

use super::output::print_json;
use super::{everything, operator};
use crate::admin::{self, Principal};
use crate::config::Settings;
use crate::db::AnyConnection;
use crate::keys::KeyAlg;
use crate::resources::{ApiResource, ClientAccess, NewResource, ResourceChanges};
use crate::startup::open_database;

#[derive(Debug, Subcommand)]
pub enum ResourceCommand {
    /// List the tenant's APIs.
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
    /// Show one API with the clients allowed on it.
    Show {
        #[arg(long)]
        tenant: String,
        /// Its id or identifier.
        resource: String,
        #[arg(long)]
        json: bool,
    },
    /// Register an API.
    Create {
        #[arg(long)]
        tenant: String,
        /// An absolute URI: what clients send as `resource`, and its tokens' `aud`.
        #[arg(long)]
        identifier: String,
        #[arg(long)]
        name: String,
        /// Its scopes, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        scopes: Vec<String>,
        /// Its tokens' lifetime in seconds (default: the tenant's).
        #[arg(long)]
        lifetime: Option<i64>,
        /// Its tokens' algorithm: RS256, ES256 or EdDSA (default: the requesting client's).
        #[arg(long)]
        alg: Option<String>,
        /// The API's own client, which may introspect its tokens.
        #[arg(long)]
        introspection_client: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Change an API; what is not given stays.
    Update {
        #[arg(long)]
        tenant: String,
        resource: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_delimiter = ',')]
        scopes: Option<Vec<String>>,
        /// 0 goes back to the tenant's lifetime.
        #[arg(long)]
        lifetime: Option<i64>,
        /// RS256, ES256, EdDSA, or `client` for the requesting client's.
        #[arg(long)]
        alg: Option<String>,
        /// "" removes it.
        #[arg(long)]
        introspection_client: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Let a client ask for some of the API's scopes (replaces what it had).
    Allow {
        #[arg(long)]
        tenant: String,
        resource: String,
        #[arg(long)]
        client: String,
        #[arg(long, value_delimiter = ',', required = true)]
        scopes: Vec<String>,
    },
    /// Stop a client asking for the API's scopes.
    Deny {
        #[arg(long)]
        tenant: String,
        resource: String,
        #[arg(long)]
        client: String,
    },
    /// Delete an API (issued tokens stay valid until they expire).
    Delete {
        #[arg(long)]
        tenant: String,
        resource: String,
    },
}

fn alg(text: &str) -> anyhow::Result<KeyAlg> {
    KeyAlg::parse(text).ok_or_else(|| anyhow::anyhow!("--alg is RS256, ES256 or EdDSA"))
}

/// The API named by id or by identifier.
fn find(conn: &mut AnyConnection, who: &Principal, name: &str) -> anyhow::Result<ApiResource> {
    let all = everything();
    admin::resources::list(conn, who, &all)?
        .items
        .into_iter()
        .find(|r| r.id == name || r.identifier == name)
        .ok_or_else(|| anyhow::anyhow!("no API {name} in this tenant"))
}

fn print(resource: &ApiResource) {
    println!("{} {}", resource.id, resource.identifier);
    println!("  name    {}", resource.name);
    println!("  scopes  {}", resource.scopes.join(" "));
    if let Some(secs) = resource.access_token_lifetime_secs {
        println!("  tokens  live {secs} s");
    }
    if let Some(alg) = resource.signing_alg {
        println!("  signed  {alg}");
    }
    if let Some(client) = &resource.introspection_client_id {
        println!("  introspected by {client}");
    }
    for access in &resource.clients {
        println!(
            "  client  {}: {}",
            access.client_id,
            access.scopes.join(" ")
        );
    }
}

fn changed(
    conn: &mut AnyConnection,
    who: &Principal,
    resource: &ApiResource,
    changes: ResourceChanges,
) -> anyhow::Result<ApiResource> {
    Ok(admin::resources::update(conn, who, &resource.id, &changes)?)
}

pub fn run(settings: &Settings, command: ResourceCommand) -> anyhow::Result<()> {
    let (db, _vault) = open_database(settings)?;
    let mut conn = db.conn()?;
    let conn = &mut conn;
    match command {
        ResourceCommand::List { tenant, json } => {
            let who = operator(conn, &tenant)?;
            let all = everything();
            let page = admin::resources::list(conn, &who, &all)?;
            if json {
                return print_json(&page.items);
            }
            println!("{:<36} {:<40} SCOPES", "ID", "IDENTIFIER");
            for r in &page.items {
                println!("{:<36} {:<40} {}", r.id, r.identifier, r.scopes.join(" "));
            }
            Ok(())
        }
        ResourceCommand::Show {
            tenant,
            resource,
            json,
        } => {
            let who = operator(conn, &tenant)?;
            let resource = find(conn, &who, &resource)?;
            if json {
                return print_json(&resource);
            }
            print(&resource);
            Ok(())
        }
        ResourceCommand::Create {
            tenant,
            identifier,
            name,
            scopes,
            lifetime,
            alg: signing_alg,
            introspection_client,
            json,
        } => {
            let who = operator(conn, &tenant)?;
            let new = NewResource {
                identifier,
                name,
                scopes,
                access_token_lifetime_secs: lifetime,
                signing_alg: signing_alg.as_deref().map(alg).transpose()?,
                introspection_client_id: introspection_client,
                clients: Vec::new(),
            };
            let created = admin::resources::create(conn, &who, &new)?;
            if json {
                return print_json(&created);
            }
            print(&created);
            Ok(())
        }
        ResourceCommand::Update {
            tenant,
            resource,
            name,
            scopes,
            lifetime,
            alg: signing_alg,
            introspection_client,
            json,
        } => {
            let who = operator(conn, &tenant)?;
            let current = find(conn, &who, &resource)?;
            let clear_signing_alg = signing_alg.as_deref() == Some("client");
            let changes = ResourceChanges {
                name,
                scopes,
                access_token_lifetime_secs: lifetime,
                signing_alg: match signing_alg.as_deref() {
                    None | Some("client") => None,
                    Some(text) => Some(alg(text)?),
                },
                clear_signing_alg,
                introspection_client_id: introspection_client,
                clients: None,
            };
            let updated = changed(conn, &who, &current, changes)?;
            if json {
                return print_json(&updated);
            }
            print(&updated);
            Ok(())
        }
        ResourceCommand::Allow {
            tenant,
            resource,
            client,
            scopes,
        } => {
            let who = operator(conn, &tenant)?;
            let current = find(conn, &who, &resource)?;
            let mut clients: Vec<ClientAccess> = current
                .clients
                .iter()
                .filter(|a| a.client_id != client)
                .cloned()
                .collect();
            clients.push(ClientAccess {
                client_id: client,
                scopes,
            });
            let changes = ResourceChanges {
                clients: Some(clients),
                ..ResourceChanges::default()
            };
            print(&changed(conn, &who, &current, changes)?);
            Ok(())
        }
        ResourceCommand::Deny {
            tenant,
            resource,
            client,
        } => {
            let who = operator(conn, &tenant)?;
            let current = find(conn, &who, &resource)?;
            if !current.clients.iter().any(|a| a.client_id == client) {
                anyhow::bail!("client {client} is not allowed on {}", current.identifier);
            }
            let clients = current
                .clients
                .iter()
                .filter(|a| a.client_id != client)
                .cloned()
                .collect();
            let changes = ResourceChanges {
                clients: Some(clients),
                ..ResourceChanges::default()
            };
            print(&changed(conn, &who, &current, changes)?);
            Ok(())
        }
        ResourceCommand::Delete { tenant, resource } => {
            let who = operator(conn, &tenant)?;
            let current = find(conn, &who, &resource)?;
            admin::resources::delete(conn, &who, &current.id)?;
            println!("deleted {}", current.identifier);
            Ok(())
        }
    }
}
