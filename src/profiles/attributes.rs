//! A tenant's attribute schema (docs/privacy.md): for each custom profile attribute, its type,
//! whether it is sensitive, the scope that releases it as a claim, and how long a value is kept
//! after it was set. Values stay sealed in the profile's persona; the schema decides what is
//! checked, masked, released and dropped.
//!
//! An attribute outside the schema is still accepted (tenants start without one), but is
//! treated as sensitive and never released: only what an administrator declared leaves.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::ProfileError;
use crate::db::attributes::{self as rows, DefinitionRow};
use crate::db::{AnyConnection, DbError};
use crate::domain::scope::{self, ScopeSet};
use crate::domain::{rfc3339, unix_now, TenantId};

/// What an administrator sees in place of a masked value.
pub const MASK: &str = "••••";
const MAX_NAME: usize = 64;
const MAX_STRING: usize = 1_000;
/// Claims an attribute may never be released as: they have fixed meanings in tokens.
const RESERVED: &[&str] = &[
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "nbf",
    "jti",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "azp",
    "sid",
    "at_hash",
    "c_hash",
    "name",
    "preferred_username",
    "picture",
    "locale",
    "updated_at",
    "email",
    "email_verified",
    "profile_id",
    "account_id",
    "roles",
    "permissions",
    "scope",
    "client_id",
    "grant_id",
    "cnf",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AttributeKind {
    String,
    Number,
    Boolean,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
}

impl AttributeKind {
    fn as_str(self) -> &'static str {
        match self {
            AttributeKind::String => "string",
            AttributeKind::Number => "number",
            AttributeKind::Boolean => "boolean",
            AttributeKind::Date => "date",
        }
    }

    fn parse(stored: &str) -> Option<AttributeKind> {
        [
            AttributeKind::String,
            AttributeKind::Number,
            AttributeKind::Boolean,
            AttributeKind::Date,
        ]
        .into_iter()
        .find(|k| k.as_str() == stored)
    }

    fn accepts(self, value: &Value) -> bool {
        match (self, value) {
            (_, Value::Null) => true,
            (AttributeKind::String, Value::String(s)) => s.chars().count() <= MAX_STRING,
            (AttributeKind::Number, Value::Number(_)) => true,
            (AttributeKind::Boolean, Value::Bool(_)) => true,
            (AttributeKind::Date, Value::String(s)) => is_date(s),
            _ => false,
        }
    }
}

/// `YYYY-MM-DD`, a day that exists.
fn is_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
    if !(digits(y, 4) && digits(m, 2) && digits(d, 2)) {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i32>(), m.parse::<u8>(), d.parse::<u8>()) else {
        return false;
    };
    time::Month::try_from(m)
        .ok()
        .and_then(|m| time::Date::from_calendar_date(y, m, d).ok())
        .is_some()
}

/// One attribute of the schema.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AttributeDefinition {
    pub name: String,
    pub kind: AttributeKind,
    /// Masked for administrators without `pii:read`; showing it is audited with a reason.
    pub sensitive: bool,
    /// The scope that releases it as a claim of the same name (`profile` or `email`); none:
    /// never in tokens.
    pub claim_scope: Option<String>,
    /// Days a value is kept after it was set; none: until changed or erased.
    pub retention_days: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

/// A new attribute of the schema.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDefinition {
    /// Letters, digits and `_`, starting with a letter; the claim's name when released.
    pub name: String,
    pub kind: AttributeKind,
    #[serde(default)]
    pub sensitive: bool,
    /// `profile` or `email`; absent: never released.
    pub claim_scope: Option<String>,
    /// Absent: kept until changed or erased.
    pub retention_days: Option<i64>,
}

/// A change to an attribute; absent fields stay. `claim_scope: ""` stops releasing it and
/// `retention_days: 0` keeps values indefinitely.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DefinitionChanges {
    pub kind: Option<AttributeKind>,
    pub sensitive: Option<bool>,
    pub claim_scope: Option<String>,
    pub retention_days: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("{0}")]
    Invalid(String),
    #[error("there is no attribute \"{0}\" in the schema")]
    NotFound(String),
    #[error("the attribute \"{0}\" is already in the schema")]
    Exists(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The whole schema of a tenant.
#[derive(Debug, Clone, Default)]
pub struct Schema(pub Vec<AttributeDefinition>);

impl Schema {
    pub fn load(conn: &mut AnyConnection, tenant: &TenantId) -> Result<Schema, DbError> {
        Ok(Schema(
            rows::list(conn, tenant)?
                .into_iter()
                .filter_map(|row| {
                    Some(AttributeDefinition {
                        kind: AttributeKind::parse(&row.kind)?,
                        name: row.name,
                        sensitive: row.sensitive,
                        claim_scope: row.claim_scope,
                        retention_days: row.retention_days,
                        created_at: rfc3339(row.created_at),
                        updated_at: rfc3339(row.updated_at),
                    })
                })
                .collect(),
        ))
    }

    fn get(&self, name: &str) -> Option<&AttributeDefinition> {
        self.0.iter().find(|d| d.name == name)
    }

    /// Refuses a value of the wrong type for a declared attribute.
    pub fn check(&self, attributes: &Value) -> Result<(), ProfileError> {
        let Some(map) = attributes.as_object() else {
            return Err(ProfileError::InvalidAttributes);
        };
        for (name, value) in map {
            if let Some(def) = self.get(name) {
                if !def.kind.accepts(value) {
                    return Err(ProfileError::AttributeType(name.clone(), def.kind.as_str()));
                }
            }
        }
        Ok(())
    }

    /// Whether an attribute is masked for administrators: sensitive, or not declared.
    pub fn is_sensitive(&self, name: &str) -> bool {
        self.get(name).is_none_or(|d| d.sensitive)
    }

    /// The attributes with masked values where `shown` is false.
    pub fn masked(&self, attributes: &Value, shown: bool) -> Value {
        match attributes {
            Value::Object(map) if !shown => Value::Object(
                map.iter()
                    .map(|(k, v)| match self.is_sensitive(k) {
                        true => (k.clone(), Value::String(MASK.into())),
                        false => (k.clone(), v.clone()),
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// The claims the granted scopes release: declared attributes whose scope was granted.
    pub fn claims(&self, attributes: &Value, granted: &ScopeSet) -> Map<String, Value> {
        let mut claims = Map::new();
        let Some(map) = attributes.as_object() else {
            return claims;
        };
        for (name, value) in map {
            let released = self.get(name).is_some_and(|d| {
                d.claim_scope
                    .as_deref()
                    .is_some_and(|s| granted.contains(s))
            });
            if released && !value.is_null() {
                claims.insert(name.clone(), value.clone());
            }
        }
        claims
    }

    /// The attributes whose retention ran out at `now`, given when each was set.
    pub fn expired<'a>(
        &self,
        set_at: &'a std::collections::BTreeMap<String, i64>,
        now: i64,
    ) -> Vec<&'a str> {
        set_at
            .iter()
            .filter(|(name, at)| {
                self.get(name)
                    .and_then(|d| d.retention_days)
                    .is_some_and(|days| now - **at >= days * 86_400)
            })
            .map(|(name, _)| name.as_str())
            .collect()
    }
}

/// The attribute claims a profile's granted scopes release; reads the schema only when the
/// profile has attributes at all.
pub fn released(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    attributes: &Value,
    granted: &ScopeSet,
) -> Result<Map<String, Value>, DbError> {
    let holds_any = attributes.as_object().is_some_and(|m| !m.is_empty());
    let asks_any = granted.contains(scope::PROFILE) || granted.contains(scope::EMAIL);
    if !holds_any || !asks_any {
        return Ok(Map::new());
    }
    Ok(Schema::load(conn, tenant)?.claims(attributes, granted))
}

fn parse_name(name: &str) -> Result<String, SchemaError> {
    let fits = !name.is_empty()
        && name.len() <= MAX_NAME
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && name.as_bytes()[0].is_ascii_alphabetic();
    if !fits {
        return Err(SchemaError::Invalid(
            "an attribute name is 1 to 64 letters, digits or '_', starting with a letter".into(),
        ));
    }
    Ok(name.to_owned())
}

/// Checks a definition and turns it into its row.
fn checked_row(
    tenant: &TenantId,
    name: &str,
    kind: AttributeKind,
    sensitive: bool,
    claim_scope: Option<&str>,
    retention_days: Option<i64>,
) -> Result<DefinitionRow, SchemaError> {
    let name = parse_name(name.trim())?;
    let claim_scope = claim_scope.map(str::trim).filter(|s| !s.is_empty());
    if let Some(s) = claim_scope {
        if ![scope::PROFILE, scope::EMAIL].contains(&s) {
            return Err(SchemaError::Invalid(
                "an attribute is released with the profile or email scope (or none)".into(),
            ));
        }
        if RESERVED.contains(&name.as_str()) {
            return Err(SchemaError::Invalid(format!(
                "\"{name}\" has a fixed meaning in tokens: it cannot be released as an attribute"
            )));
        }
    }
    if retention_days.is_some_and(|d| !(1..=36_500).contains(&d)) {
        return Err(SchemaError::Invalid(
            "retention is 1 to 36500 days (or none)".into(),
        ));
    }
    let now = unix_now();
    Ok(DefinitionRow {
        tenant_id: tenant.to_string(),
        name,
        kind: kind.as_str().into(),
        sensitive,
        claim_scope: claim_scope.map(str::to_owned),
        retention_days,
        created_at: now,
        updated_at: now,
    })
}

fn find(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    name: &str,
) -> Result<AttributeDefinition, SchemaError> {
    Schema::load(conn, tenant)?
        .0
        .into_iter()
        .find(|d| d.name == name)
        .ok_or_else(|| SchemaError::NotFound(name.to_owned()))
}

/// Declares an attribute. Call inside a write transaction.
pub fn create(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    new: &NewDefinition,
) -> Result<AttributeDefinition, SchemaError> {
    let row = checked_row(
        tenant,
        &new.name,
        new.kind,
        new.sensitive,
        new.claim_scope.as_deref(),
        new.retention_days,
    )?;
    match rows::insert(conn, &row) {
        Err(e) if e.is_unique_violation() => return Err(SchemaError::Exists(row.name)),
        other => other?,
    }
    find(conn, tenant, &row.name)
}

/// Changes an attribute. Values already stored are not rewritten: a new type applies to the
/// next change of a value, a new retention counts from each value's own setting time.
pub fn change(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    name: &str,
    changes: &DefinitionChanges,
) -> Result<AttributeDefinition, SchemaError> {
    let current = find(conn, tenant, name)?;
    let claim_scope = match &changes.claim_scope {
        Some(s) => Some(s.as_str()),
        None => current.claim_scope.as_deref(),
    };
    let retention_days = match changes.retention_days {
        Some(0) => None,
        Some(days) => Some(days),
        None => current.retention_days,
    };
    let row = checked_row(
        tenant,
        name,
        changes.kind.unwrap_or(current.kind),
        changes.sensitive.unwrap_or(current.sensitive),
        claim_scope,
        retention_days,
    )?;
    rows::upsert(conn, &row)?;
    find(conn, tenant, name)
}

/// Removes an attribute from the schema; stored values stay, as undeclared (sensitive,
/// never released).
pub fn remove(conn: &mut AnyConnection, tenant: &TenantId, name: &str) -> Result<(), SchemaError> {
    match rows::delete(conn, tenant, name)? {
        true => Ok(()),
        false => Err(SchemaError::NotFound(name.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(
        name: &str,
        kind: AttributeKind,
        sensitive: bool,
        scope: Option<&str>,
    ) -> AttributeDefinition {
        AttributeDefinition {
            name: name.into(),
            kind,
            sensitive,
            claim_scope: scope.map(str::to_owned),
            retention_days: Some(30),
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    fn schema() -> Schema {
        Schema(vec![
            def("team", AttributeKind::String, false, Some("profile")),
            def("birthdate", AttributeKind::Date, true, Some("profile")),
            def("vip", AttributeKind::Boolean, false, None),
        ])
    }

    #[test]
    fn types_are_checked_for_declared_attributes_only() {
        let s = schema();
        assert!(s
            .check(&json!({ "team": "blue", "birthdate": "1815-12-10", "x": [1] }))
            .is_ok());
        assert!(s.check(&json!({ "birthdate": "10/12/1815" })).is_err());
        assert!(s.check(&json!({ "birthdate": "1815-02-30" })).is_err());
        assert!(s.check(&json!({ "vip": "yes" })).is_err());
        assert!(s.check(&json!({ "team": 3 })).is_err());
        assert!(s.check(&json!({ "team": null })).is_ok(), "null clears");
    }

    #[test]
    fn sensitive_and_undeclared_values_are_masked() {
        let s = schema();
        let values = json!({ "team": "blue", "birthdate": "1815-12-10", "x": "y" });
        assert_eq!(
            s.masked(&values, false),
            json!({ "team": "blue", "birthdate": MASK, "x": MASK })
        );
        assert_eq!(s.masked(&values, true), values);
    }

    #[test]
    fn only_declared_attributes_with_a_granted_scope_are_claims() {
        let s = schema();
        let values = json!({ "team": "blue", "birthdate": "1815-12-10", "vip": true, "x": "y" });
        let profile = ScopeSet::parse("openid profile").unwrap();
        let claims = s.claims(&values, &profile);
        assert_eq!(claims.len(), 2);
        assert_eq!(claims["team"], "blue");
        assert!(s
            .claims(&values, &ScopeSet::parse("openid").unwrap())
            .is_empty());
    }

    #[test]
    fn retention_counts_from_each_value() {
        let s = schema();
        let day = 86_400;
        let set_at = [
            ("team".to_owned(), 0),
            ("vip".to_owned(), 29 * day),
            ("x".to_owned(), 0),
        ]
        .into_iter()
        .collect();
        assert_eq!(s.expired(&set_at, 30 * day), vec!["team"]);
    }
}
