//! The tenant's attribute schema: list, declare, remove. Tenant policy: `settings:write`.

use serde_json::json;

use super::{audited, AdminError, Audited, Permission, Principal};
use crate::db::AnyConnection;
use crate::profiles::attributes::{
    self, AttributeDefinition, DefinitionChanges, NewDefinition, Schema, SchemaError,
};

fn schema_error(e: SchemaError) -> AdminError {
    match e {
        SchemaError::NotFound(_) => AdminError::NotFound,
        SchemaError::Invalid(message) => AdminError::Invalid(message),
        SchemaError::Exists(_) => AdminError::Conflict(e.to_string()),
        SchemaError::Db(e) => e.into(),
    }
}

pub fn list(
    conn: &mut AnyConnection,
    who: &Principal,
) -> Result<Vec<AttributeDefinition>, AdminError> {
    who.require(Permission::SettingsWrite)?;
    Ok(Schema::load(conn, who.tenant())?.0)
}

fn audit_details(d: &AttributeDefinition) -> serde_json::Value {
    json!({
        "kind": d.kind,
        "sensitive": d.sensitive,
        "claim_scope": d.claim_scope,
        "retention_days": d.retention_days,
    })
}

pub fn create(
    conn: &mut AnyConnection,
    who: &Principal,
    new: &NewDefinition,
) -> Result<AttributeDefinition, AdminError> {
    who.require(Permission::SettingsWrite)?;
    audited(conn, who, "attribute.create", |conn| {
        let defined = attributes::create(conn, who.tenant(), new).map_err(schema_error)?;
        Ok(Audited {
            target: defined.name.clone(),
            details: audit_details(&defined),
            result: defined,
        })
    })
}

pub fn change(
    conn: &mut AnyConnection,
    who: &Principal,
    name: &str,
    changes: &DefinitionChanges,
) -> Result<AttributeDefinition, AdminError> {
    who.require(Permission::SettingsWrite)?;
    audited(conn, who, "attribute.change", |conn| {
        let defined =
            attributes::change(conn, who.tenant(), name, changes).map_err(schema_error)?;
        Ok(Audited {
            target: defined.name.clone(),
            details: audit_details(&defined),
            result: defined,
        })
    })
}

pub fn remove(conn: &mut AnyConnection, who: &Principal, name: &str) -> Result<(), AdminError> {
    who.require(Permission::SettingsWrite)?;
    audited(conn, who, "attribute.remove", |conn| {
        attributes::remove(conn, who.tenant(), name).map_err(schema_error)?;
        Ok(Audited {
            target: name.to_owned(),
            details: json!({}),
            result: (),
        })
    })
}
