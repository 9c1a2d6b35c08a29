//! Who may call a handler, said by its signature. Each extractor checks one thing before the
//! handler runs and refuses with the right answer when it does not hold:
//!
//! - [`CurrentTenant`]: the tenant the request addresses, active (else 404/403).
//! - [`ClientIp`]: the caller's address through `server.trusted_proxies`: the one way to get it.
//! - [`CsrfForm`]: a form whose CSRF token matched this browser before its fields were parsed.
//! - [`SignedIn`]: a live session of this tenant (else the sign-in page).
//! - `ConsoleAdmin` (tenant console) and `PlatformAdmin` (platform console): see their
//!   modules; they build on the same pieces.

use std::future::Future;
use std::marker::PhantomData;
use std::net::IpAddr;
use std::pin::Pin;

use actix_web::body::MessageBody;
use actix_web::dev::Payload;
use actix_web::http::header::HeaderMap;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use serde::de::DeserializeOwned;

use super::cookies::CookieScope;
use super::page::{respond, Outcome, PageFrame};
use super::{ApiError, AppState};
use crate::config::TenantRouting;
use crate::sessions::{self, Session, BROWSER_COOKIE, SESSION_COOKIE};
use crate::tenancy::{slug_from_host, Tenant, TenantStatus};

type Boxed<T> = Pin<Box<dyn Future<Output = Result<T, Refusal>>>>;

/// An answer that ends a request before its handler runs (a page, a redirect, an error).
pub struct Refusal {
    status: StatusCode,
    headers: HeaderMap,
    body: actix_web::web::Bytes,
}

impl Refusal {
    pub fn page(outcome: Outcome) -> Refusal {
        Refusal::from(respond(outcome, vec![]))
    }
}

impl From<HttpResponse> for Refusal {
    fn from(response: HttpResponse) -> Refusal {
        let (head, body) = response.into_parts();
        Refusal {
            status: head.status(),
            headers: head.headers().clone(),
            // Every refusal is built in memory: a page or a JSON error.
            body: body.try_into_bytes().unwrap_or_default(),
        }
    }
}

impl From<ApiError> for Refusal {
    fn from(error: ApiError) -> Refusal {
        Refusal::from(error.error_response())
    }
}

impl std::fmt::Debug for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Refusal({})", self.status)
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "request refused with {}", self.status)
    }
}

impl ResponseError for Refusal {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        for (name, value) in &self.headers {
            response.append_header((name.clone(), value.clone()));
        }
        response.body(self.body.clone())
    }
}

fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, Refusal> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no app state")).into())
}

// ----- the tenant -------------------------------------------------------------------------

/// The tenant a request addresses, active; 404 for unknown slugs, 403 while suspended.
#[derive(Debug, Clone)]
pub struct CurrentTenant(pub Tenant);

impl std::ops::Deref for CurrentTenant {
    type Target = Tenant;

    fn deref(&self) -> &Tenant {
        &self.0
    }
}

impl CurrentTenant {
    async fn resolve(
        state: web::Data<AppState>,
        slug: Option<String>,
    ) -> Result<CurrentTenant, ApiError> {
        let slug = slug.ok_or(ApiError::TenantNotFound)?;
        let tenant = match state.tenants.get(&slug) {
            Some(tenant) => tenant,
            None => {
                let key = slug.clone();
                let tenant = state
                    .db
                    .run(move |conn| crate::tenancy::tenants::resolve(conn, &key))
                    .await?
                    .ok_or(ApiError::TenantNotFound)?;
                // Only tenants that exist are cached: unknown slugs cannot fill memory.
                state.tenants.insert(slug, tenant.clone());
                tenant
            }
        };
        match tenant.status {
            TenantStatus::Active => Ok(CurrentTenant(tenant)),
            TenantStatus::Suspended => Err(ApiError::TenantSuspended),
        }
    }
}

impl FromRequest for CurrentTenant {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let slug = state.as_ref().and_then(|state| requested_slug(req, state));
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal(anyhow::anyhow!("no app state")))?;
            CurrentTenant::resolve(state, slug).await
        })
    }
}

/// Whether the request names a tenant (its host in subdomain mode, its path in path mode).
pub fn tenant_host(req: &HttpRequest, state: &AppState) -> bool {
    requested_slug(req, state).is_some()
}

pub(crate) fn requested_slug(req: &HttpRequest, state: &AppState) -> Option<String> {
    match state.settings.tenancy.routing {
        TenantRouting::Path => req.match_info().get("tenant").map(str::to_owned),
        TenantRouting::Subdomain => {
            // The Host header (or HTTP/2 authority) only: X-Forwarded-Host is not trusted, so a
            // shared cache keyed on Host can never be fed another tenant's documents.
            let host = req
                .headers()
                .get(actix_web::http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .or_else(|| req.uri().host())?;
            slug_from_host(host, &state.settings.base_domain()).map(str::to_ascii_lowercase)
        }
    }
}

// ----- the caller's address ---------------------------------------------------------------

/// The client's address: the TCP peer, or, behind a proxy listed in `server.trusted_proxies`,
/// the nearest address in `X-Forwarded-For` that is not a trusted proxy itself.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl ClientIp {
    /// The address of the client behind `req` (for code that holds the request).
    pub fn of(req: &HttpRequest) -> ClientIp {
        let trusted = req
            .app_data::<web::Data<AppState>>()
            .map(|state| state.settings.server.trusted_proxies.clone())
            .unwrap_or_default();
        ClientIp(client_ip(req, &trusted))
    }
}

impl FromRequest for ClientIp {
    type Error = Refusal;
    type Future = std::future::Ready<Result<ClientIp, Refusal>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(ClientIp::of(req)))
    }
}

fn client_ip(req: &HttpRequest, trusted_proxies: &[IpAddr]) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return String::new();
    };
    if !trusted_proxies.contains(&peer) {
        return peer.to_string();
    }
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    // Right to left: each trusted proxy appended the address it saw.
    forwarded
        .iter()
        .rev()
        .filter_map(|entry| entry.parse::<IpAddr>().ok())
        .find(|ip| !trusted_proxies.contains(ip))
        .unwrap_or(peer)
        .to_string()
}

// ----- forms ------------------------------------------------------------------------------

/// Where a form was shown: which browser cookie its CSRF token derives from, and the page
/// that refuses it.
pub trait FormSurface: 'static {
    const BROWSER_COOKIE: &'static str;

    /// Where this surface's cookies live (their names depend on it).
    fn cookie_scope(req: HttpRequest) -> Pin<Box<dyn Future<Output = Option<CookieScope>>>>;

    fn refuse(req: HttpRequest) -> Pin<Box<dyn Future<Output = Refusal>>>;
}

/// A tenant's hosted pages and consoles.
pub struct Hosted;

impl FormSurface for Hosted {
    const BROWSER_COOKIE: &'static str = BROWSER_COOKIE;

    fn cookie_scope(req: HttpRequest) -> Pin<Box<dyn Future<Output = Option<CookieScope>>>> {
        Box::pin(async move {
            let state = app_state(&req).ok()?;
            let tenant = CurrentTenant::extract(&req).await.ok()?;
            Some(CookieScope::tenant(&state, &tenant))
        })
    }

    fn refuse(req: HttpRequest) -> Pin<Box<dyn Future<Output = Refusal>>> {
        Box::pin(async move {
            let state = match app_state(&req) {
                Ok(state) => state,
                Err(refusal) => return refusal,
            };
            match CurrentTenant::extract(&req).await {
                Ok(tenant) => Refusal::page(PageFrame::new(&state, &tenant, &req).bad_form()),
                Err(e) => e.into(),
            }
        })
    }
}

/// A submitted form whose CSRF token (field `csrf_token`) belongs to this browser, checked
/// before any other field is read.
pub struct CsrfForm<T, S: FormSurface = Hosted> {
    pub form: T,
    /// The browser cookie the token matched.
    pub browser: String,
    surface: PhantomData<S>,
}

impl<T, S: FormSurface> CsrfForm<T, S> {
    pub fn into_inner(self) -> T {
        self.form
    }
}

impl<T: DeserializeOwned + 'static, S: FormSurface> FromRequest for CsrfForm<T, S> {
    type Error = Refusal;
    type Future = Boxed<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = web::Bytes::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let browser = S::cookie_scope(req.clone())
                .await
                .and_then(|scope| scope.read(&req, S::BROWSER_COOKIE));
            let body = match body.await {
                Ok(body) => body,
                Err(e) if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE => {
                    let too_large = HttpResponse::PayloadTooLarge()
                        .content_type("text/plain; charset=utf-8")
                        .body("The form is too large.");
                    return Err(Refusal::from(too_large));
                }
                Err(_) => return Err(S::refuse(req).await),
            };
            let browser = match check_form(browser, &body) {
                Ok(browser) => browser,
                Err(FormRefusal::NulCharacter) => {
                    let refused = HttpResponse::BadRequest()
                        .content_type("text/plain; charset=utf-8")
                        .body("The form contains a NUL character.");
                    return Err(Refusal::from(refused));
                }
                Err(FormRefusal::Forged) => return Err(S::refuse(req).await),
            };
            match serde_urlencoded::from_bytes::<T>(&body) {
                Ok(form) => Ok(CsrfForm {
                    form,
                    browser,
                    surface: PhantomData,
                }),
                Err(_) => Err(S::refuse(req).await),
            }
        })
    }
}

/// Why a posted form was refused before its fields were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormRefusal {
    /// A name or value holds a NUL (PostgreSQL cannot store it): a plain 400.
    NulCharacter,
    /// No browser cookie, no `csrf_token`, or one minted for another browser.
    Forged,
}

/// Checks a posted form body against the browser cookie that came with it: no NUL anywhere,
/// and a `csrf_token` field minted for this browser. Answers the browser cookie.
pub fn check_form(browser: Option<String>, body: &[u8]) -> Result<String, FormRefusal> {
    if url::form_urlencoded::parse(body)
        .any(|(name, value)| name.contains('\0') || value.contains('\0'))
    {
        return Err(FormRefusal::NulCharacter);
    }
    let presented = url::form_urlencoded::parse(body)
        .find(|(name, _)| name == "csrf_token")
        .map(|(_, value)| value.into_owned());
    match (browser, presented) {
        (Some(browser), Some(token)) if sessions::csrf_matches(&browser, &token) => Ok(browser),
        _ => Err(FormRefusal::Forged),
    }
}

// ----- a tenant's signed-in user ----------------------------------------------------------

/// A live session of this tenant (the account console). Without one: the sign-in page, which
/// comes back here.
pub struct SignedIn {
    pub tenant: CurrentTenant,
    pub session: Session,
}

impl FromRequest for SignedIn {
    type Error = Refusal;
    type Future = Boxed<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = app_state(&req)?;
            let tenant = CurrentTenant::extract(&req).await?;
            let frame = PageFrame::new(&state, &tenant, &req);
            let sign_in = || {
                Refusal::page(Outcome::Redirect(format!(
                    "{}/login?next=account",
                    frame.issuer
                )))
            };
            let Some(cookie) = CookieScope::tenant(&state, &tenant).read(&req, SESSION_COOKIE)
            else {
                return Err(sign_in());
            };
            let (settings, tenant_id) = (
                tenant.policy.effective_settings(&state.settings),
                tenant.id.clone(),
            );
            let session = state
                .db
                .run(move |conn| sessions::current(conn, &settings.sessions, &tenant_id, &cookie))
                .await
                .map_err(|e| Refusal::page(frame.error(&e)))?;
            match session {
                Some(session) => Ok(SignedIn { tenant, session }),
                None => Err(sign_in()),
            }
        })
    }
}

/// The parameters of a front-channel protocol request (authorize, logout): the query of a GET,
/// the form body of a POST.
pub fn front_channel_params(
    req: &HttpRequest,
    body: &[u8],
) -> Result<crate::oidc::form::Params, crate::oidc::error::OAuthError> {
    if req.method() == actix_web::http::Method::POST {
        crate::oidc::form::Params::parse(body)
    } else {
        crate::oidc::form::Params::parse(req.query_string().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let from_proxy = TestRequest::default()
            .peer_addr("10.0.0.1:5000".parse().unwrap())
            .insert_header(("x-forwarded-for", "6.6.6.6, 203.0.113.7"))
            .to_http_request();
        assert_eq!(client_ip(&from_proxy, &[proxy]), "203.0.113.7");
        assert_eq!(client_ip(&from_proxy, &[]), "10.0.0.1");
        let direct = TestRequest::default()
            .peer_addr("198.51.100.2:5000".parse().unwrap())
            .insert_header(("x-forwarded-for", "1.2.3.4"))
            .to_http_request();
        assert_eq!(client_ip(&direct, &[proxy]), "198.51.100.2");
    }

    #[test]
    fn a_form_passes_only_with_its_browsers_token_and_no_nul() {
        let browser = "browser-cookie".to_owned();
        let token = sessions::csrf_token(&browser);
        let form = format!("name=ada&csrf_token={token}");
        assert_eq!(
            check_form(Some(browser.clone()), form.as_bytes()),
            Ok(browser.clone())
        );
        let other = sessions::csrf_token("another browser");
        let forged = format!("name=ada&csrf_token={other}");
        assert_eq!(
            check_form(Some(browser.clone()), forged.as_bytes()),
            Err(FormRefusal::Forged)
        );
        assert_eq!(check_form(None, form.as_bytes()), Err(FormRefusal::Forged));
        assert_eq!(
            check_form(Some(browser.clone()), b"name=ada"),
            Err(FormRefusal::Forged)
        );
        let nul = format!("name=a%00da&csrf_token={token}");
        assert_eq!(
            check_form(Some(browser), nul.as_bytes()),
            Err(FormRefusal::NulCharacter)
        );
    }
}
