//! Dynamic client registration (RFC 7591) and its management protocol (RFC 7592), per the
//! tenant's `client_registration` policy:
//!
//! - `off`: nobody registers (the endpoint answers 403 and is not advertised);
//! - `token`: an initial access token from an administrator is needed (`Bearer`), and the
//!   registration may ask for anything an administrator's could, except administration;
//! - `open`: also without a token, but then only a public client (`none`) for the code flow,
//!   with loopback or `https` redirect URIs, no server-side URIs, and rate-limited per address.
//!
//! A registered client gets a registration access token that reads, changes and deletes it
//! (`/register/{client_id}`), under the same rules it registered with. It always asks people
//! for consent: a self-chosen name is not a reason to trust it.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::clients::{
    self, AuthMethod, Client, ClientError, ClientSpec, ClientType, ClientUpdate, ConsentPolicy,
    GrantType, SubjectMode,
};
use crate::crypto::{constant_time_eq, random_token, sha256_hex};
use crate::db::registration as tokens;
use crate::db::{tx, AnyConnection, DbError};
use crate::domain::{unix_now, ClientId};
use crate::keys::KeyAlg;

use super::context::OidcContext;

/// The name a client gets when it gives none.
const UNNAMED: &str = "Unnamed application";

/// A refusal, with the status RFC 7591 §3.2.2 and RFC 6750 give it.
#[derive(Debug)]
pub struct Refusal {
    pub status: u16,
    pub error: &'static str,
    pub description: String,
    pub storage: Option<DbError>,
    /// For a rate-limited request: when to try again.
    pub retry_after: Option<i64>,
}

impl Refusal {
    pub fn new(status: u16, error: &'static str, description: impl Into<String>) -> Refusal {
        Refusal {
            status,
            error,
            description: description.into(),
            storage: None,
            retry_after: None,
        }
    }

    fn metadata(description: impl Into<String>) -> Refusal {
        Refusal::new(400, "invalid_client_metadata", description)
    }

    fn redirect_uri(description: impl Into<String>) -> Refusal {
        Refusal::new(400, "invalid_redirect_uri", description)
    }

    fn token(description: impl Into<String>) -> Refusal {
        Refusal::new(401, "invalid_token", description)
    }
}

impl From<DbError> for Refusal {
    fn from(e: DbError) -> Refusal {
        Refusal {
            storage: Some(e),
            ..Refusal::new(
                500,
                "server_error",
                "the server could not complete the request",
            )
        }
    }
}

impl From<ClientError> for Refusal {
    fn from(e: ClientError) -> Refusal {
        match e {
            ClientError::Db(e) => e.into(),
            ClientError::RedirectUri(e) => Refusal::redirect_uri(e.to_string()),
            other => Refusal::metadata(other.to_string()),
        }
    }
}

impl crate::db::StorageFailure for Refusal {
    fn storage_error(&self) -> Option<&DbError> {
        self.storage.as_ref()
    }
}

/// Client metadata (RFC 7591 §2, plus RFC 9126 and RFC 9449's); what Tessera does not use is
/// ignored, as §2 allows.
#[derive(Debug, Default, Deserialize)]
pub struct Metadata {
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub token_endpoint_auth_method: Option<AuthMethod>,
    #[serde(default)]
    pub grant_types: Option<Vec<GrantType>>,
    #[serde(default)]
    pub response_types: Option<Vec<String>>,
    #[serde(default)]
    pub client_name: Option<String>,
    #[serde(default)]
    pub jwks: Option<Value>,
    #[serde(default)]
    pub jwks_uri: Option<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    #[serde(default)]
    pub backchannel_logout_uri: Option<String>,
    #[serde(default)]
    pub backchannel_logout_session_required: Option<bool>,
    #[serde(default)]
    pub require_pushed_authorization_requests: Option<bool>,
    #[serde(default)]
    pub dpop_bound_access_tokens: Option<bool>,
    #[serde(default)]
    pub id_token_signed_response_alg: Option<KeyAlg>,
    #[serde(default)]
    pub subject_type: Option<String>,
}

/// How a registration was allowed: with an initial access token, or in the open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Token,
    Open,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::Token => "token",
            Mode::Open => "open",
        }
    }
}

fn parse(body: &[u8]) -> Result<Metadata, Refusal> {
    serde_json::from_slice(body)
        .map_err(|e| Refusal::metadata(format!("the body is not client metadata: {e}")))
}

/// An `http` redirect URI only to this machine (RFC 8252 §7.3), otherwise `https`.
fn open_redirect_uri(uri: &str) -> bool {
    match url::Url::parse(uri) {
        Ok(url) if url.scheme() == "https" => true,
        Ok(url) if url.scheme() == "http" => matches!(
            url.host_str(),
            Some("127.0.0.1") | Some("[::1]") | Some("localhost")
        ),
        _ => false,
    }
}

/// What an open registration may not ask for; `method` is the client's authentication
/// method (asked for at registration, kept at a change).
fn check_open(metadata: &Metadata, method: Option<AuthMethod>) -> Result<(), Refusal> {
    if method != Some(AuthMethod::None) {
        return Err(Refusal::metadata(
            "without an initial access token only public clients register: token_endpoint_auth_method must be none",
        ));
    }
    let grants = metadata.grant_types.as_deref().unwrap_or_default();
    if let Some(grant) = grants
        .iter()
        .find(|g| !matches!(g, GrantType::AuthorizationCode | GrantType::RefreshToken))
    {
        return Err(Refusal::metadata(format!(
            "without an initial access token a client may not use {grant}"
        )));
    }
    if let Some(uri) = metadata
        .redirect_uris
        .iter()
        .chain(&metadata.post_logout_redirect_uris)
        .find(|uri| !open_redirect_uri(uri))
    {
        return Err(Refusal::redirect_uri(format!(
            "{uri}: without an initial access token, redirect URIs are https or http to a loopback address"
        )));
    }
    if metadata.backchannel_logout_uri.is_some() || metadata.jwks_uri.is_some() {
        return Err(Refusal::metadata(
            "without an initial access token a client cannot name URIs the server calls (backchannel_logout_uri, jwks_uri)",
        ));
    }
    Ok(())
}

fn check_common(metadata: &Metadata) -> Result<(), Refusal> {
    if let Some(types) = &metadata.response_types {
        if types.iter().any(|t| t != "code") {
            return Err(Refusal::metadata("response_types: only code is supported"));
        }
    }
    if metadata
        .subject_type
        .as_deref()
        .is_some_and(|t| !matches!(t, "public" | "pairwise"))
    {
        return Err(Refusal::metadata("subject_type is public or pairwise"));
    }
    Ok(())
}

fn jwks_text(metadata: &Metadata) -> Option<String> {
    metadata.jwks.as_ref().map(Value::to_string)
}

/// Who may register here, by the tenant's policy and the `Authorization` header; spends a use
/// of the initial access token when one is presented.
fn allowed(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    bearer: Option<&str>,
) -> Result<Mode, Refusal> {
    let policy = ctx.tenant.policy.client_registration.as_str();
    if policy == "off" {
        return Err(Refusal::new(
            403,
            "access_denied",
            "dynamic client registration is off for this tenant",
        ));
    }
    match bearer {
        Some(token) => {
            if tokens::spend(conn, &ctx.tenant.id, &sha256_hex(token), unix_now())? {
                Ok(Mode::Token)
            } else {
                Err(Refusal::token(
                    "the initial access token is unknown, used up or expired",
                ))
            }
        }
        None if policy == "open" => Ok(Mode::Open),
        None => Err(Refusal::token(
            "registration needs an initial access token (Authorization: Bearer)",
        )),
    }
}

/// `POST {issuer}/register`: registers a client; answers 201 with its metadata, its secret
/// (when it has one) and its registration access token, each shown only here.
pub fn register(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    bearer: Option<&str>,
    body: &[u8],
    ip: &str,
) -> Result<Value, Refusal> {
    let metadata = parse(body)?;
    check_common(&metadata)?;
    tx::write(conn, |conn| {
        let mode = allowed(conn, ctx, bearer)?;
        if mode == Mode::Open {
            check_open(&metadata, metadata.token_endpoint_auth_method)?;
            let limit = ctx.settings.security.client_registrations_per_minute;
            let scope = format!("register:{}", ctx.tenant.id);
            if let Some(retry_after) = crate::rate_limit::hit(conn, &scope, ip, limit)? {
                return Err(Refusal {
                    retry_after: Some(retry_after),
                    ..Refusal::new(
                        429,
                        "temporarily_unavailable",
                        "too many registrations from this address",
                    )
                });
            }
        }
        let registration_token = random_token();
        let auth_method = metadata
            .token_endpoint_auth_method
            .unwrap_or(AuthMethod::ClientSecretBasic);
        let spec = ClientSpec {
            name: metadata
                .client_name
                .clone()
                .unwrap_or_else(|| UNNAMED.into()),
            client_type: if auth_method == AuthMethod::None {
                ClientType::Public
            } else {
                ClientType::Confidential
            },
            redirect_uris: metadata.redirect_uris.clone(),
            post_logout_redirect_uris: metadata.post_logout_redirect_uris.clone(),
            grant_types: Some(
                metadata
                    .grant_types
                    .clone()
                    .unwrap_or_else(|| vec![GrantType::AuthorizationCode]),
            ),
            auth_method: Some(auth_method),
            jwks: jwks_text(&metadata),
            jwks_uri: metadata.jwks_uri.clone(),
            consent: ConsentPolicy::Required,
            signing_alg: metadata
                .id_token_signed_response_alg
                .unwrap_or(KeyAlg::Rs256),
            subject_mode: match metadata.subject_type.as_deref() {
                Some("pairwise") => SubjectMode::Pairwise,
                _ => SubjectMode::Profile,
            },
            sector_identifier: None,
            administration: false,
            purposes: Vec::new(),
            backchannel_logout_uri: metadata.backchannel_logout_uri.clone(),
            backchannel_logout_session_required: metadata
                .backchannel_logout_session_required
                .unwrap_or(false),
            require_pushed_authorization_requests: metadata
                .require_pushed_authorization_requests
                .unwrap_or(false),
            dpop_bound_access_tokens: metadata.dpop_bound_access_tokens.unwrap_or(false),
            registration: Some(mode.as_str().into()),
            registration_token_hash: Some(sha256_hex(&registration_token)),
            fapi2: false,
        };
        let (client, secret) = clients::create(conn, &ctx.tenant.id, spec)?;
        crate::audit::record(
            conn,
            &ctx.tenant.id,
            crate::audit::Event {
                actor: "registration",
                action: "client.register",
                target: client.id.as_str(),
                ip,
                details: json!({ "mode": mode.as_str(), "name": client.name }),
            },
        )?;
        let mut answer = described(ctx, &client);
        answer.insert("client_id_issued_at".into(), json!(client.created_at));
        answer.insert(
            "registration_access_token".into(),
            json!(registration_token),
        );
        if let Some(secret) = secret {
            answer.insert("client_secret".into(), json!(secret));
            answer.insert("client_secret_expires_at".into(), json!(0));
        }
        Ok(Value::Object(answer))
    })
}

/// The client a registration access token manages (RFC 7592 §3): unknown clients, clients
/// an administrator registered and wrong tokens all look alike.
fn managed(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    client_id: &str,
    bearer: Option<&str>,
) -> Result<Client, Refusal> {
    let refused = || Refusal::token("the registration access token is not valid for this client");
    let token = bearer.ok_or_else(refused)?;
    let client = match clients::find(conn, &ctx.tenant.id, &ClientId::from(client_id)) {
        Ok(client) => client,
        Err(ClientError::Db(e)) => return Err(e.into()),
        Err(_) => return Err(refused()),
    };
    let presented = sha256_hex(token);
    match &client.registration_token_hash {
        Some(hash) if constant_time_eq(hash, &presented) => Ok(client),
        _ => Err(refused()),
    }
}

/// `GET {issuer}/register/{client_id}`.
pub fn read(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    client_id: &str,
    bearer: Option<&str>,
) -> Result<Value, Refusal> {
    let client = managed(conn, ctx, client_id, bearer)?;
    Ok(Value::Object(described(ctx, &client)))
}

/// `PUT {issuer}/register/{client_id}`: the client's metadata replaced, under the rules it
/// registered with.
pub fn replace(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    client_id: &str,
    bearer: Option<&str>,
    body: &[u8],
    ip: &str,
) -> Result<Value, Refusal> {
    let metadata = parse(body)?;
    check_common(&metadata)?;
    tx::write(conn, |conn| {
        let client = managed(conn, ctx, client_id, bearer)?;
        if metadata
            .client_id
            .as_deref()
            .is_some_and(|id| id != client_id)
        {
            return Err(Refusal::metadata("client_id does not match the client"));
        }
        let method = metadata
            .token_endpoint_auth_method
            .unwrap_or(client.auth_method);
        if method != client.auth_method {
            return Err(Refusal::metadata(
                "token_endpoint_auth_method cannot change: register a new client",
            ));
        }
        if client.registration.as_deref() == Some("open") {
            check_open(&metadata, Some(method))?;
        }
        let update = ClientUpdate {
            name: Some(
                metadata
                    .client_name
                    .clone()
                    .unwrap_or_else(|| UNNAMED.into()),
            ),
            redirect_uris: Some(metadata.redirect_uris.clone()),
            post_logout_redirect_uris: Some(metadata.post_logout_redirect_uris.clone()),
            grant_types: Some(
                metadata
                    .grant_types
                    .clone()
                    .unwrap_or_else(|| vec![GrantType::AuthorizationCode]),
            ),
            jwks: jwks_text(&metadata),
            jwks_uri: metadata.jwks_uri.clone(),
            signing_alg: metadata.id_token_signed_response_alg,
            backchannel_logout_uri: Some(
                metadata.backchannel_logout_uri.clone().unwrap_or_default(),
            ),
            backchannel_logout_session_required: metadata.backchannel_logout_session_required,
            require_pushed_authorization_requests: Some(
                metadata
                    .require_pushed_authorization_requests
                    .unwrap_or(false),
            ),
            dpop_bound_access_tokens: Some(metadata.dpop_bound_access_tokens.unwrap_or(false)),
            ..ClientUpdate::default()
        };
        let client = clients::update(conn, &ctx.tenant.id, &client.id, update)?;
        crate::audit::record(
            conn,
            &ctx.tenant.id,
            crate::audit::Event {
                actor: "registration",
                action: "client.update",
                target: client.id.as_str(),
                ip,
                details: json!({ "by": "registration access token" }),
            },
        )?;
        Ok(Value::Object(described(ctx, &client)))
    })
}

/// `DELETE {issuer}/register/{client_id}`: the client and everything issued to it go.
pub fn delete(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    client_id: &str,
    bearer: Option<&str>,
    ip: &str,
) -> Result<(), Refusal> {
    tx::write(conn, |conn| {
        let client = managed(conn, ctx, client_id, bearer)?;
        clients::delete(conn, &ctx.tenant.id, &client.id)?;
        crate::audit::record(
            conn,
            &ctx.tenant.id,
            crate::audit::Event {
                actor: "registration",
                action: "client.delete",
                target: client.id.as_str(),
                ip,
                details: json!({ "by": "registration access token" }),
            },
        )?;
        Ok(())
    })
}

/// The client's metadata as RFC 7591 §3.2.1 returns it (never its secret).
fn described(ctx: &OidcContext, client: &Client) -> Map<String, Value> {
    let uris = |list: &[crate::domain::RedirectUri]| -> Vec<String> {
        list.iter().map(|u| u.as_str().to_owned()).collect()
    };
    let mut answer = json!({
        "client_id": client.id.as_str(),
        "client_name": client.name,
        "redirect_uris": uris(&client.redirect_uris),
        "post_logout_redirect_uris": uris(&client.post_logout_redirect_uris),
        "grant_types": client.grant_types,
        "response_types": ["code"],
        "token_endpoint_auth_method": client.auth_method,
        "id_token_signed_response_alg": client.signing_alg,
        "subject_type": if client.subject_mode == SubjectMode::Pairwise { "pairwise" } else { "public" },
        "require_pushed_authorization_requests": client.require_pushed_authorization_requests,
        "dpop_bound_access_tokens": client.dpop_bound_access_tokens,
        "registration_client_uri": ctx.endpoint(&format!("register/{}", client.id)),
    });
    if let Some(jwks_uri) = &client.jwks_uri {
        answer["jwks_uri"] = json!(jwks_uri);
    }
    if let Some(uri) = &client.backchannel_logout_uri {
        answer["backchannel_logout_uri"] = json!(uri);
    }
    match answer {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_registrations_redirect_only_to_https_or_this_machine() {
        for good in [
            "https://app.example.com/cb",
            "http://127.0.0.1:8080/cb",
            "http://[::1]/cb",
            "http://localhost:3000/cb",
        ] {
            assert!(open_redirect_uri(good), "{good}");
        }
        for bad in [
            "http://app.example.com/cb",
            "http://10.0.0.1/cb",
            "com.example.app:/cb",
            "javascript:alert(1)",
            "not a uri",
        ] {
            assert!(!open_redirect_uri(bad), "{bad}");
        }
    }
}
