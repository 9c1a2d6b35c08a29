//! Tenant slugs: the name in `acme.id.example.com` and `/t/acme/`.

use std::fmt;

use serde::Serialize;

/// Names that would collide with Tessera's own routes or common infrastructure hosts.
const RESERVED: &[&str] = &[
    "account",
    "accounts",
    "admin",
    "api",
    "app",
    "assets",
    "auth",
    "authorize",
    "cdn",
    "console",
    "dashboard",
    "default",
    "docs",
    "healthz",
    "help",
    "id",
    "identity",
    "login",
    "logout",
    "mail",
    "metrics",
    "oauth",
    "oauth2",
    "oidc",
    "platform",
    "readyz",
    "root",
    "signin",
    "signup",
    "smtp",
    "sso",
    "static",
    "status",
    "support",
    "system",
    "tenant",
    "tenants",
    "tessera",
    "token",
    "well-known",
    "www",
];

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct TenantSlug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenantSlugError {
    #[error("a tenant slug must be 2 to 63 characters long")]
    Length,
    #[error("a tenant slug may contain only lowercase letters a-z, digits and hyphens")]
    Characters,
    #[error("a tenant slug must start with a letter or digit and must not end with a hyphen")]
    Edges,
    #[error(
        "a tenant slug must not start with \"xn--\" (reserved for internationalised domain names)"
    )]
    Punycode,
    #[error("\"{0}\" is reserved and cannot be used as a tenant slug")]
    Reserved(String),
}

impl TenantSlug {
    /// `^[a-z0-9][a-z0-9-]{1,62}$` minus reserved words; additionally no trailing hyphen and no
    /// `xn--` prefix, so that every slug is a valid DNS label in subdomain mode.
    pub fn parse(input: &str) -> Result<TenantSlug, TenantSlugError> {
        if !(2..=63).contains(&input.len()) {
            return Err(TenantSlugError::Length);
        }
        if !input
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(TenantSlugError::Characters);
        }
        if input.starts_with('-') || input.ends_with('-') {
            return Err(TenantSlugError::Edges);
        }
        if input.starts_with("xn--") {
            return Err(TenantSlugError::Punycode);
        }
        if RESERVED.contains(&input) {
            return Err(TenantSlugError::Reserved(input.to_owned()));
        }
        Ok(TenantSlug(input.to_owned()))
    }

    /// Wraps a slug read back from storage, where it was validated on the way in.
    pub fn from_stored(slug: String) -> TenantSlug {
        TenantSlug(slug)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_slugs() {
        for ok in ["acme", "a1", "acme-corp", "0day", &"a".repeat(63)] {
            assert_eq!(TenantSlug::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn rejects_invalid_slugs() {
        use TenantSlugError::*;
        let cases: &[(&str, TenantSlugError)] = &[
            ("a", Length),
            ("", Length),
            (&"a".repeat(64), Length),
            ("Acme", Characters),
            ("acme_corp", Characters),
            ("acmé", Characters),
            ("ac.me", Characters),
            ("-acme", Edges),
            ("acme-", Edges),
            ("xn--acme", Punycode),
            ("admin", Reserved("admin".into())),
            ("www", Reserved("www".into())),
        ];
        for (input, expected) in cases {
            assert_eq!(&TenantSlug::parse(input).unwrap_err(), expected, "{input}");
        }
    }
}
