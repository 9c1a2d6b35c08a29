//! `client_credentials` (RFC 6749 §4.4): the client acts for itself; `sub` is its client_id and
//! there is no ID token or refresh token. With a resource indicator (RFC 8707) the token is
//! for that API and carries the API's scopes this client may have: those it asks for, or
//! all of them when it asks for none.

use crate::clients::Client;
use crate::domain::ScopeSet;
use crate::oidc::context::OidcContext;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::minter::{self, TokenResponse};
use crate::oidc::resource::Audience;

pub fn exchange(
    ctx: &OidcContext,
    client: &Client,
    scope: Option<&str>,
    audience: &Audience,
    jkt: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let requested = ScopeSet::parse(scope.unwrap_or_default())
        .map_err(|e| OAuthError::new(ErrorCode::InvalidScope, e.to_string()))?;
    if let Some(user_scope) = requested
        .iter()
        .find(|s| crate::domain::scope::USER.contains(s))
    {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            format!("{user_scope} needs a user: use the authorization code flow"),
        ));
    }
    let scope = match audience {
        Audience::Issuer => {
            if let Some(unknown) = requested.iter().next() {
                return Err(OAuthError::new(
                    ErrorCode::InvalidScope,
                    format!(
                        "scope {unknown} is not registered for this client (an API's scopes need its resource indicator)"
                    ),
                ));
            }
            requested
        }
        Audience::Api(api) => {
            let allowed = api.allowed_for(&client.id);
            if let Some(refused) = requested.iter().find(|s| !allowed.contains(s)) {
                return Err(OAuthError::new(
                    ErrorCode::InvalidScope,
                    format!("this client may not have {refused} at {}", api.identifier),
                ));
            }
            if requested.is_empty() {
                allowed
            } else {
                requested
            }
        }
    };
    let (access_token, expires_in) =
        minter::access_token(ctx, client, &scope, None, audience, jkt)?;
    Ok(TokenResponse {
        access_token,
        token_type: minter::token_type(jkt),
        expires_in,
        refresh_token: None,
        id_token: None,
        scope: scope.to_string(),
    })
}
