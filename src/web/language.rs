//! Which language a hosted page is shown in (`crate::i18n::negotiate`), and the switcher
//! that lets the reader choose: `?lang=de` on any page that offers it, remembered for a year
//! in a cookie of the tenant's scope.

use actix_web::cookie::Cookie;
use actix_web::http::header::ACCEPT_LANGUAGE;
use actix_web::HttpRequest;

use crate::i18n::{self, Hints, Lang, Texts};
use crate::tenancy::Tenant;
use crate::web::cookies::CookieScope;
use crate::web::AppState;

const COOKIE: &str = "tessera_lang";
const REMEMBERED_SECS: i64 = 365 * 24 * 60 * 60;

/// One entry of the language switcher.
pub struct LangLink {
    pub code: &'static str,
    pub name: &'static str,
    pub href: String,
    pub current: bool,
}

/// What a request says about the reader's language, read before the page's work (which may
/// add the authorization request's `ui_locales` or the profile's locale).
#[derive(Clone, Default)]
pub struct Reader {
    /// The switcher's choice now, or as remembered.
    chosen: Option<String>,
    accept_language: Option<String>,
    /// Set when the reader just chose: remember it.
    pub cookie: Option<Cookie<'static>>,
}

impl Reader {
    pub fn of(
        state: &AppState,
        tenant: &Tenant,
        req: &HttpRequest,
        chosen: Option<&str>,
    ) -> Reader {
        let scope = CookieScope::tenant(state, tenant);
        let explicit = chosen.and_then(Lang::parse);
        Reader {
            chosen: explicit
                .map(|l| l.code().to_owned())
                .or_else(|| scope.read(req, COOKIE)),
            accept_language: req
                .headers()
                .get(ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            cookie: explicit.map(|lang| scope.set(COOKIE, lang.code().to_owned(), REMEMBERED_SECS)),
        }
    }

    /// The page's texts (see `crate::i18n` for the order the hints are weighed in).
    pub fn texts(&self, ui_locales: Option<&str>, profile_locale: Option<&str>) -> Texts {
        Texts::new(i18n::negotiate(Hints {
            chosen: self.chosen.as_deref(),
            ui_locales,
            profile_locale,
            accept_language: self.accept_language.as_deref(),
        }))
    }
}

/// The switcher's links: `base` is the page's own URL with its query (without `lang`).
pub fn switcher(base: &str, current: Lang) -> Vec<LangLink> {
    let separator = if base.contains('?') { '&' } else { '?' };
    Lang::ALL
        .into_iter()
        .map(|lang| LangLink {
            code: lang.code(),
            name: lang.name(),
            href: format!("{base}{separator}lang={}", lang.code()),
            current: lang == current,
        })
        .collect()
}
