//! Branding shown on a tenant's hosted pages: display name (the tenant's name), logo, accent
//! colour. The colour reaches pages through a per-tenant stylesheet (no inline styles, so the
//! pages' CSP stays `style-src 'self'`); the logo must be an https URL (or http on loopback).

pub use super::service::Branding;
use super::service::{Tenant, TenantError};
use crate::db::tenants as rows;
use crate::db::AnyConnection;
use crate::domain::unix_now;
use crate::i18n::{Lang, Overrides, Texts};

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
    /// The tenant's own wording: language (`en`, `de`, `fr`, `es`) → message id (those of
    /// `locales/en/*.ftl`, e.g. `login-title`) → text. Empty for the catalogue's texts.
    #[serde(default)]
    pub texts: Overrides,
    /// The IANA time zone for times on the tenant's pages and console (`Europe/Berlin`);
    /// empty for UTC.
    #[serde(default)]
    pub time_zone: String,
}

/// A time zone the bundled database knows; `None` (UTC) for empty or `UTC`.
fn parse_zone(input: &str) -> Result<Option<String>, TenantError> {
    let input = input.trim();
    if input.is_empty() || input == "UTC" {
        return Ok(None);
    }
    if input.len() > 64 || jiff::tz::TimeZone::get(input).is_err() {
        return Err(TenantError::InvalidPolicy(format!(
            "the time zone {input:?} is not known: use an IANA name such as Europe/Berlin"
        )));
    }
    Ok(Some(input.to_owned()))
}

/// At most this many reworded messages per tenant, each at most this long.
const MAX_TEXTS: usize = 300;
const MAX_TEXT_CHARS: usize = 1000;

/// Checks a tenant's own texts: a supported language, a message the catalogue has, and a
/// short single-line text (it is escaped wherever it is shown, like every text).
fn parse_texts(texts: &Overrides) -> Result<Option<String>, TenantError> {
    let invalid = |why: String| TenantError::InvalidPolicy(why);
    let mut count = 0;
    let mut kept = Overrides::new();
    for (lang, messages) in texts {
        let Some(known) = Lang::parse(lang).filter(|l| l.code() == lang) else {
            return Err(invalid(format!(
                "texts: {lang:?} is not a language of the hosted pages (en, de, fr, es)"
            )));
        };
        for (id, text) in messages {
            if !Texts::exists(id) {
                return Err(invalid(format!(
                    "texts: {id:?} is not a message of the hosted pages"
                )));
            }
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            if text.chars().count() > MAX_TEXT_CHARS || text.chars().any(char::is_control) {
                return Err(invalid(format!(
                    "texts: {lang} {id} must be one line of at most {MAX_TEXT_CHARS} characters"
                )));
            }
            count += 1;
            kept.entry(known.code().to_owned())
                .or_default()
                .insert(id.clone(), text.to_owned());
        }
    }
    if count > MAX_TEXTS {
        return Err(invalid(format!(
            "texts: at most {MAX_TEXTS} messages may be reworded"
        )));
    }
    Ok((!kept.is_empty()).then(|| serde_json::to_string(&kept).unwrap_or_default()))
}

/// The console's way of writing texts: one per line, `LANG ID = TEXT`
/// (`de login-title = Willkommen bei Acme`); blank lines are skipped.
pub fn parse_text_lines(input: &str) -> Result<Overrides, TenantError> {
    let mut texts = Overrides::new();
    for (n, line) in input.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let parsed = line.split_once('=').and_then(|(key, text)| {
            let mut key = key.split_whitespace();
            let (lang, id) = (key.next()?, key.next()?);
            key.next().is_none().then(|| (lang, id, text.trim()))
        });
        let Some((lang, id, text)) = parsed else {
            return Err(TenantError::InvalidPolicy(format!(
                "texts, line {}: write LANG ID = TEXT, e.g. de login-title = Willkommen",
                n + 1
            )));
        };
        texts
            .entry(lang.to_owned())
            .or_default()
            .insert(id.to_owned(), text.to_owned());
    }
    Ok(texts)
}

/// The texts as the console shows them, one `LANG ID = TEXT` per line.
pub fn text_lines(texts: &Overrides) -> String {
    texts
        .iter()
        .flat_map(|(lang, messages)| {
            messages
                .iter()
                .map(move |(id, text)| format!("{lang} {id} = {text}"))
        })
        .collect::<Vec<_>>()
        .join("\n")
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
    let texts = parse_texts(&changes.texts)?;
    let zone = parse_zone(&changes.time_zone)?;
    let row = rows::BrandingRow {
        name: &name,
        logo_url: logo.as_deref(),
        accent_color: colour.as_deref(),
        texts: texts.as_deref(),
        time_zone: zone.as_deref(),
        updated_at: unix_now(),
    };
    rows::set_branding(conn, &tenant.id, &row)?;
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
            texts: Default::default(),
            time_zone: "UTC".into(),
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

    #[test]
    fn a_tenants_texts_are_checked_and_written_one_per_line() {
        let texts =
            parse_text_lines("de login-title = Willkommen bei Acme\n\nen login-submit = Go")
                .unwrap();
        assert_eq!(texts["de"]["login-title"], "Willkommen bei Acme");
        assert_eq!(
            text_lines(&texts),
            "de login-title = Willkommen bei Acme\nen login-submit = Go"
        );
        assert!(parse_text_lines("de login-title Willkommen").is_err());
        assert!(parse_texts(&texts).unwrap().is_some());
        let unknown = parse_text_lines("de no-such-message = x").unwrap();
        assert!(parse_texts(&unknown).is_err());
        let language = parse_text_lines("nl login-title = Aanmelden").unwrap();
        assert!(parse_texts(&language).is_err());
        let regional = parse_text_lines("de-AT login-title = Servus").unwrap();
        assert!(
            parse_texts(&regional).is_err(),
            "the language's own code only"
        );
        let empty = parse_text_lines("de login-title =   ").unwrap();
        assert_eq!(
            parse_texts(&empty).unwrap(),
            None,
            "an empty text is the catalogue's"
        );
    }
}
