//! The messages Tessera sends.

use askama::Template;

use super::Outgoing;

#[derive(Template)]
#[template(path = "mail/reset.txt")]
struct ResetText<'a> {
    tenant_name: &'a str,
    link: &'a str,
    minutes: i64,
}

#[derive(Template)]
#[template(path = "mail/reset.html")]
struct ResetHtml<'a> {
    tenant_name: &'a str,
    link: &'a str,
    minutes: i64,
}

pub fn password_reset(
    to: &str,
    tenant_name: &str,
    link: &str,
    minutes: i64,
) -> anyhow::Result<Outgoing> {
    Ok(Outgoing {
        to: to.to_owned(),
        subject: format!("Reset your {tenant_name} password"),
        text: ResetText {
            tenant_name,
            link,
            minutes,
        }
        .render()?,
        html: ResetHtml {
            tenant_name,
            link,
            minutes,
        }
        .render()?,
    })
}

#[derive(Template)]
#[template(path = "mail/verify.txt")]
struct VerifyText<'a> {
    tenant_name: &'a str,
    email: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/verify.html")]
struct VerifyHtml<'a> {
    tenant_name: &'a str,
    email: &'a str,
    link: &'a str,
}

pub fn verify_email(to: &str, tenant_name: &str, link: &str) -> anyhow::Result<Outgoing> {
    Ok(Outgoing {
        to: to.to_owned(),
        subject: format!("Confirm your email address for {tenant_name}"),
        text: VerifyText {
            tenant_name,
            email: to,
            link,
        }
        .render()?,
        html: VerifyHtml {
            tenant_name,
            email: to,
            link,
        }
        .render()?,
    })
}

#[derive(Template)]
#[template(path = "mail/signup_exists.txt")]
struct ExistsText<'a> {
    tenant_name: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/signup_exists.html")]
struct ExistsHtml<'a> {
    tenant_name: &'a str,
    link: &'a str,
}

/// Sent instead of a sign-up when the address already has an account: the page says the same
/// either way, only the inbox owner learns which.
pub fn signup_exists(to: &str, tenant_name: &str, reset_link: &str) -> anyhow::Result<Outgoing> {
    Ok(Outgoing {
        to: to.to_owned(),
        subject: format!("Your {tenant_name} account"),
        text: ExistsText {
            tenant_name,
            link: reset_link,
        }
        .render()?,
        html: ExistsHtml {
            tenant_name,
            link: reset_link,
        }
        .render()?,
    })
}

#[derive(Template)]
#[template(path = "mail/inactive.txt")]
struct InactiveText<'a> {
    tenant_name: &'a str,
    link: &'a str,
    erase_on: &'a str,
}

#[derive(Template)]
#[template(path = "mail/inactive.html")]
struct InactiveHtml<'a> {
    tenant_name: &'a str,
    link: &'a str,
    erase_on: &'a str,
}

/// Warns that an unused account will be erased on `erase_on` unless its owner signs in.
pub fn inactivity_warning(
    to: &str,
    tenant_name: &str,
    link: &str,
    erase_on: &str,
) -> anyhow::Result<Outgoing> {
    Ok(Outgoing {
        to: to.to_owned(),
        subject: format!("Your {tenant_name} account will be deleted unless you sign in"),
        text: InactiveText {
            tenant_name,
            link,
            erase_on,
        }
        .render()?,
        html: InactiveHtml {
            tenant_name,
            link,
            erase_on,
        }
        .render()?,
    })
}

#[derive(Template)]
#[template(path = "mail/invitation.txt")]
struct InvitationText<'a> {
    tenant_name: &'a str,
    email: &'a str,
    link: &'a str,
    days: i64,
    as_admin: bool,
}

#[derive(Template)]
#[template(path = "mail/invitation.html")]
struct InvitationHtml<'a> {
    tenant_name: &'a str,
    email: &'a str,
    link: &'a str,
    days: i64,
    as_admin: bool,
}

/// An invitation to a tenant (`as_admin`: to administer it), with the link that accepts it.
pub fn invitation(
    to: &str,
    tenant_name: &str,
    link: &str,
    days: i64,
    as_admin: bool,
) -> anyhow::Result<Outgoing> {
    let subject = if as_admin {
        format!("You have been invited to administer {tenant_name}")
    } else {
        format!("You have been invited to {tenant_name}")
    };
    Ok(Outgoing {
        to: to.to_owned(),
        subject,
        text: InvitationText {
            tenant_name,
            email: to,
            link,
            days,
            as_admin,
        }
        .render()?,
        html: InvitationHtml {
            tenant_name,
            email: to,
            link,
            days,
            as_admin,
        }
        .render()?,
    })
}
