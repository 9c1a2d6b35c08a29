//! The platform console on the root host under `/platform`: platform administrators sign in
//! (accounts of the internal tenant, see `crate::platform`) and list, create, suspend, resume
//! and delete tenants. Its cookies are scoped to `/platform` and its sessions live in the
//! internal tenant, so a tenant's session can never open it (nor the reverse).

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::console::page::{
    danger_button, link, Block, Cell, ConsolePage, Field, FormView, NavItem, Rendered, TableView,
};
use crate::audit::Actor;
use crate::config::TenantRouting;
use crate::db::{tx, AnyConnection, DbError};
use crate::domain::TenantId;
use crate::identity::{mfa, signin};
use crate::platform::{self, PlatformError};
use crate::sessions::{self, Session};
use crate::tenancy::{TenantError, TenantStatus};
use crate::web::cookies::CookieScope;
use crate::web::extract::ClientIp;
use crate::web::extract::{CsrfForm, FormSurface, Refusal};
use crate::web::pages::{respond, Outcome, PageFrame};
use crate::web::AppState;

mod security;
mod sign_in;
mod tenants;

pub use security::{mfa_action, security};
pub use sign_in::{login_form, login_submit, logout, setup_form, setup_submit};
pub use tenants::{create_tenant, tenant, tenant_action, tenants};

const SESSION: &str = "tessera_platform";
const BROWSER: &str = "tessera_platform_browser";
const PATH: &str = "/platform";

fn base(state: &AppState) -> String {
    format!("{}{PATH}", state.settings.public_base())
}

fn frame(state: &AppState) -> PageFrame {
    PageFrame::plain(base(state), "Tessera platform".into())
}

/// In subdomain mode the console answers on the root host only.
fn on_root_host(state: &AppState, req: &HttpRequest) -> bool {
    match state.settings.tenancy.routing {
        TenantRouting::Path => true,
        TenantRouting::Subdomain => {
            let root = state
                .settings
                .server
                .public_url
                .host_str()
                .unwrap_or_default();
            // The Host header only, like tenant resolution: X-Forwarded-Host is not trusted.
            let host = req
                .headers()
                .get(actix_web::http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .or_else(|| req.uri().host())
                .unwrap_or_default();
            let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
            host.eq_ignore_ascii_case(root)
        }
    }
}

fn scope(state: &AppState) -> CookieScope {
    CookieScope::platform(state, PATH)
}

/// The platform console's forms: CSRF tokens derive from its own browser cookie.
pub struct PlatformForms;

impl FormSurface for PlatformForms {
    const BROWSER_COOKIE: &'static str = BROWSER;

    fn cookie_scope(
        req: HttpRequest,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Option<CookieScope>>>> {
        let scope = req
            .app_data::<web::Data<AppState>>()
            .map(|state| scope(state));
        Box::pin(std::future::ready(scope))
    }

    fn refuse(req: HttpRequest) -> std::pin::Pin<Box<dyn std::future::Future<Output = Refusal>>> {
        Box::pin(async move {
            match req.app_data::<web::Data<AppState>>() {
                Some(state) => Refusal::page(frame(state).bad_form()),
                None => Refusal::from(crate::web::ApiError::Unavailable("no app state")),
            }
        })
    }
}

type PlatformForm = CsrfForm<Fields, PlatformForms>;

/// A signed-in platform administrator: every handler that changes or shows tenants takes one.
/// Elsewhere than on the root host: 404; without a session: 401 with a way to sign in.
pub struct PlatformAdmin {
    platform: TenantId,
    session: Session,
}

impl FromRequest for PlatformAdmin {
    type Error = Refusal;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Refusal>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| Refusal::from(crate::web::ApiError::Unavailable("no app state")))?;
            if !on_root_host(&state, &req) {
                return Err(Refusal::page(nowhere(&state)));
            }
            let (browser, new_cookie) = scope(&state).browser(&req, BROWSER);
            let cookie = scope(&state).read(&req, SESSION);
            let app = state.clone();
            let found = state
                .db
                .run(move |conn| {
                    let platform = platform::internal_tenant(conn)?;
                    match current(conn, &app, &platform, cookie.as_deref())? {
                        Some(session) => Ok(Ok(PlatformAdmin { platform, session })),
                        None => Ok(Err(signed_out(conn, &app, &browser)?)),
                    }
                })
                .await
                .map_err(|e: DbError| Refusal::page(frame(&state).error(&e)))?;
            found.map_err(|page| Refusal::from(respond(page, new_cookie.into_iter().collect())))
        })
    }
}

fn nowhere(state: &AppState) -> Outcome {
    frame(state).message(StatusCode::NOT_FOUND, "Not found", "There is nothing here.")
}

fn current(
    conn: &mut AnyConnection,
    state: &AppState,
    platform: &TenantId,
    cookie: Option<&str>,
) -> Result<Option<Session>, DbError> {
    match cookie {
        Some(value) => sessions::current(conn, &state.settings.sessions, platform, value),
        None => Ok(None),
    }
}

fn render(
    state: &AppState,
    page: &ConsolePage,
    browser: &str,
    signed_in: bool,
    status: StatusCode,
) -> Outcome {
    let base = base(state);
    let nav = if signed_in {
        // The security pages' titles name two-step verification; everything else is tenants.
        let security = page.title.starts_with("Two-step");
        vec![
            NavItem {
                label: "Tenants",
                href: base.clone(),
                current: !security,
            },
            NavItem {
                label: "Two-step verification",
                href: format!("{base}/security"),
                current: security,
            },
        ]
    } else {
        Vec::new()
    };
    let html = Rendered {
        issuer: &base,
        tenant_name: "Tessera platform",
        nav,
        page,
        csrf_token: &sessions::csrf_token(browser),
        account_href: None,
    }
    .render();
    match frame(state).page(html) {
        Outcome::Page(_, html) => Outcome::Page(status, html),
        other => other,
    }
}

/// The fields of every platform form; each action reads what it needs.
#[derive(Debug, Default, Deserialize)]
pub struct Fields {
    token: Option<String>,
    email: Option<String>,
    password: Option<String>,
    code: Option<String>,
    slug: Option<String>,
    name: Option<String>,
    admin_email: Option<String>,
    confirm: Option<String>,
    /// An account id (re-sending an invitation).
    account: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct PlatformQuery {
    token: Option<String>,
}

/// Who a request is for: an administrator, or (sign-in, set-up, sign-out) anyone.
enum Gate {
    SignedIn(PlatformAdmin),
    Anonymous,
}

/// An outcome and the cookies to set with it.
type Answer = (Outcome, Vec<Cookie<'static>>);

fn page_only(outcome: Outcome) -> Result<Answer, DbError> {
    Ok((outcome, Vec::new()))
}

/// What a handler sees.
struct Call<'a> {
    conn: &'a mut AnyConnection,
    state: &'a AppState,
    platform: TenantId,
    session: Option<Session>,
    /// The session cookie as sent (a new sign-in ends the session it names).
    cookie: Option<String>,
    browser: String,
    ip: String,
}

impl Call<'_> {
    fn actor(&self) -> Actor {
        Actor {
            id: self
                .session
                .as_ref()
                .map(|s| s.account_id.to_string())
                .unwrap_or_default(),
            ip: self.ip.clone(),
        }
    }

    fn render(&self, page: &ConsolePage, status: StatusCode) -> Outcome {
        render(
            self.state,
            page,
            &self.browser,
            self.session.is_some(),
            status,
        )
    }
}

/// Runs a platform request on the blocking pool: for an administrator, or (sign-in, set-up,
/// sign-out) for anyone, with whatever session the browser has.
async fn serve<F>(state: web::Data<AppState>, req: HttpRequest, gate: Gate, work: F) -> HttpResponse
where
    F: FnOnce(&mut Call) -> Result<Answer, DbError> + Send + 'static,
{
    let frame = frame(&state);
    if !on_root_host(&state, &req) {
        return respond(nowhere(&state), vec![]);
    }
    let (browser, new_cookie) = scope(&state).browser(&req, BROWSER);
    let session_cookie = scope(&state).read(&req, SESSION);
    let ip = ClientIp::of(&req).0;
    let app = state.clone();
    let result = state
        .db
        .run(move |conn| {
            let (platform, session) = match gate {
                Gate::SignedIn(admin) => (admin.platform, Some(admin.session)),
                Gate::Anonymous => {
                    let platform = platform::internal_tenant(conn)?;
                    let session = current(conn, &app, &platform, session_cookie.as_deref())?;
                    (platform, session)
                }
            };
            let mut call = Call {
                conn,
                state: &app,
                platform,
                session,
                cookie: session_cookie,
                browser,
                ip,
            };
            work(&mut call)
        })
        .await;
    let (outcome, mut cookies) = result.unwrap_or_else(|e| (frame.error(&e), Vec::new()));
    cookies.extend(new_cookie);
    respond(outcome, cookies)
}

/// 401: a way to sign in (or, before the first administrator exists, how to create one).
fn signed_out(
    conn: &mut AnyConnection,
    state: &AppState,
    browser: &str,
) -> Result<Outcome, DbError> {
    let mut page = ConsolePage::new("Platform administration");
    if platform::has_admin(conn)? {
        page.push(Block::Text("Sign in as a platform administrator.".into()));
        page.push(Block::Link(link(
            "Sign in",
            format!("{}/login", base(state)),
        )));
    } else {
        page.push(Block::Text(
            "There is no platform administrator yet. Open the one-time setup link the server printed when it started (valid for an hour), or run `tessera admin create --email you@example.com --password-stdin`.".into(),
        ));
    }
    Ok(render(
        state,
        &page,
        browser,
        false,
        StatusCode::UNAUTHORIZED,
    ))
}

/// A form submission (its CSRF token checked by `CsrfForm`): `serve` with the form.
async fn act<F>(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: PlatformForm,
    gate: Gate,
    work: F,
) -> HttpResponse
where
    F: FnOnce(&mut Call, Fields) -> Result<Answer, DbError> + Send + 'static,
{
    let form = form.into_inner();
    serve(state, req, gate, move |call| work(call, form)).await
}

// ----- sign-in, setup, sign-out -----------------------------------------------------------

fn not_found(call: &Call) -> Outcome {
    let mut page = ConsolePage::new("Not found");
    page.push(Block::Text("There is no such tenant.".into()));
    call.render(&page, StatusCode::NOT_FOUND)
}

#[derive(Debug, Default, Deserialize)]
struct Done {
    done: Option<String>,
}

fn done_code(req: &HttpRequest) -> Option<String> {
    web::Query::<Done>::from_query(req.query_string())
        .map(|q| q.into_inner().done)
        .unwrap_or_default()
}

/// `GET /platform/assets/tessera.css` and the (empty) brand sheet: the console's own styles.
pub async fn brand_stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "public, max-age=60"))
        .body("")
}
