//! The tenant console at `{issuer}/admin`: plain HTML forms (no JavaScript), signed in through
//! the tenant's own hosted login. Every request authenticates the session and reads the
//! profile's permissions afresh; the operations (and their permission checks and audit
//! entries) are the same `crate::admin` functions the REST API calls.
//!
//! Pages are described as blocks (facts, tables, forms) and rendered by one template, so every
//! page looks and behaves alike. Sensitive values (user emails, addresses, event details) are
//! masked unless the admin asks to show them (`reveal=1`).

/// A GET handler for a section page: `page_handler!(name, "section", builder)`.
macro_rules! page_handler {
    ($name:ident, $section:literal, $build:ident) => {
        pub async fn $name(
            state: web::Data<AppState>,
            admin: ConsoleAdmin,
            req: HttpRequest,
        ) -> HttpResponse {
            serve(state, admin, req, |call| {
                page_result(call, $section, $build)
            })
            .await
        }
    };
}

mod accounts;
mod attributes;
mod audit;
mod clients;
mod customers;
mod keys;
pub(super) mod page;
mod purposes;
mod resources;
mod roles;
mod settings;
mod webhooks;

pub use accounts::{account, account_action, accounts, duplicates, invite, merge_preview};
pub use attributes::{attribute_action, attributes};
pub use audit::{audit, audit_export};
pub use clients::{client, client_action, clients, create_client};
pub use customers::{create_customer, customer, customer_action, customers};
pub use keys::{key_action, keys};
pub use purposes::{purpose_action, purposes};
pub use resources::{resource_action, resources};
pub use roles::{role_action, roles};
pub use settings::{settings, settings_action};
pub use webhooks::{webhook_action, webhooks};

use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::admin::{AdminError, Permission, Principal};
use crate::db::{AnyConnection, DbError};
use crate::oidc::context::OidcContext;
use crate::profiles::choice;
use crate::sessions::{self, Session};
use crate::sessions::{BROWSER_COOKIE, SESSION_COOKIE};
use crate::web::cookies::CookieScope;
use crate::web::extract::{ClientIp, CsrfForm, CurrentTenant, Refusal};
use crate::web::oauth::context;
use crate::web::pages::{respond, Outcome, PageFrame};
use crate::web::AppState;

use page::*;

// ----- authentication ---------------------------------------------------------------------

/// Why a console request cannot go on.
enum Denied {
    /// No live session: 401 with a way to sign in.
    NoSession,
    /// Signed in, but no profile chosen yet.
    NoProfile,
    /// Signed in as `who` (an address and a profile name), whose profile may not administer.
    NotAdmin {
        who: String,
    },
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
        // Say who is signed in: the way on may be another profile or another account.
        let person = crate::admin::people::describe(conn, ctx.vault(), &who, &profile)?;
        let who = person.map_or_else(String::new, |p| {
            match crate::identity::find_account(
                conn,
                ctx.vault(),
                &ctx.tenant.id,
                &session.account_id,
            ) {
                Ok(account) => format!("{} (profile {})", account.email, p.profile_name),
                Err(_) => format!("profile {}", p.profile_name),
            }
        });
        return Err(Denied::NotAdmin { who });
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
        Denied::NotAdmin { who } => frame.message_with_links(
            StatusCode::FORBIDDEN,
            "Not allowed",
            &format!(
                "You are signed in as {who}, which holds no administration permission. Ask an \
                 administrator for a role, use another profile, or sign out and sign in with \
                 another account."
            ),
            &[
                (
                    "Use another profile",
                    format!("{}/admin/profile", frame.issuer),
                ),
                ("Your account", format!("{}/account", frame.issuer)),
                ("Sign out", format!("{}/logout", frame.issuer)),
            ],
        ),
        Denied::Admin(AdminError::Forbidden(permission)) => frame.message_with_links(
            StatusCode::FORBIDDEN,
            "Not allowed",
            &format!(
                "Your profile does not hold the {} permission (or tenant:admin) this page needs.",
                permission.as_str()
            ),
            &[
                ("Back to the console", format!("{}/admin", frame.issuer)),
                ("Your account", format!("{}/account", frame.issuer)),
                ("Sign out", format!("{}/logout", frame.issuer)),
            ],
        ),
        Denied::Admin(AdminError::NotFound) => frame.message(
            StatusCode::NOT_FOUND,
            "Not found",
            "There is no such object in this organisation.",
        ),
        Denied::Admin(AdminError::Invalid(message)) => {
            frame.message(StatusCode::BAD_REQUEST, "Not understood", &message)
        }
        Denied::Admin(AdminError::Conflict(message)) => {
            frame.message(StatusCode::CONFLICT, "Not possible now", &message)
        }
        Denied::Admin(AdminError::Unauthorized(_)) => {
            Outcome::Page(StatusCode::UNAUTHORIZED, sign_in_page(frame))
        }
        Denied::Admin(e) => frame.error(&e),
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

/// A signed-in profile holding administration permissions, read fresh from the database:
/// every console handler takes one, so none runs for anyone else. Each operation then checks
/// its own permission in the admin layer. Without a session: 401 with a way to sign in;
/// without a chosen profile: the profile choice; without any administration permission: 403.
pub struct ConsoleAdmin {
    ctx: OidcContext,
    who: Principal,
    frame: PageFrame,
    browser: String,
    /// A new browser cookie to set with the answer.
    new_cookie: Option<actix_web::cookie::Cookie<'static>>,
}

impl FromRequest for ConsoleAdmin {
    type Error = Refusal;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Refusal>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| Refusal::from(crate::web::ApiError::Unavailable("no app state")))?;
            let tenant = CurrentTenant::extract(&req).await?;
            let frame = PageFrame::new(&state, &tenant, &req);
            let (browser, new_cookie) =
                CookieScope::tenant(&state, &tenant).browser(&req, BROWSER_COOKIE);
            let cookie = CookieScope::tenant(&state, &tenant).read(&req, SESSION_COOKIE);
            let ClientIp(ip) = ClientIp::extract(&req).await?;
            let ctx = context(&state, tenant)
                .await
                .map_err(|e| Refusal::page(frame.error(&e)))?;
            let (lookup, denial) = (ctx.clone(), frame.clone());
            let found = state
                .db
                .run(move |conn| Ok::<_, DbError>(principal(conn, &lookup, cookie.as_deref(), &ip)))
                .await
                .map_err(|e| Refusal::page(frame.error(&e)))?;
            let (who, _) =
                found.map_err(|denied| Refusal::page(denied_outcome(&denial, denied)))?;
            Ok(ConsoleAdmin {
                ctx,
                who,
                frame,
                browser,
                new_cookie,
            })
        })
    }
}

/// Runs a console request for `admin`: `work` on the blocking pool, then renders.
async fn serve<F>(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    req: HttpRequest,
    work: F,
) -> HttpResponse
where
    F: FnOnce(&mut Call) -> Result<Answer, AdminError> + Send + 'static,
{
    let ConsoleAdmin {
        ctx,
        who,
        frame,
        browser,
        new_cookie,
    } = admin;
    let (path, query) = (req.match_info().clone(), req.query_string().to_owned());
    let (app, page_frame) = (state.clone(), frame.clone());
    let outcome = state
        .db
        .run(move |conn| {
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
            Ok::<_, DbError>(render(&call, &page_frame, &browser, answer))
        })
        .await
        .unwrap_or_else(|e| frame.error(&e));
    respond(outcome, new_cookie.into_iter().collect())
}

/// A page answer inside the console's frame (navigation by the principal's permissions).
fn render(call: &Call, frame: &PageFrame, browser: &str, answer: Answer) -> Outcome {
    match answer {
        Answer::Redirect(location) => Outcome::Redirect(location),
        Answer::Page(status, section, page) => {
            let html = Rendered {
                issuer: &call.ctx.issuer,
                tenant_name: &call.ctx.tenant.name,
                nav: nav(&call.ctx.issuer, &call.who, section),
                page: &page,
                csrf_token: &sessions::csrf_token(browser),
                account_href: Some(format!("{}/account", call.ctx.issuer)),
            }
            .render();
            match frame.page(html) {
                Outcome::Page(_, html) => Outcome::Page(status, html),
                other => other,
            }
        }
    }
}

/// Form fields of every console form; each action reads what it needs.
#[derive(Debug, Default, Deserialize)]
pub struct ConsoleForm {
    // Clients
    name: Option<String>,
    client_type: Option<String>,
    redirect_uris: Option<String>,
    post_logout_redirect_uris: Option<String>,
    consent: Option<String>,
    grant_client_credentials: Option<String>,
    grant_device_code: Option<String>,
    grant_refresh_token: Option<String>,
    grant_authorization_code: Option<String>,
    administration: Option<String>,
    purposes: Option<String>,
    backchannel_logout_uri: Option<String>,
    require_par: Option<String>,
    require_dpop: Option<String>,
    fapi2: Option<String>,
    // Consent purposes
    key: Option<String>,
    text: Option<String>,
    url: Option<String>,
    changes: Option<String>,
    required: Option<String>,
    // Attribute schema
    kind: Option<String>,
    sensitive: Option<String>,
    claim_scope: Option<String>,
    retention_days: Option<String>,
    // Roles
    role: Option<String>,
    permission: Option<String>,
    holder: Option<String>,
    holder_id: Option<String>,
    profile_name: Option<String>,
    // Settings
    password_min_length: Option<String>,
    mfa: Option<String>,
    self_signup: Option<String>,
    email_verification: Option<String>,
    client_registration: Option<String>,
    session_idle_secs: Option<String>,
    session_absolute_secs: Option<String>,
    access_token_secs: Option<String>,
    refresh_idle_secs: Option<String>,
    refresh_absolute_secs: Option<String>,
    retention_inactive_days: Option<String>,
    retention_audit_days: Option<String>,
    logo_url: Option<String>,
    accent_color: Option<String>,
    /// The tenant's own texts, `LANG ID = TEXT` per line.
    texts: Option<String>,
    time_zone: Option<String>,
    // Keys
    alg: Option<String>,
    kid: Option<String>,
    // Profile choice
    profile_id: Option<String>,
    // Invitations
    email: Option<String>,
    // Webhooks
    event_types: Option<String>,
    personal_data: Option<String>,
    description: Option<String>,
    webhook_id: Option<String>,
    delivery_id: Option<String>,
    // APIs (resources)
    resource_id: Option<String>,
    // Account merges: the account merged away.
    merge_from: Option<String>,
    // Customers
    identifiers: Option<String>,
    trust_framework: Option<String>,
    assurance_level: Option<String>,
    evidence_type: Option<String>,
    method: Option<String>,
    verifier: Option<String>,
    reference: Option<String>,
    verified_on: Option<String>,
    account_id: Option<String>,
    identifier: Option<String>,
    scopes: Option<String>,
    lifetime_secs: Option<String>,
    introspection_client: Option<String>,
}

/// A console form submission (its CSRF token checked by `CsrfForm`). On success the action
/// answers a redirect (or a page, for secrets shown once); on invalid input the section's
/// page is shown again with the error.
async fn act<F>(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    req: HttpRequest,
    form: CsrfForm<ConsoleForm>,
    work: F,
) -> HttpResponse
where
    F: FnOnce(&mut Call, ConsoleForm) -> Result<Answer, AdminError> + Send + 'static,
{
    let form = form.into_inner();
    serve(state, admin, req, move |call| work(call, form)).await
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

/// Ends a form action: success redirects to `back` with its notice; refused input shows the
/// section's page again with the reason (`missing` when the form named an unknown object).
fn finish(
    call: &mut Call,
    (section, back): (&'static str, &str),
    result: Result<&'static str, AdminError>,
    missing: &str,
    build: fn(&mut Call) -> Result<ConsolePage, AdminError>,
) -> Result<Answer, AdminError> {
    match result {
        Ok(code) => Ok(done(call, back, code)),
        Err(AdminError::NotFound) => {
            retry(call, section, AdminError::Invalid(missing.into()), build)
        }
        Err(e) => retry(call, section, e, build),
    }
}

/// The page of a listing this request asks for (`?after=`), as long as the API allows.
fn listing(call: &Call) -> crate::admin::PageRequest {
    crate::admin::PageRequest {
        limit: Some(crate::admin::MAX_PAGE),
        after: call.query::<Flash>().after,
    }
}

/// A "next page" link when the listing goes on.
fn next_page(call: &Call, page: &mut ConsolePage, section: &str, next: Option<String>) {
    if let Some(next) = next {
        let href = call.url(&format!("/{section}?after={}", urlencode(&next)));
        page.push(Block::Link(link("Next page", href)));
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
    /// Why personal data is to be shown (recorded with the reveal).
    reason: Option<String>,
    email: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
    after: Option<String>,
}

impl Flash {
    /// What this view asks to see: unmasked only for a caller holding `pii:read` who gave a
    /// reason (the admin layer checks both again and records the reveal).
    fn reveal(&self, who: &crate::admin::Principal) -> crate::admin::accounts::Reveal<'_> {
        use crate::admin::accounts::Reveal;
        match (self.reveal.as_deref(), self.reason.as_deref()) {
            (Some("1"), Some(reason)) if who.may(crate::admin::Permission::PiiRead) => {
                Reveal::Because(reason)
            }
            _ => Reveal::Masked,
        }
    }

    fn revealed(&self, who: &crate::admin::Principal) -> bool {
        matches!(self.reveal(who), crate::admin::accounts::Reveal::Because(_))
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
            "invited" => "The invitation was mailed. The link works for 7 days; re-send it from here if it is lost or expires.",
            "invitation_resent" => "A new invitation was mailed; the earlier links no longer work.",
            "merged" => "The accounts were merged: the other account's profiles are here now, and it is a tombstone.",
            "profile_moved" => "The profile moved to this new account, and its owner was invited to choose a password (the link works for 7 days).",
            "signed_out" => "Every session of the account ended and its tokens were revoked.",
            "erased" => "The account was erased: its email, profiles and second factor are destroyed, its sessions and tokens ended. Its id stays in the audit log.",
            "role_created" => "The role was created.",
            "role_deleted" => "The role was deleted.",
            "role_changed" => "The role was changed.",
            "purpose_created" => "The purpose was defined. Name it in the clients that need it.",
            "purpose_published" => "The new version is in force: people who accepted an earlier one are asked again at their next sign-in.",
            "purpose_retired" => "The purpose is retired: nobody is asked for it any more.",
            "attribute_saved" => "The attribute was saved. Stored values are checked against it at their next change.",
            "attribute_removed" => "The attribute was removed from the schema: its values stay, masked and never in tokens.",
            "policy" => "The policies were saved. Hosted pages use them within a second.",
            "branding" => "The branding was saved. Hosted pages show it within a second.",
            "rotated" => "New signing keys are active. Earlier keys stay published until retired.",
            "retired" => "The key was retired.",
            "webhook_paused" => "The subscription is paused: new events are not handed to it until it is resumed.",
            "webhook_resumed" => "The subscription receives events again.",
            "webhook_deleted" => "The subscription and its deliveries were deleted.",
            "webhook_redelivered" => "The dead letter is back in line and is sent within seconds.",
            "customer_created" => "The customer was created. Link the accounts that act for it, and record its verification when it is done.",
            "customer_verified" => "The verification was recorded. Clients that ask for verified_claims receive it from the next token on.",
            "verification_withdrawn" => "The verification was withdrawn: no verified_claims are released for this customer.",
            "customer_linked" => "The account's link was saved; its next tokens carry it.",
            "customer_deleted" => "The customer and its sealed data were deleted; its accounts stay, unlinked.",
            "resource_created" => "The API was registered. Allow clients on it below before they can ask for its scopes.",
            "resource_access" => "The client's access to the API was saved; new tokens follow it.",
            "resource_deleted" => "The API was deleted: no new tokens are issued for it. Issued ones stay valid until they expire.",
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

page_handler!(overview, "", overview_page);

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
    form: CsrfForm<ConsoleForm>,
) -> HttpResponse {
    let form = form.into_inner();
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
    let frame = PageFrame::new(&state, &tenant, &req);
    let (browser, new_cookie) = CookieScope::tenant(&state, &tenant).browser(&req, BROWSER_COOKIE);
    let cookies: Vec<_> = new_cookie.into_iter().collect();
    let cookie = CookieScope::tenant(&state, &tenant).read(&req, SESSION_COOKIE);
    let ctx = match context(&state, tenant).await {
        Ok(ctx) => ctx,
        Err(e) => return respond(frame.error(&e), cookies),
    };
    let page_frame = frame.clone();
    let outcome = state
        .db
        .run(move |conn| {
            let session = match signed_in(conn, &ctx, cookie.as_deref()) {
                Ok(session) => session,
                Err(denied) => return Ok(denied_outcome(&page_frame, denied)),
            };
            let mut session = session;
            let details = serde_json::json!({ "surface": "console" });
            let tenant = &ctx.tenant.id;
            if choice::choose(
                conn,
                ctx.vault(),
                tenant,
                &mut session,
                chosen.as_deref(),
                details,
            )?
            .is_some()
            {
                return Ok(Outcome::Redirect(format!("{}/admin", ctx.issuer)));
            }
            let profiles = choice::available(conn, ctx.vault(), tenant, &session)?;
            let html = profile_choice(&ctx, &session, &profiles, &browser);
            Ok::<_, DbError>(page_frame.page(html))
        })
        .await
        .unwrap_or_else(|e| frame.error(&e));
    respond(outcome, cookies)
}

/// The page where a console user picks the profile whose permissions they act with.
fn profile_choice(
    ctx: &OidcContext,
    session: &crate::sessions::Session,
    profiles: &[crate::profiles::Profile],
    browser: &str,
) -> askama::Result<String> {
    let mut page = ConsolePage::new("Choose a profile");
    page.push(Block::Text(
        "Administration permissions belong to profiles. Choose the profile to act as.".into(),
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
        csrf_token: &sessions::csrf_token(browser),
        account_href: Some(format!("{}/account", ctx.issuer)),
    }
    .render();
    html
}

fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
