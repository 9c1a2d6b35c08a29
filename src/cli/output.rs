//! Shared output helpers, so every command prints the same shapes.

use serde::Serialize;

use crate::config::Settings;
use crate::domain::rfc3339;
use crate::keys::KeyInfo;
use crate::tenancy::Tenant;

pub fn print_json(value: &impl Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

#[derive(Serialize)]
pub struct TenantView {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub status: &'static str,
    pub issuer: String,
    pub policy: crate::tenancy::policy::TenantPolicy,
    pub created_at: String,
    pub updated_at: String,
}

impl TenantView {
    pub fn new(settings: &Settings, tenant: &Tenant) -> TenantView {
        TenantView {
            id: tenant.id.to_string(),
            slug: tenant.slug.to_string(),
            name: tenant.name.clone(),
            status: tenant.status.as_str(),
            issuer: crate::tenancy::issuer(settings, &tenant.slug),
            policy: tenant.policy.clone(),
            created_at: rfc3339(tenant.created_at),
            updated_at: rfc3339(tenant.updated_at),
        }
    }
}

#[derive(Serialize)]
pub struct KeyView {
    pub kid: String,
    pub alg: String,
    pub status: String,
    pub created_at: String,
    pub deactivated_at: Option<String>,
    pub retired_at: Option<String>,
}

impl From<&KeyInfo> for KeyView {
    fn from(key: &KeyInfo) -> KeyView {
        KeyView {
            kid: key.kid.clone(),
            alg: key.alg.clone(),
            status: key.status.clone(),
            created_at: rfc3339(key.created_at),
            deactivated_at: key.deactivated_at.map(rfc3339),
            retired_at: key.retired_at.map(rfc3339),
        }
    }
}

pub fn print_keys(keys: &[KeyInfo], json: bool) -> anyhow::Result<()> {
    let views: Vec<KeyView> = keys.iter().map(KeyView::from).collect();
    if json {
        return print_json(&views);
    }
    println!("{:<38} {:<6} {:<9} CREATED", "KID", "ALG", "STATUS");
    for key in views {
        println!(
            "{:<38} {:<6} {:<9} {}",
            key.kid, key.alg, key.status, key.created_at
        );
    }
    Ok(())
}

/// The password given with `--password`, or with `--password-stdin`: asked for without echo
/// when standard input is a terminal, else its first line (the command goes on at the
/// newline; it does not wait for the end of the input). Clap makes the two exclusive and
/// requires one.
pub fn read_password(password: Option<String>, from_stdin: bool) -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal};
    match password {
        Some(password) => Ok(password),
        None if from_stdin && std::io::stdin().is_terminal() => {
            Ok(rpassword::prompt_password("Password: ")?)
        }
        None if from_stdin => {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            Ok(line.trim_end_matches(['\r', '\n']).to_owned())
        }
        None => anyhow::bail!("give --password or --password-stdin"),
    }
}

/// Mails an invitation from the command line (the configured transport: the `mail/`
/// directory by default) and reports it; `print_link` also prints the link, for an operator
/// who hands it over another way. Answers the report for `--json` (`account_id`, `email`,
/// `expires_at`, `mailed` and, when asked for, `link`); prints it in words otherwise.
pub fn send_invitation(
    settings: &Settings,
    tenant: &Tenant,
    invitation: &crate::identity::invitation::Invitation,
    as_admin: bool,
    print_link: bool,
    json: bool,
) -> anyhow::Result<serde_json::Value> {
    let issuer = crate::tenancy::issuer(settings, &tenant.slug);
    let link = format!("{issuer}/invitation?token={}", invitation.token);
    let days = crate::identity::invitation::INVITATION_LIFETIME_SECS / 86_400;
    let to = invitation.to.as_str();
    let t = crate::i18n::Texts::default();
    let message = crate::mail::messages::invitation(&t, to, &tenant.name, &link, days, as_admin)?;
    let (mailer, from) = crate::mail::Mailer::from_settings(settings)?;
    let mailed = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(mailer.try_send(&from, message));
    let mut report = serde_json::json!({
        "account_id": invitation.account.id,
        "email": to,
        "expires_at": rfc3339(invitation.expires_at),
        "mailed": mailed.is_ok(),
    });
    if print_link {
        report["link"] = link.clone().into();
    }
    if !json {
        match &mailed {
            Ok(()) => println!(
                "Invitation mailed to {to} (the link works until {}).",
                rfc3339(invitation.expires_at)
            ),
            Err(e) => eprintln!("The invitation for {to} could not be mailed: {e:#}"),
        }
        if print_link {
            println!("Link: {link}");
        }
    }
    if mailed.is_err() && !print_link {
        anyhow::bail!(
            "the account was created but its invitation was not delivered: fix the mail \
             settings and re-send it, or run again with --print-link"
        );
    }
    Ok(report)
}
