//! Clients: list, show, register, change, rotate the secret, delete.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{audited, AdminError, Audited, Page, PageRequest, Permission, Principal};
use crate::clients::{
    self, AuthMethod, Client, ClientError, ClientSpec, ClientType, ClientUpdate, ConsentPolicy,
    GrantType, SubjectMode,
};
use crate::db::AnyConnection;
use crate::domain::ClientId;
use crate::keys::KeyAlg;

/// A client registration (`POST …/clients`).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClient {
    pub name: String,
    /// `confidential` (default) or `public`.
    pub client_type: Option<ClientType>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// Default: authorization_code and refresh_token.
    pub grant_types: Option<Vec<GrantType>>,
    /// Default: client_secret_basic (confidential) or none (public).
    pub auth_method: Option<AuthMethod>,
    pub jwks: Option<String>,
    pub jwks_uri: Option<String>,
    /// `required` (default) or `skip` (first-party).
    pub consent: Option<ConsentPolicy>,
    /// Default: RS256.
    pub signing_alg: Option<KeyAlg>,
    /// Default: profile.
    pub subject_mode: Option<SubjectMode>,
    pub sector_identifier: Option<String>,
    /// An administration client may ask for `tessera:admin` (a user's token for the admin
    /// API). Default: false; only a `tenant:admin` may set it.
    pub administration: Option<bool>,
    /// Consent purposes (keys) people accept before the client gets a code.
    #[serde(default)]
    pub purposes: Vec<String>,
    /// OIDC Back-Channel Logout 1.0: logout tokens are posted here when a session the client
    /// took part in ends.
    pub backchannel_logout_uri: Option<String>,
    /// Logout tokens must carry `sid` (they always do when the session is known).
    #[serde(default)]
    pub backchannel_logout_session_required: bool,
    /// `/authorize` takes only pushed requests (RFC 9126 PAR) from this client.
    #[serde(default)]
    pub require_pushed_authorization_requests: bool,
    /// Token requests must carry a DPoP proof (RFC 9449 §5.2): its tokens are always bound.
    #[serde(default)]
    pub dpop_bound_access_tokens: bool,
    /// Hold the client to the FAPI 2.0 Security Profile (needs private_key_jwt and a PS256,
    /// ES256 or EdDSA signing algorithm).
    #[serde(default)]
    pub fapi2: bool,
}

/// A change to a client (`PATCH …/clients/{client_id}`); absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientChanges {
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
    /// Only a `tenant:admin` may change it.
    pub administration: Option<bool>,
    /// Replaces the consent purposes the client needs.
    pub purposes: Option<Vec<String>>,
    /// `""` removes it.
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: Option<bool>,
    pub require_pushed_authorization_requests: Option<bool>,
    pub dpop_bound_access_tokens: Option<bool>,
    pub fapi2: Option<bool>,
}

/// A new secret, shown once.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Secret {
    pub client_id: String,
    /// Shown only in this response; only its hash is stored.
    pub client_secret: Option<String>,
}

fn client_error(e: ClientError) -> AdminError {
    match e {
        ClientError::NotFound(_) => AdminError::NotFound,
        ClientError::Db(e) => e.into(),
        other => AdminError::Invalid(other.to_string()),
    }
}

pub fn list(
    conn: &mut AnyConnection,
    who: &Principal,
    page: &PageRequest,
) -> Result<Page<Client>, AdminError> {
    who.require(Permission::ClientsRead)?;
    let all = clients::list(conn, who.tenant()).map_err(client_error)?;
    Ok(Page::of_list(all, page, |c| c.id.to_string()))
}

pub fn get(conn: &mut AnyConnection, who: &Principal, id: &ClientId) -> Result<Client, AdminError> {
    who.require(Permission::ClientsRead)?;
    clients::find(conn, who.tenant(), id).map_err(client_error)
}

/// Refuses a change to a client unless the caller holds what the client holds: every
/// permission of the roles it has (its secret or redirect URIs are those roles), and
/// `tenant:admin` for an administration client (its redirect URIs receive administrators'
/// tokens). `clients:write` alone never leads to more.
fn require_power_over(
    conn: &mut AnyConnection,
    who: &Principal,
    id: &ClientId,
) -> Result<(), AdminError> {
    let client = clients::find(conn, who.tenant(), id).map_err(client_error)?;
    if client.administration {
        who.require(Permission::TenantAdmin)?;
    }
    let held = crate::profiles::role::client_authorization(conn, who.tenant(), id)?;
    who.require_holding(&held.permissions)
}

pub fn create(
    conn: &mut AnyConnection,
    who: &Principal,
    new: NewClient,
) -> Result<(Client, Option<String>), AdminError> {
    who.require(Permission::ClientsWrite)?;
    if new.administration == Some(true) {
        who.require(Permission::TenantAdmin)?;
    }
    let spec = ClientSpec {
        name: new.name,
        client_type: new.client_type.unwrap_or(ClientType::Confidential),
        redirect_uris: new.redirect_uris,
        post_logout_redirect_uris: new.post_logout_redirect_uris,
        grant_types: new.grant_types,
        auth_method: new.auth_method,
        jwks: new.jwks,
        jwks_uri: new.jwks_uri,
        consent: new.consent.unwrap_or(ConsentPolicy::Required),
        signing_alg: new.signing_alg.unwrap_or(KeyAlg::Rs256),
        subject_mode: new.subject_mode.unwrap_or(SubjectMode::Profile),
        sector_identifier: new.sector_identifier,
        administration: new.administration.unwrap_or(false),
        purposes: new.purposes,
        backchannel_logout_uri: new.backchannel_logout_uri,
        backchannel_logout_session_required: new.backchannel_logout_session_required,
        require_pushed_authorization_requests: new.require_pushed_authorization_requests,
        dpop_bound_access_tokens: new.dpop_bound_access_tokens,
        registration: None,
        registration_token_hash: None,
        fapi2: new.fapi2,
    };
    audited(conn, who, "client.create", |conn| {
        let (client, secret) =
            clients::create(conn, who.tenant(), spec.clone()).map_err(client_error)?;
        Ok(Audited {
            target: client.id.to_string(),
            details: json!({ "name": client.name, "grant_types": client.grant_types }),
            result: (client, secret),
        })
    })
}

pub fn update(
    conn: &mut AnyConnection,
    who: &Principal,
    id: &ClientId,
    changes: ClientChanges,
) -> Result<Client, AdminError> {
    who.require(Permission::ClientsWrite)?;
    if changes.administration.is_some() {
        who.require(Permission::TenantAdmin)?;
    }
    // Names of the changed fields only: values (JWKS, URIs) stay out of the log.
    let changed: Vec<&str> = [
        ("name", changes.name.is_some()),
        ("redirect_uris", changes.redirect_uris.is_some()),
        (
            "post_logout_redirect_uris",
            changes.post_logout_redirect_uris.is_some(),
        ),
        ("grant_types", changes.grant_types.is_some()),
        ("jwks", changes.jwks.is_some()),
        ("jwks_uri", changes.jwks_uri.is_some()),
        ("consent", changes.consent.is_some()),
        ("signing_alg", changes.signing_alg.is_some()),
        ("subject_mode", changes.subject_mode.is_some()),
        ("sector_identifier", changes.sector_identifier.is_some()),
        ("administration", changes.administration.is_some()),
        ("purposes", changes.purposes.is_some()),
        (
            "backchannel_logout_uri",
            changes.backchannel_logout_uri.is_some(),
        ),
        (
            "backchannel_logout_session_required",
            changes.backchannel_logout_session_required.is_some(),
        ),
        (
            "require_pushed_authorization_requests",
            changes.require_pushed_authorization_requests.is_some(),
        ),
        (
            "dpop_bound_access_tokens",
            changes.dpop_bound_access_tokens.is_some(),
        ),
        ("fapi2", changes.fapi2.is_some()),
    ]
    .into_iter()
    .filter_map(|(field, set)| set.then_some(field))
    .collect();
    let update = ClientUpdate {
        name: changes.name,
        redirect_uris: changes.redirect_uris,
        post_logout_redirect_uris: changes.post_logout_redirect_uris,
        grant_types: changes.grant_types,
        jwks: changes.jwks,
        jwks_uri: changes.jwks_uri,
        consent: changes.consent,
        signing_alg: changes.signing_alg,
        subject_mode: changes.subject_mode,
        sector_identifier: changes.sector_identifier,
        administration: changes.administration,
        purposes: changes.purposes,
        backchannel_logout_uri: changes.backchannel_logout_uri,
        backchannel_logout_session_required: changes.backchannel_logout_session_required,
        require_pushed_authorization_requests: changes.require_pushed_authorization_requests,
        dpop_bound_access_tokens: changes.dpop_bound_access_tokens,
        fapi2: changes.fapi2,
    };
    audited(conn, who, "client.update", |conn| {
        require_power_over(conn, who, id)?;
        let client =
            clients::update(conn, who.tenant(), id, update.clone()).map_err(client_error)?;
        Ok(Audited {
            target: client.id.to_string(),
            details: json!({ "changed": changed }),
            result: client,
        })
    })
}

pub fn rotate_secret(
    conn: &mut AnyConnection,
    who: &Principal,
    id: &ClientId,
) -> Result<Secret, AdminError> {
    who.require(Permission::ClientsWrite)?;
    audited(conn, who, "client.rotate_secret", |conn| {
        require_power_over(conn, who, id)?;
        let (client, secret) =
            clients::rotate_secret(conn, who.tenant(), id).map_err(client_error)?;
        Ok(Audited {
            target: client.id.to_string(),
            details: json!({}),
            result: Secret {
                client_id: client.id.to_string(),
                client_secret: Some(secret),
            },
        })
    })
}

pub fn delete(conn: &mut AnyConnection, who: &Principal, id: &ClientId) -> Result<(), AdminError> {
    who.require(Permission::ClientsWrite)?;
    audited(conn, who, "client.delete", |conn| {
        require_power_over(conn, who, id)?;
        clients::delete(conn, who.tenant(), id).map_err(client_error)?;
        Ok(Audited {
            target: id.to_string(),
            details: json!({}),
            result: (),
        })
    })
}
