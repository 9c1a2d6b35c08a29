//! Branding shown on a tenant's hosted pages: display name (the tenant's name), logo, accent
//! colour. The colour reaches pages through a per-tenant stylesheet (no inline styles, so the
//! pages' CSP stays `style-src 'self'`); the logo must be an https URL (or http on loopback).

pub use super::service::Branding;
use super::service::{Tenant, TenantError};
use crate::db::tenants as rows;
use crate::db::AnyConnection;
use crate::domain::unix_now;

/// New branding; every field is replaced (an empty logo or colour clears it).
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BrandingChanges {
    /// The display name shown on hosted pages.
    pub name: String,
    /// An https URL, or empty for none.
    #[serde(default)]
    pub logo_url: String,
    /// `#rrggbb`, or empty for the default.
    #[serde(default)]
    pub accent_color: String,
}

fn parse_colour(input: &str) -> Result<Option<String>, TenantError> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(None);
    }
    let valid = input.len() == 7
        && input.starts_with('#')
        && input[1..].chars().all(|c| c.is_ascii_hexdigit());
    if !valid {
        return Err(TenantError::InvalidPolicy(
            "the accent colour must look like #3b5bdb".into(),
        ));
    }
    Ok(Some(input.to_ascii_lowercase()))
}

fn parse_logo(input: &str) -> Result<Option<String>, TenantError> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(None);
    }
    let invalid = || {
        TenantError::InvalidPolicy(
            "the logo URL must be an https URL of at most 500 characters".into(),
        )
    };
    let url = url::Url::parse(input).map_err(|_| invalid())?;
    let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && loopback);
    let serialized = url.to_string();
    // It is written into a CSS url("…"): nothing that could end the string or the rule.
    let css_safe = !serialized
        .chars()
        .any(|c| matches!(c, '"' | '\\' | '\'' | '(' | ')' | '<' | '>' | ';') || c.is_whitespace());
    if !scheme_ok
        || input.len() > 500
        || !url.username().is_empty()
        || url.password().is_some()
        || !css_safe
    {
        return Err(invalid());
    }
    Ok(Some(serialized))
}

/// Replaces the display name and branding; returns the tenant as it now is.
pub fn set_branding(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    changes: &BrandingChanges,
) -> Result<Tenant, TenantError> {
    let name = super::service::parse_name(&changes.name)?;
    let logo = parse_logo(&changes.logo_url)?;
    let colour = parse_colour(&changes.accent_color)?;
    rows::set_branding(
        conn,
        &tenant.id,
        &name,
        logo.as_deref(),
        colour.as_deref(),
        unix_now(),
    )?;
    super::service::find(conn, tenant.slug.as_str())
}

/// The per-tenant stylesheet: the accent colour and the logo, when set.
pub fn stylesheet(branding: &Branding) -> String {
    let mut css = String::new();
    if let Some(colour) = &branding.accent_color {
        css.push_str(&format!(":root {{ --accent: {colour}; }}\n"));
    }
    if let Some(logo) = &branding.logo_url {
        css.push_str(&format!(
            ".tenant::before {{ content: \"\"; display: block; height: 40px; margin-bottom: .5rem; background: url(\"{logo}\") left center / contain no-repeat; }}\n"
        ));
    }
    css
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_and_logos_are_checked() {
        assert_eq!(parse_colour("#AABBCC").unwrap().as_deref(), Some("#aabbcc"));
        assert!(parse_colour("red").is_err());
        assert!(parse_colour("#abc").is_err());
        assert!(parse_colour("#abcdeg").is_err());
        assert_eq!(parse_colour(" ").unwrap(), None);
        assert!(parse_logo("https://cdn.example.com/logo.svg").is_ok());
        assert!(parse_logo("http://cdn.example.com/logo.svg").is_err());
        assert!(parse_logo("javascript:alert(1)").is_err());
        assert!(parse_logo("https://user:pw@cdn.example.com/x.png").is_err());
        assert!(parse_logo("http://localhost:9/logo.png").is_ok());
        let css = stylesheet(&Branding {
            logo_url: parse_logo("https://cdn.example.com/logo.png").unwrap(),
            accent_color: Some("#112233".into()),
        });
        assert!(css.contains("--accent: #112233"));
        assert!(
            css.contains("url(\"https://cdn.example.com/logo.png\")"),
            "{css}"
        );
        // A URL that could break out of the CSS string is refused, not escaped.
        assert!(parse_logo("https://cdn.example.com/a).png").is_err());
        assert!(parse_logo("https://cdn.example.com/a.png?x=1;color:red").is_err());
    }
}
