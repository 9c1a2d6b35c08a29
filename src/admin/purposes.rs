//! Consent purposes: list, define, publish a new version, retire. A purpose is tenant policy,
//! so every operation needs `settings:write`.

use serde_json::json;

use super::{audited, AdminError, Audited, Page, PageRequest, Permission, Principal};
use crate::consent::purposes::{self, NewPurpose, NewVersion, Purpose, PurposeError};
use crate::db::AnyConnection;

fn purpose_error(e: PurposeError) -> AdminError {
    match e {
        PurposeError::NotFound(_) => AdminError::NotFound,
        PurposeError::Exists(_) | PurposeError::Retired(_) => AdminError::Conflict(e.to_string()),
        PurposeError::Invalid(message) => AdminError::Invalid(message),
        PurposeError::Db(e) => e.into(),
    }
}

pub fn list(
    conn: &mut AnyConnection,
    who: &Principal,
    page: &PageRequest,
) -> Result<Page<Purpose>, AdminError> {
    who.require(Permission::SettingsWrite)?;
    let all = purposes::list(conn, who.tenant())?;
    Ok(Page::of_list(all, page, |p| p.key.clone()))
}

pub fn get(conn: &mut AnyConnection, who: &Principal, key: &str) -> Result<Purpose, AdminError> {
    who.require(Permission::SettingsWrite)?;
    purposes::get(conn, who.tenant(), key).map_err(purpose_error)
}

pub fn create(
    conn: &mut AnyConnection,
    who: &Principal,
    new: &NewPurpose,
) -> Result<Purpose, AdminError> {
    who.require(Permission::SettingsWrite)?;
    audited(conn, who, "purpose.create", |conn| {
        let purpose = purposes::create(conn, who.tenant(), new).map_err(purpose_error)?;
        Ok(Audited {
            target: purpose.key.clone(),
            details: json!({ "version": 1, "required": new.required }),
            result: purpose,
        })
    })
}

/// Publishes the next version: people are asked again as `consent::due` says.
pub fn publish(
    conn: &mut AnyConnection,
    who: &Principal,
    key: &str,
    new: &NewVersion,
) -> Result<Purpose, AdminError> {
    who.require(Permission::SettingsWrite)?;
    audited(conn, who, "purpose.publish", |conn| {
        let purpose = purposes::publish(conn, who.tenant(), key, new).map_err(purpose_error)?;
        let current = purpose.current().map(|v| (v.version, v.required));
        Ok(Audited {
            target: purpose.key.clone(),
            details: json!({
                "version": current.map(|c| c.0),
                "required": current.map(|c| c.1),
            }),
            result: purpose,
        })
    })
}

pub fn retire(conn: &mut AnyConnection, who: &Principal, key: &str) -> Result<Purpose, AdminError> {
    who.require(Permission::SettingsWrite)?;
    audited(conn, who, "purpose.retire", |conn| {
        let purpose = purposes::retire(conn, who.tenant(), key).map_err(purpose_error)?;
        Ok(Audited {
            target: purpose.key.clone(),
            details: json!({}),
            result: purpose,
        })
    })
}
