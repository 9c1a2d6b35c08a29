//! `tessera admin …`: platform administrators (they manage tenants in the platform console).

use clap::Subcommand;
use serde_json::json;

use super::output::print_json;
use crate::config::Settings;
use crate::identity::password::PasswordHasher;
use crate::startup::open_database;

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a platform administrator.
    Create {
        #[arg(long)]
        email: String,
        /// The password (visible in the process list: prefer --password-stdin).
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
    /// Print a new one-time setup link (only while no platform administrator exists).
    SetupLink {
        #[arg(long)]
        json: bool,
    },
}

pub fn run(settings: &Settings, command: AdminCommand) -> anyhow::Result<()> {
    let (db, vault) = open_database(settings)?;
    let mut conn = db.conn()?;
    match command {
        AdminCommand::Create {
            email,
            password,
            password_stdin,
            json,
        } => {
            let password = super::output::read_password(password, password_stdin)?;
            let hasher = PasswordHasher::from_settings(&settings.argon2)?;
            let account = crate::platform::create_admin(
                &mut conn,
                &vault,
                &hasher,
                &email,
                &password,
                &crate::audit::Actor::cli(),
            )?;
            let console = format!("{}/platform", settings.public_base());
            if json {
                return print_json(
                    &json!({ "id": account.id, "email": account.email, "console": console }),
                );
            }
            println!("Platform administrator {} created.", account.email);
            println!("Sign in at {console}/login");
            Ok(())
        }
        AdminCommand::SetupLink { json } => {
            let Some(token) = crate::platform::issue_setup_token(&mut conn)? else {
                anyhow::bail!(
                    "a platform administrator exists already: sign in at {}/platform/login",
                    settings.public_base()
                );
            };
            let link = setup_link(settings, &token);
            if json {
                return print_json(
                    &json!({ "setup_link": link, "expires_in": crate::platform::SETUP_LIFETIME_SECS }),
                );
            }
            println!("{link}");
            Ok(())
        }
    }
}

pub fn setup_link(settings: &Settings, token: &str) -> String {
    format!("{}/platform/setup?token={token}", settings.public_base())
}
