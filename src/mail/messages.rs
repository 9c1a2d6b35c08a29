//! The messages Tessera sends, in the reader's language. Every message has one shape: a few
//! paragraphs, one link with what it does, and a few more paragraphs (how long the link
//! works, what to do if the message was not expected). The texts are the catalogue's
//! `mail-{kind}-…` messages (`locales/{lang}/mail.ftl`).

use askama::Template;

use super::Outgoing;
use crate::i18n::Texts;

#[derive(Template)]
#[template(path = "mail/message.txt")]
struct Text<'a> {
    before: &'a [String],
    action: &'a str,
    link: &'a str,
    after: &'a [String],
}

#[derive(Template)]
#[template(path = "mail/message.html")]
struct Html<'a> {
    lang: &'a str,
    before: &'a [String],
    action: &'a str,
    link: &'a str,
    after: &'a [String],
}

/// One message before its texts are looked up: the kind names its catalogue messages
/// (`mail-{kind}-subject`, `-intro`, `-action`, `-validity`, `-outro`; a message the
/// catalogue lacks is left out).
struct Draft<'a> {
    kind: &'a str,
    to: &'a str,
    link: &'a str,
    args: &'a [(&'a str, &'a str)],
}

impl Draft<'_> {
    fn compose(&self, t: &Texts) -> anyhow::Result<Outgoing> {
        let text = |part: &str| {
            let id = format!("mail-{}-{part}", self.kind);
            t.find(&id).map(|_| t.with(&id, self.args))
        };
        let paragraphs = |parts: &[&str]| -> Vec<String> {
            parts.iter().filter_map(|part| text(part)).collect()
        };
        let before = paragraphs(&["intro", "detail"]);
        let after = paragraphs(&["validity", "outro"]);
        let action = text("action").unwrap_or_else(|| self.link.to_owned());
        Ok(Outgoing {
            to: self.to.to_owned(),
            subject: text("subject").unwrap_or_default(),
            text: Text {
                before: &before,
                action: &action,
                link: self.link,
                after: &after,
            }
            .render()?,
            html: Html {
                lang: t.code(),
                before: &before,
                action: &action,
                link: self.link,
                after: &after,
            }
            .render()?,
        })
    }
}

pub fn password_reset(
    t: &Texts,
    to: &str,
    tenant_name: &str,
    link: &str,
    minutes: i64,
) -> anyhow::Result<Outgoing> {
    let minutes = minutes.to_string();
    Draft {
        kind: "reset",
        to,
        link,
        args: &[("tenant", tenant_name), ("minutes", &minutes)],
    }
    .compose(t)
}

pub fn verify_email(
    t: &Texts,
    to: &str,
    tenant_name: &str,
    link: &str,
) -> anyhow::Result<Outgoing> {
    Draft {
        kind: "verify",
        to,
        link,
        args: &[("tenant", tenant_name), ("email", to)],
    }
    .compose(t)
}

/// Sent instead of a sign-up when the address already has an account: the page says the same
/// either way, only the inbox owner learns which.
pub fn signup_exists(
    t: &Texts,
    to: &str,
    tenant_name: &str,
    reset_link: &str,
) -> anyhow::Result<Outgoing> {
    Draft {
        kind: "exists",
        to,
        link: reset_link,
        args: &[("tenant", tenant_name)],
    }
    .compose(t)
}

/// The confirmation link of a sign-in email change, sent to the new address.
pub fn email_change_confirm(
    t: &Texts,
    to: &str,
    tenant_name: &str,
    link: &str,
) -> anyhow::Result<Outgoing> {
    Draft {
        kind: "email-change",
        to,
        link,
        args: &[("tenant", tenant_name), ("email", to)],
    }
    .compose(t)
}

/// Sent instead of a confirmation when another account holds the new address: the page says
/// the same either way, only the inbox owner learns it.
pub fn email_change_taken(
    t: &Texts,
    to: &str,
    tenant_name: &str,
    sign_in_link: &str,
) -> anyhow::Result<Outgoing> {
    Draft {
        kind: "email-taken",
        to,
        link: sign_in_link,
        args: &[("tenant", tenant_name)],
    }
    .compose(t)
}

/// Tells the old address that the sign-in email changed, with the link that reverts it.
pub fn email_changed(
    t: &Texts,
    to: &str,
    tenant_name: &str,
    new_email: &str,
    revert_link: &str,
) -> anyhow::Result<Outgoing> {
    Draft {
        kind: "email-changed",
        to,
        link: revert_link,
        args: &[("tenant", tenant_name), ("email", new_email)],
    }
    .compose(t)
}

/// Warns that an unused account will be erased on `erase_on` unless its owner signs in.
pub fn inactivity_warning(
    t: &Texts,
    to: &str,
    tenant_name: &str,
    link: &str,
    erase_on: &str,
) -> anyhow::Result<Outgoing> {
    Draft {
        kind: "inactive",
        to,
        link,
        args: &[("tenant", tenant_name), ("date", erase_on)],
    }
    .compose(t)
}

/// An invitation to a tenant (`as_admin`: to administer it), with the link that accepts it.
pub fn invitation(
    t: &Texts,
    to: &str,
    tenant_name: &str,
    link: &str,
    days: i64,
    as_admin: bool,
) -> anyhow::Result<Outgoing> {
    let days = days.to_string();
    Draft {
        kind: if as_admin { "invite-admin" } else { "invite" },
        to,
        link,
        args: &[("tenant", tenant_name), ("email", to), ("days", &days)],
    }
    .compose(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn a_mail_reads_the_same_in_text_and_html_and_escapes_only_in_html() {
        let t = Texts::new(Lang::En);
        let mail = password_reset(
            &t,
            "a@example.com",
            "Acme <&> Co",
            "https://x/reset?t=1&u=2",
            30,
        )
        .unwrap();
        assert_eq!(mail.subject, "Reset your Acme <&> Co password");
        assert!(mail.text.contains("Acme <&> Co account"), "{}", mail.text);
        assert!(
            mail.text.contains("\n\nhttps://x/reset?t=1&u=2\n\n"),
            "{}",
            mail.text
        );
        assert!(mail.text.contains("30 minutes"), "{}", mail.text);
        assert!(
            mail.html.contains("Acme &#60;&#38;&#62; Co")
                || mail.html.contains("Acme &lt;&amp;&gt; Co"),
            "{}",
            mail.html
        );
        assert!(
            mail.html.contains("href=\"https://x/reset?t=1&#38;u=2\"")
                || mail.html.contains("href=\"https://x/reset?t=1&amp;u=2\""),
            "{}",
            mail.html
        );
        assert!(mail.html.contains("<html lang=\"en\">"));
    }

    #[test]
    fn every_mail_exists_in_every_language() {
        for lang in Lang::ALL {
            let t = Texts::new(lang);
            let mails = [
                password_reset(&t, "a@example.com", "Acme", "https://x/1", 30).unwrap(),
                verify_email(&t, "a@example.com", "Acme", "https://x/2").unwrap(),
                signup_exists(&t, "a@example.com", "Acme", "https://x/3").unwrap(),
                inactivity_warning(&t, "a@example.com", "Acme", "https://x/4", "1 Jan 2027")
                    .unwrap(),
                invitation(&t, "a@example.com", "Acme", "https://x/5", 7, true).unwrap(),
                invitation(&t, "a@example.com", "Acme", "https://x/6", 7, false).unwrap(),
            ];
            for mail in mails {
                assert!(mail.subject.contains("Acme"), "{lang:?}: {}", mail.subject);
                assert!(
                    !mail.text.contains("mail-"),
                    "{lang:?}: an id left in {}",
                    mail.text
                );
                assert!(mail.html.contains(&format!("lang=\"{}\"", lang.code())));
            }
        }
    }
}
