//! The UserInfo endpoint (OIDC Core §5.3): claims about the token's profile, by scope.

use serde_json::{Map, Value};

use super::access_token::{self, Inactive};
use super::claims::user_claims;
use super::context::OidcContext;
use super::error::{Challenge, ErrorCode, OAuthError};
use super::subject::subject;
use crate::db::AnyConnection;
use crate::domain::{ProfileId, ScopeSet};
use crate::profiles;

pub fn userinfo(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    token: &str,
) -> Result<Map<String, Value>, OAuthError> {
    let (claims, user) = match access_token::verify(conn, ctx, token) {
        Ok(active) => (active.claims, active.user),
        Err(Inactive::Db(e)) => return Err(e.into()),
        Err(Inactive::Invalid(why)) => {
            return Err(OAuthError::invalid_token(format!(
                "the access token is invalid: {why}"
            )))
        }
    };
    let scope = ScopeSet::parse(&claims.scope).map_err(OAuthError::server_error)?;
    let insufficient = || {
        OAuthError::new(
            ErrorCode::InsufficientScope,
            "the access token was not granted the openid scope",
        )
        .with_challenge(Challenge::Bearer)
    };
    // The grant and account were read (and checked) with the token.
    let (Some((grant, account)), true) = (user, scope.contains(crate::domain::scope::OPENID))
    else {
        return Err(insufficient());
    };
    let tenant = &ctx.tenant.id;
    let profile_id = ProfileId::from_stored(grant.profile_id);
    let profile = profiles::find(conn, ctx.vault(), tenant, &profile_id)
        .map_err(|_| OAuthError::invalid_token("the profile is gone"))?;
    let client = ctx
        .client(conn, &claims.client_id)
        .map_err(|_| OAuthError::invalid_token("the client is gone"))?;
    let subject = subject(conn, tenant, &client, &account.id, &profile_id)?;
    let attributes = profiles::attributes::released(conn, tenant, &profile.attributes, &scope)?;
    let answer = user_claims(&account, &profile, &subject, &scope, attributes);
    Ok(answer)
}
