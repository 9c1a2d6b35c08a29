//! Self sign-up. The answer is the same for a new and a known address, and so is the work: the
//! password is hashed before the address is looked up, and either a verification link or a
//! "you already have an account" note is mailed.

use super::accounts::{insert_account, AccountError, NewAccount};
use super::verification;
use crate::audit::{self, Event};
use crate::db::{tx, AnyConnection, DbError};
use crate::domain::TenantId;
use crate::mail::{messages, Outgoing};

/// One sign-up attempt on a tenant's page.
#[derive(Debug, Clone)]
pub struct SignUp {
    pub tenant: TenantId,
    pub tenant_name: String,
    pub issuer: String,
    /// The caller's address (resolved through the trusted proxies): sign-ups are rate limited.
    pub client_ip: String,
    pub attempts_per_minute: i64,
    /// The language of the mail that follows (the sign-up page's).
    pub texts: crate::i18n::Texts,
}

impl SignUp {
    /// Counts the attempt against the caller's address before any hashing is spent on it.
    /// `Some(seconds)` when the caller must wait.
    pub fn admit(&self, conn: &mut AnyConnection) -> Result<Option<i64>, DbError> {
        let scope = format!("signup:{}", self.tenant);
        crate::rate_limit::hit(conn, &scope, &self.client_ip, self.attempts_per_minute)
    }

    /// Stores the prepared account with its verification token and audit entry in one
    /// transaction, or notices the address is taken. Returns the mail to send once that has
    /// committed: one of two notes either way, so the page tells nothing.
    pub fn register(
        &self,
        conn: &mut AnyConnection,
        vault: &crate::keys::Vault,
        new: &NewAccount,
    ) -> Result<Option<Outgoing>, DbError> {
        let created = tx::write(conn, |conn| {
            let account = match insert_account(conn, vault, &self.tenant, new) {
                Ok(account) => account,
                Err(AccountError::EmailTaken) => return Ok(None),
                Err(e) => return Err(e),
            };
            let token = verification::account_token(conn, &self.tenant, &account.id)?;
            let event = Event {
                actor: account.id.as_str(),
                action: "account.signup",
                target: account.id.as_str(),
                ip: &self.client_ip,
                details: serde_json::json!({}),
            };
            audit::record(conn, &self.tenant, event)?;
            Ok(Some(token))
        });
        let mail = match created {
            Ok(Some(token)) => {
                let link = format!("{}/verify?token={token}", self.issuer);
                messages::verify_email(&self.texts, new.email().as_str(), &self.tenant_name, &link)
            }
            Ok(None) => {
                let reset = format!("{}/reset", self.issuer);
                messages::signup_exists(
                    &self.texts,
                    new.email().as_str(),
                    &self.tenant_name,
                    &reset,
                )
            }
            Err(AccountError::Db(e)) => return Err(e),
            Err(e) => {
                tracing::error!(error = %e, "sign-up failed");
                return Ok(None);
            }
        };
        Ok(mail.ok())
    }
}
