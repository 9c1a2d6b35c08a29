//! Host → tenant slug (subdomain mode) and tenant → issuer URL (both modes).

use crate::config::{Settings, TenantRouting};
use crate::domain::TenantSlug;

/// The tenant's issuer: `{public_url}/t/{slug}` in path mode, `{scheme}://{slug}.{base_domain}`
/// (with the public URL's port) in subdomain mode. No trailing slash: issuers compare exactly.
pub fn issuer(settings: &Settings, slug: &TenantSlug) -> String {
    match settings.tenancy.routing {
        TenantRouting::Path => format!("{}/t/{}", settings.public_base(), slug),
        TenantRouting::Subdomain => {
            let url = &settings.server.public_url;
            let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!(
                "{}://{}.{}{}",
                url.scheme(),
                slug,
                settings.base_domain(),
                port
            )
        }
    }
}

/// The slug named by a `Host` header under `base_domain`, if the host is a tenant host.
/// Returns `None` for the bare base domain, foreign hosts and nested subdomains.
pub fn slug_from_host<'a>(host: &'a str, base_domain: &str) -> Option<&'a str> {
    let host = strip_port(host).trim_end_matches('.');
    let prefix_len = host.len().checked_sub(base_domain.len() + 1)?;
    let (label, rest) = (host.get(..prefix_len)?, host.get(prefix_len..)?);
    let domain = rest.strip_prefix('.')?;
    if !domain.eq_ignore_ascii_case(base_domain) || label.is_empty() || label.contains('.') {
        return None;
    }
    Some(label)
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        // IPv6 literal: never a tenant host.
        return host;
    }
    host.rsplit_once(':')
        .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
        .map_or(host, |(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_from_host_matches_one_label_under_base() {
        let base = "id.example.com";
        assert_eq!(slug_from_host("acme.id.example.com", base), Some("acme"));
        assert_eq!(
            slug_from_host("acme.id.example.com:8443", base),
            Some("acme")
        );
        assert_eq!(slug_from_host("acme.ID.Example.com.", base), Some("acme"));
        assert_eq!(slug_from_host("id.example.com", base), None);
        assert_eq!(slug_from_host("a.b.id.example.com", base), None);
        assert_eq!(slug_from_host("acme.example.com", base), None);
        assert_eq!(slug_from_host("acmeid.example.com", base), None);
        assert_eq!(slug_from_host(".id.example.com", base), None);
        assert_eq!(slug_from_host("[::1]:8080", base), None);
        assert_eq!(slug_from_host("", base), None);
    }

    #[test]
    fn issuers_in_both_modes() {
        let slug = TenantSlug::parse("acme").unwrap();
        let mut settings = Settings::defaults().unwrap();
        settings.server.public_url = "https://id.example.com/".parse().unwrap();
        assert_eq!(issuer(&settings, &slug), "https://id.example.com/t/acme");
        settings.tenancy.routing = TenantRouting::Subdomain;
        assert_eq!(issuer(&settings, &slug), "https://acme.id.example.com");
        settings.server.public_url = "http://localhost:8080".parse().unwrap();
        assert_eq!(issuer(&settings, &slug), "http://acme.localhost:8080");
    }
}
