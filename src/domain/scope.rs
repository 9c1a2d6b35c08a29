//! OAuth scopes: a set of space-delimited tokens (RFC 6749 §3.3), and the registry of the
//! scopes Tessera knows: every name used anywhere comes from here.

use std::collections::BTreeSet;
use std::fmt;

/// OpenID Connect: an ID token (OIDC Core §3.1.2.1).
pub const OPENID: &str = "openid";
/// The profile's name, picture, locale (OIDC Core §5.4).
pub const PROFILE: &str = "profile";
/// The profile's (or account's) verified address.
pub const EMAIL: &str = "email";
/// A refresh token that outlives the browser session.
pub const OFFLINE_ACCESS: &str = "offline_access";
/// A user's access token for the admin REST API.
pub const ADMIN: &str = "tessera:admin";

/// Every scope a client may request, as discovery advertises them.
pub const SUPPORTED: &[&str] = &[OPENID, PROFILE, EMAIL, OFFLINE_ACCESS, ADMIN];
/// Scopes that describe a user: meaningless for a client acting for itself.
pub const USER: &[&str] = &[OPENID, PROFILE, EMAIL, OFFLINE_ACCESS];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeSet(BTreeSet<String>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed scope \"{0}\"")]
pub struct ScopeError(pub String);

impl ScopeSet {
    pub fn parse(input: &str) -> Result<ScopeSet, ScopeError> {
        let mut set = BTreeSet::new();
        for token in input.split(' ').filter(|t| !t.is_empty()) {
            // scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
            let valid = token
                .bytes()
                .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b));
            if !valid || token.len() > 128 {
                return Err(ScopeError(token.to_owned()));
            }
            set.insert(token.to_owned());
        }
        Ok(ScopeSet(set))
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.contains(scope)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn is_subset(&self, other: &ScopeSet) -> bool {
        self.0.is_subset(&other.0)
    }

    /// The scopes `keep` accepts.
    pub fn filter(&self, keep: impl Fn(&str) -> bool) -> ScopeSet {
        ScopeSet(self.0.iter().filter(|s| keep(s)).cloned().collect())
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let joined: Vec<&str> = self.iter().collect();
        f.write_str(&joined.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sets() {
        let s = ScopeSet::parse("openid  profile openid email").unwrap();
        assert_eq!(s.to_string(), "email openid profile");
        assert!(s.contains("openid"));
        assert!(ScopeSet::parse("").unwrap().is_empty());
        assert!(ScopeSet::parse("open\"id").is_err());
        assert!(ScopeSet::parse("a\\b").is_err());
        assert!(ScopeSet::parse("é").is_err());
        assert!(ScopeSet::parse("email").unwrap().is_subset(&s));
    }
}
