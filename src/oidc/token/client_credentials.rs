//! `client_credentials` (RFC 6749 §4.4): the client acts for itself; `sub` is its client_id and
//! there is no ID token or refresh token.

use crate::clients::Client;
use crate::domain::ScopeSet;
use crate::oidc::context::OidcContext;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::minter::{self, TokenResponse};

pub fn exchange(
    ctx: &OidcContext,
    client: &Client,
    scope: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let scope = ScopeSet::parse(scope.unwrap_or_default())
        .map_err(|e| OAuthError::new(ErrorCode::InvalidScope, e.to_string()))?;
    if let Some(user_scope) = scope
        .iter()
        .find(|s| crate::domain::scope::USER.contains(s))
    {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            format!("{user_scope} needs a user: use the authorization code flow"),
        ));
    }
    if let Some(unknown) = scope.iter().next() {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            format!("scope {unknown} is not registered for this client"),
        ));
    }
    let (access_token, expires_in) = minter::access_token(ctx, client, &scope, None)?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in,
        refresh_token: None,
        id_token: None,
        scope: scope.to_string(),
    })
}
