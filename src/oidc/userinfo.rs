//! The UserInfo endpoint (OIDC Core §5.3): claims about the token's profile, by scope.

use serde_json::{Map, Value};

use super::access_token::{self, Inactive};
use super::claims::{user_claims, Asked};
use super::claims_request::{ClaimsRequest, Target};
use super::context::OidcContext;
use super::dpop::{self, Presented, Scheme};
use super::error::{Challenge, ErrorCode, OAuthError};
use super::subject::subject;
use crate::db::AnyConnection;
use crate::domain::{ProfileId, ScopeSet};
use crate::profiles;

pub fn userinfo(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    presented: &Presented,
) -> Result<Map<String, Value>, OAuthError> {
    let challenge = match presented.scheme {
        Scheme::Bearer => Challenge::Bearer,
        Scheme::DPoP => Challenge::DPoP,
    };
    let (claims, user) = match access_token::verify_for_issuer(conn, ctx, &presented.token) {
        Ok(active) => (active.claims, active.user),
        Err(Inactive::Db(e)) => return Err(e.into()),
        Err(Inactive::Invalid(why)) => {
            return Err(
                OAuthError::invalid_token(format!("the access token is invalid: {why}"))
                    .with_challenge(challenge),
            )
        }
    };
    // A bound token only with a proof by its key; an unbound one only as Bearer.
    dpop::check_presentation(conn, ctx, presented, claims.cnf.as_ref())?;
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
    let claims_request = grant
        .claims
        .as_deref()
        .and_then(|c| serde_json::from_str::<ClaimsRequest>(c).ok());
    let asked = Asked {
        scope: &scope,
        claims: claims_request.as_ref(),
        target: Target::UserInfo,
    };
    let customer = match (&account.customer_id, asked.verified_claims()) {
        (Some(id), Some(_)) => super::token::verified_customer(conn, ctx, id)?,
        _ => None,
    };
    let answer = user_claims(
        &account,
        &profile,
        &subject,
        &asked,
        attributes,
        customer.as_ref(),
    );
    Ok(answer)
}
