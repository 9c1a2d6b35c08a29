//! Moving an authorization request on to its next step: the one place that turns
//! `authorize::decide` into a redirect, a page, or the answer to the client.

use super::{Outcome, PageFrame};
use crate::clients::Client;
use crate::db::{AnyConnection, DbError};
use crate::oidc::authorize::{self, AuthorizationRequest, Next};
use crate::oidc::context::OidcContext;
use crate::oidc::error::OAuthError;
use crate::sessions::{self, Session};

/// Where the request goes next. `pending` is its id once stored; `browser` binds a newly stored
/// request to this browser.
#[allow(clippy::too_many_arguments)]
pub fn advance(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    frame: &PageFrame,
    client: &Client,
    request: &AuthorizationRequest,
    session: Option<&Session>,
    browser: &str,
    pending: Option<&str>,
) -> Result<Outcome, DbError> {
    let next = authorize::decide(conn, ctx, client, request, session)?;
    let mut page = |step: &str| -> Result<Outcome, DbError> {
        let id = match pending {
            Some(id) => id.to_owned(),
            None => authorize::store_pending(conn, ctx, request, &sessions::browser_hash(browser))?,
        };
        Ok(Outcome::Redirect(format!(
            "{}/{step}?request={id}",
            ctx.issuer
        )))
    };
    match next {
        Next::Login => page("login"),
        Next::SelectProfile => page("select-profile"),
        Next::Consent(_) => page("consent"),
        Next::Fail(code, description) => {
            if let Some(id) = pending {
                authorize::finish_pending(conn, ctx, id)?;
            }
            Ok(Outcome::Client(
                request.error(&ctx.issuer, OAuthError::new(code, description)),
            ))
        }
        Next::Issue(profile) => {
            let Some(session) = session else {
                return Ok(frame.failure());
            };
            if let Some(id) = pending {
                authorize::finish_pending(conn, ctx, id)?;
            }
            if session.profile_id.as_ref() != Some(&profile) {
                // Remember the persona for this browser session.
                crate::db::sessions::set_profile(
                    conn,
                    &ctx.tenant.id,
                    &session.id,
                    profile.as_str(),
                )?;
            }
            Ok(Outcome::Client(authorize::issue_code(
                conn, ctx, client, request, session, &profile,
            )?))
        }
    }
}
