//! `tessera client …`

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::json;

use super::output::print_json;
use crate::admin::clients::{ClientChanges, NewClient};
use crate::admin::{self, Principal};
use crate::clients::{self, AuthMethod, Client, ClientType, ConsentPolicy, GrantType, SubjectMode};
use crate::config::Settings;
use crate::domain::ClientId;
use crate::keys::KeyAlg;
use crate::startup::open_database;
use crate::tenancy::tenants;

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a relying party; prints its client_id and, once, its secret.
    Create(CreateArgs),
    /// List the tenant's clients.
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
    /// Show one client.
    Show {
        #[arg(long)]
        tenant: String,
        client_id: ClientId,
        #[arg(long)]
        json: bool,
    },
    /// Change a client; list options replace the whole list.
    Update(UpdateArgs),
    /// Delete a client and everything issued to it.
    Delete {
        #[arg(long)]
        tenant: String,
        client_id: ClientId,
        #[arg(long)]
        json: bool,
    },
    /// Issue a new secret; the old one stops working at once.
    RotateSecret {
        #[arg(long)]
        tenant: String,
        client_id: ClientId,
        #[arg(long)]
        json: bool,
    },
    /// An initial access token for dynamic client registration (RFC 7591), printed once.
    RegistrationToken {
        #[arg(long)]
        tenant: String,
        /// How many clients it may register.
        #[arg(long, default_value_t = 1)]
        uses: i64,
        /// Seconds it stays valid.
        #[arg(long, default_value_t = 86_400)]
        expires_in: i64,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long)]
        json: bool,
    },
    /// The tenant's initial access tokens (never the tokens themselves).
    RegistrationTokens {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
    /// Revoke an initial access token.
    RevokeRegistrationToken {
        #[arg(long)]
        tenant: String,
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[arg(long)]
    tenant: String,
    #[arg(long)]
    name: String,
    /// Allowed redirect URI (repeatable): https, or http on a loopback host. Matched exactly;
    /// only a public client registered with 127.0.0.1 or [::1] may use any port (RFC 8252).
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    /// A public client (browser or native app): no secret, PKCE required.
    #[arg(long)]
    public: bool,
    /// Grant types, comma separated: authorization_code,refresh_token,client_credentials.
    #[arg(long = "grant", value_delimiter = ',', value_parser = parse_grant)]
    grants: Vec<GrantType>,
    #[arg(long, value_parser = parse_auth_method)]
    auth_method: Option<AuthMethod>,
    /// File with the client's public JWKS (private_key_jwt).
    #[arg(long, conflicts_with = "jwks_uri")]
    jwks: Option<PathBuf>,
    /// URL of the client's public JWKS (private_key_jwt).
    #[arg(long)]
    jwks_uri: Option<String>,
    /// Allowed post-logout redirect URI (repeatable).
    #[arg(long = "post-logout-redirect-uri")]
    post_logout_redirect_uris: Vec<String>,
    /// Ask users for consent (required) or not (skip, first-party clients).
    #[arg(long, default_value = "required", value_parser = parse_consent)]
    consent: ConsentPolicy,
    /// Algorithm for this client's ID and access tokens.
    #[arg(long, default_value = "RS256", value_parser = parse_alg)]
    signing_alg: KeyAlg,
    /// What `sub` identifies: profile (each persona), account, or pairwise (per sector).
    #[arg(long, default_value = "profile", value_parser = parse_subject_mode)]
    subject_mode: SubjectMode,
    /// The pairwise sector (a host); defaults to the redirect URIs' host when they share one.
    #[arg(long)]
    sector_identifier: Option<String>,
    /// An administration client: may ask for the tessera:admin scope (user tokens for the
    /// admin API).
    #[arg(long)]
    administration: bool,
    /// A consent purpose users accept before the client gets a code (repeatable; see
    /// `tessera purpose`).
    #[arg(long = "purpose")]
    purposes: Vec<String>,
    /// Where logout tokens are posted when a session the client took part in ends (OIDC
    /// Back-Channel Logout).
    #[arg(long)]
    backchannel_logout_uri: Option<String>,
    /// Logout tokens must carry `sid` (they do whenever the session is known).
    #[arg(long)]
    backchannel_logout_session_required: bool,
    /// /authorize takes only pushed authorization requests (RFC 9126) from this client.
    #[arg(long)]
    require_par: bool,
    /// Token requests must carry a DPoP proof (RFC 9449): every token is key-bound.
    #[arg(long)]
    dpop: bool,
    /// Hold the client to the FAPI 2.0 Security Profile (with --auth-method private_key_jwt
    /// and --signing-alg ES256, PS256 or EdDSA).
    #[arg(long)]
    fapi2: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    #[arg(long)]
    tenant: String,
    client_id: ClientId,
    #[arg(long)]
    name: Option<String>,
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    #[arg(long = "post-logout-redirect-uri")]
    post_logout_redirect_uris: Vec<String>,
    #[arg(long = "grant", value_delimiter = ',', value_parser = parse_grant)]
    grants: Vec<GrantType>,
    #[arg(long, conflicts_with = "jwks_uri")]
    jwks: Option<PathBuf>,
    #[arg(long)]
    jwks_uri: Option<String>,
    #[arg(long, value_parser = parse_consent)]
    consent: Option<ConsentPolicy>,
    #[arg(long, value_parser = parse_alg)]
    signing_alg: Option<KeyAlg>,
    #[arg(long, value_parser = parse_subject_mode)]
    subject_mode: Option<SubjectMode>,
    #[arg(long)]
    sector_identifier: Option<String>,
    /// Mark (true) or unmark (false) an administration client.
    #[arg(long)]
    administration: Option<bool>,
    /// Replace the consent purposes the client needs (repeatable).
    #[arg(long = "purpose", conflicts_with = "no_purposes")]
    purposes: Vec<String>,
    /// The client needs no consent purpose any more.
    #[arg(long)]
    no_purposes: bool,
    /// Set (or, with "", remove) the back-channel logout URI.
    #[arg(long)]
    backchannel_logout_uri: Option<String>,
    #[arg(long)]
    backchannel_logout_session_required: Option<bool>,
    /// Require (true) or stop requiring (false) pushed authorization requests.
    #[arg(long)]
    require_par: Option<bool>,
    /// Require (true) or stop requiring (false) DPoP proofs at the token endpoint.
    #[arg(long)]
    dpop: Option<bool>,
    /// Hold to (true) or release from (false) the FAPI 2.0 Security Profile.
    #[arg(long)]
    fapi2: Option<bool>,
    #[arg(long)]
    json: bool,
}

fn one_of<T: Copy + std::fmt::Display>(
    all: &[T],
    input: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<T, String> {
    parse(input).ok_or_else(|| {
        let names: Vec<String> = all.iter().map(ToString::to_string).collect();
        format!("unknown value \"{input}\": use one of {}", names.join(", "))
    })
}

fn parse_grant(input: &str) -> Result<GrantType, String> {
    // The device grant's name is a URN; `device_code` is short for it.
    let input = if input == "device_code" {
        GrantType::DeviceCode.as_str()
    } else {
        input
    };
    one_of(GrantType::ALL, input, GrantType::parse)
}

fn parse_auth_method(input: &str) -> Result<AuthMethod, String> {
    one_of(AuthMethod::ALL, input, AuthMethod::parse)
}

fn parse_consent(input: &str) -> Result<ConsentPolicy, String> {
    one_of(ConsentPolicy::ALL, input, ConsentPolicy::parse)
}

fn parse_subject_mode(input: &str) -> Result<SubjectMode, String> {
    one_of(SubjectMode::ALL, input, SubjectMode::parse)
}

fn parse_alg(input: &str) -> Result<KeyAlg, String> {
    KeyAlg::parse(input)
        .ok_or_else(|| format!("unknown algorithm {input}: use RS256, ES256 or EdDSA"))
}

fn read_jwks(path: Option<PathBuf>) -> anyhow::Result<Option<String>> {
    path.map(|p| {
        std::fs::read_to_string(&p).with_context(|| format!("could not read {}", p.display()))
    })
    .transpose()
}

pub fn run(settings: &Settings, command: ClientCommand) -> anyhow::Result<()> {
    let (db, _vault) = open_database(settings)?;
    let mut conn = db.conn()?;
    match command {
        ClientCommand::Create(args) => {
            let tenant = tenants::find(&mut conn, &args.tenant)?;
            let new = NewClient {
                name: args.name,
                client_type: Some(if args.public {
                    ClientType::Public
                } else {
                    ClientType::Confidential
                }),
                redirect_uris: args.redirect_uris,
                post_logout_redirect_uris: args.post_logout_redirect_uris,
                grant_types: (!args.grants.is_empty()).then_some(args.grants),
                auth_method: args.auth_method,
                jwks: read_jwks(args.jwks)?,
                jwks_uri: args.jwks_uri,
                consent: Some(args.consent),
                signing_alg: Some(args.signing_alg),
                subject_mode: Some(args.subject_mode),
                sector_identifier: args.sector_identifier,
                administration: Some(args.administration),
                purposes: args.purposes,
                backchannel_logout_uri: args.backchannel_logout_uri,
                backchannel_logout_session_required: args.backchannel_logout_session_required,
                require_pushed_authorization_requests: args.require_par,
                dpop_bound_access_tokens: args.dpop,
                fapi2: args.fapi2,
            };
            let who = Principal::cli(&tenant.id);
            let (client, secret) = admin::clients::create(&mut conn, &who, new)?;
            print_created(&client, secret.as_deref(), args.json)
        }
        ClientCommand::List { tenant, json } => {
            let tenant = tenants::find(&mut conn, &tenant)?;
            let list = clients::list(&mut conn, &tenant.id)?;
            if json {
                return print_json(&list.iter().map(Client::view).collect::<Vec<_>>());
            }
            println!("{:<38} {:<13} {:<20} NAME", "CLIENT_ID", "TYPE", "AUTH");
            for client in &list {
                println!(
                    "{:<38} {:<13} {:<20} {}",
                    client.id, client.client_type, client.auth_method, client.name
                );
            }
            Ok(())
        }
        ClientCommand::Show {
            tenant,
            client_id,
            json,
        } => {
            let tenant = tenants::find(&mut conn, &tenant)?;
            show(&clients::find(&mut conn, &tenant.id, &client_id)?, json)
        }
        ClientCommand::Update(args) => {
            let tenant = tenants::find(&mut conn, &args.tenant)?;
            let change = ClientChanges {
                name: args.name,
                redirect_uris: (!args.redirect_uris.is_empty()).then_some(args.redirect_uris),
                post_logout_redirect_uris: (!args.post_logout_redirect_uris.is_empty())
                    .then_some(args.post_logout_redirect_uris),
                grant_types: (!args.grants.is_empty()).then_some(args.grants),
                jwks: read_jwks(args.jwks)?,
                jwks_uri: args.jwks_uri,
                consent: args.consent,
                signing_alg: args.signing_alg,
                subject_mode: args.subject_mode,
                sector_identifier: args.sector_identifier,
                administration: args.administration,
                purposes: match (args.no_purposes, args.purposes.is_empty()) {
                    (true, _) => Some(Vec::new()),
                    (false, false) => Some(args.purposes),
                    (false, true) => None,
                },
                backchannel_logout_uri: args.backchannel_logout_uri,
                backchannel_logout_session_required: args.backchannel_logout_session_required,
                require_pushed_authorization_requests: args.require_par,
                dpop_bound_access_tokens: args.dpop,
                fapi2: args.fapi2,
            };
            let who = Principal::cli(&tenant.id);
            show(
                &admin::clients::update(&mut conn, &who, &args.client_id, change)?,
                args.json,
            )
        }
        ClientCommand::Delete {
            tenant,
            client_id,
            json,
        } => {
            let tenant = tenants::find(&mut conn, &tenant)?;
            admin::clients::delete(&mut conn, &Principal::cli(&tenant.id), &client_id)?;
            if json {
                return print_json(&json!({ "client_id": client_id, "deleted": true }));
            }
            println!("Deleted client {client_id}.");
            Ok(())
        }
        ClientCommand::RotateSecret {
            tenant,
            client_id,
            json,
        } => {
            let tenant = tenants::find(&mut conn, &tenant)?;
            let who = Principal::cli(&tenant.id);
            let rotated = admin::clients::rotate_secret(&mut conn, &who, &client_id)?;
            let client = clients::find(&mut conn, &tenant.id, &client_id)?;
            print_created(&client, rotated.client_secret.as_deref(), json)
        }
        ClientCommand::RegistrationToken {
            tenant,
            uses,
            expires_in,
            description,
            json,
        } => {
            let tenant = tenants::find(&mut conn, &tenant)?;
            let who = Principal::cli(&tenant.id);
            let new = admin::registration::NewRegistrationToken {
                max_uses: Some(uses),
                expires_in_secs: Some(expires_in),
                description,
            };
            let created = admin::registration::create(&mut conn, &who, &new)?;
            if json {
                return print_json(&created);
            }
            println!("token:   {}", created.token);
            println!("id:      {}", created.info.id);
            println!("uses:    {}", created.info.max_uses);
            println!("expires: {}", created.info.expires_at);
            println!("Store the token now: Tessera keeps only its hash and cannot show it again.");
            Ok(())
        }
        ClientCommand::RegistrationTokens { tenant, json } => {
            let tenant = tenants::find(&mut conn, &tenant)?;
            let who = Principal::cli(&tenant.id);
            let listed = admin::registration::list(&mut conn, &who)?;
            if json {
                return print_json(&listed);
            }
            println!("{:<36} {:>9} {:<20} DESCRIPTION", "ID", "USED", "EXPIRES");
            for t in &listed {
                let used = format!("{}/{}", t.uses, t.max_uses);
                println!(
                    "{:<36} {:>9} {:<20} {}",
                    t.id, used, t.expires_at, t.description
                );
            }
            Ok(())
        }
        ClientCommand::RevokeRegistrationToken { tenant, id } => {
            let tenant = tenants::find(&mut conn, &tenant)?;
            let who = Principal::cli(&tenant.id);
            admin::registration::revoke(&mut conn, &who, &id)?;
            println!("revoked {id}");
            Ok(())
        }
    }
}

fn print_created(client: &Client, secret: Option<&str>, json: bool) -> anyhow::Result<()> {
    if json {
        let mut value = serde_json::to_value(client.view())?;
        if let Some(secret) = secret {
            value["client_secret"] = json!(secret);
        }
        return print_json(&value);
    }
    println!("client_id:     {}", client.id);
    if let Some(secret) = secret {
        println!("client_secret: {secret}");
        println!("Store the secret now: Tessera keeps only its hash and cannot show it again.");
    }
    Ok(())
}

fn show(client: &Client, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(&client.view());
    }
    let view = client.view();
    println!("client_id:      {}", view.client_id);
    println!("name:           {}", view.name);
    println!("type:           {}", view.client_type);
    println!("auth method:    {}", view.auth_method);
    let grants: Vec<&str> = view.grant_types.iter().map(|g| g.as_str()).collect();
    println!("grants:         {}", grants.join(", "));
    for uri in view.redirect_uris {
        println!("redirect URI:   {uri}");
    }
    for uri in view.post_logout_redirect_uris {
        println!("post-logout:    {uri}");
    }
    println!("consent:        {}", view.consent);
    if !view.purposes.is_empty() {
        println!("purposes:       {}", view.purposes.join(", "));
    }
    println!("signing alg:    {}", view.signing_alg);
    println!("subject mode:   {}", view.subject_mode);
    if let Some(sector) = view.sector_identifier {
        println!("sector:         {sector}");
    }
    Ok(())
}
