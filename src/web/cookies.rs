//! Every cookie Tessera sets: HttpOnly, Secure on https, scoped to where it is used, with the
//! SameSite rule of its surface. A tenant's cookies live under the tenant (its path in path
//! mode, its host in subdomain mode) and are `Lax`, so the redirect back from a relying party
//! carries them; the platform console's live under `/platform` and are `Strict`.

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::HttpRequest;

use super::AppState;
use crate::config::TenantRouting;
use crate::crypto::random_token;
use crate::tenancy::Tenant;

/// Browser cookies carry no authority by themselves (they anchor CSRF tokens and bind
/// pending sign-ins to a browser): they may live long.
const BROWSER_MAX_AGE_SECS: i64 = 400 * 24 * 3600;

/// Where a family of cookies lives and how it travels.
#[derive(Debug, Clone)]
pub struct CookieScope {
    path: String,
    same_site: SameSite,
    secure: bool,
}

impl CookieScope {
    /// The hosted pages and consoles of one tenant.
    pub fn tenant(state: &AppState, tenant: &Tenant) -> CookieScope {
        let path = match state.settings.tenancy.routing {
            TenantRouting::Path => format!("/t/{}", tenant.slug),
            TenantRouting::Subdomain => "/".to_owned(),
        };
        CookieScope {
            path,
            same_site: SameSite::Lax,
            secure: https(state),
        }
    }

    /// The platform console on the root host.
    pub fn platform(state: &AppState, path: &str) -> CookieScope {
        CookieScope {
            path: path.to_owned(),
            same_site: SameSite::Strict,
            secure: https(state),
        }
    }

    pub fn set(&self, name: &'static str, value: String, max_age_secs: i64) -> Cookie<'static> {
        Cookie::build(name, value)
            .path(self.path.clone())
            .http_only(true)
            .secure(self.secure)
            .same_site(self.same_site)
            .max_age(CookieDuration::seconds(max_age_secs))
            .finish()
    }

    pub fn clear(&self, name: &'static str) -> Cookie<'static> {
        let mut removal = self.set(name, String::new(), 0);
        removal.make_removal();
        removal
    }

    /// This browser's binding cookie `name`: its value, and the cookie to set when it is new.
    pub fn browser(
        &self,
        req: &HttpRequest,
        name: &'static str,
    ) -> (String, Option<Cookie<'static>>) {
        match read(req, name).filter(|v| v.len() >= 43) {
            Some(value) => (value, None),
            None => {
                let value = random_token();
                let cookie = self.set(name, value.clone(), BROWSER_MAX_AGE_SECS);
                (value, Some(cookie))
            }
        }
    }
}

fn https(state: &AppState) -> bool {
    state.settings.server.public_url.scheme() == "https"
}

/// A cookie's value as sent, if not empty.
pub fn read(req: &HttpRequest, name: &str) -> Option<String> {
    req.cookie(name)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty())
}
