//! Redirect URIs: absolute, https (or http on a loopback host), no fragment, compared exactly
//! (RFC 9700 §2.1). The one exception is RFC 8252 §7.3: a native (public) client registered
//! with the IP literal `127.0.0.1` or `[::1]` may use any port, since it binds an ephemeral
//! one. `localhost` (resolvable to anything) and confidential clients get no such latitude.

use std::fmt;

use serde::Serialize;
use url::{Host, Url};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct RedirectUri(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedirectUriError {
    #[error("\"{0}\" is not an absolute URI")]
    NotAbsolute(String),
    #[error("\"{0}\" must use https (http is allowed only for loopback hosts)")]
    Insecure(String),
    #[error("\"{0}\" must not contain a fragment")]
    Fragment(String),
    #[error("\"{0}\" must not contain user credentials")]
    Credentials(String),
}

impl RedirectUri {
    pub fn parse(input: &str) -> Result<RedirectUri, RedirectUriError> {
        let url = Url::parse(input).map_err(|_| RedirectUriError::NotAbsolute(input.into()))?;
        if url.cannot_be_a_base() || url.host().is_none() {
            return Err(RedirectUriError::NotAbsolute(input.into()));
        }
        if url.fragment().is_some() || input.contains('#') {
            return Err(RedirectUriError::Fragment(input.into()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(RedirectUriError::Credentials(input.into()));
        }
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            _ => return Err(RedirectUriError::Insecure(input.into())),
        }
        // Keep the registered text as given: matching is by exact string.
        Ok(RedirectUri(input.to_owned()))
    }

    /// Wraps a value read back from storage, where it was parsed on the way in.
    pub fn from_stored(value: String) -> RedirectUri {
        RedirectUri(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a requested URI matches this registered one: the same string, or, when
    /// `any_loopback_port` (public clients) and this is an IP-literal loopback URI, the same
    /// string apart from the port.
    pub fn matches(&self, requested: &str, any_loopback_port: bool) -> bool {
        if self.0 == requested {
            return true;
        }
        if !any_loopback_port {
            return false;
        }
        let (Ok(registered), Ok(requested)) = (Url::parse(&self.0), Url::parse(requested)) else {
            return false;
        };
        if !is_loopback_ip_literal(&registered) || requested.fragment().is_some() {
            return false;
        }
        let mut without_port = requested.clone();
        if without_port.set_port(registered.port()).is_err() {
            return false;
        }
        without_port == registered
            && registered.scheme() == requested.scheme()
            && registered.host() == requested.host()
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// `127.0.0.1` or `[::1]` exactly: the addresses RFC 8252 §7.3 names for native apps.
fn is_loopback_ip_literal(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip == std::net::Ipv4Addr::LOCALHOST,
        Some(Host::Ipv6(ip)) => ip == std::net::Ipv6Addr::LOCALHOST,
        _ => false,
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_https_and_loopback_http() {
        for ok in [
            "https://app.example.com/cb",
            "https://app.example.com/cb?x=1",
            "http://127.0.0.1:8080/cb",
            "http://[::1]/cb",
            "http://localhost:3000/callback",
        ] {
            assert!(RedirectUri::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_unsafe_uris() {
        assert!(matches!(
            RedirectUri::parse("/cb"),
            Err(RedirectUriError::NotAbsolute(_))
        ));
        assert!(matches!(
            RedirectUri::parse("http://app.example.com/cb"),
            Err(RedirectUriError::Insecure(_))
        ));
        assert!(matches!(
            RedirectUri::parse("https://app.example.com/cb#x"),
            Err(RedirectUriError::Fragment(_))
        ));
        assert!(matches!(
            RedirectUri::parse("https://u:p@app.example.com/cb"),
            Err(RedirectUriError::Credentials(_))
        ));
        assert!(matches!(
            RedirectUri::parse("javascript:alert(1)"),
            Err(RedirectUriError::NotAbsolute(_))
        ));
        assert!(matches!(
            RedirectUri::parse("com.example.app:/cb"),
            Err(RedirectUriError::NotAbsolute(_))
        ));
    }

    #[test]
    fn matching_is_exact_except_loopback_port() {
        let web = RedirectUri::parse("https://app.example.com/cb").unwrap();
        for public in [false, true] {
            assert!(web.matches("https://app.example.com/cb", public));
            assert!(!web.matches("https://app.example.com/cb/", public));
            assert!(!web.matches("https://app.example.com/cb?x=1", public));
            assert!(!web.matches("https://app.example.com:8443/cb", public));
            assert!(!web.matches("https://APP.example.com/cb", public));
        }

        for literal in ["http://127.0.0.1/cb", "http://[::1]:9/cb"] {
            let native = RedirectUri::parse(literal).unwrap();
            let other_port = literal.replace("/cb", "").replace(":9", "") + ":53124/cb";
            assert!(native.matches(&other_port, true), "{other_port}");
            assert!(
                !native.matches(&other_port, false),
                "confidential: exact only"
            );
            assert!(!native.matches(&other_port.replace("/cb", "/other"), true));
            assert!(!native.matches(&format!("{other_port}#frag"), true));
        }
        let native = RedirectUri::parse("http://127.0.0.1/cb").unwrap();
        assert!(!native.matches("http://127.0.0.2:53124/cb", true));
        assert!(!native.matches("https://127.0.0.1:53124/cb", true));

        let named = RedirectUri::parse("http://localhost:3000/cb").unwrap();
        assert!(named.matches("http://localhost:3000/cb", true));
        assert!(
            !named.matches("http://localhost:3001/cb", true),
            "localhost is exact"
        );
    }
}
