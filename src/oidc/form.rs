//! `application/x-www-form-urlencoded` parameters as OAuth reads them: a parameter sent twice
//! is an error (RFC 6749 §3.1), one sent without a value counts as omitted. Parsing is linear
//! and bounded: at most `MAX_PARAMS` parameters, names of at most `MAX_NAME_BYTES` and values
//! of at most `MAX_VALUE_BYTES` (decoded), checked before any client is authenticated.

use std::collections::HashSet;

use super::error::OAuthError;

/// More than any OAuth or OpenID Connect request needs.
pub const MAX_PARAMS: usize = 100;
pub const MAX_NAME_BYTES: usize = 128;
/// Enough for a client assertion or an `id_token_hint`.
pub const MAX_VALUE_BYTES: usize = 8 * 1024;

/// The one parameter that may be sent more than once.
const REPEATABLE: &str = "resource";

#[derive(Debug, Clone, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(encoded: &[u8]) -> Result<Params, OAuthError> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        for (count, (name, value)) in url::form_urlencoded::parse(encoded).enumerate() {
            if count >= MAX_PARAMS {
                return Err(OAuthError::invalid_request(format!(
                    "more than {MAX_PARAMS} parameters"
                )));
            }
            if name.len() > MAX_NAME_BYTES {
                return Err(OAuthError::invalid_request("a parameter name is too long"));
            }
            if value.len() > MAX_VALUE_BYTES {
                return Err(OAuthError::invalid_request(format!(
                    "the parameter {name} is longer than {MAX_VALUE_BYTES} bytes"
                )));
            }
            // PostgreSQL cannot store NUL in text; no protocol value needs one.
            if name.contains('\0') || value.contains('\0') {
                return Err(OAuthError::invalid_request(
                    "parameters must not contain NUL characters",
                ));
            }
            if value.is_empty() {
                continue;
            }
            // RFC 8707 §2: `resource` may be repeated (one per API).
            if name != REPEATABLE && !seen.insert(name.to_string()) {
                return Err(OAuthError::invalid_request(format!(
                    "the parameter {name} was sent more than once"
                )));
            }
            pairs.push((name.into_owned(), value.into_owned()));
        }
        Ok(Params(pairs))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeatable parameter, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("the parameter {name} is missing")))
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// These parameters with `name` set to `value` when it is absent.
    pub fn with_default(mut self, name: &str, value: &str) -> Params {
        if self.get(name).is_none() && !value.is_empty() {
            self.0.push((name.to_owned(), value.to_owned()));
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_duplicates_and_drops_empty_values() {
        let p = Params::parse(b"a=1&b=&c=x%20y").unwrap();
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), None);
        assert_eq!(p.get("c"), Some("x y"));
        assert!(p.require("b").is_err());
        assert!(Params::parse(b"a=1&a=2").is_err());
        let p = Params::parse(b"resource=https%3A%2F%2Fa&resource=urn%3Ab").unwrap();
        assert_eq!(p.all("resource"), ["https://a", "urn:b"]);
    }

    #[test]
    fn bounded() {
        let many: String = (0..=MAX_PARAMS).map(|i| format!("p{i}=1&")).collect();
        assert!(Params::parse(many.as_bytes()).is_err());
        let enough: String = (0..MAX_PARAMS).map(|i| format!("p{i}=1&")).collect();
        assert!(Params::parse(enough.trim_end_matches('&').as_bytes()).is_ok());
        let long = format!("a={}", "x".repeat(MAX_VALUE_BYTES + 1));
        assert!(Params::parse(long.as_bytes()).is_err());
        let long_name = format!("{}=1", "n".repeat(MAX_NAME_BYTES + 1));
        assert!(Params::parse(long_name.as_bytes()).is_err());
    }
}
