//! The one place tokens are made: every grant ends in these calls.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::context::OidcContext;
use super::dpop::Confirmation;
use super::error::OAuthError;
use super::resource::Audience;
use super::subject::Subject;
use crate::clients::Client;
use crate::crypto::{base64url, random_token, sha256_hex};
use crate::db::grants::{self as rows, GrantRow, RefreshTokenRow};
use crate::db::AnyConnection;
use crate::domain::{unix_now, GrantId, ScopeSet};
use crate::keys::KeyAlg;
use crate::profiles::Authorization;

/// RFC 9068 access-token claims, plus Tessera's own (`tenant`, `profile_id`, `grant_id`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    pub tenant: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_id: Option<String>,
    /// Links the token to its grant, so revoking the grant revokes the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_id: Option<String>,
    /// In account subject mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The profile's roles and permissions when the token was minted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<String>>,
    /// The customer the account acts for (`customers`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// The DPoP key the token is bound to (RFC 9449 §6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
}

/// Everything a user token says about the user: the grant, the subject as this client sees
/// it, and the profile's roles and permissions right now.
pub struct UserContext<'a> {
    pub grant: &'a GrantRow,
    pub subject: &'a Subject,
    pub authorization: &'a Authorization,
    pub customer_id: Option<&'a str>,
}

/// `token_type` of an access token: `DPoP` when it is bound to a key (RFC 9449 §5).
pub fn token_type(jkt: Option<&str>) -> &'static str {
    if jkt.is_some() {
        "DPoP"
    } else {
        "Bearer"
    }
}

/// The token endpoint's success response (RFC 6749 §5.1, OIDC Core §3.1.3.3).
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub scope: String,
}

fn sign(
    ctx: &OidcContext,
    alg: KeyAlg,
    typ: &str,
    claims: &impl Serialize,
) -> Result<String, OAuthError> {
    let signer = ctx
        .keys
        .signer(alg)
        .ok_or_else(|| OAuthError::server_error(format!("no active {alg} key")))?;
    let payload = serde_json::to_vec(claims).map_err(OAuthError::server_error)?;
    signer.sign(typ, &payload).map_err(OAuthError::server_error)
}

fn amr_list(amr: &str) -> Vec<String> {
    amr.split(' ')
        .filter(|m| !m.is_empty())
        .map(str::to_owned)
        .collect()
}

/// An access token (JWT, `typ: at+jwt`) for a user, or for the client itself, for
/// `audience`: this issuer, or an API with its own lifetime and algorithm (RFC 9068).
pub fn access_token(
    ctx: &OidcContext,
    client: &Client,
    scope: &ScopeSet,
    user: Option<&UserContext>,
    audience: &Audience,
    jkt: Option<&str>,
) -> Result<(String, i64), OAuthError> {
    let grant = user.map(|u| u.grant);
    let now = unix_now();
    let (lifetime, alg) = match audience {
        Audience::Issuer => (
            ctx.settings.tokens.access_token_lifetime_secs,
            client.signing_alg,
        ),
        Audience::Api(api) => (
            api.access_token_lifetime_secs
                .unwrap_or(ctx.settings.tokens.access_token_lifetime_secs),
            api.signing_alg.unwrap_or(client.signing_alg),
        ),
    };
    // A user's roles, or for client_credentials those the client itself holds (if any).
    let authorization = user.map_or(&client.authorization, |u| u.authorization);
    let carries_roles = user.is_some() || !authorization.roles.is_empty();
    let claims = AccessTokenClaims {
        iss: ctx.issuer.clone(),
        sub: user.map_or_else(|| client.id.to_string(), |u| u.subject.sub.clone()),
        aud: audience.aud(ctx).to_owned(),
        exp: crate::domain::expiry(now, lifetime),
        iat: now,
        jti: uuid::Uuid::now_v7().to_string(),
        client_id: client.id.to_string(),
        scope: scope.to_string(),
        tenant: ctx.tenant.slug.to_string(),
        auth_time: grant.map(|g| g.auth_time),
        acr: grant.map(|g| g.acr.clone()),
        amr: grant.map(|g| amr_list(&g.amr)),
        sid: user.and_then(|u| {
            let sid = u.grant.session_id.as_deref()?;
            Some(u.subject.session_id(sid))
        }),
        profile_id: user.and_then(|u| u.subject.profile_id.clone()),
        grant_id: grant.map(|g| g.id.clone()),
        account_id: user.and_then(|u| u.subject.account_id.clone()),
        roles: carries_roles.then(|| authorization.roles.clone()),
        permissions: carries_roles.then(|| authorization.permissions.clone()),
        customer_id: user.and_then(|u| u.customer_id.map(str::to_owned)),
        cnf: jkt.map(|jkt| Confirmation {
            jkt: jkt.to_owned(),
        }),
    };
    Ok((sign(ctx, alg, "at+jwt", &claims)?, lifetime))
}

/// An ID token for a user grant (OIDC Core §2), with `at_hash` binding it to `access_token`.
pub fn id_token(
    ctx: &OidcContext,
    client: &Client,
    user: &UserContext,
    nonce: Option<&str>,
    access_token: &str,
    user_claims: Map<String, Value>,
) -> Result<String, OAuthError> {
    let grant = user.grant;
    let now = unix_now();
    let digest = Sha256::digest(access_token.as_bytes());
    let mut claims = user_claims;
    let standard = json!({
        "iss": ctx.issuer,
        "sub": user.subject.sub,
        "aud": client.id,
        "azp": client.id,
        "exp": crate::domain::expiry(now, ctx.settings.tokens.id_token_lifetime_secs),
        "iat": now,
        "auth_time": grant.auth_time,
        "acr": grant.acr,
        "amr": amr_list(&grant.amr),
        "at_hash": base64url(&digest[..16]),
        "tenant": ctx.tenant.slug,
    });
    if let Value::Object(standard) = standard {
        claims.extend(standard);
    }
    if let Some(sid) = &grant.session_id {
        claims.insert("sid".into(), json!(user.subject.session_id(sid)));
    }
    if let Some(nonce) = nonce {
        claims.insert("nonce".into(), json!(nonce));
    }
    sign(ctx, client.signing_alg, "JWT", &claims)
}

/// A new opaque refresh token for the grant, stored as its hash. Its idle lifetime never
/// outlasts the grant's absolute lifetime.
pub fn refresh_token(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    grant: &GrantRow,
    scope: &ScopeSet,
    jkt: Option<&str>,
) -> Result<String, OAuthError> {
    let now = unix_now();
    let token = random_token();
    rows::insert_refresh_token(
        conn,
        &RefreshTokenRow {
            token_hash: sha256_hex(&token),
            tenant_id: ctx.tenant.id.to_string(),
            grant_id: GrantId::from_stored(grant.id.clone()).to_string(),
            client_id: grant.client_id.clone(),
            scope: scope.to_string(),
            created_at: now,
            expires_at: crate::domain::expiry(
                now,
                ctx.settings.tokens.refresh_token_idle_lifetime_secs,
            )
            .min(grant.expires_at),
            rotated_at: None,
            dpop_jkt: jkt.map(str::to_owned),
        },
    )?;
    Ok(token)
}
