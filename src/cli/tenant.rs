//! `tessera tenant …`

use clap::Subcommand;

use super::output::{print_json, send_invitation, TenantView};
use crate::config::Settings;
use crate::startup::open_database;
use crate::tenancy::policy::MfaPolicy;
use crate::tenancy::tenants::{self, PolicyChanges};
use crate::tenancy::TenantStatus;

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant with fresh RS256, ES256 and EdDSA signing keys.
    Create {
        /// 2-63 characters: a-z, 0-9 and '-'; becomes the subdomain or /t/SLUG path.
        slug: String,
        /// Display name (defaults to the slug).
        #[arg(long)]
        name: Option<String>,
        /// Invite the tenant's first administrator by mail (`tenant:admin`, through the
        /// `tenant-admins` role); the link works for 7 days.
        #[arg(long)]
        admin_email: Option<String>,
        /// Also print the invitation link.
        #[arg(long, requires = "admin_email")]
        print_link: bool,
        #[arg(long)]
        json: bool,
    },
    /// Invite an administrator to a tenant by mail (a new account holding `tenant:admin`).
    InviteAdmin {
        slug: String,
        email: String,
        /// Also print the invitation link.
        #[arg(long)]
        print_link: bool,
        #[arg(long)]
        json: bool,
    },
    /// List all tenants.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one tenant.
    Show {
        slug: String,
        #[arg(long)]
        json: bool,
    },
    /// Suspend a tenant: every tenant endpoint answers 403 until it is resumed.
    Suspend {
        slug: String,
        #[arg(long)]
        json: bool,
    },
    /// Show or change the tenant's policies (options change, the rest stay).
    Policy {
        slug: String,
        /// Shortest accepted password (8-64; passwords up to 1024 bytes are always accepted).
        #[arg(long)]
        password_min_length: Option<usize>,
        /// Second factor: off, optional (for users who enrolled) or required (for everyone).
        #[arg(long, value_parser = parse_mfa)]
        mfa: Option<MfaPolicy>,
        /// Allow self sign-up (enforced with the sign-up flow).
        #[arg(long)]
        self_signup: Option<bool>,
        /// optional or required (enforced with the email-verification flow).
        #[arg(long)]
        email_verification: Option<String>,
        /// Dynamic client registration (RFC 7591): off, token (initial access token) or open.
        #[arg(long)]
        client_registration: Option<String>,
        /// Lifetime overrides in seconds; 0 returns to the instance default.
        #[arg(long)]
        session_idle_secs: Option<i64>,
        #[arg(long)]
        session_absolute_secs: Option<i64>,
        #[arg(long)]
        access_token_secs: Option<i64>,
        #[arg(long)]
        refresh_idle_secs: Option<i64>,
        #[arg(long)]
        refresh_absolute_secs: Option<i64>,
        /// Erase accounts not used for this many days (30 or more; warned by mail 14 days
        /// before); 0 turns it off.
        #[arg(long)]
        retention_inactive_days: Option<i64>,
        /// Drop audit entries older than this many days (7 or more), behind a signed anchor;
        /// 0 keeps them.
        #[arg(long)]
        retention_audit_days: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    /// Resume a suspended tenant.
    Resume {
        slug: String,
        #[arg(long)]
        json: bool,
    },
}

fn parse_mfa(input: &str) -> Result<MfaPolicy, String> {
    MfaPolicy::parse(input)
        .ok_or_else(|| format!("unknown MFA policy {input}: use off, optional or required"))
}

pub fn run(settings: &Settings, command: TenantCommand) -> anyhow::Result<()> {
    let (db, vault) = open_database(settings)?;
    let mut conn = db.conn()?;
    match command {
        TenantCommand::Create {
            slug,
            name,
            admin_email,
            print_link,
            json,
        } => {
            let name = name.unwrap_or_else(|| slug.clone());
            // Through the platform module: the platform's audit chain records it.
            let (tenant, invitation) = crate::platform::create_tenant(
                &mut conn,
                &vault,
                &crate::audit::Actor::cli(),
                &slug,
                &name,
                admin_email.as_deref(),
            )?;
            let view = TenantView::new(settings, &tenant);
            if !json {
                println!("Created tenant {} ({}).", view.slug, view.name);
                println!("Issuer:    {}", view.issuer);
                println!("Console:   {}/admin", view.issuer);
                println!(
                    "Discovery: {}/.well-known/openid-configuration",
                    view.issuer
                );
            }
            let invited = match invitation {
                Some(invitation) => Some(send_invitation(
                    settings,
                    &tenant,
                    &invitation,
                    true,
                    print_link,
                    json,
                )?),
                None => None,
            };
            if json {
                let mut value = serde_json::to_value(&view)?;
                if let Some(invited) = invited {
                    value["admin_invitation"] = invited;
                }
                return print_json(&value);
            }
            Ok(())
        }
        TenantCommand::InviteAdmin {
            slug,
            email,
            print_link,
            json,
        } => {
            let invitation = crate::platform::invite_admin(
                &mut conn,
                &vault,
                &crate::audit::Actor::cli(),
                &slug,
                &email,
            )?;
            let tenant = tenants::find(&mut conn, &slug)?;
            let report = send_invitation(settings, &tenant, &invitation, true, print_link, json)?;
            if json {
                return print_json(&report);
            }
            Ok(())
        }
        TenantCommand::List { json } => {
            let views: Vec<TenantView> = tenants::list(&mut conn)?
                .iter()
                .map(|t| TenantView::new(settings, t))
                .collect();
            if json {
                return print_json(&views);
            }
            if views.is_empty() {
                println!("No tenants yet. Create one with: tessera tenant create SLUG --name NAME");
                return Ok(());
            }
            println!("{:<24} {:<10} {:<30} ISSUER", "SLUG", "STATUS", "NAME");
            for view in views {
                println!(
                    "{:<24} {:<10} {:<30} {}",
                    view.slug, view.status, view.name, view.issuer
                );
            }
            Ok(())
        }
        TenantCommand::Show { slug, json } => {
            let view = TenantView::new(settings, &tenants::find(&mut conn, &slug)?);
            show(&view, json)
        }
        TenantCommand::Suspend { slug, json } => {
            let tenant = crate::platform::set_status(
                &mut conn,
                &crate::audit::Actor::cli(),
                &slug,
                TenantStatus::Suspended,
            )?;
            show(&TenantView::new(settings, &tenant), json)
        }
        TenantCommand::Policy {
            slug,
            password_min_length,
            mfa,
            self_signup,
            email_verification,
            client_registration,
            session_idle_secs,
            session_absolute_secs,
            access_token_secs,
            refresh_idle_secs,
            refresh_absolute_secs,
            retention_inactive_days,
            retention_audit_days,
            json,
        } => {
            let asked = password_min_length.is_some()
                || mfa.is_some()
                || self_signup.is_some()
                || email_verification.is_some()
                || client_registration.is_some()
                || session_idle_secs.is_some()
                || session_absolute_secs.is_some()
                || access_token_secs.is_some()
                || refresh_idle_secs.is_some()
                || refresh_absolute_secs.is_some()
                || retention_inactive_days.is_some()
                || retention_audit_days.is_some();
            let changes = PolicyChanges {
                password_min_length,
                mfa,
                self_signup,
                email_verification,
                client_registration,
                session_idle_secs,
                session_absolute_secs,
                access_token_secs,
                refresh_idle_secs,
                refresh_absolute_secs,
                retention_inactive_days,
                retention_audit_days,
            };
            let mut tenant = tenants::find(&mut conn, &slug)?;
            // Without options the command only shows the policy.
            if asked {
                let who = crate::admin::Principal::cli(&tenant.id);
                crate::admin::settings::set_policy(&mut conn, settings, &who, &tenant, changes)?;
                tenant = tenants::find(&mut conn, &slug)?;
            }
            let view = TenantView::new(settings, &tenant);
            if json {
                return print_json(&view.policy);
            }
            println!("{}", serde_json::to_string_pretty(&view.policy)?);
            Ok(())
        }
        TenantCommand::Resume { slug, json } => {
            let tenant = crate::platform::set_status(
                &mut conn,
                &crate::audit::Actor::cli(),
                &slug,
                TenantStatus::Active,
            )?;
            show(&TenantView::new(settings, &tenant), json)
        }
    }
}

fn show(view: &TenantView, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(view);
    }
    println!("id:       {}", view.id);
    println!("slug:     {}", view.slug);
    println!("name:     {}", view.name);
    println!("status:   {}", view.status);
    println!("issuer:   {}", view.issuer);
    println!("created:  {}", view.created_at);
    println!("updated:  {}", view.updated_at);
    Ok(())
}
