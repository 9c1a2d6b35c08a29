//! `tessera account …`

use std::io::Read;

use clap::Subcommand;
use serde_json::{json, Value};

use super::output::print_json;
use crate::admin::{self, Principal};
use crate::config::Settings;
use crate::db::AnyConnection;
use crate::domain::TenantId;
use crate::identity::{self, password::PasswordHasher, Account};
use crate::keys::Vault;
use crate::profiles;
use crate::startup::open_database;
use crate::tenancy::tenants;

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create an active account with one default profile.
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        email: String,
        /// The first profile's name, carried as `name` in tokens (default: the part of the
        /// email before the @).
        #[arg(long)]
        name: Option<String>,
        /// The password (visible to other local users in the process list: prefer
        /// --password-stdin outside of scripts and tests).
        #[arg(
            long,
            required_unless_present = "password_stdin",
            conflicts_with = "password_stdin"
        )]
        password: Option<String>,
        /// Read the password from standard input: asked for without echo on a terminal,
        /// else the first line.
        #[arg(long)]
        password_stdin: bool,
        #[arg(long)]
        json: bool,
    },
    /// Invite someone by mail: a new account without a password; they choose one through
    /// the link (valid for 7 days) and land signed in.
    Invite {
        #[arg(long)]
        tenant: String,
        email: String,
        /// The first profile's name (default: the part of the email before the @).
        #[arg(long)]
        name: Option<String>,
        /// A role for the first profile (e.g. tenant-admins to invite an administrator).
        #[arg(long)]
        role: Option<String>,
        /// Also print the invitation link.
        #[arg(long)]
        print_link: bool,
        #[arg(long)]
        json: bool,
    },
    /// Send a pending invitation again, with a new link (the older links stop working).
    ResendInvitation {
        #[arg(long)]
        tenant: String,
        account: String,
        /// Also print the invitation link.
        #[arg(long)]
        print_link: bool,
        #[arg(long)]
        json: bool,
    },
    /// List groups of accounts that look like one person (an account whose sign-in address
    /// is another account's profile email), to merge.
    Duplicates {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
    /// Merge one account into another (each by id or email): the profiles of `--from` move to
    /// `--into` with their consents and roles, and `--from` becomes a tombstone.
    Merge {
        #[arg(long)]
        tenant: String,
        /// The account that stays.
        #[arg(long)]
        into: String,
        /// The account merged away.
        #[arg(long)]
        from: String,
        /// Only show what would move.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// Show an account (by id or email) with its profiles.
    Show {
        #[arg(long)]
        tenant: String,
        account: String,
        #[arg(long)]
        json: bool,
    },
    /// Suspend an account: sign-in refused, sessions ended, tokens revoked, at once.
    Suspend {
        #[arg(long)]
        tenant: String,
        account: String,
        #[arg(long)]
        json: bool,
    },
    /// Erase an account now (GDPR Art. 17): its email, profiles and second factor are
    /// destroyed, its sessions and tokens end; the id stays with the status `deleted`.
    Erase {
        #[arg(long)]
        tenant: String,
        account: String,
        #[arg(long)]
        json: bool,
    },
    /// Everything held about the account, as JSON (schema tessera.export/1, docs/privacy.md).
    Export {
        #[arg(long)]
        tenant: String,
        account: String,
    },
    /// The account's connected apps and its consent ledger (every grant and withdrawal).
    Consents {
        #[arg(long)]
        tenant: String,
        account: String,
        #[arg(long)]
        json: bool,
    },
    /// Lift a brute-force lock and forget past failed sign-ins.
    Unlock {
        #[arg(long)]
        tenant: String,
        account: String,
        #[arg(long)]
        json: bool,
    },
    /// Store a password hash imported from another system (argon2 PHC or bcrypt), read from
    /// standard input; it is upgraded to argon2id at the next successful sign-in.
    ImportPasswordHash {
        #[arg(long)]
        tenant: String,
        account: String,
        #[arg(long)]
        json: bool,
    },
    /// Let a suspended account sign in again.
    Resume {
        #[arg(long)]
        tenant: String,
        account: String,
        #[arg(long)]
        json: bool,
    },
}

/// `id`, `email`, `status`, `email_verified` and `profiles` (each with `id` and `name`).
pub fn account_json(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    account: &Account,
) -> anyhow::Result<Value> {
    let profiles = profiles::list(conn, vault, tenant, &account.id)?;
    let mut value = serde_json::to_value(account)?;
    value["profiles"] = json!(profiles);
    Ok(value)
}

/// Mails an invitation and reports it (JSON with `--json`).
fn mail(
    settings: &Settings,
    tenant: &crate::tenancy::Tenant,
    invited: &admin::invitations::Invited,
    print_link: bool,
    json: bool,
) -> anyhow::Result<()> {
    let (invitation, as_admin) = (&invited.invitation, invited.as_admin);
    let report =
        super::output::send_invitation(settings, tenant, invitation, as_admin, print_link, json)?;
    if json {
        return print_json(&report);
    }
    Ok(())
}

/// The tenant a command names by slug, the account it names by id or email, and the operator
/// acting in that tenant.
fn named(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &str,
    account: &str,
) -> anyhow::Result<(crate::tenancy::Tenant, Account, Principal)> {
    let tenant = tenants::find(conn, tenant)?;
    let account = identity::find_account_by_id_or_email(conn, vault, &tenant.id, account)?;
    let who = Principal::cli(&tenant.id);
    Ok((tenant, account, who))
}

fn show(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    account: &Account,
    json: bool,
) -> anyhow::Result<()> {
    let value = account_json(conn, vault, tenant, account)?;
    if json {
        return print_json(&value);
    }
    println!("id:      {}", account.id);
    println!("email:   {}", account.email);
    println!("status:  {}", account.status.as_str());
    for profile in value["profiles"].as_array().into_iter().flatten() {
        let default = if profile["is_default"] == true {
            " (default)"
        } else {
            ""
        };
        println!(
            "profile: {} {}{default}",
            profile["id"].as_str().unwrap_or_default(),
            profile["name"].as_str().unwrap_or_default()
        );
    }
    Ok(())
}

pub fn run(settings: &Settings, command: AccountCommand) -> anyhow::Result<()> {
    let (db, vault) = open_database(settings)?;
    let vault = &vault;
    let mut conn = db.conn()?;
    match command {
        AccountCommand::Create {
            tenant,
            email,
            name,
            password,
            password_stdin,
            json,
        } => {
            let password = super::output::read_password(password, password_stdin)?;
            let tenant = tenants::find(&mut conn, &tenant)?;
            let hasher = PasswordHasher::from_settings(&settings.argon2)?;
            let who = Principal::cli(&tenant.id);
            let min = tenant.policy.password_min_length;
            let new = identity::NewAccount::prepare(&hasher, &email, &password, min)?
                .named(name.as_deref());
            let account = admin::accounts::create(&mut conn, vault, &who, &new)?;
            show(&mut conn, vault, &tenant.id, &account, json)
        }
        AccountCommand::Invite {
            tenant,
            email,
            name,
            role,
            print_link,
            json,
        } => {
            let tenant = tenants::find(&mut conn, &tenant)?;
            let who = Principal::cli(&tenant.id);
            let invited = admin::invitations::invite(
                &mut conn,
                vault,
                &who,
                &email,
                name.as_deref(),
                role.as_deref(),
            )?;
            mail(settings, &tenant, &invited, print_link, json)
        }
        AccountCommand::ResendInvitation {
            tenant,
            account,
            print_link,
            json,
        } => {
            let (tenant, account, who) = named(&mut conn, vault, &tenant, &account)?;
            let invited = admin::invitations::resend(&mut conn, vault, &who, account.id.as_str())?;
            mail(settings, &tenant, &invited, print_link, json)
        }
        AccountCommand::Duplicates { tenant, json } => {
            let tenant = tenants::find(&mut conn, &tenant)?;
            let who = Principal::cli(&tenant.id);
            // The operator at the machine sees the addresses (as `account show` does).
            let reveal =
                admin::accounts::Reveal::Because("operator command: tessera account duplicates");
            let groups = admin::accounts::duplicates(&mut conn, vault, &who, reveal)?;
            if json {
                return print_json(&groups);
            }
            if groups.is_empty() {
                println!("No accounts look like one person.");
            }
            for g in &groups {
                match &g.identifier {
                    Some(kind) => println!(
                        "{} acts for a customer whose {kind} another customer holds too; so do:",
                        g.account
                    ),
                    None => println!(
                        "{} signs in as {}; also a profile email of:",
                        g.account, g.email
                    ),
                }
                for other in &g.others {
                    let via = match &other.customer {
                        Some(customer) => format!("customer {customer}"),
                        None => format!("profile {}", other.profile),
                    };
                    println!(
                        "  account {} ({via}): tessera account merge --tenant {} --into {} --from {}",
                        other.account, tenant.slug, g.account, other.account
                    );
                }
            }
            Ok(())
        }
        AccountCommand::Merge {
            tenant,
            into,
            from,
            dry_run,
            json,
        } => {
            let (tenant, into, who) = named(&mut conn, vault, &tenant, &into)?;
            let from = identity::find_account_by_id_or_email(&mut conn, vault, &tenant.id, &from)?;
            let (into, from) = (into.id.as_str(), from.id.as_str());
            let plan = if dry_run {
                admin::accounts::merge_preview(&mut conn, vault, &who, into, from)?
            } else {
                admin::accounts::merge(&mut conn, vault, &who, into, from)?
            };
            if json {
                let mut value = serde_json::to_value(&plan)?;
                value["merged"] = json!(!dry_run);
                return print_json(&value);
            }
            let verb = if dry_run { "would move" } else { "moved" };
            for p in &plan.profiles {
                println!("profile {} {} {verb} as {}", p.id, p.name, p.new_name);
            }
            println!(
                "{} live session(s) of {from} {}; {from} {}.",
                plan.sessions,
                if dry_run { "would end" } else { "ended" },
                if dry_run {
                    "would become a tombstone"
                } else {
                    "is a tombstone now"
                },
            );
            Ok(())
        }
        AccountCommand::Show {
            tenant,
            account,
            json,
        } => {
            let (tenant, account, _) = named(&mut conn, vault, &tenant, &account)?;
            show(&mut conn, vault, &tenant.id, &account, json)
        }
        AccountCommand::Suspend {
            tenant,
            account,
            json,
        } => {
            let (tenant, account, who) = named(&mut conn, vault, &tenant, &account)?;
            admin::accounts::set_suspended(&mut conn, vault, &who, account.id.as_str(), true)?;
            let account = identity::find_account(&mut conn, vault, &tenant.id, &account.id)?;
            show(&mut conn, vault, &tenant.id, &account, json)
        }
        AccountCommand::Erase {
            tenant,
            account,
            json,
        } => {
            let (_, account, who) = named(&mut conn, vault, &tenant, &account)?;
            admin::accounts::erase(&mut conn, &who, account.id.as_str())?;
            if json {
                return print_json(&json!({ "id": account.id, "status": "deleted" }));
            }
            println!("Account {} erased.", account.id);
            Ok(())
        }
        AccountCommand::Export { tenant, account } => {
            let (tenant, account, who) = named(&mut conn, vault, &tenant, &account)?;
            let export = admin::accounts::export(
                &mut conn,
                vault,
                &who,
                tenant.slug.as_str(),
                account.id.as_str(),
            )?;
            print_json(&export)
        }
        AccountCommand::Consents {
            tenant,
            account,
            json,
        } => {
            let (_, account, who) = named(&mut conn, vault, &tenant, &account)?;
            let consents = admin::accounts::consents(
                &mut conn,
                vault,
                &who,
                account.id.as_str(),
                admin::accounts::Reveal::Because("operator command: tessera account consents"),
            )?;
            if json {
                return print_json(&consents);
            }
            for app in &consents.connected_apps {
                println!(
                    "connected: {} ({}) profile {}: {} since {}",
                    app.client_name,
                    app.client_id,
                    app.profile_id,
                    app.scopes.join(" "),
                    app.since
                );
            }
            for entry in &consents.history {
                println!(
                    "{} {} {} profile {}: {}",
                    entry.at, entry.decision, entry.client_id, entry.profile_id, entry.scope
                );
            }
            Ok(())
        }
        AccountCommand::Unlock {
            tenant,
            account,
            json,
        } => {
            let (tenant, account, who) = named(&mut conn, vault, &tenant, &account)?;
            let account = admin::accounts::unlock(&mut conn, vault, &who, account.id.as_str())?;
            show(&mut conn, vault, &tenant.id, &account, json)
        }
        AccountCommand::ImportPasswordHash {
            tenant,
            account,
            json,
        } => {
            let mut hash = String::new();
            std::io::stdin().read_to_string(&mut hash)?;
            let (tenant, account, who) = named(&mut conn, vault, &tenant, &account)?;
            let hasher = PasswordHasher::from_settings(&settings.argon2)?;
            admin::accounts::import_password_hash(
                &mut conn,
                &hasher,
                &who,
                account.id.as_str(),
                hash.trim(),
            )?;
            show(&mut conn, vault, &tenant.id, &account, json)
        }
        AccountCommand::Resume {
            tenant,
            account,
            json,
        } => {
            let (tenant, account, who) = named(&mut conn, vault, &tenant, &account)?;
            admin::accounts::set_suspended(&mut conn, vault, &who, account.id.as_str(), false)?;
            let account = identity::find_account(&mut conn, vault, &tenant.id, &account.id)?;
            show(&mut conn, vault, &tenant.id, &account, json)
        }
    }
}
