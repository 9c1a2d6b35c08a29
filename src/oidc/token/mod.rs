//! The token endpoint: parse the form into a typed request, authenticate the client once,
//! dispatch to one handler per grant. Adding a grant is one variant, one file, one arm.

mod authorization_code;
mod client_credentials;
mod issue;
mod refresh_token;

use super::client_auth;
use super::context::OidcContext;
use super::error::{ErrorCode, OAuthError};
use super::form::Params;
use super::minter::TokenResponse;
use crate::clients::{Client, GrantType};
use crate::db::Db;
use crate::keys::KeyAlg;

#[derive(Debug)]
pub enum TokenRequest {
    AuthorizationCode {
        code: String,
        redirect_uri: Option<String>,
        code_verifier: Option<String>,
    },
    RefreshToken {
        refresh_token: String,
        scope: Option<String>,
    },
    ClientCredentials {
        scope: Option<String>,
    },
}

impl TokenRequest {
    pub fn parse(params: &Params) -> Result<TokenRequest, OAuthError> {
        let owned = |name: &str| params.get(name).map(str::to_owned);
        match params.require("grant_type")? {
            "authorization_code" => Ok(TokenRequest::AuthorizationCode {
                code: params.require("code")?.to_owned(),
                redirect_uri: owned("redirect_uri"),
                code_verifier: owned("code_verifier"),
            }),
            "refresh_token" => Ok(TokenRequest::RefreshToken {
                refresh_token: params.require("refresh_token")?.to_owned(),
                scope: owned("scope"),
            }),
            "client_credentials" => Ok(TokenRequest::ClientCredentials {
                scope: owned("scope"),
            }),
            other => Err(OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                format!("grant_type {other} is not supported"),
            )),
        }
    }

    fn grant_type(&self) -> GrantType {
        match self {
            TokenRequest::AuthorizationCode { .. } => GrantType::AuthorizationCode,
            TokenRequest::RefreshToken { .. } => GrantType::RefreshToken,
            TokenRequest::ClientCredentials { .. } => GrantType::ClientCredentials,
        }
    }
}

/// Handles one token request: authenticate the client once, then dispatch by grant.
///
/// client_credentials from a cached client authenticating with a secret touches no database,
/// so it stays off the blocking pool (ES256 and EdDSA sign in tens of µs; RS256, ~0.3 ms, is signed on
/// the blocking pool). Everything else runs there, in one hop.
pub async fn handle(
    db: &Db,
    ctx: OidcContext,
    authorization: Option<String>,
    params: Params,
) -> Result<TokenResponse, OAuthError> {
    let credentials = client_auth::credentials(db, &ctx, authorization.as_deref(), &params).await?;
    let request = TokenRequest::parse(&params)?;
    if let TokenRequest::ClientCredentials { scope } = &request {
        if let Some(client) = client_auth::authenticate_cached(&ctx, &credentials.method) {
            let client = client?;
            ensure_allowed(&client, GrantType::ClientCredentials)?;
            return sign_off_executor_if_slow(ctx, client, scope.clone()).await;
        }
    }
    db.run(move |conn| {
        let client = client_auth::authenticate(conn, &ctx, credentials)?;
        ensure_allowed(&client, request.grant_type())?;
        match request {
            TokenRequest::AuthorizationCode {
                code,
                redirect_uri,
                code_verifier,
            } => authorization_code::exchange(
                conn,
                &ctx,
                &client,
                &code,
                redirect_uri.as_deref(),
                code_verifier.as_deref(),
            ),
            TokenRequest::RefreshToken {
                refresh_token,
                scope,
            } => refresh_token::exchange(conn, &ctx, &client, &refresh_token, scope.as_deref()),
            TokenRequest::ClientCredentials { scope } => {
                client_credentials::exchange(&ctx, &client, scope.as_deref())
            }
        }
    })
    .await
}

async fn sign_off_executor_if_slow(
    ctx: OidcContext,
    client: Client,
    scope: Option<String>,
) -> Result<TokenResponse, OAuthError> {
    match client.signing_alg {
        KeyAlg::Es256 | KeyAlg::EdDsa => {
            client_credentials::exchange(&ctx, &client, scope.as_deref())
        }
        KeyAlg::Rs256 => tokio::task::spawn_blocking(move || {
            client_credentials::exchange(&ctx, &client, scope.as_deref())
        })
        .await
        .map_err(OAuthError::server_error)?,
    }
}

fn ensure_allowed(client: &Client, grant: GrantType) -> Result<(), OAuthError> {
    if client.allows_grant(grant) {
        Ok(())
    } else {
        Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            format!("this client may not use {grant}"),
        ))
    }
}
