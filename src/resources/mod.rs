//! API resources (RFC 8707 resource indicators, RFC 9068 access tokens): the APIs a tenant's
//! access tokens can be for.
//!
//! - An API has an identifier (an absolute URI: what `resource` names and what `aud` says),
//!   its own scopes, and optionally its own access-token lifetime and signing algorithm.
//! - A client may ask for an API's scopes only when the API lists it, with the scopes it may
//!   have. That holds for every grant: a user consents to what the client may ask, never more.
//! - The API's own client (a resource server) may introspect tokens issued for it.
//!
//! The issuer itself is the implicit resource of the OpenID Connect scopes (userinfo); it
//! is never registered here.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::db::resources::{self as rows, AccessRow, ResourceRow};
use crate::db::{AnyConnection, DbError};
use crate::domain::{rfc3339, scope, unix_now, ClientId, ScopeSet, TenantId};
use crate::keys::KeyAlg;

/// Most APIs a tenant may register.
pub const MAX_RESOURCES: i64 = 100;
/// Most scopes one API may define.
pub const MAX_SCOPES: usize = 100;
const MAX_IDENTIFIER: usize = 512;
const MAX_NAME: usize = 100;
/// Bounds of an API's own access-token lifetime, in seconds.
pub const LIFETIME_BOUNDS: (i64, i64) = (60, 86_400);

#[derive(Debug, thiserror::Error)]
pub enum ResourceError {
    #[error("no such API resource")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    #[error("an API with identifier {0} is already registered")]
    Duplicate(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::storage_failure!(ResourceError);

/// A client allowed on an API, with the scopes it may ask for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientAccess {
    pub client_id: String,
    pub scopes: Vec<String>,
}

/// A registered API.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ApiResource {
    pub id: String,
    /// What clients send as `resource` and what `aud` of its tokens says.
    pub identifier: String,
    pub name: String,
    pub scopes: Vec<String>,
    /// Its tokens' lifetime; the tenant's access-token lifetime when absent.
    pub access_token_lifetime_secs: Option<i64>,
    /// Its tokens' algorithm; the requesting client's when absent.
    pub signing_alg: Option<KeyAlg>,
    /// The API's own client: it may introspect tokens issued for this API.
    pub introspection_client_id: Option<String>,
    /// The clients that may ask for its scopes, and which.
    pub clients: Vec<ClientAccess>,
    pub created_at: String,
    pub updated_at: String,
}

impl ApiResource {
    fn from_rows(row: ResourceRow, access: Vec<AccessRow>) -> ApiResource {
        ApiResource {
            scopes: split(&row.scopes),
            clients: access
                .into_iter()
                .map(|a| ClientAccess {
                    scopes: split(&a.scopes),
                    client_id: a.client_id,
                })
                .collect(),
            id: row.id,
            identifier: row.identifier,
            name: row.name,
            access_token_lifetime_secs: row.access_token_lifetime_secs,
            signing_alg: row.signing_alg.as_deref().and_then(KeyAlg::parse),
            introspection_client_id: row.introspection_client_id,
            created_at: rfc3339(row.created_at),
            updated_at: rfc3339(row.updated_at),
        }
    }

    /// The scopes of this API `client` may ask for (none when it is not listed).
    pub fn allowed_for(&self, client: &ClientId) -> ScopeSet {
        let scopes = self
            .clients
            .iter()
            .find(|a| a.client_id == client.as_str())
            .map(|a| a.scopes.join(" "))
            .unwrap_or_default();
        ScopeSet::parse(&scopes).unwrap_or_default()
    }
}

fn split(scopes: &str) -> Vec<String> {
    scopes
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A new API.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewResource {
    /// An absolute URI without fragment or query, e.g. `https://api.example.com/orders`.
    pub identifier: String,
    pub name: String,
    pub scopes: Vec<String>,
    #[serde(default)]
    pub access_token_lifetime_secs: Option<i64>,
    #[serde(default)]
    pub signing_alg: Option<KeyAlg>,
    #[serde(default)]
    pub introspection_client_id: Option<String>,
    #[serde(default)]
    pub clients: Vec<ClientAccess>,
}

/// A change to an API; absent fields stay. `access_token_lifetime_secs: 0` and
/// `introspection_client_id: ""` clear; `clients` replaces the whole list.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceChanges {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    #[serde(default)]
    pub access_token_lifetime_secs: Option<i64>,
    /// `null` keeps the current algorithm; use `clear_signing_alg` to go back to the client's.
    #[serde(default)]
    pub signing_alg: Option<KeyAlg>,
    #[serde(default)]
    pub clear_signing_alg: bool,
    #[serde(default)]
    pub introspection_client_id: Option<String>,
    #[serde(default)]
    pub clients: Option<Vec<ClientAccess>>,
}

/// Checks a resource indicator's form (RFC 8707 §2): an absolute URI without a fragment.
pub fn check_identifier(identifier: &str) -> Result<(), String> {
    let url =
        url::Url::parse(identifier).map_err(|_| format!("{identifier} is not an absolute URI"))?;
    if url.fragment().is_some() {
        return Err(format!("{identifier} must not have a fragment"));
    }
    Ok(())
}

fn checked_identifier(identifier: &str) -> Result<String, ResourceError> {
    let identifier = identifier.trim();
    if identifier.len() > MAX_IDENTIFIER {
        return Err(ResourceError::Invalid(format!(
            "an API identifier is at most {MAX_IDENTIFIER} characters"
        )));
    }
    check_identifier(identifier).map_err(ResourceError::Invalid)?;
    // RFC 8707 §2: SHOULD NOT have a query; an identifier is a name, not a request.
    if identifier.contains('?') {
        return Err(ResourceError::Invalid(format!(
            "{identifier} must not have a query"
        )));
    }
    Ok(identifier.to_owned())
}

fn checked_name(name: &str) -> Result<String, ResourceError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(ResourceError::Invalid(format!(
            "an API name is 1 to {MAX_NAME} characters without control characters"
        )));
    }
    Ok(name.to_owned())
}

fn checked_scopes(scopes: &[String]) -> Result<Vec<String>, ResourceError> {
    if scopes.is_empty() || scopes.len() > MAX_SCOPES {
        return Err(ResourceError::Invalid(format!(
            "an API has 1 to {MAX_SCOPES} scopes"
        )));
    }
    let mut seen = BTreeSet::new();
    for name in scopes {
        let parsed = ScopeSet::parse(name).map_err(|e| ResourceError::Invalid(e.to_string()))?;
        if parsed.iter().count() != 1 {
            return Err(ResourceError::Invalid(format!(
                "\"{name}\" is not one scope name"
            )));
        }
        if scope::SUPPORTED.contains(&name.as_str()) {
            return Err(ResourceError::Invalid(format!(
                "{name} is an OpenID Connect or Tessera scope: an API cannot define it"
            )));
        }
        if !seen.insert(name.clone()) {
            return Err(ResourceError::Invalid(format!(
                "scope {name} is listed twice"
            )));
        }
    }
    Ok(seen.into_iter().collect())
}

fn checked_lifetime(lifetime: Option<i64>) -> Result<Option<i64>, ResourceError> {
    let (low, high) = LIFETIME_BOUNDS;
    match lifetime {
        None | Some(0) => Ok(None),
        Some(secs) if (low..=high).contains(&secs) => Ok(Some(secs)),
        Some(_) => Err(ResourceError::Invalid(format!(
            "an access-token lifetime is {low} to {high} seconds"
        ))),
    }
}

/// The API's own client must exist and be able to authenticate (it introspects).
fn checked_introspector(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    client_id: Option<&str>,
) -> Result<Option<String>, ResourceError> {
    let Some(client_id) = client_id.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let client = existing_client(conn, tenant, client_id)?;
    if client.auth_method == crate::clients::AuthMethod::None {
        return Err(ResourceError::Invalid(format!(
            "client {client_id} cannot authenticate, so it cannot introspect"
        )));
    }
    Ok(Some(client_id.to_owned()))
}

fn existing_client(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    client_id: &str,
) -> Result<crate::clients::Client, ResourceError> {
    match crate::clients::find(conn, tenant, &ClientId::from(client_id)) {
        Ok(client) => Ok(client),
        Err(crate::clients::ClientError::Db(e)) => Err(e.into()),
        Err(_) => Err(ResourceError::Invalid(format!(
            "no client {client_id} in this tenant"
        ))),
    }
}

/// Each listed client exists, once, with some of the API's scopes.
fn checked_access(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    resource_id: &str,
    scopes: &[String],
    clients: &[ClientAccess],
) -> Result<Vec<AccessRow>, ResourceError> {
    let mut seen = BTreeSet::new();
    let mut rows = Vec::new();
    for access in clients {
        let client_id = access.client_id.trim();
        if !seen.insert(client_id.to_owned()) {
            return Err(ResourceError::Invalid(format!(
                "client {client_id} is listed twice"
            )));
        }
        existing_client(conn, tenant, client_id)?;
        if access.scopes.is_empty() {
            return Err(ResourceError::Invalid(format!(
                "client {client_id} is listed without scopes (remove it instead)"
            )));
        }
        let mut granted = BTreeSet::new();
        for name in &access.scopes {
            if !scopes.contains(name) {
                return Err(ResourceError::Invalid(format!(
                    "client {client_id} is given {name}, which the API does not define"
                )));
            }
            granted.insert(name.clone());
        }
        rows.push(AccessRow {
            resource_id: resource_id.to_owned(),
            tenant_id: tenant.to_string(),
            client_id: client_id.to_owned(),
            scopes: granted.into_iter().collect::<Vec<_>>().join(" "),
        });
    }
    Ok(rows)
}

pub fn list(conn: &mut AnyConnection, tenant: &TenantId) -> Result<Vec<ApiResource>, DbError> {
    let mut all = Vec::new();
    for row in rows::list(conn, tenant)? {
        let access = rows::access_of(conn, tenant, &row.id)?;
        all.push(ApiResource::from_rows(row, access));
    }
    Ok(all)
}

pub fn get(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &str,
) -> Result<ApiResource, ResourceError> {
    let row = rows::find(conn, tenant, id)?.ok_or(ResourceError::NotFound)?;
    let access = rows::access_of(conn, tenant, &row.id)?;
    Ok(ApiResource::from_rows(row, access))
}

/// The API a resource indicator names, if registered.
pub fn by_identifier(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    identifier: &str,
) -> Result<Option<ApiResource>, DbError> {
    let Some(row) = rows::find_by_identifier(conn, tenant, identifier)? else {
        return Ok(None);
    };
    let access = rows::access_of(conn, tenant, &row.id)?;
    Ok(Some(ApiResource::from_rows(row, access)))
}

/// Registers an API. Call inside a write transaction (the count is checked under the lock).
pub fn create(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    new: &NewResource,
) -> Result<ApiResource, ResourceError> {
    let identifier = checked_identifier(&new.identifier)?;
    let name = checked_name(&new.name)?;
    let scopes = checked_scopes(&new.scopes)?;
    let lifetime = checked_lifetime(new.access_token_lifetime_secs)?;
    let introspector = checked_introspector(conn, tenant, new.introspection_client_id.as_deref())?;
    rows::lock(conn, tenant)?;
    if rows::find_by_identifier(conn, tenant, &identifier)?.is_some() {
        return Err(ResourceError::Duplicate(identifier));
    }
    if rows::count(conn, tenant)? >= MAX_RESOURCES {
        return Err(ResourceError::Invalid(format!(
            "a tenant has at most {MAX_RESOURCES} APIs"
        )));
    }
    let id = uuid::Uuid::now_v7().to_string();
    let access = checked_access(conn, tenant, &id, &scopes, &new.clients)?;
    let now = unix_now();
    let row = ResourceRow {
        id: id.clone(),
        tenant_id: tenant.to_string(),
        identifier,
        name,
        scopes: scopes.join(" "),
        access_token_lifetime_secs: lifetime,
        signing_alg: new.signing_alg.map(|a| a.as_str().to_owned()),
        introspection_client_id: introspector,
        created_at: now,
        updated_at: now,
    };
    rows::insert(conn, &row).map_err(|e| match e {
        // A concurrent registration of the same identifier won (SQLite has no advisory lock
        // across its own unique check; the index decides).
        e if e.is_unique_violation() => ResourceError::Duplicate(row.identifier.clone()),
        e => e.into(),
    })?;
    rows::replace_access(conn, tenant, &id, &access)?;
    get(conn, tenant, &id)
}

/// Changes an API. Scopes a client still holds cannot be removed unless `clients` is
/// replaced in the same change.
pub fn update(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &str,
    changes: &ResourceChanges,
) -> Result<ApiResource, ResourceError> {
    let mut row = rows::find(conn, tenant, id)?.ok_or(ResourceError::NotFound)?;
    let current = ApiResource::from_rows(row.clone(), rows::access_of(conn, tenant, id)?);
    if let Some(name) = &changes.name {
        row.name = checked_name(name)?;
    }
    let scopes = match &changes.scopes {
        Some(scopes) => checked_scopes(scopes)?,
        None => current.scopes.clone(),
    };
    row.scopes = scopes.join(" ");
    if changes.access_token_lifetime_secs.is_some() {
        row.access_token_lifetime_secs = checked_lifetime(changes.access_token_lifetime_secs)?;
    }
    if changes.clear_signing_alg {
        row.signing_alg = None;
    } else if let Some(alg) = changes.signing_alg {
        row.signing_alg = Some(alg.as_str().to_owned());
    }
    if let Some(client) = &changes.introspection_client_id {
        row.introspection_client_id = checked_introspector(conn, tenant, Some(client))?;
    }
    let clients = changes.clients.as_ref().unwrap_or(&current.clients);
    let access = checked_access(conn, tenant, id, &scopes, clients).map_err(|e| match e {
        ResourceError::Invalid(why) if changes.clients.is_none() => ResourceError::Invalid(
            format!("{why}: change the clients' scopes in the same request"),
        ),
        e => e,
    })?;
    row.updated_at = unix_now();
    if !rows::update(conn, &row)? {
        return Err(ResourceError::NotFound);
    }
    rows::replace_access(conn, tenant, id, &access)?;
    get(conn, tenant, id)
}

pub fn delete(conn: &mut AnyConnection, tenant: &TenantId, id: &str) -> Result<(), ResourceError> {
    if rows::delete(conn, tenant, id)? {
        Ok(())
    } else {
        Err(ResourceError::NotFound)
    }
}
