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
use crate::web::cookies::{self, CookieScope};
use crate::web::extract::ClientIp;
use crate::web::extract::{CsrfForm, FormSurface, Refusal};
use crate::web::pages::{respond, Outcome, PageFrame};
use crate::web::AppState;

const SESSION: &str = "tessera_platform";
const BROWSER: &str = "tessera_platform_browser";
const PATH: &str = "/platform";

fn base(state: &AppState) -> String {
    format!("{}{PATH}", state.settings.public_base())
}

fn frame(state: &AppState) -> PageFrame {
    PageFrame {
        issuer: base(state),
        tenant_name: "Tessera platform".into(),
    }
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
            let cookie = cookies::read(&req, SESSION);
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
    let session_cookie = cookies::read(&req, SESSION);
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

fn login_page(call: &Call, error: Option<&str>, status: StatusCode) -> Outcome {
    let mut page = ConsolePage::new("Sign in");
    page.error = error.map(str::to_owned);
    page.push(Block::Form(FormView::post(
        "login",
        format!("{}/login", base(call.state)),
        "Sign in",
        vec![
            Field::input("email", "Email", "email", "").required(),
            Field::input("password", "Password", "password", "").required(),
            Field::input("code", "Authentication code", "text", "").hint(
                "From your authenticator app, or a recovery code, if two-step verification is on.",
            ),
        ],
    )));
    render(call.state, &page, &call.browser, false, status)
}

/// Runs a sign-in step of `identity::signin` for this browser in one write transaction.
fn signin_step<T>(
    call: &mut Call,
    step: impl FnMut(&mut AnyConnection, &signin::Attempt) -> Result<T, DbError>,
) -> Result<T, DbError> {
    let mut step = step;
    let hash = sessions::browser_hash(&call.browser);
    let attempt = signin::Attempt {
        tenant: &call.platform,
        security: &call.state.settings.security,
        sessions: &call.state.settings.sessions,
        ip: &call.ip,
        browser_hash: &hash,
        previous_session: call.cookie.as_deref(),
    };
    tx::write(call.conn, |conn| step(conn, &attempt))
}

/// The new session's cookie and the console.
fn signed_in(call: &Call, signed_in: signin::SignedIn) -> Result<Answer, DbError> {
    let max_age = call.state.settings.sessions.absolute_lifetime_secs;
    let cookie = scope(call.state).set(SESSION, signed_in.cookie, max_age);
    Ok((Outcome::Redirect(base(call.state)), vec![cookie]))
}

pub async fn login_form(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    serve(state, req, Gate::Anonymous, |call| {
        page_only(login_page(call, None, StatusCode::OK))
    })
    .await
}

/// Email, password and (once set up) the second factor's code, in one form: every part is
/// checked by `identity::signin`, and any failure gets the same answer.
pub async fn login_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: PlatformForm,
) -> HttpResponse {
    let form = form.into_inner();
    let ip = ClientIp::of(&req).0;
    let checked = match check_password(&state, &ip, &form).await {
        Ok(checked) => checked,
        Err(outcome) => return respond(outcome, vec![]),
    };
    serve(state, req, Gate::Anonymous, move |call| {
        let factor = signin::Factor::Inline(form.code.as_deref());
        let keys = call.state.keys.clone();
        let step = signin_step(call, |conn, attempt| {
            signin::password(conn, attempt, &checked, factor, false, keys.master())
        })?;
        match step {
            signin::Step::SignedIn(session) => signed_in(call, session),
            _ => page_only(login_page(
                call,
                Some("The email, password or code is incorrect, or this account cannot sign in."),
                StatusCode::UNAUTHORIZED,
            )),
        }
    })
    .await
}

/// The per-address limit and the account, then the password in its turn with no database
/// connection held.
async fn check_password(
    state: &AppState,
    ip: &str,
    form: &Fields,
) -> Result<signin::Checked, Outcome> {
    let key = format!("platform-login:{ip}");
    let limit = state.settings.security.login_attempts_per_minute;
    let (email, limited) = (form.email.clone().unwrap_or_default(), frame(state));
    let found = state
        .db
        .run(move |conn| {
            if let Some(retry_after) = crate::rate_limit::hit(conn, &key, limit)? {
                return Ok(Err(Outcome::RateLimited(limited, retry_after)));
            }
            let platform = platform::internal_tenant(conn)?;
            Ok::<_, DbError>(Ok(signin::find(conn, &platform, &email)?))
        })
        .await
        .map_err(|e| frame(state).error(&e))??;
    let password = form.password.clone().unwrap_or_default();
    let check = move |hasher: &_| signin::check(hasher, found, &password);
    state.password_hasher.run(check).await.map_err(|e| {
        tracing::error!(error = %e, "password check failed");
        frame(state).failure()
    })
}

pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: PlatformForm,
) -> HttpResponse {
    act(state, req, form, Gate::Anonymous, move |call, _form| {
        if let Some(session) = call.session.take() {
            sessions::end(call.conn, &call.platform, &session.id)?;
        }
        let removal = scope(call.state).clear(SESSION);
        Ok((
            Outcome::Redirect(format!("{}/login", base(call.state))),
            vec![removal],
        ))
    })
    .await
}

fn setup_page(call: &Call, token: &str, error: Option<String>, status: StatusCode) -> Outcome {
    let mut page = ConsolePage::new("Create the first platform administrator");
    page.error = error;
    page.push(Block::Form(
        FormView::post(
            "setup",
            format!("{}/setup", base(call.state)),
            "Create administrator",
            vec![
                Field::input("email", "Email", "email", "").required(),
                Field::input("password", "Password", "password", "")
                    .required()
                    .hint("At least 12 characters."),
            ],
        )
        .hidden("token", token),
    ));
    call.render(&page, status)
}

fn setup_expired(call: &Call) -> Outcome {
    let mut page = ConsolePage::new("This setup link no longer works");
    page.push(Block::Text(
        "It was used, it expired (links last an hour), or an administrator exists already. Start the server again for a new link, or use `tessera admin create`.".into(),
    ));
    call.render(&page, StatusCode::GONE)
}

/// `GET /platform/setup?token=…`: the one-time link printed at start.
pub async fn setup_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<PlatformQuery>,
) -> HttpResponse {
    let token = query.into_inner().token.unwrap_or_default();
    serve(state, req, Gate::Anonymous, move |call| {
        if platform::setup_token_is_live(call.conn, &token)? {
            page_only(setup_page(call, &token, None, StatusCode::OK))
        } else {
            page_only(setup_expired(call))
        }
    })
    .await
}

pub async fn setup_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: PlatformForm,
) -> HttpResponse {
    act(state, req, form, Gate::Anonymous, move |call, form| {
        let token = form.token.clone().unwrap_or_default();
        let created = platform::complete_setup(
            call.conn,
            &call.state.password_hasher,
            &token,
            form.email.as_deref().unwrap_or_default(),
            form.password.as_deref().unwrap_or_default(),
            &call.ip,
        );
        match created {
            Ok(account) => {
                let session = signin_step(call, |conn, attempt| {
                    signin::start_session(conn, attempt, account.clone(), &["pwd"], "setup")
                })?;
                signed_in(call, session)
            }
            Err(PlatformError::SetupLinkInvalid) => page_only(setup_expired(call)),
            Err(PlatformError::Db(e)) => Err(e),
            Err(e) => page_only(setup_page(
                call,
                &token,
                Some(e.to_string()),
                StatusCode::BAD_REQUEST,
            )),
        }
    })
    .await
}

// ----- tenants ----------------------------------------------------------------------------

fn notice(code: Option<&str>) -> Option<String> {
    Some(
        match code? {
            "created" => "The tenant was created.",
            "invited" => "The tenant was created and its administrator was mailed a link to choose a password.",
            "suspended" => "The tenant was suspended: its pages and endpoints answer 403.",
            "resumed" => "The tenant is active again.",
            "deleted" => "The tenant and everything it held were deleted.",
            _ => return None,
        }
        .to_owned(),
    )
}

fn tenants_page(call: &mut Call, error: Option<String>) -> Result<ConsolePage, DbError> {
    let base = base(call.state);
    let list = platform::tenant_summaries(call.conn)?;
    let mut page = ConsolePage::new("Tenants");
    page.error = error;
    page.push(Block::Table(TableView {
        headers: vec!["Slug", "Name", "Status", "Accounts", "Clients", "Created"],
        rows: list
            .iter()
            .map(|t| {
                vec![
                    Cell::Link(link(&t.slug, format!("{base}/tenants/{}", t.slug))),
                    Cell::Text(t.name.clone()),
                    Cell::Text(t.status.clone()),
                    Cell::Text(t.accounts.to_string()),
                    Cell::Text(t.clients.to_string()),
                    Cell::Text(t.created_at.clone()),
                ]
            })
            .collect(),
        empty: "No tenants yet.",
    }));
    page.push(Block::Form(
        FormView::post(
            "new-tenant",
            format!("{base}/tenants"),
            "Create tenant",
            vec![
                Field::text("slug", "Slug", "")
                    .required()
                    .hint("Lowercase letters, digits and hyphens; part of the issuer URL."),
                Field::text("name", "Display name", "").required(),
                Field::input("admin_email", "First administrator's email", "email", "")
                    .hint("Optional: they get tenant:admin and a link to choose a password."),
            ],
        )
        .titled("New tenant"),
    ));
    page.push(Block::Form(
        FormView::post("logout", format!("{base}/logout"), "Sign out", Vec::new())
            .titled("Session"),
    ));
    Ok(page)
}

pub async fn tenants(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    req: HttpRequest,
) -> HttpResponse {
    let done = done_code(&req);
    serve(state, req, Gate::SignedIn(admin), move |call| {
        let mut page = tenants_page(call, None)?;
        page.notice = notice(done.as_deref());
        page_only(call.render(&page, StatusCode::OK))
    })
    .await
}

fn tenant_error(e: PlatformError) -> Result<String, DbError> {
    match e {
        PlatformError::Db(e) | PlatformError::Tenant(TenantError::Db(e)) => Err(e),
        PlatformError::Account(crate::identity::AccountError::Db(e)) => Err(e),
        other => Ok(other.to_string()),
    }
}

pub async fn create_tenant(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    req: HttpRequest,
    form: PlatformForm,
) -> HttpResponse {
    act(
        state,
        req,
        form,
        Gate::SignedIn(admin),
        move |call, form| {
            let actor = call.actor();
            let created = platform::create_tenant(
                call.conn,
                call.state.keys.master(),
                &call.state.password_hasher,
                &actor,
                form.slug.as_deref().unwrap_or_default().trim(),
                form.name.as_deref().unwrap_or_default(),
                form.admin_email.as_deref(),
            );
            match created {
                Ok((tenant, invitation)) => {
                    let code = match invitation {
                        Some(invitation) => {
                            let issuer = call.state.issuer(&tenant);
                            crate::web::pages::mail_reset_link(
                                call.state,
                                &issuer,
                                &tenant.name,
                                invitation.to.as_str(),
                                &invitation.token,
                            );
                            "invited"
                        }
                        None => "created",
                    };
                    page_only(Outcome::Redirect(format!(
                        "{}?done={code}",
                        base(call.state)
                    )))
                }
                Err(e) => {
                    let message = tenant_error(e)?;
                    let page = tenants_page(call, Some(message))?;
                    page_only(call.render(&page, StatusCode::BAD_REQUEST))
                }
            }
        },
    )
    .await
}

fn tenant_page(
    call: &mut Call,
    slug: &str,
    error: Option<String>,
) -> Result<Option<ConsolePage>, DbError> {
    let Some(tenant) = crate::tenancy::tenants::resolve(call.conn, slug)? else {
        return Ok(None);
    };
    let Some(summary) = platform::tenant_summaries(call.conn)?
        .into_iter()
        .find(|t| t.slug == slug)
    else {
        return Ok(None);
    };
    let base = base(call.state);
    let mut page = ConsolePage::new(format!("Tenant {}", summary.slug));
    page.error = error;
    page.push(Block::Facts(vec![
        ("Name".into(), summary.name.clone()),
        ("Issuer".into(), call.state.issuer(&tenant)),
        (
            "Console".into(),
            format!("{}/admin", call.state.issuer(&tenant)),
        ),
        ("Status".into(), summary.status.clone()),
        ("Accounts".into(), summary.accounts.to_string()),
        ("Clients".into(), summary.clients.to_string()),
        ("Created".into(), summary.created_at.clone()),
    ]));
    let action = |verb: &str| format!("{base}/tenants/{slug}/{verb}");
    let status_button = if summary.status == "active" {
        danger_button(action("suspend"), "Suspend tenant", vec![])
    } else {
        super::console::page::button(action("resume"), "Resume tenant", vec![])
    };
    page.push(Block::Table(TableView {
        headers: vec!["Action"],
        rows: vec![vec![status_button]],
        empty: "",
    }));
    page.push(Block::Form(
        FormView::post(
            "delete-tenant",
            action("delete"),
            "Delete tenant and all its data",
            vec![Field::text("confirm", "Type the slug to confirm", "").required()],
        )
        .titled("Delete")
        .danger(),
    ));
    Ok(Some(page))
}

fn not_found(call: &Call) -> Outcome {
    let mut page = ConsolePage::new("Not found");
    page.push(Block::Text("There is no such tenant.".into()));
    call.render(&page, StatusCode::NOT_FOUND)
}

pub async fn tenant(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    req: HttpRequest,
) -> HttpResponse {
    let slug = req.match_info().get("slug").unwrap_or_default().to_owned();
    serve(
        state,
        req,
        Gate::SignedIn(admin),
        move |call| match tenant_page(call, &slug, None)? {
            Some(page) => page_only(call.render(&page, StatusCode::OK)),
            None => page_only(not_found(call)),
        },
    )
    .await
}

pub async fn tenant_action(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    req: HttpRequest,
    form: PlatformForm,
) -> HttpResponse {
    let slug = req.match_info().get("slug").unwrap_or_default().to_owned();
    let verb = req
        .match_info()
        .get("action")
        .unwrap_or_default()
        .to_owned();
    act(
        state,
        req,
        form,
        Gate::SignedIn(admin),
        move |call, form| {
            let actor = call.actor();
            let result = match verb.as_str() {
                "suspend" => {
                    platform::set_status(call.conn, &actor, &slug, TenantStatus::Suspended)
                        .map(|_| "suspended")
                }
                "resume" => platform::set_status(call.conn, &actor, &slug, TenantStatus::Active)
                    .map(|_| "resumed"),
                "delete" => platform::delete_tenant(
                    call.conn,
                    &actor,
                    &slug,
                    form.confirm.as_deref().unwrap_or_default(),
                )
                .map(|_| "deleted"),
                _ => return page_only(not_found(call)),
            };
            match result {
                Ok(code) => {
                    // This node forgets the tenant at once; others within the cache TTL.
                    super::forget_tenant(call.state, &slug);
                    let base = base(call.state);
                    let back = if code == "deleted" {
                        base.clone()
                    } else {
                        format!("{base}/tenants/{slug}")
                    };
                    page_only(Outcome::Redirect(format!("{back}?done={code}")))
                }
                Err(PlatformError::Tenant(TenantError::NotFound(_))) => page_only(not_found(call)),
                Err(e) => {
                    let message = tenant_error(e)?;
                    match tenant_page(call, &slug, Some(message))? {
                        Some(page) => page_only(call.render(&page, StatusCode::BAD_REQUEST)),
                        None => page_only(not_found(call)),
                    }
                }
            }
        },
    )
    .await
}

// ----- the administrator's own second factor ------------------------------------------

fn signed_in_account(call: &Call) -> crate::domain::AccountId {
    call.session
        .as_ref()
        .map(|s| s.account_id.clone())
        .unwrap_or_else(|| crate::domain::AccountId::from_stored(String::new()))
}

fn security_page(call: &mut Call, error: Option<String>) -> Result<ConsolePage, DbError> {
    let account = signed_in_account(call);
    let enrolled = mfa::is_enrolled(call.conn, &call.platform, &account)?;
    let base = base(call.state);
    let mut page = ConsolePage::new("Two-step verification");
    page.error = error;
    if enrolled {
        page.push(Block::Text(
            "On: signing in asks for a code from your authenticator app (or a recovery code)."
                .into(),
        ));
        page.push(Block::Form(
            FormView::post(
                "mfa-off",
                format!("{base}/mfa/disable"),
                "Turn off",
                vec![Field::input("password", "Current password", "password", "").required()],
            )
            .titled("Turn off")
            .danger(),
        ));
    } else {
        page.push(Block::Text(
            "Off. Platform administrators can create and delete tenants: protect this account with a second factor.".into(),
        ));
        page.push(Block::Form(FormView::post(
            "mfa-start",
            format!("{base}/mfa/start"),
            "Set up",
            Vec::new(),
        )));
    }
    Ok(page)
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

/// `GET /platform/security`
pub async fn security(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    req: HttpRequest,
) -> HttpResponse {
    let done = done_code(&req);
    serve(state, req, Gate::SignedIn(admin), move |call| {
        let mut page = security_page(call, None)?;
        page.notice = match done.as_deref() {
            Some("mfa_on") => Some("Two-step verification is on.".into()),
            Some("mfa_off") => Some("Two-step verification is off.".into()),
            _ => None,
        };
        page_only(call.render(&page, StatusCode::OK))
    })
    .await
}

/// `POST /platform/mfa/{start|confirm|disable}`
pub async fn mfa_action(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    req: HttpRequest,
    form: PlatformForm,
) -> HttpResponse {
    let action = req
        .match_info()
        .get("action")
        .unwrap_or_default()
        .to_owned();
    act(
        state,
        req,
        form,
        Gate::SignedIn(admin),
        move |call, form| {
            let result = match action.as_str() {
                "start" => mfa_start(call),
                "confirm" => mfa_confirm(call, form.code.as_deref().unwrap_or_default()),
                "disable" => mfa_disable(call, form.password.as_deref().unwrap_or_default()),
                _ => return page_only(not_found(call)),
            };
            match result {
                Ok(answer) => Ok(answer),
                Err(mfa::MfaError::Db(e)) => Err(e),
                Err(e) => {
                    let message = match e {
                        mfa::MfaError::InvalidCode => {
                            "That code did not match. Set up again and use the newest code."
                                .to_owned()
                        }
                        other => other.to_string(),
                    };
                    let page = security_page(call, Some(message))?;
                    page_only(call.render(&page, StatusCode::BAD_REQUEST))
                }
            }
        },
    )
    .await
}

/// A new seed: the QR code, the key, and the form for the first code.
fn mfa_start(call: &mut Call) -> Result<Answer, mfa::MfaError> {
    let account = signed_in_account(call);
    let email = crate::identity::find_account(call.conn, &call.platform, &account)
        .map(|a| a.email.to_string())
        .unwrap_or_default();
    let enrollment = mfa::start_enrollment(
        call.conn,
        call.state.keys.master(),
        &call.platform,
        &account,
        "Tessera platform",
        &email,
    )?;
    let mut page = ConsolePage::new("Two-step verification: set up");
    page.push(Block::Text(
        "Scan the code with an authenticator app, or enter the key by hand, then type the 6-digit code it shows.".into(),
    ));
    if let Some(svg) = mfa::qr_svg(&enrollment.otpauth_url) {
        page.push(Block::Qr(svg));
    }
    page.push(Block::Facts(vec![("Key".into(), enrollment.secret_base32)]));
    page.push(Block::Form(FormView::post(
        "mfa-confirm",
        format!("{}/mfa/confirm", base(call.state)),
        "Turn on",
        vec![Field::input("code", "Code", "text", "").required()],
    )));
    Ok(page_only(call.render(&page, StatusCode::OK))?)
}

/// The first code turns it on; the recovery codes are shown this once.
fn mfa_confirm(call: &mut Call, code: &str) -> Result<Answer, mfa::MfaError> {
    let account = signed_in_account(call);
    let (master, platform, actor) = (
        call.state.keys.master(),
        call.platform.clone(),
        call.actor(),
    );
    // The factor and its audit entry land together.
    let codes = mfa::confirm_enrollment(call.conn, master, &platform, &account, code, &actor)?;
    let mut page = ConsolePage::new("Two-step verification is on");
    page.push(Block::Text(
        "Keep these recovery codes somewhere safe. Each works once, if you lose your authenticator. They are shown only now.".into(),
    ));
    page.push(Block::Table(TableView {
        headers: vec!["Recovery codes"],
        rows: codes.into_iter().map(|c| vec![Cell::Code(c)]).collect(),
        empty: "",
    }));
    page.push(Block::Link(link(
        "Done",
        format!("{}/security", base(call.state)),
    )));
    Ok(page_only(call.render(&page, StatusCode::OK))?)
}

/// Turning it off needs the current password, counted toward the lockout when wrong.
fn mfa_disable(call: &mut Call, password: &str) -> Result<Answer, mfa::MfaError> {
    let account = signed_in_account(call);
    let (platform, actor) = (call.platform.clone(), call.actor());
    let hash = sessions::browser_hash(&call.browser);
    let state = call.state;
    let attempt = signin::Attempt {
        tenant: &platform,
        security: &state.settings.security,
        sessions: &state.settings.sessions,
        ip: &actor.ip,
        browser_hash: &hash,
        previous_session: None,
    };
    let hasher = &state.password_hasher;
    match signin::reauthenticate_password(call.conn, hasher, &attempt, &account, password)? {
        signin::Reauth::Confirmed => {}
        signin::Reauth::Refused | signin::Reauth::RateLimited(_) => {
            return Err(mfa::MfaError::WrongPassword)
        }
    }
    mfa::disable(call.conn, &platform, &account, &actor)?;
    Ok(page_only(Outcome::Redirect(format!(
        "{}/security?done=mfa_off",
        base(call.state)
    )))?)
}

/// `GET /platform/assets/tessera.css` and the (empty) brand sheet: the console's own styles.
pub async fn brand_stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "public, max-age=60"))
        .body("")
}
