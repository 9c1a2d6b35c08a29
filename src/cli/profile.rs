//! `tessera profile …`

use clap::Subcommand;
use serde_json::json;

use super::output::print_json;
use crate::admin::{self, Principal};
use crate::config::Settings;
use crate::domain::ProfileId;
use crate::identity;
use crate::profiles::{self, NewProfile, Profile, ProfileChanges};
use crate::startup::open_database;
use crate::tenancy::tenants;

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Add a profile (persona) to an account.
    Create {
        #[arg(long)]
        tenant: String,
        /// The account's id or email.
        #[arg(long)]
        account: String,
        #[arg(long)]
        name: String,
        /// A profile email, unique in the tenant; used in tokens once verified.
        #[arg(long)]
        email: Option<String>,
        /// The operator vouches for the profile email (self-service verification is by mail).
        #[arg(long, requires = "email")]
        email_verified: bool,
        /// An https URL of the profile's picture.
        #[arg(long)]
        picture: Option<String>,
        /// A language tag, e.g. en or pt-BR.
        #[arg(long)]
        locale: Option<String>,
        /// Custom attributes: a JSON object of at most 4 KiB.
        #[arg(long)]
        attributes: Option<String>,
        /// Make it the account's default profile.
        #[arg(long)]
        default: bool,
        #[arg(long)]
        json: bool,
    },
    /// List an account's profiles.
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        account: String,
        #[arg(long)]
        json: bool,
    },
    /// Rename a profile.
    Rename {
        #[arg(long)]
        tenant: String,
        profile: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Change a profile's email, picture, locale or attributes ("" clears a field).
    Update {
        #[arg(long)]
        tenant: String,
        profile: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        email_verified: Option<bool>,
        #[arg(long)]
        picture: Option<String>,
        #[arg(long)]
        locale: Option<String>,
        #[arg(long)]
        attributes: Option<String>,
        /// Make it the account's default profile.
        #[arg(long)]
        default: bool,
        #[arg(long)]
        json: bool,
    },
    /// Move a profile, with its consents and roles, to a new account for an email, which is
    /// invited by mail to choose a password (never an account's last profile).
    Move {
        #[arg(long)]
        tenant: String,
        profile: String,
        /// The new account's address (it must not have an account in the tenant).
        #[arg(long)]
        email: String,
        /// Also print the invitation link.
        #[arg(long)]
        print_link: bool,
        #[arg(long)]
        json: bool,
    },
    /// Delete a profile (never an account's last one).
    Delete {
        #[arg(long)]
        tenant: String,
        profile: String,
        #[arg(long)]
        json: bool,
    },
}

fn show(profile: &Profile, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(profile);
    }
    let default = if profile.is_default { " (default)" } else { "" };
    println!("{} {}{default}", profile.id, profile.name);
    if let Some(email) = &profile.email {
        let state = if profile.email_verified {
            "verified"
        } else {
            "unverified"
        };
        println!("  email: {email} ({state})");
    }
    Ok(())
}

pub fn run(settings: &Settings, command: ProfileCommand) -> anyhow::Result<()> {
    let (db, vault) = open_database(settings)?;
    let vault = &vault;
    let mut conn = db.conn()?;
    match command {
        ProfileCommand::Create {
            tenant,
            account,
            name,
            email,
            email_verified,
            picture,
            locale,
            attributes,
            default,
            json,
        } => {
            let tenant = tenants::find(&mut conn, &tenant)?;
            let account =
                identity::find_account_by_id_or_email(&mut conn, vault, &tenant.id, &account)?;
            let new = NewProfile {
                name,
                email,
                email_verified,
                picture,
                locale,
                attributes,
                make_default: default,
            };
            let who = Principal::cli(&tenant.id);
            let profile = admin::profiles::create(&mut conn, vault, &who, &account.id, new)?;
            show(&profile, json)
        }
        ProfileCommand::List {
            tenant,
            account,
            json,
        } => {
            let tenant = tenants::find(&mut conn, &tenant)?;
            let account =
                identity::find_account_by_id_or_email(&mut conn, vault, &tenant.id, &account)?;
            let list = profiles::list(&mut conn, vault, &tenant.id, &account.id)?;
            if json {
                return print_json(&list);
            }
            list.iter().try_for_each(|p| show(p, false))
        }
        ProfileCommand::Rename {
            tenant,
            profile,
            name,
            json,
        } => {
            let tenant = tenants::find(&mut conn, &tenant)?;
            let id = ProfileId::from_stored(profile);
            let renamed =
                admin::profiles::rename(&mut conn, vault, &Principal::cli(&tenant.id), &id, &name)?;
            show(&renamed, json)
        }
        ProfileCommand::Update {
            tenant,
            profile,
            email,
            email_verified,
            picture,
            locale,
            attributes,
            default,
            json,
        } => {
            let tenant = tenants::find(&mut conn, &tenant)?;
            let id = ProfileId::from_stored(profile);
            let changes = ProfileChanges {
                email,
                email_verified,
                picture,
                locale,
                attributes,
            };
            let who = Principal::cli(&tenant.id);
            let updated = admin::profiles::update(&mut conn, vault, &who, &id, changes, default)?;
            show(&updated, json)
        }
        ProfileCommand::Move {
            tenant,
            profile,
            email,
            print_link,
            json,
        } => {
            let tenant = tenants::find(&mut conn, &tenant)?;
            let id = ProfileId::from_stored(profile.clone());
            let Some(row) = crate::db::accounts::find_profile(&mut conn, &tenant.id, &id)? else {
                anyhow::bail!("no profile {profile} in tenant {}", tenant.slug);
            };
            let who = Principal::cli(&tenant.id);
            let invited = admin::invitations::split(
                &mut conn,
                vault,
                &who,
                &row.account_id,
                &profile,
                &email,
            )?;
            let (invitation, as_admin) = (&invited.invitation, invited.as_admin);
            let mut report = super::output::send_invitation(
                settings, &tenant, invitation, as_admin, print_link, json,
            )?;
            if json {
                report["profile_id"] = json!(profile);
                report["from_account"] = json!(row.account_id);
                return print_json(&report);
            }
            println!(
                "Moved profile {profile} to the new account {}.",
                invitation.account.id
            );
            Ok(())
        }
        ProfileCommand::Delete {
            tenant,
            profile,
            json,
        } => {
            let tenant = tenants::find(&mut conn, &tenant)?;
            let id = ProfileId::from_stored(profile.clone());
            admin::profiles::delete(&mut conn, &Principal::cli(&tenant.id), &id)?;
            if json {
                return print_json(&json!({ "id": profile, "deleted": true }));
            }
            println!("Deleted profile {profile}.");
            Ok(())
        }
    }
}
