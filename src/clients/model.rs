//! The client model and the rules every registration must satisfy.

use serde::Serialize;

use crate::db::clients::ClientRow;
use crate::db::DbError;
use crate::domain::{rfc3339, ClientId, RedirectUri, RedirectUriError, TenantId};
use crate::keys::KeyAlg;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ClientType {
    Confidential,
    Public,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
    None,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
    /// RFC 8628: a device without a browser; the person signs in on another one.
    #[serde(rename = "urn:ietf:params:oauth:grant-type:device_code")]
    DeviceCode,
}

/// What `sub` means for this client (OIDC Core §8).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum SubjectMode {
    /// `sub` is the profile id: each persona is a distinct identity (the default).
    Profile,
    /// `sub` is the account id, and `account_id` is added: one identity across personas.
    Account,
    /// `sub` is derived per sector identifier: stable for a sector, unlinkable across them.
    Pairwise,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ConsentPolicy {
    /// Ask the user once per profile and set of scopes.
    Required,
    /// First-party client: never ask.
    Skip,
}

macro_rules! string_enum {
    ($ty:ty { $($variant:ident = $text:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$(<$ty>::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(<$ty>::$variant => $text),+ }
            }

            pub fn parse(input: &str) -> Option<$ty> {
                match input { $($text => Some(<$ty>::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(ClientType { Confidential = "confidential", Public = "public" });
string_enum!(AuthMethod {
    ClientSecretBasic = "client_secret_basic",
    ClientSecretPost = "client_secret_post",
    PrivateKeyJwt = "private_key_jwt",
    None = "none",
});
string_enum!(GrantType {
    AuthorizationCode = "authorization_code",
    RefreshToken = "refresh_token",
    ClientCredentials = "client_credentials",
    DeviceCode = "urn:ietf:params:oauth:grant-type:device_code",
});
string_enum!(ConsentPolicy { Required = "required", Skip = "skip" });
string_enum!(SubjectMode {
    Profile = "profile",
    Account = "account",
    Pairwise = "pairwise",
});

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("no client \"{0}\" in this tenant")]
    NotFound(String),
    #[error("a client name must be 1 to 200 characters without control characters")]
    InvalidName,
    #[error("invalid redirect URI: {0}")]
    RedirectUri(#[from] RedirectUriError),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::storage_failure!(ClientError);

/// A registered relying party. The secret hash never leaves this module's services.
#[derive(Debug, Clone)]
pub struct Client {
    pub id: ClientId,
    pub tenant_id: TenantId,
    pub name: String,
    pub client_type: ClientType,
    pub(crate) secret_hash: Option<String>,
    pub auth_method: AuthMethod,
    pub grant_types: Vec<GrantType>,
    pub redirect_uris: Vec<RedirectUri>,
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    pub jwks: Option<String>,
    pub jwks_uri: Option<String>,
    pub consent: ConsentPolicy,
    pub signing_alg: KeyAlg,
    pub subject_mode: SubjectMode,
    /// The pairwise sector (a host name), for `SubjectMode::Pairwise`.
    pub sector_identifier: Option<String>,
    /// An administration client: only these may ask for `tessera:admin` (a user's token for
    /// the admin API). Set and cleared only by a `tenant:admin`.
    pub administration: bool,
    /// The consent purposes (keys) people are asked to accept before this client gets a code.
    pub purposes: Vec<String>,
    /// Where logout tokens go when a session the client took part in ends (OIDC Back-Channel
    /// Logout 1.0), and whether they must carry `sid`.
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
    /// Authorization requests must be pushed first (RFC 9126 §6): `/authorize` takes only a
    /// `request_uri` from this client.
    pub require_pushed_authorization_requests: bool,
    /// Token requests must carry a DPoP proof (RFC 9449 §5.2).
    pub dpop_bound_access_tokens: bool,
    /// `None` when an administrator registered it; `token` or `open` when it registered itself
    /// (RFC 7591), under that tenant policy.
    pub registration: Option<String>,
    /// The hash of its registration access token (RFC 7592): manages this client only.
    pub(crate) registration_token_hash: Option<String>,
    /// Held to the FAPI 2.0 Security Profile: PAR, PKCE, DPoP and private_key_jwt with PS256
    /// or ES256 are required of it (see `requires_par`, `requires_dpop`).
    pub fapi2: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// Roles held by the client itself (client_credentials); loaded for clients allowed that
    /// grant, empty otherwise.
    pub authorization: crate::profiles::Authorization,
}

impl Client {
    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    /// The registered redirect URI a request names, if any. Only a public (native) client may
    /// vary the port of a loopback IP literal (RFC 8252 §7.3).
    pub fn redirect_uri_for(&self, requested: &str) -> Option<&RedirectUri> {
        let any_port = self.client_type == ClientType::Public;
        self.redirect_uris
            .iter()
            .find(|uri| uri.matches(requested, any_port))
    }

    /// Whether `presented` is this client's secret (constant time over the hashes).
    pub fn secret_matches(&self, presented: &str) -> bool {
        match &self.secret_hash {
            Some(hash) => {
                crate::crypto::constant_time_eq(hash, &crate::crypto::sha256_hex(presented))
            }
            None => false,
        }
    }

    pub fn has_secret(&self) -> bool {
        self.secret_hash.is_some()
    }

    /// `/authorize` takes only pushed requests (RFC 9126 §6; FAPI 2.0 §5.3.1.2).
    pub fn requires_par(&self) -> bool {
        self.require_pushed_authorization_requests || self.fapi2
    }

    /// Token requests carry a DPoP proof (RFC 9449 §5.2; FAPI 2.0 §5.3.1.1).
    pub fn requires_dpop(&self) -> bool {
        self.dpop_bound_access_tokens || self.fapi2
    }

    /// PKCE is required of this client (public clients, FAPI 2.0 clients, or everyone by
    /// `tokens.require_pkce`).
    pub fn requires_pkce(&self, everyone: bool) -> bool {
        everyone || self.client_type == ClientType::Public || self.fapi2
    }
}

/// What a client looks like from the outside (CLI, admin API): no secret material.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ClientView<'a> {
    pub client_id: &'a str,
    pub name: &'a str,
    pub client_type: ClientType,
    pub auth_method: AuthMethod,
    pub grant_types: &'a [GrantType],
    #[schemars(with = "Vec<String>")]
    pub redirect_uris: &'a [RedirectUri],
    #[schemars(with = "Vec<String>")]
    pub post_logout_redirect_uris: &'a [RedirectUri],
    pub jwks_uri: Option<&'a str>,
    pub has_jwks: bool,
    pub consent: ConsentPolicy,
    pub signing_alg: KeyAlg,
    pub subject_mode: SubjectMode,
    pub sector_identifier: Option<&'a str>,
    /// May ask for `tessera:admin` (user tokens for the admin API).
    pub administration: bool,
    /// Consent purposes people accept before the client gets a code.
    pub purposes: &'a [String],
    /// Back-channel logout: where logout tokens are posted.
    pub backchannel_logout_uri: Option<&'a str>,
    pub backchannel_logout_session_required: bool,
    /// `/authorize` takes only pushed requests (RFC 9126) from this client.
    pub require_pushed_authorization_requests: bool,
    /// Token requests must carry a DPoP proof (RFC 9449).
    pub dpop_bound_access_tokens: bool,
    /// How it registered itself (RFC 7591: `token` or `open`); absent when an administrator
    /// did.
    pub registration: Option<&'a str>,
    /// Held to the FAPI 2.0 Security Profile.
    pub fapi2: bool,
    /// Roles the client holds for client_credentials tokens.
    pub roles: &'a [String],
    pub permissions: &'a [String],
    pub created_at: String,
    pub updated_at: String,
}

impl Client {
    pub fn view(&self) -> ClientView<'_> {
        ClientView {
            client_id: self.id.as_str(),
            administration: self.administration,
            purposes: &self.purposes,
            backchannel_logout_uri: self.backchannel_logout_uri.as_deref(),
            backchannel_logout_session_required: self.backchannel_logout_session_required,
            require_pushed_authorization_requests: self.require_pushed_authorization_requests,
            dpop_bound_access_tokens: self.dpop_bound_access_tokens,
            registration: self.registration.as_deref(),
            fapi2: self.fapi2,
            name: &self.name,
            client_type: self.client_type,
            auth_method: self.auth_method,
            grant_types: &self.grant_types,
            redirect_uris: &self.redirect_uris,
            post_logout_redirect_uris: &self.post_logout_redirect_uris,
            jwks_uri: self.jwks_uri.as_deref(),
            has_jwks: self.jwks.is_some(),
            consent: self.consent,
            signing_alg: self.signing_alg,
            subject_mode: self.subject_mode,
            sector_identifier: self.sector_identifier.as_deref(),
            roles: &self.authorization.roles,
            permissions: &self.authorization.permissions,
            created_at: rfc3339(self.created_at),
            updated_at: rfc3339(self.updated_at),
        }
    }
}

/// A registration request, before validation.
#[derive(Debug, Clone)]
pub struct ClientSpec {
    pub name: String,
    pub client_type: ClientType,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// Defaults: authorization_code + refresh_token.
    pub grant_types: Option<Vec<GrantType>>,
    /// Defaults: client_secret_basic (confidential), none (public).
    pub auth_method: Option<AuthMethod>,
    pub jwks: Option<String>,
    pub jwks_uri: Option<String>,
    pub consent: ConsentPolicy,
    pub signing_alg: KeyAlg,
    pub subject_mode: SubjectMode,
    /// Pairwise sector; derived from the redirect URIs' host when they share one.
    pub sector_identifier: Option<String>,
    pub administration: bool,
    /// Consent purpose keys; each must exist and not be retired.
    pub purposes: Vec<String>,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
    pub require_pushed_authorization_requests: bool,
    pub dpop_bound_access_tokens: bool,
    /// Set by dynamic registration only (`oidc::registration`).
    pub registration: Option<String>,
    pub registration_token_hash: Option<String>,
    pub fapi2: bool,
}

/// A change to a registration; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct ClientUpdate {
    pub name: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    pub grant_types: Option<Vec<GrantType>>,
    pub jwks: Option<String>,
    pub jwks_uri: Option<String>,
    pub consent: Option<ConsentPolicy>,
    pub signing_alg: Option<KeyAlg>,
    pub subject_mode: Option<SubjectMode>,
    pub sector_identifier: Option<String>,
    pub administration: Option<bool>,
    pub purposes: Option<Vec<String>>,
    /// `""` removes it.
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: Option<bool>,
    pub require_pushed_authorization_requests: Option<bool>,
    pub dpop_bound_access_tokens: Option<bool>,
    pub fapi2: Option<bool>,
}

/// Checks the combination of settings; returns the normalised grant list.
pub(super) fn validate(
    client_type: ClientType,
    auth_method: AuthMethod,
    grants: &[GrantType],
    redirect_uris: &[RedirectUri],
    jwks: Option<&str>,
    jwks_uri: Option<&str>,
) -> Result<Vec<GrantType>, ClientError> {
    let invalid = |m: &str| Err(ClientError::Invalid(m.to_owned()));
    let mut grants = grants.to_vec();
    grants.sort();
    grants.dedup();
    if grants.is_empty() {
        return invalid("a client needs at least one grant type");
    }
    match (client_type, auth_method) {
        (ClientType::Public, AuthMethod::None) => {}
        (ClientType::Public, _) => {
            return invalid("a public client cannot authenticate: its auth method is \"none\"")
        }
        (ClientType::Confidential, AuthMethod::None) => {
            return invalid("a confidential client must authenticate: choose client_secret_basic, client_secret_post or private_key_jwt")
        }
        _ => {}
    }
    if client_type == ClientType::Public && grants.contains(&GrantType::ClientCredentials) {
        return invalid("client_credentials needs a confidential client");
    }
    if grants.contains(&GrantType::AuthorizationCode) && redirect_uris.is_empty() {
        return invalid("authorization_code needs at least one redirect URI");
    }
    let signs_in =
        grants.contains(&GrantType::AuthorizationCode) || grants.contains(&GrantType::DeviceCode);
    if grants.contains(&GrantType::RefreshToken) && !signs_in {
        return invalid("refresh_token is only issued with authorization_code or the device grant");
    }
    match auth_method {
        AuthMethod::PrivateKeyJwt => match (jwks, jwks_uri) {
            (Some(_), Some(_)) => return invalid("give either jwks or jwks_uri, not both"),
            (None, None) => {
                return invalid("private_key_jwt needs the client's public keys: jwks or jwks_uri")
            }
            (Some(jwks), None) => validate_jwks(jwks)?,
            (None, Some(uri)) => validate_jwks_uri(uri)?,
        },
        _ if jwks.is_some() || jwks_uri.is_some() => {
            return invalid("jwks and jwks_uri are only used with private_key_jwt")
        }
        _ => {}
    }
    Ok(grants)
}

fn validate_jwks(jwks: &str) -> Result<(), ClientError> {
    let invalid = |m: String| Err(ClientError::Invalid(m));
    let value: serde_json::Value = match serde_json::from_str(jwks) {
        Ok(v) => v,
        Err(e) => return invalid(format!("the JWKS is not JSON: {e}")),
    };
    let Some(keys) = value
        .get("keys")
        .and_then(|k| k.as_array())
        .filter(|k| !k.is_empty())
    else {
        return invalid("the JWKS needs a non-empty \"keys\" array".into());
    };
    for key in keys {
        if key.get("d").is_some() || key.get("k").is_some() {
            return invalid(
                "the JWKS contains private key material: register public keys only".into(),
            );
        }
        match key.get("kty").and_then(|k| k.as_str()) {
            Some("RSA") | Some("EC") => {}
            other => {
                return invalid(format!(
                    "unsupported key type {other:?}: use RSA or EC P-256 keys"
                ))
            }
        }
        if josekit::jwk::Jwk::from_bytes(key.to_string()).is_err() {
            return invalid("the JWKS holds a malformed key".into());
        }
    }
    Ok(())
}

/// A back-channel logout URI: absolute https (http only to loopback, for development), no
/// fragment (Back-Channel Logout 1.0 §2.2). `""` means none.
pub(super) fn parse_logout_uri(uri: Option<String>) -> Result<Option<String>, ClientError> {
    let Some(uri) = uri.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    let refused = || {
        ClientError::Invalid(format!(
            "backchannel_logout_uri must be an https URL without a fragment, got \"{uri}\""
        ))
    };
    let url = url::Url::parse(&uri).map_err(|_| refused())?;
    let loopback = matches!(
        url.host_str(),
        Some("127.0.0.1") | Some("localhost") | Some("[::1]")
    );
    let scheme_ok = url.scheme() == "https" || url.scheme() == "http" && loopback;
    if !scheme_ok || url.fragment().is_some() || uri.len() > 2048 {
        return Err(refused());
    }
    Ok(Some(uri))
}

fn validate_jwks_uri(uri: &str) -> Result<(), ClientError> {
    match url::Url::parse(uri) {
        Ok(url) if url.scheme() == "https" => Ok(()),
        Ok(url)
            if url.scheme() == "http"
                && matches!(
                    url.host_str(),
                    Some("127.0.0.1") | Some("localhost") | Some("[::1]")
                ) =>
        {
            Ok(())
        }
        _ => Err(ClientError::Invalid(format!(
            "jwks_uri must be an https URL, got \"{uri}\""
        ))),
    }
}

/// The pairwise sector: the given host, or the single host all redirect URIs share.
pub(super) fn sector_for(
    mode: SubjectMode,
    given: Option<&str>,
    redirect_uris: &[RedirectUri],
) -> Result<Option<String>, ClientError> {
    if mode != SubjectMode::Pairwise {
        return match given {
            Some(_) => Err(ClientError::Invalid(
                "--sector-identifier is only used with --subject-mode pairwise".into(),
            )),
            None => Ok(None),
        };
    }
    if let Some(host) = given {
        let host = host.trim().to_ascii_lowercase();
        let valid = !host.is_empty()
            && host.len() <= 253
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        return if valid {
            Ok(Some(host))
        } else {
            Err(ClientError::Invalid(format!(
                "--sector-identifier must be a host name, got \"{host}\""
            )))
        };
    }
    let mut hosts: Vec<String> = redirect_uris
        .iter()
        .filter_map(|u| {
            url::Url::parse(u.as_str())
                .ok()?
                .host_str()
                .map(str::to_ascii_lowercase)
        })
        .collect();
    hosts.sort();
    hosts.dedup();
    match hosts.as_slice() {
        [one] => Ok(Some(one.clone())),
        [] => Err(ClientError::Invalid("pairwise subjects need a sector: give --sector-identifier HOST".into())),
        _ => Err(ClientError::Invalid(
            "the redirect URIs use several hosts: give --sector-identifier HOST for pairwise subjects".into(),
        )),
    }
}

pub(super) fn parse_name(name: &str) -> Result<String, ClientError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(ClientError::InvalidName);
    }
    Ok(name.to_owned())
}

pub(super) fn parse_uris(uris: &[String]) -> Result<Vec<RedirectUri>, ClientError> {
    let mut parsed = Vec::with_capacity(uris.len());
    for uri in uris {
        let uri = RedirectUri::parse(uri)?;
        if !parsed.contains(&uri) {
            parsed.push(uri);
        }
    }
    Ok(parsed)
}

impl TryFrom<ClientRow> for Client {
    type Error = ClientError;

    fn try_from(row: ClientRow) -> Result<Client, ClientError> {
        let corrupt = |what: &str| {
            ClientError::Invalid(format!("stored client {} has an invalid {what}", row.id))
        };
        let uris = |json: &str| -> Result<Vec<RedirectUri>, ClientError> {
            let list: Vec<String> = serde_json::from_str(json).map_err(|_| corrupt("URI list"))?;
            Ok(list.into_iter().map(RedirectUri::from_stored).collect())
        };
        Ok(Client {
            client_type: ClientType::parse(&row.client_type).ok_or_else(|| corrupt("type"))?,
            auth_method: AuthMethod::parse(&row.auth_method)
                .ok_or_else(|| corrupt("auth method"))?,
            grant_types: row
                .grant_types
                .split(' ')
                .filter(|g| !g.is_empty())
                .map(|g| GrantType::parse(g).ok_or_else(|| corrupt("grant type")))
                .collect::<Result<_, _>>()?,
            redirect_uris: uris(&row.redirect_uris)?,
            post_logout_redirect_uris: uris(&row.post_logout_redirect_uris)?,
            consent: ConsentPolicy::parse(&row.consent).ok_or_else(|| corrupt("consent policy"))?,
            signing_alg: KeyAlg::parse(&row.signing_alg)
                .ok_or_else(|| corrupt("signing algorithm"))?,
            subject_mode: SubjectMode::parse(&row.subject_mode)
                .ok_or_else(|| corrupt("subject mode"))?,
            sector_identifier: row.sector_identifier,
            administration: row.administration,
            purposes: row
                .purposes
                .split(' ')
                .filter(|k| !k.is_empty())
                .map(str::to_owned)
                .collect(),
            id: ClientId::from_stored(row.id),
            tenant_id: TenantId::from_stored(row.tenant_id),
            name: row.name,
            secret_hash: row.secret_hash,
            authorization: Default::default(),
            jwks: row.jwks,
            jwks_uri: row.jwks_uri,
            backchannel_logout_uri: row.backchannel_logout_uri,
            backchannel_logout_session_required: row.backchannel_logout_session_required,
            require_pushed_authorization_requests: row.require_pushed_authorization_requests,
            dpop_bound_access_tokens: row.dpop_bound_access_tokens,
            registration: row.registration,
            registration_token_hash: row.registration_token_hash,
            fapi2: row.fapi2,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

impl Client {
    pub(super) fn to_row(&self) -> ClientRow {
        let uris = |list: &[RedirectUri]| {
            serde_json::to_string(&list.iter().map(RedirectUri::as_str).collect::<Vec<_>>())
                .unwrap_or_else(|_| "[]".into())
        };
        ClientRow {
            id: self.id.to_string(),
            tenant_id: self.tenant_id.to_string(),
            name: self.name.clone(),
            client_type: self.client_type.as_str().into(),
            secret_hash: self.secret_hash.clone(),
            auth_method: self.auth_method.as_str().into(),
            grant_types: self
                .grant_types
                .iter()
                .map(|g| g.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            redirect_uris: uris(&self.redirect_uris),
            post_logout_redirect_uris: uris(&self.post_logout_redirect_uris),
            jwks: self.jwks.clone(),
            jwks_uri: self.jwks_uri.clone(),
            consent: self.consent.as_str().into(),
            signing_alg: self.signing_alg.as_str().into(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            subject_mode: self.subject_mode.as_str().into(),
            sector_identifier: self.sector_identifier.clone(),
            administration: self.administration,
            purposes: self.purposes.join(" "),
            backchannel_logout_uri: self.backchannel_logout_uri.clone(),
            backchannel_logout_session_required: self.backchannel_logout_session_required,
            require_pushed_authorization_requests: self.require_pushed_authorization_requests,
            dpop_bound_access_tokens: self.dpop_bound_access_tokens,
            registration: self.registration.clone(),
            registration_token_hash: self.registration_token_hash.clone(),
            fapi2: self.fapi2,
        }
    }
}
