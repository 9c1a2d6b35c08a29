//! Registering, changing and removing clients.

use super::model::{parse_logout_uri, parse_name, parse_uris, sector_for, validate};
use super::{
    AuthMethod, Client, ClientError, ClientSpec, ClientType, ClientUpdate, GrantType, SubjectMode,
};
use crate::crypto::{random_token, sha256_hex};
use crate::db::clients as rows;
use crate::db::AnyConnection;
use crate::domain::{unix_now, ClientId, TenantId};
use crate::keys::KeyAlg;

/// Registers a client. Returns the secret, shown this once, for secret-based auth methods.
pub fn create(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    spec: ClientSpec,
) -> Result<(Client, Option<String>), ClientError> {
    let name = parse_name(&spec.name)?;
    let auth_method = spec.auth_method.unwrap_or(match spec.client_type {
        ClientType::Confidential => AuthMethod::ClientSecretBasic,
        ClientType::Public => AuthMethod::None,
    });
    let grants = spec
        .grant_types
        .unwrap_or_else(|| vec![GrantType::AuthorizationCode, GrantType::RefreshToken]);
    let redirect_uris = parse_uris(&spec.redirect_uris)?;
    let grants = validate(
        spec.client_type,
        auth_method,
        &grants,
        &redirect_uris,
        spec.jwks.as_deref(),
        spec.jwks_uri.as_deref(),
    )?;
    let sector_identifier = sector_for(
        spec.subject_mode,
        spec.sector_identifier.as_deref(),
        &redirect_uris,
    )?;
    let purposes = checked_purposes(conn, tenant, &spec.purposes)?;
    let secret = uses_secret(auth_method).then(random_token);
    let now = unix_now();
    let client = Client {
        id: ClientId::generate(),
        tenant_id: tenant.clone(),
        name,
        client_type: spec.client_type,
        secret_hash: secret.as_deref().map(sha256_hex),
        auth_method,
        grant_types: grants,
        redirect_uris,
        post_logout_redirect_uris: parse_uris(&spec.post_logout_redirect_uris)?,
        jwks: spec.jwks,
        jwks_uri: spec.jwks_uri,
        consent: spec.consent,
        signing_alg: spec.signing_alg,
        subject_mode: spec.subject_mode,
        sector_identifier,
        administration: spec.administration,
        purposes,
        backchannel_logout_uri: parse_logout_uri(spec.backchannel_logout_uri)?,
        backchannel_logout_session_required: spec.backchannel_logout_session_required,
        require_pushed_authorization_requests: spec.require_pushed_authorization_requests,
        dpop_bound_access_tokens: spec.dpop_bound_access_tokens,
        registration: spec.registration,
        registration_token_hash: spec.registration_token_hash,
        fapi2: spec.fapi2,
        created_at: now,
        updated_at: now,
        authorization: Default::default(),
    };
    check_profile(conn, tenant, &client)?;
    rows::insert(conn, &client.to_row())?;
    Ok((client, secret))
}

/// What a client's algorithm and profile need: a FAPI 2.0 client authenticates with
/// private_key_jwt and gets tokens signed with PS256, ES256 or EdDSA (FAPI 2.0 §5.4); a
/// client signed for with PS256 needs the tenant's active PS256 key.
fn check_profile(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    client: &Client,
) -> Result<(), ClientError> {
    let invalid = |m: &str| Err(ClientError::Invalid(m.to_owned()));
    if client.fapi2 {
        if client.auth_method != AuthMethod::PrivateKeyJwt {
            return invalid("a FAPI 2.0 client authenticates with private_key_jwt");
        }
        if client.signing_alg == KeyAlg::Rs256 {
            return invalid("a FAPI 2.0 client's tokens are signed with PS256, ES256 or EdDSA");
        }
    }
    if client.signing_alg == KeyAlg::Ps256 {
        let active = crate::db::signing_keys::list(conn, tenant)?
            .iter()
            .any(|key| key.alg == KeyAlg::Ps256.as_str() && key.status == "active");
        if !active {
            return invalid(
                "this tenant has no PS256 key yet: make one first (tessera keys rotate --alg PS256)",
            );
        }
    }
    Ok(())
}

/// The consent purposes a client is to need: each defined in the tenant and not retired.
fn checked_purposes(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    keys: &[String],
) -> Result<Vec<String>, ClientError> {
    use crate::consent::purposes::{check_for_client, PurposeError};
    check_for_client(conn, tenant, keys).map_err(|e| match e {
        PurposeError::Db(e) => ClientError::Db(e),
        other => ClientError::Invalid(format!("consent purposes: {other}")),
    })
}

fn uses_secret(method: AuthMethod) -> bool {
    matches!(
        method,
        AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost
    )
}

pub fn find(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    client_id: &ClientId,
) -> Result<Client, ClientError> {
    let row = rows::find(conn, tenant, client_id)?
        .ok_or_else(|| ClientError::NotFound(client_id.to_string()))?;
    with_roles(conn, row.try_into()?)
}

pub fn list(conn: &mut AnyConnection, tenant: &TenantId) -> Result<Vec<Client>, ClientError> {
    rows::list(conn, tenant)?
        .into_iter()
        .map(|row| with_roles(conn, row.try_into()?))
        .collect()
}

/// Loads the roles a machine client holds (they go into its client_credentials tokens).
fn with_roles(conn: &mut AnyConnection, mut client: Client) -> Result<Client, ClientError> {
    if client.allows_grant(GrantType::ClientCredentials) {
        client.authorization =
            crate::profiles::role::client_authorization(conn, &client.tenant_id, &client.id)?;
    }
    Ok(client)
}

pub fn update(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    client_id: &ClientId,
    change: ClientUpdate,
) -> Result<Client, ClientError> {
    let mut client = find(conn, tenant, client_id)?;
    if let Some(name) = change.name {
        client.name = parse_name(&name)?;
    }
    if let Some(uris) = change.redirect_uris {
        client.redirect_uris = parse_uris(&uris)?;
    }
    if let Some(uris) = change.post_logout_redirect_uris {
        client.post_logout_redirect_uris = parse_uris(&uris)?;
    }
    if let Some(grants) = change.grant_types {
        client.grant_types = grants;
    }
    if change.jwks.is_some() {
        client.jwks = change.jwks;
        client.jwks_uri = None;
    }
    if change.jwks_uri.is_some() {
        client.jwks_uri = change.jwks_uri;
        client.jwks = None;
    }
    if let Some(consent) = change.consent {
        client.consent = consent;
    }
    if let Some(alg) = change.signing_alg {
        client.signing_alg = alg;
    }
    if let Some(mode) = change.subject_mode {
        client.subject_mode = mode;
    }
    if let Some(administration) = change.administration {
        client.administration = administration;
    }
    if let Some(purposes) = change.purposes {
        client.purposes = checked_purposes(conn, tenant, &purposes)?;
    }
    if change.backchannel_logout_uri.is_some() {
        client.backchannel_logout_uri = parse_logout_uri(change.backchannel_logout_uri)?;
    }
    if let Some(required) = change.backchannel_logout_session_required {
        client.backchannel_logout_session_required = required;
    }
    if let Some(required) = change.require_pushed_authorization_requests {
        client.require_pushed_authorization_requests = required;
    }
    if let Some(required) = change.dpop_bound_access_tokens {
        client.dpop_bound_access_tokens = required;
    }
    if let Some(fapi2) = change.fapi2 {
        client.fapi2 = fapi2;
    }
    // A pairwise sector, once set, stays unless changed explicitly: changing it changes every
    // subject the client has seen.
    let kept = match client.subject_mode {
        SubjectMode::Pairwise => client.sector_identifier.take(),
        _ => None,
    };
    let given = change.sector_identifier.or(kept);
    client.sector_identifier =
        sector_for(client.subject_mode, given.as_deref(), &client.redirect_uris)?;
    client.grant_types = validate(
        client.client_type,
        client.auth_method,
        &client.grant_types,
        &client.redirect_uris,
        client.jwks.as_deref(),
        client.jwks_uri.as_deref(),
    )?;
    check_profile(conn, tenant, &client)?;
    client.updated_at = unix_now();
    rows::update(conn, tenant, &client.to_row())?;
    Ok(client)
}

pub fn delete(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    client_id: &ClientId,
) -> Result<(), ClientError> {
    if rows::delete(conn, tenant, client_id)? {
        // APIs stop listing it: a new client reusing the id must not inherit its access.
        crate::db::resources::forget_client(conn, tenant, client_id.as_str())?;
        Ok(())
    } else {
        Err(ClientError::NotFound(client_id.to_string()))
    }
}

/// Replaces the secret at once: the old one stops working. Returns the new secret.
pub fn rotate_secret(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    client_id: &ClientId,
) -> Result<(Client, String), ClientError> {
    let mut client = find(conn, tenant, client_id)?;
    if !uses_secret(client.auth_method) {
        return Err(ClientError::Invalid(format!(
            "client {client_id} authenticates with {} and has no secret",
            client.auth_method
        )));
    }
    let secret = random_token();
    client.secret_hash = Some(sha256_hex(&secret));
    client.updated_at = unix_now();
    rows::update(conn, tenant, &client.to_row())?;
    Ok((client, secret))
}
