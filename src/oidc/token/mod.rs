//! The token endpoint: parse the form into a typed request, authenticate the client once,
//! dispatch to one handler per grant. Adding a grant is one variant, one file, one arm.

mod authorization_code;
mod client_credentials;
mod device_code;
mod issue;
mod refresh_token;

pub(crate) use issue::verified_customer;

use super::client_auth;
use super::context::OidcContext;
use super::dpop;
use super::error::{ErrorCode, OAuthError};
use super::form::Params;
use super::minter::TokenResponse;
use super::resource::Audience;
use crate::clients::{Client, GrantType};
use crate::db::Db;
use crate::keys::KeyAlg;

#[derive(Debug)]
pub enum TokenRequest {
    AuthorizationCode {
        code: String,
        redirect_uri: Option<String>,
        code_verifier: Option<String>,
        resources: Vec<String>,
    },
    RefreshToken {
        refresh_token: String,
        scope: Option<String>,
        resources: Vec<String>,
    },
    ClientCredentials {
        scope: Option<String>,
        resources: Vec<String>,
    },
    DeviceCode {
        device_code: String,
        resources: Vec<String>,
    },
}

impl TokenRequest {
    pub fn parse(params: &Params) -> Result<TokenRequest, OAuthError> {
        let owned = |name: &str| params.get(name).map(str::to_owned);
        // RFC 8707: the API (or APIs) the access token is for.
        let resources: Vec<String> = params
            .all("resource")
            .into_iter()
            .map(str::to_owned)
            .collect();
        match params.require("grant_type")? {
            "authorization_code" => Ok(TokenRequest::AuthorizationCode {
                code: params.require("code")?.to_owned(),
                redirect_uri: owned("redirect_uri"),
                code_verifier: owned("code_verifier"),
                resources,
            }),
            "refresh_token" => Ok(TokenRequest::RefreshToken {
                refresh_token: params.require("refresh_token")?.to_owned(),
                scope: owned("scope"),
                resources,
            }),
            "client_credentials" => Ok(TokenRequest::ClientCredentials {
                scope: owned("scope"),
                resources,
            }),
            "urn:ietf:params:oauth:grant-type:device_code" => Ok(TokenRequest::DeviceCode {
                device_code: params.require("device_code")?.to_owned(),
                resources,
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
            TokenRequest::DeviceCode { .. } => GrantType::DeviceCode,
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
    proof: Option<String>,
) -> Result<TokenResponse, OAuthError> {
    let credentials = client_auth::credentials(db, &ctx, authorization.as_deref(), &params).await?;
    let request = TokenRequest::parse(&params)?;
    if let TokenRequest::ClientCredentials { scope, resources } = &request {
        // A token for an API reads the API's registration: that takes the database path.
        // So does a DPoP proof (its jti is recorded).
        let cached = (resources.is_empty() && proof.is_none())
            .then(|| client_auth::authenticate_cached(&ctx, &credentials.method))
            .flatten();
        if let Some(client) = cached {
            let client = client?;
            ensure_allowed(&client, GrantType::ClientCredentials)?;
            require_proof_if_bound(&client)?;
            return sign_off_executor_if_slow(ctx, client, scope.clone()).await;
        }
    }
    db.run(move |conn| {
        let client = client_auth::authenticate(conn, &ctx, credentials)?;
        ensure_allowed(&client, request.grant_type())?;
        let jkt = match &proof {
            Some(proof) => Some(dpop::verify(
                conn,
                &ctx,
                &dpop::ProofRequest {
                    proof,
                    method: "POST",
                    uri: &ctx.endpoint("token"),
                    access_token: None,
                },
            )?),
            None => {
                require_proof_if_bound(&client)?;
                None
            }
        };
        let jkt = jkt.as_deref();
        match request {
            TokenRequest::AuthorizationCode {
                code,
                redirect_uri,
                code_verifier,
                resources,
            } => authorization_code::exchange(
                conn,
                &ctx,
                &client,
                authorization_code::Redemption {
                    code: &code,
                    redirect_uri: redirect_uri.as_deref(),
                    code_verifier: code_verifier.as_deref(),
                    resources: &resources,
                    jkt,
                },
            ),
            TokenRequest::RefreshToken {
                refresh_token,
                scope,
                resources,
            } => refresh_token::exchange(
                conn,
                &ctx,
                &client,
                &refresh_token,
                scope.as_deref(),
                &resources,
                jkt,
            ),
            TokenRequest::DeviceCode {
                device_code,
                resources,
            } => device_code::exchange(conn, &ctx, &client, &device_code, &resources, jkt),
            TokenRequest::ClientCredentials { scope, resources } => {
                let audience = super::resource::client_target(conn, &ctx, &client, &resources)?;
                client_credentials::exchange(&ctx, &client, scope.as_deref(), &audience, jkt)
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
            client_credentials::exchange(&ctx, &client, scope.as_deref(), &Audience::Issuer, None)
        }
        KeyAlg::Rs256 | KeyAlg::Ps256 => tokio::task::spawn_blocking(move || {
            client_credentials::exchange(&ctx, &client, scope.as_deref(), &Audience::Issuer, None)
        })
        .await
        .map_err(OAuthError::server_error)?,
    }
}

/// RFC 9449 §5.2: a client registered with `dpop_bound_access_tokens` sends a proof with
/// every token request.
fn require_proof_if_bound(client: &Client) -> Result<(), OAuthError> {
    if client.requires_dpop() {
        return Err(OAuthError::new(
            ErrorCode::InvalidDpopProof,
            "this client must send a DPoP proof with every token request",
        ));
    }
    Ok(())
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
