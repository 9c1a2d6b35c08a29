//! Consent purposes (docs/privacy.md): what a tenant asks people to agree to ("Terms of
//! service", "Marketing e-mail"). A purpose is never edited: each change is a new version with
//! its own words (or the address where they are published), whether it is required, and what
//! changed, so the ledger can always say which words a person accepted.

use serde::{Deserialize, Serialize};

use crate::db::purposes::{self as rows, PurposeRow, VersionRow};
use crate::db::{tx, AnyConnection, DbError};
use crate::domain::{rfc3339, unix_now, TenantId};

const MAX_KEY: usize = 40;
const MAX_NAME: usize = 80;
const MAX_TEXT: usize = 10_000;
const MAX_CHANGES: usize = 2_000;

/// A purpose with every version it had, oldest first (never empty).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Purpose {
    /// Stable key (`terms`, `marketing-email`): clients and the ledger refer to it.
    pub key: String,
    pub name: String,
    /// A retired purpose is no longer asked for; its history stays.
    pub retired: bool,
    pub created_at: String,
    pub versions: Vec<Version>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Version {
    pub version: i64,
    /// Required purposes must be accepted to use the clients that need them; optional ones
    /// may be declined and withdrawn at any time.
    pub required: bool,
    pub text: Option<String>,
    pub url: Option<String>,
    /// What changed since the previous version (empty for the first).
    pub changes: String,
    pub published_at: String,
}

impl Purpose {
    /// The version in force: the latest.
    pub fn current(&self) -> Option<&Version> {
        self.versions.last()
    }

    /// The change notes of the versions after `version`, oldest first.
    pub fn changes_since(&self, version: i64) -> Vec<String> {
        self.versions
            .iter()
            .filter(|v| v.version > version && !v.changes.is_empty())
            .map(|v| format!("Version {}: {}", v.version, v.changes))
            .collect()
    }
}

/// A new purpose and its first version.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPurpose {
    /// Lowercase letters, digits and `-`, at most 40.
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub required: bool,
    /// The words people agree to…
    pub text: Option<String>,
    /// …or an `https` address where they are published (at least one of the two).
    pub url: Option<String>,
}

/// A new version of a purpose.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVersion {
    /// Absent: as the current version.
    pub required: Option<bool>,
    pub text: Option<String>,
    pub url: Option<String>,
    /// What changed, in words people are shown when asked again (required).
    #[serde(default)]
    pub changes: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PurposeError {
    #[error("{0}")]
    Invalid(String),
    #[error("the purpose \"{0}\" already exists")]
    Exists(String),
    #[error("there is no purpose \"{0}\"")]
    NotFound(String),
    #[error("the purpose \"{0}\" is retired")]
    Retired(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

fn invalid(message: &str) -> PurposeError {
    PurposeError::Invalid(message.to_owned())
}

fn parse_key(key: &str) -> Result<String, PurposeError> {
    let key = key.trim();
    let fits = !key.is_empty()
        && key.len() <= MAX_KEY
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !key.starts_with('-');
    if !fits {
        return Err(invalid(
            "a purpose key is 1 to 40 lowercase letters, digits or '-', not starting with '-'",
        ));
    }
    Ok(key.to_owned())
}

fn parse_line(value: &str, max: usize, what: &str) -> Result<String, PurposeError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(PurposeError::Invalid(format!(
            "the {what} must be 1 to {max} characters on one line"
        )));
    }
    Ok(value.to_owned())
}

/// The words and the address of a version: at least one, the words bounded, the address an
/// absolute `https` URL (or `http` on a loopback host, for development).
fn parse_terms(
    text: Option<&str>,
    url: Option<&str>,
) -> Result<(Option<String>, Option<String>), PurposeError> {
    let text = text.map(str::trim).filter(|t| !t.is_empty());
    let url = url.map(str::trim).filter(|u| !u.is_empty());
    if text.is_none() && url.is_none() {
        return Err(invalid(
            "a purpose version needs its text, or the https URL where it is published",
        ));
    }
    if let Some(text) = text {
        if text.chars().count() > MAX_TEXT || text.contains('\0') {
            return Err(PurposeError::Invalid(format!(
                "the text must be at most {MAX_TEXT} characters"
            )));
        }
    }
    if let Some(url) = url {
        let parsed = url::Url::parse(url).map_err(|_| invalid("the URL is not an absolute URL"))?;
        let loopback = matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        let secure = parsed.scheme() == "https" || (parsed.scheme() == "http" && loopback);
        if !secure || parsed.host_str().is_none() || url.len() > 2_000 {
            return Err(invalid(
                "the URL must be an https address (http only on localhost)",
            ));
        }
    }
    Ok((text.map(str::to_owned), url.map(str::to_owned)))
}

fn assemble(row: PurposeRow, versions: &[VersionRow]) -> Purpose {
    Purpose {
        versions: versions
            .iter()
            .filter(|v| v.purpose == row.purpose)
            .map(|v| Version {
                version: v.version,
                required: v.required,
                text: v.text.clone(),
                url: v.url.clone(),
                changes: v.changes.clone(),
                published_at: rfc3339(v.published_at),
            })
            .collect(),
        key: row.purpose,
        name: row.name,
        retired: row.retired_at.is_some(),
        created_at: rfc3339(row.created_at),
    }
}

/// Every purpose of the tenant with its versions, by key.
pub fn list(conn: &mut AnyConnection, tenant: &TenantId) -> Result<Vec<Purpose>, DbError> {
    tx::read(conn, |conn| {
        let versions = rows::versions(conn, tenant, None)?;
        Ok(rows::list(conn, tenant)?
            .into_iter()
            .map(|row| assemble(row, &versions))
            .collect())
    })
}

/// The named purposes (those that exist), with their versions.
pub fn named(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    keys: &[String],
) -> Result<Vec<Purpose>, DbError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let versions = rows::versions(conn, tenant, Some(keys))?;
    Ok(rows::list(conn, tenant)?
        .into_iter()
        .filter(|row| keys.contains(&row.purpose))
        .map(|row| assemble(row, &versions))
        .collect())
}

pub fn get(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    key: &str,
) -> Result<Purpose, PurposeError> {
    named(conn, tenant, &[key.to_owned()])?
        .pop()
        .ok_or_else(|| PurposeError::NotFound(key.to_owned()))
}

/// Defines a purpose with its first version. Call inside a write transaction.
pub fn create(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    new: &NewPurpose,
) -> Result<Purpose, PurposeError> {
    let key = parse_key(&new.key)?;
    let name = parse_line(&new.name, MAX_NAME, "name")?;
    let (text, url) = parse_terms(new.text.as_deref(), new.url.as_deref())?;
    let now = unix_now();
    let inserted = rows::insert(
        conn,
        &PurposeRow {
            tenant_id: tenant.to_string(),
            purpose: key.clone(),
            name,
            created_at: now,
            retired_at: None,
        },
    );
    match inserted {
        Err(e) if e.is_unique_violation() => return Err(PurposeError::Exists(key)),
        other => other?,
    }
    let first = VersionRow {
        tenant_id: tenant.to_string(),
        purpose: key.clone(),
        version: 1,
        required: new.required,
        text,
        url,
        changes: String::new(),
        published_at: now,
    };
    rows::insert_version(conn, &first)?;
    get(conn, tenant, &key)
}

/// Publishes the next version of a purpose: everyone whose decision was about an earlier one
/// is asked again (required purposes, and optional ones they had accepted). Call inside a
/// write transaction; two publications at once are numbered one after the other.
pub fn publish(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    key: &str,
    new: &NewVersion,
) -> Result<Purpose, PurposeError> {
    let row = rows::lock(conn, tenant, key)?.ok_or_else(|| PurposeError::NotFound(key.into()))?;
    if row.retired_at.is_some() {
        return Err(PurposeError::Retired(key.to_owned()));
    }
    let changes = parse_line(&new.changes, MAX_CHANGES, "description of what changed")?;
    let (text, url) = parse_terms(new.text.as_deref(), new.url.as_deref())?;
    let purpose = get(conn, tenant, key)?;
    let current = purpose
        .current()
        .ok_or_else(|| DbError::Unreadable(format!("the purpose \"{key}\" has no version")))?;
    rows::insert_version(
        conn,
        &VersionRow {
            tenant_id: tenant.to_string(),
            purpose: row.purpose,
            version: current.version + 1,
            required: new.required.unwrap_or(current.required),
            text,
            url,
            changes,
            published_at: unix_now(),
        },
    )?;
    get(conn, tenant, key)
}

/// Stops asking for a purpose; the clients that named it no longer need it.
pub fn retire(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    key: &str,
) -> Result<Purpose, PurposeError> {
    if !rows::retire(conn, tenant, key, unix_now())? {
        let purpose = get(conn, tenant, key)?;
        return Err(PurposeError::Retired(purpose.key));
    }
    get(conn, tenant, key)
}

/// Checks the purposes a client is to need: each exists and is not retired. Returns them
/// trimmed, without repeats.
pub fn check_for_client(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    keys: &[String],
) -> Result<Vec<String>, PurposeError> {
    let mut wanted: Vec<String> = Vec::new();
    for key in keys.iter().map(|k| k.trim()).filter(|k| !k.is_empty()) {
        if !wanted.iter().any(|w| w == key) {
            wanted.push(key.to_owned());
        }
    }
    let known = named(conn, tenant, &wanted)?;
    for key in &wanted {
        match known.iter().find(|p| &p.key == key) {
            None => return Err(PurposeError::NotFound(key.clone())),
            Some(p) if p.retired => return Err(PurposeError::Retired(key.clone())),
            Some(_) => {}
        }
    }
    Ok(wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_plain_slugs() {
        assert!(parse_key("marketing-email").is_ok());
        assert!(parse_key("terms2").is_ok());
        for bad in ["", "-x", "Terms", "a b", "é", &"x".repeat(41)] {
            assert!(parse_key(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn terms_need_words_or_a_secure_address() {
        assert!(parse_terms(None, None).is_err());
        assert!(parse_terms(Some("  "), Some("")).is_err());
        assert!(parse_terms(Some("We send news."), None).is_ok());
        assert!(parse_terms(None, Some("https://example.com/terms/v2")).is_ok());
        assert!(parse_terms(None, Some("http://localhost:8080/terms")).is_ok());
        assert!(parse_terms(None, Some("http://example.com/terms")).is_err());
        assert!(parse_terms(None, Some("javascript:alert(1)")).is_err());
        assert!(parse_terms(None, Some("/terms")).is_err());
    }

    #[test]
    fn changes_since_lists_later_notes_only() {
        let v = |version: i64, changes: &str| Version {
            version,
            required: true,
            text: Some("t".into()),
            url: None,
            changes: changes.into(),
            published_at: String::new(),
        };
        let purpose = Purpose {
            key: "terms".into(),
            name: "Terms".into(),
            retired: false,
            created_at: String::new(),
            versions: vec![v(1, ""), v(2, "Adds arbitration"), v(3, "New address")],
        };
        assert_eq!(purpose.current().map(|v| v.version), Some(3));
        assert_eq!(
            purpose.changes_since(1),
            vec!["Version 2: Adds arbitration", "Version 3: New address"]
        );
        assert!(purpose.changes_since(3).is_empty());
    }
}
