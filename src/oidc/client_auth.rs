//! Client authentication at the token, introspection and revocation endpoints: one step shared
//! by all of them. Supports client_secret_basic, client_secret_post, private_key_jwt (RFC 7523)
//! and none (public clients identify themselves with client_id only).

use base64::Engine;

use super::context::OidcContext;
use super::error::{Challenge, OAuthError};
use super::form::Params;
use crate::clients::{AuthMethod, Client, ClientError};
use crate::crypto::sha256_hex;
use crate::db::Db;
use crate::db::{grants, AnyConnection};
use crate::domain::unix_now;
use crate::keys::{decode_header, decode_payload_unverified, verify_compact, Verifier};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Clock skew tolerated on assertion times.
const LEEWAY_SECS: i64 = 30;
/// Assertions valid for longer than this are refused: their ids must be remembered that long.
const MAX_ASSERTION_LIFETIME_SECS: i64 = 3600;

/// The credentials a request carried, before any lookup.
#[derive(Debug, Default)]
pub struct PresentedCredentials {
    basic: Option<(String, String)>,
    client_id: Option<String>,
    client_secret: Option<String>,
    assertion: Option<String>,
    assertion_type: Option<String>,
}

impl PresentedCredentials {
    /// Reads the `Authorization` header and the client parameters of the form.
    pub fn from_request(authorization: Option<&str>, params: &Params) -> Result<Self, OAuthError> {
        let basic = match authorization.and_then(|v| super::after_auth_scheme(v, "basic")) {
            Some(credentials) => Some(parse_basic(credentials)?),
            None => None,
        };
        Ok(PresentedCredentials {
            basic,
            client_id: params.get("client_id").map(str::to_owned),
            client_secret: params.get("client_secret").map(str::to_owned),
            assertion: params.get("client_assertion").map(str::to_owned),
            assertion_type: params.get("client_assertion_type").map(str::to_owned),
        })
    }
}

fn basic_error(description: &str) -> OAuthError {
    OAuthError::invalid_client(description).with_challenge(Challenge::Basic)
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 §2.3.1).
fn parse_basic(encoded: &str) -> Result<(String, String), OAuthError> {
    let malformed = || basic_error("malformed Basic credentials");
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("v={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok((unescape(id), unescape(secret)))
}

/// The one authentication method a request used.
#[derive(Debug)]
pub enum Method {
    Basic {
        client_id: String,
        secret: String,
    },
    Post {
        client_id: String,
        secret: String,
    },
    Assertion {
        assertion: String,
        client_id: Option<String>,
    },
    None {
        client_id: String,
    },
}

impl Method {
    /// The method of `presented`: exactly one, or an error.
    pub fn of(presented: PresentedCredentials) -> Result<Method, OAuthError> {
        let methods = [
            presented.basic.is_some(),
            presented.client_secret.is_some(),
            presented.assertion.is_some(),
        ];
        if methods.iter().filter(|m| **m).count() > 1 {
            return Err(OAuthError::invalid_request(
                "use exactly one client authentication method",
            ));
        }
        if let Some((client_id, secret)) = presented.basic {
            if presented
                .client_id
                .as_deref()
                .is_some_and(|body_id| body_id != client_id)
            {
                return Err(basic_error(
                    "client_id does not match the Basic credentials",
                ));
            }
            return Ok(Method::Basic { client_id, secret });
        }
        if let Some(secret) = presented.client_secret {
            let client_id = presented
                .client_id
                .ok_or_else(|| OAuthError::invalid_request("client_secret needs client_id"))?;
            return Ok(Method::Post { client_id, secret });
        }
        if let Some(assertion) = presented.assertion {
            if presented.assertion_type.as_deref() != Some(JWT_BEARER) {
                return Err(OAuthError::invalid_request(format!(
                    "client_assertion_type must be {JWT_BEARER}"
                )));
            }
            return Ok(Method::Assertion {
                assertion,
                client_id: presented.client_id,
            });
        }
        let client_id = presented
            .client_id
            .ok_or_else(|| OAuthError::invalid_client("client authentication is required"))?;
        Ok(Method::None { client_id })
    }

    /// The client a secret-based (or `none`) method names; assertions need the database.
    pub fn client_id(&self) -> Option<&str> {
        match self {
            Method::Basic { client_id, .. }
            | Method::Post { client_id, .. }
            | Method::None { client_id } => Some(client_id),
            Method::Assertion { .. } => None,
        }
    }

    fn challenge(&self) -> Challenge {
        match self {
            Method::Basic { .. } => Challenge::Basic,
            _ => Challenge::None,
        }
    }

    /// Checks a secret-based or `none` method against the client's registration.
    pub fn check(&self, client: Client) -> Result<Client, OAuthError> {
        let result = match self {
            Method::Basic { secret, .. } => {
                check_secret(client, secret, AuthMethod::ClientSecretBasic)
            }
            Method::Post { secret, .. } => {
                check_secret(client, secret, AuthMethod::ClientSecretPost)
            }
            Method::None { .. } if client.auth_method == AuthMethod::None => Ok(client),
            Method::None { .. } => Err(OAuthError::invalid_client(
                "this client must authenticate with its registered method",
            )),
            Method::Assertion { .. } => Err(OAuthError::server_error(
                "assertions are checked with the database",
            )),
        };
        result.map_err(|e| e.with_challenge(self.challenge()))
    }
}

/// What a request authenticates with: its one method, and for an assertion from a client that
/// registered a `jwks_uri`, that client's keys, fetched before any transaction.
pub struct Credentials {
    pub method: Method,
    fetched_keys: Option<serde_json::Value>,
}

/// Reads the request's credentials. A client assertion whose client publishes its keys at a
/// `jwks_uri` gets them fetched here, with no database connection held while waiting on the
/// client's server. Why a fetch failed goes to the log; the caller only learns that client
/// authentication failed.
pub async fn credentials(
    db: &Db,
    ctx: &OidcContext,
    authorization: Option<&str>,
    params: &Params,
) -> Result<Credentials, OAuthError> {
    let method = Method::of(PresentedCredentials::from_request(authorization, params)?)?;
    let Method::Assertion { assertion, .. } = &method else {
        return Ok(Credentials {
            method,
            fetched_keys: None,
        });
    };
    let issuer = decode_payload_unverified(assertion)
        .and_then(|claims| claims["iss"].as_str().map(str::to_owned));
    let Some(issuer) = issuer else {
        return Ok(Credentials {
            method,
            fetched_keys: None,
        });
    };
    let client = match ctx.cached_client(&issuer) {
        Some(client) => Some(client),
        None => {
            let lookup = ctx.clone();
            db.run(move |conn| match lookup.client(conn, &issuer) {
                Ok(client) => Ok(Some(client)),
                Err(ClientError::NotFound(_)) => Ok(None),
                Err(ClientError::Db(e)) => Err(OAuthError::from(e)),
                Err(e) => Err(OAuthError::server_error(e)),
            })
            .await?
        }
    };
    let uri = client
        .filter(|c| c.auth_method == AuthMethod::PrivateKeyJwt && c.jwks.is_none())
        .and_then(|c| c.jwks_uri);
    let Some(uri) = uri else {
        return Ok(Credentials {
            method,
            fetched_keys: None,
        });
    };
    let kid = decode_header(assertion).and_then(|h| h.key_id().map(str::to_owned));
    match ctx.client_jwks.keys_for(&uri, kid.as_deref()).await {
        Ok(jwks) => Ok(Credentials {
            method,
            fetched_keys: Some(jwks),
        }),
        Err(e) => {
            tracing::warn!(error = %e, "could not fetch a client's jwks_uri");
            Err(OAuthError::invalid_client("client authentication failed"))
        }
    }
}

/// Authenticates the client by the one method it used, which must be its registered method.
pub fn authenticate(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    credentials: Credentials,
) -> Result<Client, OAuthError> {
    let Credentials {
        method,
        fetched_keys,
    } = credentials;
    match &method {
        Method::Assertion {
            assertion,
            client_id,
        } => check_assertion(conn, ctx, assertion, client_id.as_deref(), fetched_keys),
        _ => {
            let client_id = method.client_id().unwrap_or_default();
            let client =
                find(conn, ctx, client_id).map_err(|e| e.with_challenge(method.challenge()))?;
            method.check(client)
        }
    }
}

/// Authenticates from the client cache alone; `None` when the database is needed.
pub fn authenticate_cached(
    ctx: &OidcContext,
    method: &Method,
) -> Option<Result<Client, OAuthError>> {
    let client = ctx.cached_client(method.client_id()?)?;
    Some(method.check(client))
}

fn find(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    client_id: &str,
) -> Result<Client, OAuthError> {
    match ctx.client(conn, client_id) {
        Ok(client) => Ok(client),
        Err(ClientError::NotFound(_)) => {
            Err(OAuthError::invalid_client("client authentication failed"))
        }
        Err(e) => Err(OAuthError::server_error(e)),
    }
}

fn check_secret(client: Client, secret: &str, method: AuthMethod) -> Result<Client, OAuthError> {
    if client.auth_method != method || !client.secret_matches(secret) {
        return Err(OAuthError::invalid_client("client authentication failed"));
    }
    Ok(client)
}

/// private_key_jwt: a JWT signed by a key in the client's registered JWKS, with
/// `iss` = `sub` = client_id, our issuer or token endpoint in `aud`, a near `exp`, and a `jti`
/// that has not been seen before.
fn check_assertion(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    assertion: &str,
    client_id: Option<&str>,
    fetched_keys: Option<serde_json::Value>,
) -> Result<Client, OAuthError> {
    let failed =
        |why: &str| OAuthError::invalid_client(format!("client assertion rejected: {why}"));
    let claimed = decode_payload_unverified(assertion).ok_or_else(|| failed("not a JWT"))?;
    let issuer = claimed["iss"]
        .as_str()
        .ok_or_else(|| failed("no iss"))?
        .to_owned();
    if client_id.is_some_and(|id| id != issuer) {
        return Err(failed("iss does not match client_id"));
    }
    let client = find(conn, ctx, &issuer)?;
    if client.auth_method != AuthMethod::PrivateKeyJwt {
        return Err(OAuthError::invalid_client(
            "this client must authenticate with its registered method",
        ));
    }
    let verified = match (&client.jwks, &client.jwks_uri) {
        (Some(jwks), _) => {
            let jwks: serde_json::Value =
                serde_json::from_str(jwks).map_err(OAuthError::server_error)?;
            verify_compact(assertion, &Verifier::from_jwks(&jwks))
        }
        // Fetched by `credentials` (refetched there when the key was unknown).
        (None, Some(_)) => match &fetched_keys {
            Some(jwks) => verify_compact(assertion, &Verifier::from_jwks(jwks)),
            None => return Err(OAuthError::invalid_client("client authentication failed")),
        },
        (None, None) => return Err(failed("the client has no registered keys")),
    };
    let (header, payload) = verified.map_err(|e| failed(&e.to_string()))?;
    // FAPI 2.0 §5.4: a FAPI client's assertion is signed with PS256 or ES256 only.
    if client.fapi2 && !matches!(header.algorithm(), Some("PS256") | Some("ES256")) {
        return Err(failed(
            "a FAPI 2.0 client signs its assertion with PS256 or ES256",
        ));
    }
    let claims: serde_json::Value =
        serde_json::from_slice(&payload).map_err(|_| failed("payload is not JSON"))?;
    if claims["iss"] != issuer.as_str() || claims["sub"] != issuer.as_str() {
        return Err(failed("iss and sub must both be the client_id"));
    }
    let audience_ok = |aud: &serde_json::Value| {
        aud.as_str()
            .is_some_and(|a| a == ctx.issuer || a == ctx.endpoint("token"))
    };
    let aud_ok = match &claims["aud"] {
        serde_json::Value::Array(list) => list.iter().any(audience_ok),
        single => audience_ok(single),
    };
    if !aud_ok {
        return Err(failed("aud must be the issuer or the token endpoint"));
    }
    let now = unix_now();
    let exp = claims["exp"].as_i64().ok_or_else(|| failed("no exp"))?;
    // The upper bound first: after it, `exp + LEEWAY_SECS` cannot overflow.
    if exp > now + MAX_ASSERTION_LIFETIME_SECS {
        return Err(failed("exp is too far in the future"));
    }
    if exp + LEEWAY_SECS < now {
        return Err(failed("expired"));
    }
    if claims["nbf"]
        .as_i64()
        .is_some_and(|nbf| nbf > now + LEEWAY_SECS)
    {
        return Err(failed("not yet valid"));
    }
    let jti = claims["jti"]
        .as_str()
        .filter(|j| !j.is_empty())
        .ok_or_else(|| failed("no jti"))?;
    let jti_hash = sha256_hex(&format!("{issuer}\0{jti}"));
    if !grants::record_client_assertion(conn, &ctx.tenant.id, &jti_hash, exp + LEEWAY_SECS)? {
        return Err(failed("jti was already used"));
    }
    Ok(client)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_url_decoded() {
        let encoded = base64::engine::general_purpose::STANDARD.encode("my%20client:s%3Acret");
        assert_eq!(
            parse_basic(&encoded).unwrap(),
            ("my client".to_owned(), "s:cret".to_owned())
        );
        assert!(parse_basic("!!!").is_err());
        let no_colon = base64::engine::general_purpose::STANDARD.encode("abc");
        assert!(parse_basic(&no_colon).is_err());
    }
}
