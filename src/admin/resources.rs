//! API resources (`crate::resources`): list and show need `clients:read`; register, change
//! and delete need `clients:write`, since they decide what clients' tokens may reach.

use serde_json::json;

use super::{audited, AdminError, Audited, Page, PageRequest, Permission, Principal};
use crate::db::AnyConnection;
use crate::resources::{self, ApiResource, NewResource, ResourceChanges, ResourceError};

fn resource_error(e: ResourceError) -> AdminError {
    match e {
        ResourceError::NotFound => AdminError::NotFound,
        ResourceError::Invalid(message) => AdminError::Invalid(message),
        e @ ResourceError::Duplicate(_) => AdminError::Conflict(e.to_string()),
        ResourceError::Db(e) => e.into(),
    }
}

pub fn list(
    conn: &mut AnyConnection,
    who: &Principal,
    page: &PageRequest,
) -> Result<Page<ApiResource>, AdminError> {
    who.require(Permission::ClientsRead)?;
    let all = resources::list(conn, who.tenant())?;
    Ok(Page::of_list(all, page, |r| r.identifier.clone()))
}

pub fn get(conn: &mut AnyConnection, who: &Principal, id: &str) -> Result<ApiResource, AdminError> {
    who.require(Permission::ClientsRead)?;
    resources::get(conn, who.tenant(), id).map_err(resource_error)
}

fn described(resource: &ApiResource) -> serde_json::Value {
    json!({
        "identifier": resource.identifier,
        "scopes": resource.scopes,
        "access_token_lifetime_secs": resource.access_token_lifetime_secs,
        "signing_alg": resource.signing_alg,
        "introspection_client_id": resource.introspection_client_id,
        "clients": resource.clients,
    })
}

pub fn create(
    conn: &mut AnyConnection,
    who: &Principal,
    new: &NewResource,
) -> Result<ApiResource, AdminError> {
    who.require(Permission::ClientsWrite)?;
    audited(conn, who, "resource.create", |conn| {
        let resource = resources::create(conn, who.tenant(), new).map_err(resource_error)?;
        Ok(Audited {
            target: resource.id.clone(),
            details: described(&resource),
            result: resource,
        })
    })
}

pub fn update(
    conn: &mut AnyConnection,
    who: &Principal,
    id: &str,
    changes: &ResourceChanges,
) -> Result<ApiResource, AdminError> {
    who.require(Permission::ClientsWrite)?;
    audited(conn, who, "resource.update", |conn| {
        let resource =
            resources::update(conn, who.tenant(), id, changes).map_err(resource_error)?;
        Ok(Audited {
            target: resource.id.clone(),
            details: described(&resource),
            result: resource,
        })
    })
}

/// Deletes an API. Tokens already issued for it stay valid until they expire (they are
/// self-contained); refreshes for it are refused from now on.
pub fn delete(conn: &mut AnyConnection, who: &Principal, id: &str) -> Result<(), AdminError> {
    who.require(Permission::ClientsWrite)?;
    audited(conn, who, "resource.delete", |conn| {
        let resource = resources::get(conn, who.tenant(), id).map_err(resource_error)?;
        resources::delete(conn, who.tenant(), id).map_err(resource_error)?;
        Ok(Audited {
            target: id.to_owned(),
            details: json!({ "identifier": resource.identifier }),
            result: (),
        })
    })
}
