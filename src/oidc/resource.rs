//! Resource indicators (RFC 8707): which API an access token is for.
//!
//! - `/authorize` (and `/par`) may name several APIs; the grant remembers them, and the
//!   request's scopes may then include the scopes those APIs let the client ask for.
//! - `/token` names at most one per access token (`aud` is one API): one of those the grant
//!   authorised, or the only one, or none: then the token is for this issuer (userinfo).
//! - An access token carries only its audience's scopes: an API's token never carries
//!   `openid`, and the issuer's never carries an API's scopes.

use super::context::OidcContext;
use super::error::{ErrorCode, OAuthError};
use super::form::Params;
use crate::clients::Client;
use crate::db::AnyConnection;
use crate::domain::{scope, ScopeSet};
use crate::resources::{self, ApiResource};

/// Most APIs one authorization request may name.
pub const MAX_PER_REQUEST: usize = 10;

/// Whom an access token is for.
#[derive(Debug, Clone)]
pub enum Audience {
    /// This issuer: the OpenID Connect scopes, for userinfo and the admin API.
    Issuer,
    Api(Box<ApiResource>),
}

impl Audience {
    /// The `aud` claim.
    pub fn aud<'a>(&'a self, ctx: &'a OidcContext) -> &'a str {
        match self {
            Audience::Issuer => &ctx.issuer,
            Audience::Api(api) => &api.identifier,
        }
    }

    /// The part of `scope` a token for this audience carries.
    pub fn token_scope(&self, scope: &ScopeSet, client: &Client) -> ScopeSet {
        match self {
            Audience::Issuer => scope.filter(|s| scope::SUPPORTED.contains(&s)),
            Audience::Api(api) => {
                let allowed = api.allowed_for(&client.id);
                scope.filter(|s| allowed.contains(s))
            }
        }
    }
}

fn invalid_target(description: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidTarget, description)
}

/// The registered API `identifier` names, when `client` may ask for some of its scopes.
fn api_for(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    client: &Client,
    identifier: &str,
) -> Result<ApiResource, OAuthError> {
    resources::check_identifier(identifier).map_err(invalid_target)?;
    let api = resources::by_identifier(conn, &ctx.tenant.id, identifier)?
        .ok_or_else(|| invalid_target(format!("{identifier} is not an API of this issuer")))?;
    if api.allowed_for(&client.id).is_empty() {
        return Err(invalid_target(format!(
            "this client may not ask for access to {identifier}"
        )));
    }
    Ok(api)
}

/// The APIs an authorization request names (the issuer itself is implied, never listed).
pub fn requested(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    client: &Client,
    params: &Params,
) -> Result<Vec<ApiResource>, OAuthError> {
    let mut apis: Vec<ApiResource> = Vec::new();
    for identifier in params.all("resource") {
        if identifier == ctx.issuer || apis.iter().any(|a| a.identifier == identifier) {
            continue;
        }
        if apis.len() == MAX_PER_REQUEST {
            return Err(invalid_target(format!(
                "at most {MAX_PER_REQUEST} resources per request"
            )));
        }
        apis.push(api_for(conn, ctx, client, identifier)?);
    }
    Ok(apis)
}

/// Every requested scope is an OpenID Connect scope, or one the named APIs let this client
/// ask for.
pub fn check_scope(
    scope: &ScopeSet,
    apis: &[ApiResource],
    client: &Client,
) -> Result<(), OAuthError> {
    for name in scope.iter() {
        if scope::SUPPORTED.contains(&name)
            || apis
                .iter()
                .any(|a| a.allowed_for(&client.id).contains(name))
        {
            continue;
        }
        let description = if apis.iter().any(|a| a.scopes.iter().any(|s| s == name)) {
            format!("this client may not ask for {name}")
        } else if apis.is_empty() {
            format!("unknown scope {name} (an API's scopes need its resource indicator)")
        } else {
            format!("unknown scope {name}")
        };
        return Err(OAuthError::new(ErrorCode::InvalidScope, description));
    }
    Ok(())
}

/// The audience of an access token from a user grant that authorised `authorised` (space-
/// separated identifiers), given the `resource` values of the token request.
pub fn target(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    client: &Client,
    authorised: &str,
    named: &[String],
) -> Result<Audience, OAuthError> {
    let authorised: Vec<&str> = authorised.split(' ').filter(|r| !r.is_empty()).collect();
    let identifier = match (named, authorised.as_slice()) {
        ([], []) => return Ok(Audience::Issuer),
        ([], [only]) => *only,
        ([], _) => {
            return Err(invalid_target(
                "the grant covers several resources: name one with resource",
            ))
        }
        ([one], _) if *one == ctx.issuer => return Ok(Audience::Issuer),
        ([one], _) if authorised.contains(&one.as_str()) => one.as_str(),
        ([one], _) => {
            resources::check_identifier(one).map_err(invalid_target)?;
            return Err(invalid_target(format!(
                "{one} was not part of the authorization"
            )));
        }
        _ => return Err(invalid_target("one resource per access token")),
    };
    Ok(Audience::Api(Box::new(api_for(
        conn, ctx, client, identifier,
    )?)))
}

/// The audience of a client's own token (`client_credentials`): the API it names, if any.
pub fn client_target(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    client: &Client,
    named: &[String],
) -> Result<Audience, OAuthError> {
    match named {
        [] => Ok(Audience::Issuer),
        [one] if *one == ctx.issuer => Ok(Audience::Issuer),
        [one] => Ok(Audience::Api(Box::new(api_for(conn, ctx, client, one)?))),
        _ => Err(invalid_target("one resource per access token")),
    }
}

/// For the consent page: each named API with the requested scopes it defines.
pub fn described(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    identifiers: &[String],
    scope: &ScopeSet,
) -> Result<Vec<(String, Vec<String>)>, crate::db::DbError> {
    let mut lines = Vec::new();
    for identifier in identifiers {
        if let Some(api) = resources::by_identifier(conn, &ctx.tenant.id, identifier)? {
            let asked: Vec<String> = api
                .scopes
                .iter()
                .filter(|s| scope.contains(s))
                .cloned()
                .collect();
            lines.push((api.name, asked));
        }
    }
    Ok(lines)
}
