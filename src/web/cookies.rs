//! Every cookie Tessera sets: HttpOnly, Secure on https, scoped to where it is used, with the
//! SameSite rule of its surface. A tenant's cookies live under the tenant (its path in path
//! mode, its host in subdomain mode) and are `Lax`, so the redirect back from a relying party
//! carries them; the platform console's live under `/platform` and are `Strict`.
//!
//! On https the names carry a prefix the browser enforces: `__Host-` where a cookie covers
//! the whole host (a tenant in subdomain mode), so no sibling subdomain or plain-http page
//! can plant or overwrite it; `__Secure-` where it lives under a path. Cookies are read only
//! under the name their scope gives them.

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

    /// The name cookie `base` goes by in this scope.
    pub fn name(&self, base: &str) -> String {
        let prefix = match (self.secure, self.path == "/") {
            (true, true) => "__Host-",
            (true, false) => "__Secure-",
            (false, _) => "",
        };
        format!("{prefix}{base}")
    }

    /// This scope's cookie `base` as the browser sent it, if not empty.
    pub fn read(&self, req: &HttpRequest, base: &str) -> Option<String> {
        req.cookie(&self.name(base))
            .map(|c| c.value().to_owned())
            .filter(|v| !v.is_empty())
    }

    pub fn set(&self, name: &str, value: String, max_age_secs: i64) -> Cookie<'static> {
        Cookie::build(self.name(name), value)
            .path(self.path.clone())
            .http_only(true)
            .secure(self.secure)
            .same_site(self.same_site)
            .max_age(CookieDuration::seconds(max_age_secs))
            .finish()
    }

    pub fn clear(&self, name: &str) -> Cookie<'static> {
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
        match self.read(req, name).filter(|v| v.len() >= 43) {
            Some(value) => (value, None),
            None => {
                let value = random_token();
                let cookie = self.browser_cookie(name, value.clone());
                (value, Some(cookie))
            }
        }
    }

    /// The cookie that carries `value` as this browser's binding cookie from now on (a new
    /// one at every sign-in: a value planted or read before cannot outlive it).
    pub fn browser_cookie(&self, name: &str, value: String) -> Cookie<'static> {
        self.set(name, value, BROWSER_MAX_AGE_SECS)
    }
}

fn https(state: &AppState) -> bool {
    state.settings.server.public_url.scheme() == "https"
}
