//! The tenant console at `{issuer}/admin`: plain HTML forms (no JavaScript), signed in through
//! the tenant's own hosted login. Every request authenticates the session and reads the
//! profile's permissions afresh; the operations (and their permission checks and audit
//! entries) are the same `crate::admin` functions the REST API calls.
//!
//! Pages are described as blocks (facts, tables, forms) and rendered by one template, so every
//! page looks and behaves alike. Sensitive values (user emails, addresses, event details) are
//! masked unless the admin asks to show them (`reveal=1`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::caller_ip;
use crate::admin::{
    self, accounts::mask_email, AdminError, Page, PageRequest, Permission, Principal,
};
use crate::clients::{ConsentPolicy, GrantType};
use crate::db::audit::AuditFilter;
use crate::db::{AnyConnection, DbError};
use crate::domain::rfc3339;
use crate::keys::KeyAlg;
use crate::oidc::context::OidcContext;
use crate::sessions::{self, Session};
use crate::tenancy::tenants::{BrandingChanges, PolicyChanges};
use crate::tenancy::CurrentTenant;
use crate::web::oauth::context;
use crate::web::pages::{
    browser, browser_value, csrf_ok, respond, session_value, Outcome, PageFrame,
};
use crate::web::AppState;

// ----- page model -------------------------------------------------------------------------

pub struct ConsolePage {
    pub(super) title: String,
    pub(super) notice: Option<String>,
    pub(super) error: Option<String>,
    pub(super) blocks: Vec<Block>,
}

pub enum Block {
    Heading(String),
    Text(String),
    Link(LinkView),
    Secret(SecretView),
    Facts(Vec<(String, String)>),
    Table(TableView),
    Form(FormView),
}

pub struct LinkView {
    pub(super) text: String,
    pub(super) href: String,
}

pub struct SecretView {
    pub(super) label: String,
    pub(super) value: String,
}

pub struct TableView {
    pub(super) headers: Vec<&'static str>,
    pub(super) rows: Vec<Vec<Cell>>,
    pub(super) empty: &'static str,
}

pub enum Cell {
    Text(String),
    Code(String),
    Link(LinkView),
    Button(ButtonForm),
}

/// A one-button form inside a table cell.
pub struct ButtonForm {
    pub(super) action: String,
    pub(super) submit: &'static str,
    pub(super) danger: bool,
    pub(super) hidden: Vec<(&'static str, String)>,
}

pub struct FormView {
    pub(super) id: &'static str,
    pub(super) title: Option<&'static str>,
    pub(super) method: &'static str,
    pub(super) action: String,
    pub(super) hidden: Vec<(&'static str, String)>,
    pub(super) fields: Vec<Field>,
    pub(super) submit: &'static str,
    pub(super) danger: bool,
}

pub struct Field {
    pub(super) name: &'static str,
    pub(super) label: &'static str,
    pub(super) kind: FieldKind,
    pub(super) value: String,
    pub(super) hint: Option<&'static str>,
    pub(super) required: bool,
}

pub enum FieldKind {
    Input(&'static str),
    TextArea,
    Select(Vec<(String, String)>),
    Checkbox(bool),
}

impl Field {
    pub(super) fn input(
        name: &'static str,
        label: &'static str,
        kind: &'static str,
        value: impl Into<String>,
    ) -> Field {
        Field {
            name,
            label,
            kind: FieldKind::Input(kind),
            value: value.into(),
            hint: None,
            required: false,
        }
    }

    pub(super) fn text(name: &'static str, label: &'static str, value: impl Into<String>) -> Field {
        Field::input(name, label, "text", value)
    }

    pub(super) fn area(name: &'static str, label: &'static str, value: impl Into<String>) -> Field {
        Field {
            kind: FieldKind::TextArea,
            ..Field::text(name, label, value)
        }
    }

    pub(super) fn select(
        name: &'static str,
        label: &'static str,
        options: &[(&str, &str)],
        value: &str,
    ) -> Field {
        Field {
            kind: FieldKind::Select(
                options
                    .iter()
                    .map(|(v, l)| ((*v).to_owned(), (*l).to_owned()))
                    .collect(),
            ),
            ..Field::text(name, label, value)
        }
    }

    pub(super) fn checkbox(name: &'static str, label: &'static str, checked: bool) -> Field {
        Field {
            kind: FieldKind::Checkbox(checked),
            ..Field::text(name, label, "")
        }
    }

    pub(super) fn hint(mut self, hint: &'static str) -> Field {
        self.hint = Some(hint);
        self
    }

    pub(super) fn required(mut self) -> Field {
        self.required = true;
        self
    }
}

impl FormView {
    pub(super) fn post(
        id: &'static str,
        action: String,
        submit: &'static str,
        fields: Vec<Field>,
    ) -> FormView {
        FormView {
            id,
            title: None,
            method: "post",
            action,
            hidden: Vec::new(),
            fields,
            submit,
            danger: false,
        }
    }

    pub(super) fn titled(mut self, title: &'static str) -> FormView {
        self.title = Some(title);
        self
    }

    pub(super) fn danger(mut self) -> FormView {
        self.danger = true;
        self
    }

    pub(super) fn hidden(mut self, name: &'static str, value: impl Into<String>) -> FormView {
        self.hidden.push((name, value.into()));
        self
    }
}

pub(super) fn button(
    action: String,
    submit: &'static str,
    hidden: Vec<(&'static str, String)>,
) -> Cell {
    Cell::Button(ButtonForm {
        action,
        submit,
        danger: false,
        hidden,
    })
}

pub(super) fn danger_button(
    action: String,
    submit: &'static str,
    hidden: Vec<(&'static str, String)>,
) -> Cell {
    Cell::Button(ButtonForm {
        action,
        submit,
        danger: true,
        hidden,
    })
}

pub(super) fn link(text: impl Into<String>, href: impl Into<String>) -> LinkView {
    LinkView {
        text: text.into(),
        href: href.into(),
    }
}

impl ConsolePage {
    pub(super) fn new(title: impl Into<String>) -> ConsolePage {
        ConsolePage {
            title: title.into(),
            notice: None,
            error: None,
            blocks: Vec::new(),
        }
    }

    pub(super) fn push(&mut self, block: Block) -> &mut ConsolePage {
        self.blocks.push(block);
        self
    }
}

pub struct NavItem {
    pub(super) label: &'static str,
    pub(super) href: String,
    pub(super) current: bool,
}

#[derive(Template)]
#[template(path = "admin/page.html")]
pub(super) struct Rendered<'a> {
    pub(super) issuer: &'a str,
    pub(super) tenant_name: &'a str,
    pub(super) nav: Vec<NavItem>,
    pub(super) page: &'a ConsolePage,
    pub(super) csrf_token: &'a str,
    /// The signed-in user's own account page, if there is one (not on the platform console).
    pub(super) account_href: Option<String>,
}

/// Console sections, each shown to those holding its permission.
const SECTIONS: [(&str, &str, Permission); 6] = [
    ("Clients", "clients", Permission::ClientsRead),
    ("Accounts", "accounts", Permission::AccountsRead),
    ("Roles", "roles", Permission::RolesWrite),
    ("Settings", "settings", Permission::SettingsWrite),
    ("Signing keys", "keys", Permission::KeysWrite),
    ("Audit log", "audit", Permission::AuditRead),
];

pub(super) fn nav(issuer: &str, who: &Principal, current: &str) -> Vec<NavItem> {
    let mut items = vec![NavItem {
        label: "Overview",
        href: format!("{issuer}/admin"),
        current: current.is_empty(),
    }];
    items.extend(
        SECTIONS
            .iter()
            .filter(|(_, _, permission)| who.may(*permission))
            .map(|(label, path, _)| NavItem {
                label,
                href: format!("{issuer}/admin/{path}"),
                current: *path == current,
            }),
    );
    items
}

// ----- authentication ---------------------------------------------------------------------

/// Why a console request cannot go on.
enum Denied {
    /// No live session: 401 with a way to sign in.
    NoSession,
    /// Signed in, but no profile chosen yet.
    NoProfile,
    Admin(AdminError),
}

impl From<DbError> for Denied {
    fn from(e: DbError) -> Self {
        Denied::Admin(e.into())
    }
}

impl From<AdminError> for Denied {
    fn from(e: AdminError) -> Self {
        Denied::Admin(e)
    }
}

fn signed_in(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    cookie: Option<&str>,
) -> Result<Session, Denied> {
    let Some(cookie) = cookie else {
        return Err(Denied::NoSession);
    };
    sessions::current(conn, &ctx.settings.sessions, &ctx.tenant.id, cookie)?
        .ok_or(Denied::NoSession)
}

/// The signed-in profile as a principal. Anyone without any admin permission is refused
/// here, before any page is built.
fn principal(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    cookie: Option<&str>,
    ip: &str,
) -> Result<(Principal, Session), Denied> {
    let session = signed_in(conn, ctx, cookie)?;
    let Some(profile) = session.profile_id.clone() else {
        return Err(Denied::NoProfile);
    };
    let who = Principal::profile(conn, &ctx.tenant.id, &profile, ip)?;
    if !who.is_admin() {
        return Err(Denied::Admin(AdminError::Forbidden(
            Permission::TenantAdmin,
        )));
    }
    Ok((who, session))
}

// ----- request plumbing -------------------------------------------------------------------

/// Everything a page builder or action sees.
struct Call<'a> {
    conn: &'a mut AnyConnection,
    ctx: &'a OidcContext,
    state: &'a AppState,
    who: Principal,
    path: actix_web::dev::Path<actix_web::dev::Url>,
    query: String,
}

impl Call<'_> {
    fn param(&self, name: &str) -> String {
        self.path.get(name).unwrap_or_default().to_owned()
    }

    fn url(&self, rest: &str) -> String {
        format!("{}/admin{rest}", self.ctx.issuer)
    }

    fn query<T: for<'de> Deserialize<'de> + Default>(&self) -> T {
        web::Query::<T>::from_query(&self.query)
            .map(web::Query::into_inner)
            .unwrap_or_default()
    }
}

/// What a console handler decided.
enum Answer {
    Page(StatusCode, &'static str, ConsolePage),
    Redirect(String),
}

fn denied_outcome(frame: &PageFrame, denied: Denied) -> Outcome {
    match denied {
        Denied::NoSession => Outcome::Page(StatusCode::UNAUTHORIZED, sign_in_page(frame)),
        Denied::NoProfile => Outcome::Redirect(format!("{}/admin/profile", frame.issuer)),
        Denied::Admin(AdminError::Forbidden(permission)) => frame.message(
            StatusCode::FORBIDDEN,
            "Not allowed",
            &format!(
                "Your profile does not hold the {} permission (or tenant:admin) this page needs.",
                permission.as_str()
            ),
        ),
        Denied::Admin(AdminError::NotFound) => frame.message(
            StatusCode::NOT_FOUND,
            "Not found",
            "There is no such object in this organisation.",
        ),
        Denied::Admin(AdminError::Unauthorized(_)) => {
            Outcome::Page(StatusCode::UNAUTHORIZED, sign_in_page(frame))
        }
        Denied::Admin(e) => {
            tracing::error!(error = %e, "console request failed");
            frame.failure()
        }
    }
}

fn sign_in_page(frame: &PageFrame) -> String {
    let page = {
        let mut page = ConsolePage::new("Sign in to the admin console");
        page.push(Block::Text(
            "The console needs a signed-in profile with administration permissions.".into(),
        ));
        page.push(Block::Link(link(
            "Sign in",
            format!("{}/login?next=admin", frame.issuer),
        )));
        page
    };
    Rendered {
        issuer: &frame.issuer,
        tenant_name: &frame.tenant_name,
        nav: Vec::new(),
        page: &page,
        csrf_token: "",
        account_href: Some(format!("{}/account", frame.issuer)),
    }
    .render()
    .unwrap_or_default()
}

/// Runs a console request: session → principal → `work`, then renders.
async fn serve<F>(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    work: F,
) -> HttpResponse
where
    F: FnOnce(&mut Call) -> Result<Answer, AdminError> + Send + 'static,
{
    let frame = PageFrame::new(&state, &tenant);
    let (browser, new_cookie) = browser(&state, &tenant, &req);
    let cookies: Vec<_> = new_cookie.into_iter().collect();
    let cookie = session_value(&req);
    let ip = caller_ip(&state, &req);
    let path = req.match_info().clone();
    let query = req.query_string().to_owned();
    let Ok(ctx) = context(&state, tenant).await else {
        return respond(frame.failure(), cookies);
    };
    let (app, page_frame) = (state.clone(), frame.clone());
    let outcome = state
        .db
        .run(move |conn| {
            let (who, _session) = match principal(conn, &ctx, cookie.as_deref(), &ip) {
                Ok(found) => found,
                Err(denied) => return Ok(denied_outcome(&page_frame, denied)),
            };
            let mut call = Call {
                conn,
                ctx: &ctx,
                state: &app,
                who,
                path,
                query,
            };
            let answer = match work(&mut call) {
                Ok(answer) => answer,
                Err(e) => return Ok(denied_outcome(&page_frame, Denied::Admin(e))),
            };
            Ok::<_, DbError>(match answer {
                Answer::Redirect(location) => Outcome::Redirect(location),
                Answer::Page(status, section, page) => {
                    let html = Rendered {
                        issuer: &ctx.issuer,
                        tenant_name: &ctx.tenant.name,
                        nav: nav(&ctx.issuer, &call.who, section),
                        page: &page,
                        csrf_token: &sessions::csrf_token(&browser),
                        account_href: Some(format!("{}/account", ctx.issuer)),
                    }
                    .render();
                    match page_frame.page(html) {
                        Outcome::Page(_, html) => Outcome::Page(status, html),
                        other => other,
                    }
                }
            })
        })
        .await
        .unwrap_or_else(|_| frame.failure());
    respond(outcome, cookies)
}

/// Form fields of every console form; each action reads what it needs.
#[derive(Debug, Default, Deserialize)]
pub struct ConsoleForm {
    csrf_token: Option<String>,
    // Clients
    name: Option<String>,
    client_type: Option<String>,
    redirect_uris: Option<String>,
    post_logout_redirect_uris: Option<String>,
    consent: Option<String>,
    grant_client_credentials: Option<String>,
    grant_refresh_token: Option<String>,
    grant_authorization_code: Option<String>,
    // Roles
    role: Option<String>,
    permission: Option<String>,
    holder: Option<String>,
    holder_id: Option<String>,
    // Settings
    password_min_length: Option<String>,
    mfa: Option<String>,
    self_signup: Option<String>,
    email_verification: Option<String>,
    session_idle_secs: Option<String>,
    session_absolute_secs: Option<String>,
    access_token_secs: Option<String>,
    refresh_idle_secs: Option<String>,
    refresh_absolute_secs: Option<String>,
    logo_url: Option<String>,
    accent_color: Option<String>,
    // Keys
    alg: Option<String>,
    kid: Option<String>,
    // Profile choice
    profile_id: Option<String>,
}

/// A console form submission: CSRF first, then the same gate as pages. On success the
/// action answers a redirect (or a page, for secrets shown once); on invalid input the
/// section's page is shown again with the error.
async fn act<F>(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    form: web::Form<ConsoleForm>,
    work: F,
) -> HttpResponse
where
    F: FnOnce(&mut Call, ConsoleForm) -> Result<Answer, AdminError> + Send + 'static,
{
    let form = form.into_inner();
    if browser_value(&req).is_none() || !csrf_ok(&req, form.csrf_token.as_deref()) {
        return respond(PageFrame::new(&state, &tenant).bad_form(), vec![]);
    }
    serve(state, tenant, req, move |call| work(call, form)).await
}

/// Shows `section`'s page again with an error, for input the operation refused.
fn retry(
    call: &mut Call,
    section: &'static str,
    error: AdminError,
    build: fn(&mut Call) -> Result<ConsolePage, AdminError>,
) -> Result<Answer, AdminError> {
    match error {
        AdminError::Invalid(message) | AdminError::Conflict(message) => {
            let mut page = build(call)?;
            page.error = Some(message);
            Ok(Answer::Page(StatusCode::BAD_REQUEST, section, page))
        }
        other => Err(other),
    }
}

fn done(call: &Call, rest: &str, code: &str) -> Answer {
    let separator = if rest.contains('?') { '&' } else { '?' };
    Answer::Redirect(format!("{}{separator}done={code}", call.url(rest)))
}

#[derive(Debug, Default, Deserialize)]
struct Flash {
    done: Option<String>,
    reveal: Option<String>,
    email: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
    after: Option<String>,
}

impl Flash {
    fn revealed(&self) -> bool {
        self.reveal.as_deref() == Some("1")
    }
}

/// Fixed texts for `done=` codes: nothing from the query is echoed.
fn notice(code: Option<&str>) -> Option<String> {
    Some(
        match code? {
            "client_updated" => "The client was saved.",
            "client_deleted" => "The client was deleted.",
            "suspended" => "The account was suspended: its sessions ended and its tokens were revoked.",
            "resumed" => "The account can sign in again.",
            "mfa_reset" => "The second factor was removed. The user sets up a new one at the next sign-in if the policy requires it.",
            "reset_sent" => "A password-reset link was sent to the account's address.",
            "signed_out" => "Every session of the account ended and its tokens were revoked.",
            "role_created" => "The role was created.",
            "role_deleted" => "The role was deleted.",
            "role_changed" => "The role was changed.",
            "policy" => "The policies were saved. Hosted pages use them within a second.",
            "branding" => "The branding was saved. Hosted pages show it within a second.",
            "rotated" => "New signing keys are active. Earlier keys stay published until retired.",
            "retired" => "The key was retired.",
            _ => return None,
        }
        .to_owned(),
    )
}

fn page_result(
    call: &mut Call,
    section: &'static str,
    build: fn(&mut Call) -> Result<ConsolePage, AdminError>,
) -> Result<Answer, AdminError> {
    let mut page = build(call)?;
    page.notice = notice(call.query::<Flash>().done.as_deref());
    Ok(Answer::Page(StatusCode::OK, section, page))
}

macro_rules! page_handler {
    ($name:ident, $section:literal, $build:ident) => {
        pub async fn $name(
            state: web::Data<AppState>,
            tenant: CurrentTenant,
            req: HttpRequest,
        ) -> HttpResponse {
            serve(state, tenant, req, |call| {
                page_result(call, $section, $build)
            })
            .await
        }
    };
}

page_handler!(overview, "", overview_page);
page_handler!(clients, "clients", clients_page);
page_handler!(client, "clients", client_page);
page_handler!(accounts, "accounts", accounts_page);
page_handler!(account, "accounts", account_page);
page_handler!(roles, "roles", roles_page);
page_handler!(settings, "settings", settings_page);
page_handler!(keys, "keys", keys_page);
page_handler!(audit, "audit", audit_page);

// ----- overview and profile choice --------------------------------------------------------

fn overview_page(call: &mut Call) -> Result<ConsolePage, AdminError> {
    let mut page = ConsolePage::new("Administration");
    let held: Vec<&str> = Permission::ALL
        .iter()
        .filter(|p| call.who.may(**p))
        .map(|p| p.as_str())
        .collect();
    page.push(Block::Facts(vec![
        ("Organisation".into(), call.ctx.tenant.name.clone()),
        ("Issuer".into(), call.ctx.issuer.clone()),
        ("Acting as profile".into(), call.who.actor().id.clone()),
        ("Permissions".into(), held.join(", ")),
    ]));
    for (label, path, permission) in SECTIONS {
        if call.who.may(permission) {
            page.push(Block::Link(link(label, call.url(&format!("/{path}")))));
        }
    }
    Ok(page)
}

/// `GET {issuer}/admin/profile`: which of the account's profiles acts in the console.
pub async fn profile_form(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
) -> HttpResponse {
    choose_profile(state, tenant, req, None).await
}

/// `POST {issuer}/admin/profile`
pub async fn profile_submit(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    form: web::Form<ConsoleForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if browser_value(&req).is_none() || !csrf_ok(&req, form.csrf_token.as_deref()) {
        return respond(PageFrame::new(&state, &tenant).bad_form(), vec![]);
    }
    choose_profile(
        state,
        tenant,
        req,
        Some(form.profile_id.unwrap_or_default()),
    )
    .await
}

/// The profile choice works before a profile is chosen, so it has its own small gate.
async fn choose_profile(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    chosen: Option<String>,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant);
    let (browser, new_cookie) = browser(&state, &tenant, &req);
    let cookies: Vec<_> = new_cookie.into_iter().collect();
    let cookie = session_value(&req);
    let Ok(ctx) = context(&state, tenant).await else {
        return respond(frame.failure(), cookies);
    };
    let page_frame = frame.clone();
    let outcome = state
        .db
        .run(move |conn| {
            let session = match signed_in(conn, &ctx, cookie.as_deref()) {
                Ok(session) => session,
                Err(denied) => return Ok(denied_outcome(&page_frame, denied)),
            };
            let profiles =
                crate::db::accounts::profiles(conn, &ctx.tenant.id, &session.account_id)?;
            if let Some(chosen) = chosen {
                // Only one of the session's own account's profiles.
                if profiles.iter().any(|p| p.id == chosen) {
                    crate::db::sessions::set_profile(conn, &ctx.tenant.id, &session.id, &chosen)?;
                    return Ok(Outcome::Redirect(format!("{}/admin", ctx.issuer)));
                }
            }
            let mut page = ConsolePage::new("Choose a profile");
            page.push(Block::Text(
                "Administration permissions belong to profiles. Choose the profile to act as."
                    .into(),
            ));
            let options: Vec<(&str, &str)> = profiles
                .iter()
                .map(|p| (p.id.as_str(), p.name.as_str()))
                .collect();
            let selected = session
                .profile_id
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            page.push(Block::Form(FormView::post(
                "profile",
                format!("{}/admin/profile", ctx.issuer),
                "Continue",
                vec![Field::select("profile_id", "Profile", &options, &selected)],
            )));
            let html = Rendered {
                issuer: &ctx.issuer,
                tenant_name: &ctx.tenant.name,
                nav: Vec::new(),
                page: &page,
                csrf_token: &sessions::csrf_token(&browser),
                account_href: Some(format!("{}/account", ctx.issuer)),
            }
            .render();
            Ok::<_, DbError>(page_frame.page(html))
        })
        .await
        .unwrap_or_else(|_| frame.failure());
    respond(outcome, cookies)
}

// ----- clients ----------------------------------------------------------------------------

fn lines(text: Option<&str>) -> Vec<String> {
    text.unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn grants_from(form: &ConsoleForm) -> Vec<GrantType> {
    let mut grants = Vec::new();
    if form.grant_authorization_code.is_some() {
        grants.push(GrantType::AuthorizationCode);
    }
    if form.grant_refresh_token.is_some() {
        grants.push(GrantType::RefreshToken);
    }
    if form.grant_client_credentials.is_some() {
        grants.push(GrantType::ClientCredentials);
    }
    grants
}

fn consent_from(form: &ConsoleForm) -> Option<ConsentPolicy> {
    match form.consent.as_deref() {
        Some("skip") => Some(ConsentPolicy::Skip),
        Some("required") => Some(ConsentPolicy::Required),
        _ => None,
    }
}

const CONSENT_OPTIONS: [(&str, &str); 2] = [
    ("required", "Ask the user (third-party application)"),
    ("skip", "Do not ask (first-party application)"),
];

fn grant_fields(grants: &[GrantType]) -> Vec<Field> {
    vec![
        Field::checkbox(
            "grant_authorization_code",
            "Authorization code (users sign in)",
            grants.contains(&GrantType::AuthorizationCode),
        ),
        Field::checkbox(
            "grant_refresh_token",
            "Refresh tokens",
            grants.contains(&GrantType::RefreshToken),
        ),
        Field::checkbox(
            "grant_client_credentials",
            "Client credentials (machine access)",
            grants.contains(&GrantType::ClientCredentials),
        ),
    ]
}

fn clients_page(call: &mut Call) -> Result<ConsolePage, AdminError> {
    let flash: Flash = call.query();
    let list = admin::clients::list(
        call.conn,
        &call.who,
        &PageRequest {
            limit: Some(admin::MAX_PAGE),
            after: flash.after.clone(),
        },
    )?;
    let mut page = ConsolePage::new("Clients");
    let rows = list
        .items
        .iter()
        .map(|c| {
            vec![
                Cell::Link(link(&c.name, call.url(&format!("/clients/{}", c.id)))),
                Cell::Code(c.id.to_string()),
                Cell::Text(format!("{:?}", c.client_type).to_lowercase()),
                Cell::Text(
                    c.grant_types
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
            ]
        })
        .collect();
    page.push(Block::Table(TableView {
        headers: vec!["Name", "Client ID", "Type", "Grants"],
        rows,
        empty: "No clients yet.",
    }));
    if let Some(next) = list.next {
        page.push(Block::Link(link(
            "Next page",
            call.url(&format!("/clients?after={next}")),
        )));
    }
    if call.who.may(Permission::ClientsWrite) {
        let mut fields = vec![
            Field::text("name", "Name", "").required(),
            Field::select(
                "client_type",
                "Type",
                &[
                    (
                        "confidential",
                        "Confidential (a server that keeps a secret)",
                    ),
                    ("public", "Public (browser or mobile app, PKCE only)"),
                ],
                "confidential",
            ),
            Field::area("redirect_uris", "Redirect URIs", "")
                .hint("One per line; exact match. https, or http on loopback."),
            Field::area("post_logout_redirect_uris", "Post-logout redirect URIs", "")
                .hint("One per line (optional)."),
            Field::select("consent", "Consent", &CONSENT_OPTIONS, "required"),
        ];
        fields.extend(grant_fields(&[
            GrantType::AuthorizationCode,
            GrantType::RefreshToken,
        ]));
        page.push(Block::Form(
            FormView::post("new-client", call.url("/clients"), "Create client", fields)
                .titled("New client"),
        ));
    }
    Ok(page)
}

fn client_page(call: &mut Call) -> Result<ConsolePage, AdminError> {
    let id = call.param("client_id");
    client_view(call, &id)
}

fn client_view(call: &mut Call, id: &str) -> Result<ConsolePage, AdminError> {
    let client = admin::clients::get(call.conn, &call.who, id)?;
    let mut page = ConsolePage::new(format!("Client: {}", client.name));
    let uris = |list: &[crate::domain::RedirectUri]| {
        list.iter()
            .map(|u| u.as_str().to_owned())
            .collect::<Vec<_>>()
            .join("\n")
    };
    page.push(Block::Facts(vec![
        ("Client ID".into(), client.id.to_string()),
        (
            "Type".into(),
            format!("{:?}", client.client_type).to_lowercase(),
        ),
        ("Authentication".into(), client.auth_method.to_string()),
        (
            "Grants".into(),
            client
                .grant_types
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            "Roles (machine access)".into(),
            client.authorization.roles.join(", "),
        ),
        ("Created".into(), rfc3339(client.created_at)),
        ("Changed".into(), rfc3339(client.updated_at)),
    ]));
    if call.who.may(Permission::ClientsWrite) {
        let consent = match client.consent {
            ConsentPolicy::Skip => "skip",
            ConsentPolicy::Required => "required",
        };
        let mut fields = vec![
            Field::text("name", "Name", client.name.clone()).required(),
            Field::area(
                "redirect_uris",
                "Redirect URIs",
                uris(&client.redirect_uris),
            )
            .hint("One per line; exact match."),
            Field::area(
                "post_logout_redirect_uris",
                "Post-logout redirect URIs",
                uris(&client.post_logout_redirect_uris),
            ),
            Field::select("consent", "Consent", &CONSENT_OPTIONS, consent),
        ];
        fields.extend(grant_fields(&client.grant_types));
        page.push(Block::Form(
            FormView::post(
                "edit-client",
                call.url(&format!("/clients/{id}/update")),
                "Save",
                fields,
            )
            .titled("Settings"),
        ));
        if client.secret_hash.is_some() {
            page.push(Block::Form(
                FormView::post(
                    "rotate-secret",
                    call.url(&format!("/clients/{id}/rotate")),
                    "Rotate secret",
                    Vec::new(),
                )
                .titled("Secret")
                .danger(),
            ));
        }
        page.push(Block::Form(
            FormView::post(
                "delete-client",
                call.url(&format!("/clients/{id}/delete")),
                "Delete client",
                vec![Field::text("name", "Type the client's name to confirm", "").required()],
            )
            .titled("Delete")
            .danger(),
        ));
    }
    Ok(page)
}

pub async fn create_client(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    form: web::Form<ConsoleForm>,
) -> HttpResponse {
    act(state, tenant, req, form, |call, form| {
        let new = admin::clients::NewClient {
            name: form.name.clone().unwrap_or_default(),
            client_type: match form.client_type.as_deref() {
                Some("public") => Some(crate::clients::ClientType::Public),
                _ => Some(crate::clients::ClientType::Confidential),
            },
            redirect_uris: lines(form.redirect_uris.as_deref()),
            post_logout_redirect_uris: lines(form.post_logout_redirect_uris.as_deref()),
            grant_types: Some(grants_from(&form)),
            auth_method: None,
            jwks: None,
            jwks_uri: None,
            consent: consent_from(&form),
            signing_alg: None,
            subject_mode: None,
            sector_identifier: None,
        };
        match admin::clients::create(call.conn, &call.who, new) {
            Ok((client, secret)) => {
                let mut page = client_view(call, client.id.as_str())?;
                page.notice = Some("The client was created.".into());
                if let Some(secret) = secret {
                    page.blocks.insert(
                        0,
                        Block::Secret(SecretView {
                            label: "Client secret".into(),
                            value: secret,
                        }),
                    );
                }
                Ok(Answer::Page(StatusCode::CREATED, "clients", page))
            }
            Err(e) => retry(call, "clients", e, clients_page),
        }
    })
    .await
}

pub async fn client_action(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    form: web::Form<ConsoleForm>,
) -> HttpResponse {
    act(state, tenant, req, form, |call, form| {
        let id = call.param("client_id");
        match call.param("action").as_str() {
            "update" => {
                let changes = admin::clients::ClientChanges {
                    name: form.name.clone(),
                    redirect_uris: Some(lines(form.redirect_uris.as_deref())),
                    post_logout_redirect_uris: Some(lines(
                        form.post_logout_redirect_uris.as_deref(),
                    )),
                    grant_types: Some(grants_from(&form)),
                    consent: consent_from(&form),
                    ..Default::default()
                };
                match admin::clients::update(call.conn, &call.who, &id, changes) {
                    Ok(client) => {
                        super::api::forget_client(call.ctx, client.id.as_str());
                        Ok(done(call, &format!("/clients/{id}"), "client_updated"))
                    }
                    Err(e) => retry(call, "clients", e, client_page),
                }
            }
            "rotate" => {
                let secret = match admin::clients::rotate_secret(call.conn, &call.who, &id) {
                    Ok(secret) => secret,
                    Err(e) => return retry(call, "clients", e, client_page),
                };
                super::api::forget_client(call.ctx, &id);
                let mut page = client_page(call)?;
                page.notice = Some("The secret was replaced: the old one no longer works.".into());
                if let Some(value) = secret.client_secret {
                    page.blocks.insert(
                        0,
                        Block::Secret(SecretView {
                            label: "New client secret".into(),
                            value,
                        }),
                    );
                }
                Ok(Answer::Page(StatusCode::OK, "clients", page))
            }
            "delete" => {
                let client = admin::clients::get(call.conn, &call.who, &id)?;
                if form.name.as_deref().map(str::trim) != Some(client.name.as_str()) {
                    return retry(
                        call,
                        "clients",
                        AdminError::Invalid(
                            "Type the client's exact name to confirm the deletion.".into(),
                        ),
                        client_page,
                    );
                }
                admin::clients::delete(call.conn, &call.who, &id)?;
                super::api::forget_client(call.ctx, &id);
                Ok(done(call, "/clients", "client_deleted"))
            }
            _ => Err(AdminError::NotFound),
        }
    })
    .await
}

// ----- accounts ---------------------------------------------------------------------------

fn reveal_link(call: &Call, flash: &Flash, base: &str) -> Option<Block> {
    (!flash.revealed())
        .then(|| {
            let separator = if base.contains('?') { '&' } else { '?' };
            Block::Link(link(
                "Show full email addresses and details",
                format!("{base}{separator}reveal=1"),
            ))
        })
        .filter(|_| call.who.may(Permission::AccountsRead) || call.who.may(Permission::AuditRead))
}

fn accounts_page(call: &mut Call) -> Result<ConsolePage, AdminError> {
    let flash: Flash = call.query();
    let email = flash.email.clone().unwrap_or_default();
    let found = admin::accounts::search(
        call.conn,
        &call.who,
        &email,
        &PageRequest {
            limit: Some(50),
            after: flash.after.clone(),
        },
    )?;
    let mut page = ConsolePage::new("Accounts");
    page.push(Block::Form(FormView {
        method: "get",
        ..FormView::post(
            "search",
            call.url("/accounts"),
            "Search",
            vec![Field::input(
                "email",
                "Email contains",
                "search",
                email.clone(),
            )],
        )
    }));
    let shown = |e: &str| {
        if flash.revealed() {
            e.to_owned()
        } else {
            mask_email(e)
        }
    };
    let rows = found
        .items
        .iter()
        .map(|a| {
            vec![
                Cell::Link(link(
                    shown(&a.email),
                    call.url(&format!("/accounts/{}", a.id)),
                )),
                Cell::Text(a.status.clone()),
                Cell::Text(if a.email_verified { "yes" } else { "no" }.into()),
                Cell::Text(a.created_at.clone()),
            ]
        })
        .collect();
    page.push(Block::Table(TableView {
        headers: vec!["Email", "Status", "Verified", "Created"],
        rows,
        empty: "No matching accounts.",
    }));
    let query = |extra: &str| {
        let mut q = format!("/accounts?email={}", urlencode(&email));
        if flash.revealed() {
            q.push_str("&reveal=1");
        }
        q.push_str(extra);
        q
    };
    if let Some(next) = &found.next {
        page.push(Block::Link(link(
            "Next page",
            call.url(&query(&format!("&after={}", urlencode(next)))),
        )));
    }
    if let Some(block) = reveal_link(call, &flash, &call.url(&query(""))) {
        page.push(block);
    }
    Ok(page)
}

fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

fn account_page(call: &mut Call) -> Result<ConsolePage, AdminError> {
    let flash: Flash = call.query();
    let id = call.param("account_id");
    let detail = admin::accounts::detail(call.conn, &call.who, &id)?;
    let shown = |e: &str| {
        if flash.revealed() {
            e.to_owned()
        } else {
            mask_email(e)
        }
    };
    let mut page = ConsolePage::new(format!("Account {}", shown(&detail.account.email)));
    page.push(Block::Facts(vec![
        ("Account ID".into(), detail.account.id.clone()),
        ("Email".into(), shown(&detail.account.email)),
        (
            "Email verified".into(),
            detail.account.email_verified.to_string(),
        ),
        ("Status".into(), detail.account.status.clone()),
        (
            "Two-step verification".into(),
            if detail.mfa_enrolled { "on" } else { "off" }.into(),
        ),
        (
            "Locked until".into(),
            detail
                .locked_until
                .clone()
                .unwrap_or_else(|| "not locked".into()),
        ),
        ("Created".into(), detail.account.created_at.clone()),
    ]));
    page.push(Block::Heading("Profiles".into()));
    page.push(Block::Table(TableView {
        headers: vec!["Name", "Profile ID", "Email", "Roles"],
        rows: detail
            .profiles
            .iter()
            .map(|p| {
                vec![
                    Cell::Text(if p.is_default {
                        format!("{} (default)", p.name)
                    } else {
                        p.name.clone()
                    }),
                    Cell::Code(p.id.clone()),
                    Cell::Text(p.email.as_deref().map(shown).unwrap_or_default()),
                    Cell::Text(p.roles.join(", ")),
                ]
            })
            .collect(),
        empty: "No profiles.",
    }));
    page.push(Block::Heading("Live sessions".into()));
    page.push(Block::Table(TableView {
        headers: vec!["Started", "Last seen", "Methods"],
        rows: detail
            .sessions
            .iter()
            .map(|s| {
                vec![
                    Cell::Text(s.created_at.clone()),
                    Cell::Text(s.last_seen_at.clone()),
                    Cell::Text(s.amr.clone()),
                ]
            })
            .collect(),
        empty: "No live sessions.",
    }));
    if call.who.may(Permission::AccountsWrite) {
        let action = |verb: &str| call.url(&format!("/accounts/{id}/{verb}"));
        page.push(Block::Heading("Actions".into()));
        let mut buttons = Vec::new();
        if detail.account.status == "suspended" {
            buttons.push(button(action("resume"), "Resume account", vec![]));
        } else {
            buttons.push(danger_button(action("suspend"), "Suspend account", vec![]));
        }
        buttons.push(button(action("sign-out"), "Sign out everywhere", vec![]));
        buttons.push(button(
            action("send-reset"),
            "Send password-reset mail",
            vec![],
        ));
        if detail.mfa_enrolled {
            buttons.push(danger_button(
                action("reset-mfa"),
                "Reset two-step verification",
                vec![],
            ));
        }
        page.push(Block::Table(TableView {
            headers: vec!["Action"],
            rows: buttons.into_iter().map(|b| vec![b]).collect(),
            empty: "",
        }));
        page.push(Block::Text(
            "Administrators never set or see passwords: a reset mail lets the user choose one."
                .into(),
        ));
    }
    if let Some(block) = reveal_link(call, &flash, &call.url(&format!("/accounts/{id}"))) {
        page.push(block);
    }
    Ok(page)
}

pub async fn account_action(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    form: web::Form<ConsoleForm>,
) -> HttpResponse {
    act(state, tenant, req, form, |call, _| {
        let id = call.param("account_id");
        let back = format!("/accounts/{id}");
        let code = match call.param("action").as_str() {
            "suspend" => {
                admin::accounts::set_suspended(call.conn, &call.who, &id, true)?;
                "suspended"
            }
            "resume" => {
                admin::accounts::set_suspended(call.conn, &call.who, &id, false)?;
                "resumed"
            }
            "reset-mfa" => {
                admin::accounts::reset_mfa(call.conn, &call.who, &id)?;
                "mfa_reset"
            }
            "sign-out" => {
                admin::accounts::sign_out_everywhere(call.conn, &call.who, &id)?;
                "signed_out"
            }
            "send-reset" => match admin::accounts::send_reset(call.conn, &call.who, &id) {
                Ok(mail) => {
                    crate::web::pages::mail_reset_link(
                        call.state,
                        &call.ctx.issuer,
                        &call.ctx.tenant.name,
                        mail.to.as_str(),
                        &mail.token,
                    );
                    "reset_sent"
                }
                Err(e) => return retry(call, "accounts", e, account_page),
            },
            _ => return Err(AdminError::NotFound),
        };
        Ok(done(call, &back, code))
    })
    .await
}

// ----- roles ------------------------------------------------------------------------------

fn roles_page(call: &mut Call) -> Result<ConsolePage, AdminError> {
    let roles = admin::roles::list(call.conn, &call.who)?;
    let mut page = ConsolePage::new("Roles and permissions");
    page.push(Block::Text(
        "A profile's permissions are the union of its roles'. Console permissions: tenant:admin, clients:read, clients:write, accounts:read, accounts:write, roles:write, settings:write, keys:write, audit:read.".into(),
    ));
    page.push(Block::Table(TableView {
        headers: vec!["Role", "Permissions", ""],
        rows: roles
            .iter()
            .map(|r| {
                vec![
                    Cell::Text(r.name.clone()),
                    Cell::Text(r.permissions.join(", ")),
                    danger_button(
                        call.url("/roles/delete"),
                        "Delete",
                        vec![("role", r.name.clone())],
                    ),
                ]
            })
            .collect(),
        empty: "No roles yet.",
    }));
    let names: Vec<(&str, &str)> = roles
        .iter()
        .map(|r| (r.name.as_str(), r.name.as_str()))
        .collect();
    page.push(Block::Form(
        FormView::post(
            "new-role",
            call.url("/roles"),
            "Create role",
            vec![Field::text("role", "Name", "").required()],
        )
        .titled("New role"),
    ));
    if !roles.is_empty() {
        let permission_fields = || {
            vec![
                Field::select("role", "Role", &names, ""),
                Field::text("permission", "Permission", "")
                    .required()
                    .hint("e.g. clients:write or invoices:read"),
            ]
        };
        page.push(Block::Form(
            FormView::post(
                "permit",
                call.url("/roles/permit"),
                "Add permission",
                permission_fields(),
            )
            .titled("Add a permission"),
        ));
        page.push(Block::Form(
            FormView::post(
                "unpermit",
                call.url("/roles/unpermit"),
                "Remove permission",
                permission_fields(),
            )
            .titled("Remove a permission"),
        ));
        let holder_fields = || {
            vec![
                Field::select("role", "Role", &names, ""),
                Field::select(
                    "holder",
                    "Holder",
                    &[("profile", "Profile"), ("client", "Client")],
                    "profile",
                ),
                Field::text("holder_id", "Profile ID or client ID", "")
                    .required()
                    .hint(
                        "Profile IDs are on the account's page; client IDs on the client's page.",
                    ),
            ]
        };
        page.push(Block::Form(
            FormView::post(
                "grant",
                call.url("/roles/grant"),
                "Give role",
                holder_fields(),
            )
            .titled("Give a role"),
        ));
        page.push(Block::Form(
            FormView::post(
                "revoke",
                call.url("/roles/revoke"),
                "Take role",
                holder_fields(),
            )
            .titled("Take a role away"),
        ));
    }
    Ok(page)
}

pub async fn role_action(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    form: web::Form<ConsoleForm>,
) -> HttpResponse {
    act(state, tenant, req, form, |call, form| {
        let role = form.role.clone().unwrap_or_default();
        let permission = form.permission.clone().unwrap_or_default();
        let holder = || {
            let id = form.holder_id.clone().map(|s| s.trim().to_owned());
            match form.holder.as_deref() {
                Some("client") => admin::roles::Holder {
                    profile_id: None,
                    client_id: id,
                },
                _ => admin::roles::Holder {
                    profile_id: id,
                    client_id: None,
                },
            }
        };
        let action = call.param("action");
        let result = match action.as_str() {
            "" => admin::roles::create(call.conn, &call.who, &role).map(|_| "role_created"),
            "delete" => admin::roles::delete(call.conn, &call.who, &role).map(|_| "role_deleted"),
            "permit" | "unpermit" => admin::roles::set_permission(
                call.conn,
                &call.who,
                &role,
                &permission,
                action == "permit",
            )
            .map(|_| "role_changed"),
            "grant" | "revoke" => {
                let holder = holder();
                let result = admin::roles::set_holder(
                    call.conn,
                    &call.who,
                    &role,
                    &holder,
                    action == "grant",
                );
                if let (Ok(_), Some(client)) = (&result, &holder.client_id) {
                    super::api::forget_client(call.ctx, client);
                }
                result.map(|_| "role_changed")
            }
            _ => return Err(AdminError::NotFound),
        };
        match result {
            Ok(code) => Ok(done(call, "/roles", code)),
            Err(AdminError::NotFound) => retry(
                call,
                "roles",
                AdminError::Invalid("No such role, profile or client in this organisation.".into()),
                roles_page,
            ),
            Err(e) => retry(call, "roles", e, roles_page),
        }
    })
    .await
}

// ----- settings ---------------------------------------------------------------------------

fn settings_page(call: &mut Call) -> Result<ConsolePage, AdminError> {
    let current = admin::settings::get(call.conn, &call.who, &call.ctx.tenant)?;
    let policy = &current.policy;
    let lifetime = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    let mut page = ConsolePage::new("Settings");
    page.push(Block::Form(
        FormView::post(
            "policy",
            call.url("/settings/policy"),
            "Save policies",
            vec![
                Field::input(
                    "password_min_length",
                    "Minimum password length",
                    "number",
                    policy.password_min_length.to_string(),
                )
                .hint("8 to 64 characters."),
                Field::select(
                    "mfa",
                    "Two-step verification",
                    &[
                        ("off", "Off"),
                        ("optional", "Optional (users who enrolled)"),
                        ("required", "Required for everyone"),
                    ],
                    policy.mfa.as_str(),
                ),
                Field::checkbox("self_signup", "Allow self sign-up", policy.self_signup),
                Field::select(
                    "email_verification",
                    "Email verification",
                    &[
                        ("optional", "Optional"),
                        ("required", "Required before sign-in"),
                    ],
                    &policy.email_verification,
                ),
                Field::input(
                    "session_idle_secs",
                    "Session idle timeout (seconds)",
                    "number",
                    lifetime(policy.session_idle_secs),
                )
                .hint("Empty or 0: the instance default."),
                Field::input(
                    "session_absolute_secs",
                    "Session lifetime (seconds)",
                    "number",
                    lifetime(policy.session_absolute_secs),
                ),
                Field::input(
                    "access_token_secs",
                    "Access-token lifetime (seconds)",
                    "number",
                    lifetime(policy.access_token_secs),
                ),
                Field::input(
                    "refresh_idle_secs",
                    "Refresh-token idle lifetime (seconds)",
                    "number",
                    lifetime(policy.refresh_idle_secs),
                ),
                Field::input(
                    "refresh_absolute_secs",
                    "Refresh-token lifetime (seconds)",
                    "number",
                    lifetime(policy.refresh_absolute_secs),
                ),
            ],
        )
        .titled("Policies"),
    ));
    page.push(Block::Form(
        FormView::post(
            "branding",
            call.url("/settings/branding"),
            "Save branding",
            vec![
                Field::text("name", "Display name", current.name.clone()).required(),
                Field::input(
                    "logo_url",
                    "Logo URL",
                    "url",
                    current.branding.logo_url.clone().unwrap_or_default(),
                )
                .hint("https; shown above the hosted pages. Empty for none."),
                Field::input(
                    "accent_color",
                    "Accent colour",
                    "text",
                    current.branding.accent_color.clone().unwrap_or_default(),
                )
                .hint("Like #3b5bdb. Empty for the default."),
            ],
        )
        .titled("Branding"),
    ));
    Ok(page)
}

fn number(value: Option<&str>, what: &str) -> Result<Option<i64>, AdminError> {
    match value.map(str::trim) {
        None | Some("") => Ok(Some(0)),
        Some(v) => v
            .parse::<i64>()
            .map(Some)
            .map_err(|_| AdminError::Invalid(format!("{what} must be a whole number"))),
    }
}

pub async fn settings_action(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    form: web::Form<ConsoleForm>,
) -> HttpResponse {
    act(state, tenant, req, form, |call, form| {
        let tenant = call.ctx.tenant.clone();
        let result = match call.param("section").as_str() {
            "policy" => policy_changes(&form).and_then(|changes| {
                admin::settings::set_policy(call.conn, &call.who, &tenant, changes)
                    .map(|_| "policy")
            }),
            "branding" => {
                let changes = BrandingChanges {
                    name: form.name.clone().unwrap_or_default(),
                    logo_url: form.logo_url.clone().unwrap_or_default(),
                    accent_color: form.accent_color.clone().unwrap_or_default(),
                };
                admin::settings::set_branding(call.conn, &call.who, &tenant, &changes)
                    .map(|_| "branding")
            }
            _ => return Err(AdminError::NotFound),
        };
        match result {
            Ok(code) => {
                call.state.tenants.remove(&tenant.slug.to_string());
                Ok(done(call, "/settings", code))
            }
            Err(e) => retry(call, "settings", e, settings_page),
        }
    })
    .await
}

fn policy_changes(form: &ConsoleForm) -> Result<PolicyChanges, AdminError> {
    let length = form
        .password_min_length
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<usize>().map_err(|_| {
                AdminError::Invalid("the minimum password length must be a whole number".into())
            })
        })
        .transpose()?;
    let mfa = match form.mfa.as_deref() {
        Some(value) => Some(
            crate::tenancy::policy::MfaPolicy::parse(value)
                .ok_or_else(|| AdminError::Invalid("unknown second-factor policy".into()))?,
        ),
        None => None,
    };
    Ok(PolicyChanges {
        password_min_length: length,
        mfa,
        // An unchecked box is absent from the form: absent means off here.
        self_signup: Some(form.self_signup.is_some()),
        email_verification: form.email_verification.clone(),
        session_idle_secs: number(
            form.session_idle_secs.as_deref(),
            "the session idle timeout",
        )?,
        session_absolute_secs: number(
            form.session_absolute_secs.as_deref(),
            "the session lifetime",
        )?,
        access_token_secs: number(
            form.access_token_secs.as_deref(),
            "the access-token lifetime",
        )?,
        refresh_idle_secs: number(
            form.refresh_idle_secs.as_deref(),
            "the refresh-token idle lifetime",
        )?,
        refresh_absolute_secs: number(
            form.refresh_absolute_secs.as_deref(),
            "the refresh-token lifetime",
        )?,
    })
}

// ----- keys -------------------------------------------------------------------------------

fn keys_page(call: &mut Call) -> Result<ConsolePage, AdminError> {
    let keys = admin::keys::list(call.conn, &call.who)?;
    let mut page = ConsolePage::new("Signing keys");
    page.push(Block::Text(
        "Rotation makes new keys active at once; earlier keys stay published (so tokens they signed still verify) until you retire them.".into(),
    ));
    page.push(Block::Table(TableView {
        headers: vec!["Key ID", "Algorithm", "Status", "Created", ""],
        rows: keys
            .iter()
            .map(|k| {
                let action = if k.status == "inactive" {
                    danger_button(
                        call.url("/keys/retire"),
                        "Retire",
                        vec![("kid", k.kid.clone())],
                    )
                } else {
                    Cell::Text(String::new())
                };
                vec![
                    Cell::Code(k.kid.clone()),
                    Cell::Text(k.alg.clone()),
                    Cell::Text(k.status.clone()),
                    Cell::Text(rfc3339(k.created_at)),
                    action,
                ]
            })
            .collect(),
        empty: "No keys.",
    }));
    page.push(Block::Form(
        FormView::post(
            "rotate",
            call.url("/keys/rotate"),
            "Rotate",
            vec![Field::select(
                "alg",
                "Algorithm",
                &[
                    ("", "All algorithms"),
                    ("RS256", "RS256"),
                    ("ES256", "ES256"),
                    ("EdDSA", "EdDSA"),
                ],
                "",
            )],
        )
        .titled("Rotate keys"),
    ));
    Ok(page)
}

pub async fn key_action(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    form: web::Form<ConsoleForm>,
) -> HttpResponse {
    act(state, tenant, req, form, |call, form| {
        let result = match call.param("action").as_str() {
            "rotate" => {
                let algs: Vec<KeyAlg> = form
                    .alg
                    .as_deref()
                    .and_then(KeyAlg::parse)
                    .into_iter()
                    .collect();
                admin::keys::rotate(call.conn, call.state.keys.master(), &call.who, &algs)
                    .map(|_| "rotated")
            }
            "retire" => admin::keys::retire(
                call.conn,
                &call.who,
                form.kid.as_deref().unwrap_or_default(),
            )
            .map(|_| "retired"),
            _ => return Err(AdminError::NotFound),
        };
        match result {
            Ok(code) => Ok(done(call, "/keys", code)),
            Err(AdminError::NotFound) => retry(
                call,
                "keys",
                AdminError::Invalid("No such key in this organisation.".into()),
                keys_page,
            ),
            Err(e) => retry(call, "keys", e, keys_page),
        }
    })
    .await
}

// ----- audit ------------------------------------------------------------------------------

/// `YYYY-MM-DD` as the Unix time of that day's start (UTC), plus `end_of_day` seconds.
fn day(input: Option<&str>, end_of_day: bool) -> Option<i64> {
    let input = input?.trim();
    let mut parts = input.splitn(3, '-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    let month = time::Month::try_from(month).ok()?;
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    let start = date.midnight().assume_utc().unix_timestamp();
    Some(if end_of_day { start + 86_399 } else { start })
}

fn audit_filter(flash: &Flash) -> AuditFilter {
    let nonempty = |v: &Option<String>| {
        v.clone()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    AuditFilter {
        actor: nonempty(&flash.actor),
        action: nonempty(&flash.action),
        from: day(flash.from.as_deref(), false),
        to: day(flash.to.as_deref(), true),
    }
}

fn audit_query(flash: &Flash) -> String {
    let mut pairs = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in [
        ("actor", &flash.actor),
        ("action", &flash.action),
        ("from", &flash.from),
        ("to", &flash.to),
    ] {
        if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
            pairs.append_pair(name, value);
        }
    }
    pairs.finish()
}

fn mask_ip(ip: &str) -> String {
    if let Some((head, _)) = ip.rsplit_once('.') {
        format!("{head}.•")
    } else if let Some((head, _)) = ip.rsplit_once(':') {
        format!("{head}:•")
    } else {
        ip.to_owned()
    }
}

fn audit_page(call: &mut Call) -> Result<ConsolePage, AdminError> {
    let flash: Flash = call.query();
    let filter = audit_filter(&flash);
    let found: Page<admin::audit_log::AuditEntry> = admin::audit_log::list(
        call.conn,
        &call.who,
        &filter,
        &PageRequest {
            limit: Some(50),
            after: flash.after.clone(),
        },
    )?;
    let mut page = ConsolePage::new("Audit log");
    page.push(Block::Form(FormView {
        method: "get",
        ..FormView::post(
            "filter",
            call.url("/audit"),
            "Filter",
            vec![
                Field::text("actor", "Actor", flash.actor.clone().unwrap_or_default())
                    .hint("A profile ID, client ID, account ID or cli."),
                Field::text("action", "Action", flash.action.clone().unwrap_or_default())
                    .hint("Exact (client.create) or an area ending in a dot (client.)."),
                Field::input(
                    "from",
                    "From (UTC day)",
                    "date",
                    flash.from.clone().unwrap_or_default(),
                ),
                Field::input(
                    "to",
                    "To (UTC day)",
                    "date",
                    flash.to.clone().unwrap_or_default(),
                ),
            ],
        )
    }));
    let revealed = flash.revealed();
    page.push(Block::Table(TableView {
        headers: vec![
            "#", "Time", "Actor", "Action", "Target", "Address", "Details",
        ],
        rows: found
            .items
            .iter()
            .map(|e| {
                vec![
                    Cell::Text(e.seq.to_string()),
                    Cell::Text(e.at.clone()),
                    Cell::Code(e.actor.clone()),
                    Cell::Text(e.action.clone()),
                    Cell::Code(e.target.clone()),
                    Cell::Text(if revealed {
                        e.ip.clone()
                    } else {
                        mask_ip(&e.ip)
                    }),
                    Cell::Code(if revealed {
                        e.details.to_string()
                    } else {
                        "hidden".into()
                    }),
                ]
            })
            .collect(),
        empty: "No matching entries.",
    }));
    let query = audit_query(&flash);
    let reveal = if revealed { "&reveal=1" } else { "" };
    if let Some(next) = &found.next {
        page.push(Block::Link(link(
            "Older entries",
            call.url(&format!("/audit?{query}&after={next}{reveal}")),
        )));
    }
    page.push(Block::Link(link(
        "Export the matching entries (JSON lines)",
        call.url(&format!("/audit/export?{query}")),
    )));
    if let Some(block) = reveal_link(call, &flash, &call.url(&format!("/audit?{query}"))) {
        page.push(block);
    }
    Ok(page)
}

/// `GET {issuer}/admin/audit/export`: the matching entries as a JSON-lines download.
pub async fn audit_export(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant);
    let cookie = session_value(&req);
    let ip = caller_ip(&state, &req);
    let flash = web::Query::<Flash>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default();
    let Ok(ctx) = context(&state, tenant).await else {
        return respond(frame.failure(), vec![]);
    };
    let page_frame = frame.clone();
    let result = state
        .db
        .run(move |conn| {
            let outcome = principal(conn, &ctx, cookie.as_deref(), &ip).and_then(|(who, _)| {
                Ok(admin::audit_log::export(conn, &who, &audit_filter(&flash))?)
            });
            Ok::<_, DbError>(outcome.map_err(|denied| denied_outcome(&page_frame, denied)))
        })
        .await;
    match result {
        Ok(Ok(lines)) => HttpResponse::Ok()
            .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
            .insert_header((
                actix_web::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.jsonl\"",
            ))
            .content_type("application/x-ndjson")
            .body(lines),
        Ok(Err(outcome)) => respond(outcome, vec![]),
        Err(_) => respond(frame.failure(), vec![]),
    }
}
