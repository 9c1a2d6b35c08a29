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
