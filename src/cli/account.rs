//! `tessera account …`

use std::io::Read;

use clap::Subcommand;
use serde_json::json;

use super::output::print_json;
use crate::config::Settings;
use crate::identity::{self, password::PasswordHasher, Account};
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
        /// The password (visible to other local users in the process list: prefer
        /// --password-stdin outside of scripts and tests).
        #[arg(
            long,
            required_unless_present = "password_stdin",
            conflicts_with = "password_stdin"
        )]
        password: Option<String>,
        /// Read the password from standard input (first line).
        #[arg(long)]
        password_stdin: bool,
        #[arg(long)]
        json: bool,
    },
}

pub fn account_json(account: &Account) -> serde_json::Value {
    json!({
        "id": account.id,
        "email": account.email,
        "status": account.status,
        "profiles": account.profiles.iter().map(|p| json!({ "id": p.id, "name": p.name, "is_default": p.is_default })).collect::<Vec<_>>(),
    })
}

pub fn run(settings: &Settings, command: AccountCommand) -> anyhow::Result<()> {
    let db = open_database(settings)?;
    let mut conn = db.conn()?;
    match command {
        AccountCommand::Create {
            tenant,
            email,
            password,
            password_stdin,
            json,
        } => {
            let password = match password {
                Some(password) => password,
                None if password_stdin => {
                    let mut input = String::new();
                    std::io::stdin().read_to_string(&mut input)?;
                    input.lines().next().unwrap_or_default().to_owned()
                }
                None => anyhow::bail!("give --password or --password-stdin"),
            };
            let tenant = tenants::find(&mut conn, &tenant)?;
            let hasher = PasswordHasher::from_settings(&settings.argon2)?;
            let account =
                identity::create_account(&mut conn, &hasher, &tenant.id, &email, &password)?;
            if json {
                return print_json(&account_json(&account));
            }
            println!("Created account {} ({}).", account.email, account.id);
            for profile in &account.profiles {
                println!("profile {}: {}", profile.id, profile.name);
            }
            Ok(())
        }
    }
}
