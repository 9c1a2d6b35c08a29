//! The profile model and its validation rules.

use serde::Serialize;
use serde_json::Value;

use crate::db::DbError;
use crate::domain::{rfc3339, AccountId, Email, EmailError, ProfileId};

/// Custom attributes are a JSON object of at most this many bytes.
pub const MAX_ATTRIBUTES_BYTES: usize = 4096;

#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    pub id: ProfileId,
    pub account_id: AccountId,
    pub name: String,
    pub is_default: bool,
    pub email: Option<Email>,
    pub email_verified: bool,
    pub picture: Option<String>,
    pub locale: Option<String>,
    pub attributes: Value,
    #[serde(serialize_with = "as_rfc3339")]
    pub updated_at: i64,
}

fn as_rfc3339<S: serde::Serializer>(t: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*t))
}

impl Profile {
    /// The email tokens may carry for this profile: its own once verified.
    pub fn verified_email(&self) -> Option<&Email> {
        self.email.as_ref().filter(|_| self.email_verified)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("no such profile")]
    NotFound,
    #[error("a profile name must be 1 to 64 characters without control characters")]
    InvalidName,
    #[error("this account already has a profile named \"{0}\"")]
    NameTaken(String),
    #[error(transparent)]
    Email(#[from] EmailError),
    #[error("the email {0} is already used by another profile in this tenant")]
    EmailTaken(String),
    #[error("a picture must be an https URL of at most 2048 characters")]
    InvalidPicture,
    #[error("a locale must be a language tag such as en or pt-BR")]
    InvalidLocale,
    #[error("custom attributes must be a JSON object of at most {MAX_ATTRIBUTES_BYTES} bytes")]
    InvalidAttributes,
    #[error("the attribute \"{0}\" must be a {1} (the tenant's attribute schema says so)")]
    AttributeType(String, &'static str),
    #[error("an account keeps at least one profile: create another before deleting this one")]
    LastProfile,
    #[error("this profile's personal data cannot be opened: {0}")]
    Sealed(#[from] crate::keys::envelope::EnvelopeError),
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::storage_failure!(ProfileError);

/// A new profile's persona data.
#[derive(Debug, Clone, Default)]
pub struct NewProfile {
    pub name: String,
    pub email: Option<String>,
    /// The operator vouches for the email (self-service verification comes by mail).
    pub email_verified: bool,
    pub picture: Option<String>,
    pub locale: Option<String>,
    pub attributes: Option<String>,
    pub make_default: bool,
}

/// Changes to persona data; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct ProfileChanges {
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub picture: Option<String>,
    pub locale: Option<String>,
    pub attributes: Option<String>,
}

pub(super) fn parse_name(name: &str) -> Result<String, ProfileError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(ProfileError::InvalidName);
    }
    Ok(name.to_owned())
}

pub(super) fn parse_picture(picture: &str) -> Result<String, ProfileError> {
    match url::Url::parse(picture) {
        Ok(url) if url.scheme() == "https" && picture.len() <= 2048 && url.host().is_some() => {
            Ok(picture.to_owned())
        }
        _ => Err(ProfileError::InvalidPicture),
    }
}

pub(super) fn parse_locale(locale: &str) -> Result<String, ProfileError> {
    let mut parts = locale.split('-');
    let language_ok = parts
        .next()
        .is_some_and(|l| (2..=3).contains(&l.len()) && l.chars().all(|c| c.is_ascii_alphabetic()));
    let rest_ok =
        parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if language_ok && rest_ok && locale.len() <= 35 {
        Ok(locale.to_owned())
    } else {
        Err(ProfileError::InvalidLocale)
    }
}

pub(super) fn parse_attributes(attributes: &str) -> Result<String, ProfileError> {
    let value: Value =
        serde_json::from_str(attributes).map_err(|_| ProfileError::InvalidAttributes)?;
    let compact = serde_json::to_string(&value).map_err(|_| ProfileError::InvalidAttributes)?;
    if !value.is_object() || compact.len() > MAX_ATTRIBUTES_BYTES {
        return Err(ProfileError::InvalidAttributes);
    }
    Ok(compact)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_persona_fields() {
        assert!(parse_name("  Work ").is_ok_and(|n| n == "Work"));
        assert!(parse_name("").is_err());
        assert!(parse_name(&"x".repeat(65)).is_err());
        assert!(parse_picture("https://cdn.example/a.png").is_ok());
        assert!(parse_picture("http://cdn.example/a.png").is_err());
        assert!(parse_picture("javascript:alert(1)").is_err());
        for ok in ["en", "pt-BR", "zh-Hant-TW"] {
            assert!(parse_locale(ok).is_ok(), "{ok}");
        }
        for bad in ["", "e", "english", "en_US", "en-"] {
            assert!(parse_locale(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_attributes(r#"{ "team": "blue" }"#).unwrap(),
            r#"{"team":"blue"}"#
        );
        assert!(parse_attributes("[1]").is_err());
        assert!(parse_attributes(&format!(r#"{{"x":"{}"}}"#, "a".repeat(5000))).is_err());
    }
}
