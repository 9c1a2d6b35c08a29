//! Outgoing mail with lettre: SMTP for production, .eml files as the local default.
//! Messages are askama templates (text and HTML) naming the tenant.

use std::path::PathBuf;

use anyhow::Context;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::{MailTransport, Settings, SmtpSecurity};

pub mod messages;

#[derive(Clone)]
pub enum Mailer {
    File {
        transport: AsyncFileTransport<Tokio1Executor>,
        dir: PathBuf,
    },
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

/// A message ready to be composed: recipient, subject, and both renderings.
pub struct Outgoing {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Said at start when a deployment that looks real keeps its mail in files.
pub const FILE_TRANSPORT_WARNING: &str = "mail.transport is \"file\": every message, with its \
     sign-in, verification and reset links, is written in clear to a local directory and \
     never delivered; an https deployment should send mail over SMTP";

impl Mailer {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<(Mailer, Mailbox)> {
        let mail = &settings.mail;
        let from: Mailbox = mail
            .from
            .parse()
            .with_context(|| format!("mail.from is not an address: {}", mail.from))?;
        let mailer = match mail.transport {
            MailTransport::File => {
                let dir = if mail.file_dir.as_os_str().is_empty() {
                    settings.server.data_dir.join("mail")
                } else {
                    mail.file_dir.clone()
                };
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("could not create {}", dir.display()))?;
                if settings.server.public_url.scheme() == "https" {
                    tracing::warn!(
                        dir = %dir.display(),
                        "{FILE_TRANSPORT_WARNING}"
                    );
                }
                Mailer::File {
                    transport: AsyncFileTransport::new(&dir),
                    dir,
                }
            }
            MailTransport::Smtp => {
                let host = mail.smtp_host.as_str();
                let mut builder = match mail.smtp_security {
                    SmtpSecurity::Starttls => {
                        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)?
                    }
                    SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)?,
                    SmtpSecurity::None => {
                        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
                    }
                }
                .port(mail.smtp_port);
                if let (Some(user), Some(password)) = (&mail.smtp_username, &mail.smtp_password) {
                    builder = builder.credentials(Credentials::new(
                        user.clone(),
                        password.expose_secret().to_owned(),
                    ));
                }
                Mailer::Smtp(builder.build())
            }
        };
        Ok((mailer, from))
    }

    /// Sends one message; failures are logged with the recipient's domain only.
    pub async fn send(&self, from: &Mailbox, mail: Outgoing) {
        if let Err(e) = self.try_send(from, mail).await {
            tracing::error!(error = %e, "could not send a message");
        }
    }

    /// Sends one message and says whether it went (the CLI reports it to the operator).
    pub async fn try_send(&self, from: &Mailbox, mail: Outgoing) -> anyhow::Result<()> {
        let domain = mail.to.rsplit('@').next().unwrap_or_default().to_owned();
        let message = compose(from, mail).context("could not compose a message")?;
        match self {
            Mailer::File { transport, dir } => {
                let id = transport
                    .send(message)
                    .await
                    .context("could not write a message")?;
                tracing::info!(path = %dir.join(format!("{id}.eml")).display(), "mail written");
            }
            Mailer::Smtp(transport) => {
                transport
                    .send(message)
                    .await
                    .with_context(|| format!("could not send a message to {domain}"))?;
                tracing::info!(domain, "mail sent");
            }
        }
        Ok(())
    }
}

fn compose(from: &Mailbox, mail: Outgoing) -> anyhow::Result<Message> {
    Ok(Message::builder()
        .from(from.clone())
        .to(mail.to.parse()?)
        .subject(mail.subject)
        .multipart(MultiPart::alternative_plain_html(mail.text, mail.html))?)
}
