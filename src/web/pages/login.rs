//! `GET|POST {issuer}/login`: email and password, for a pending authorization request.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::flow::advance;
use super::{
    browser, browser_value, csrf_ok, respond, session_cookie, session_value, Outcome, PageFrame,
};
use crate::db::AnyConnection;
use crate::identity::{self, password::PasswordHasher};
use crate::oidc::authorize;
use crate::oidc::context::OidcContext;
use crate::sessions;
use crate::tenancy::CurrentTenant;
use crate::web::oauth::context;
use crate::web::AppState;

/// One message for every failure: it must not reveal whether the email exists.
const LOGIN_FAILED: &str = "The email or password is incorrect, or this account cannot sign in.";
const PASSWORD_ACR: &str = "urn:tessera:acr:pwd";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    issuer: &'a str,
    tenant_name: &'a str,
    client_name: &'a str,
    csrf_token: &'a str,
    request_id: &'a str,
    email: &'a str,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
pub struct RequestQuery {
    request: Option<String>,
}

impl RequestQuery {
    pub fn request_id(self) -> Option<String> {
        self.request.filter(|r| !r.is_empty())
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    csrf_token: Option<String>,
    request: Option<String>,
    email: Option<String>,
    password: Option<String>,
}

fn login_page(
    frame: &PageFrame,
    client_name: &str,
    browser: &str,
    request_id: &str,
    email: &str,
    error: Option<&str>,
) -> Outcome {
    let html = LoginPage {
        issuer: &frame.issuer,
        tenant_name: &frame.tenant_name,
        client_name,
        csrf_token: &sessions::csrf_token(browser),
        request_id,
        email,
        error,
    }
    .render();
    match html {
        Ok(html) => Outcome::Page(StatusCode::OK, html),
        Err(_) => frame.failure(),
    }
}

pub async fn login_form(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    query: web::Query<RequestQuery>,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant);
    let (browser, new_cookie) = browser(&state, &tenant, &req);
    let cookies: Vec<_> = new_cookie.into_iter().collect();
    let Some(request_id) = query.into_inner().request_id() else {
        return respond(frame.expired_request(), cookies);
    };
    let Ok(ctx) = context(&state, tenant.clone()).await else {
        return respond(frame.failure(), cookies);
    };
    let page_frame = frame.clone();
    let outcome = state
        .db
        .run(move |conn| {
            Ok::<_, crate::db::DbError>(
                match authorize::load_pending(
                    conn,
                    &ctx,
                    &request_id,
                    &sessions::browser_hash(&browser),
                )? {
                    None => page_frame.expired_request(),
                    Some((client, request)) => {
                        let email = request.login_hint.as_deref().unwrap_or_default();
                        login_page(
                            &page_frame,
                            &client.name,
                            &browser,
                            &request_id,
                            email,
                            None,
                        )
                    }
                },
            )
        })
        .await
        .unwrap_or_else(|_| frame.failure());
    respond(outcome, cookies)
}

pub async fn login_submit(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant);
    let form = form.into_inner();
    let (Some(browser), true) = (
        browser_value(&req),
        csrf_ok(&req, form.csrf_token.as_deref()),
    ) else {
        return respond(frame.bad_form(), vec![]);
    };
    let Some(request_id) = form.request.clone() else {
        return respond(frame.expired_request(), vec![]);
    };
    let Ok(ctx) = context(&state, tenant.clone()).await else {
        return respond(frame.failure(), vec![]);
    };
    let hasher = state.password_hasher.clone();
    let previous_session = session_value(&req);
    let page_frame = frame.clone();
    let result = state
        .db
        .run(move |conn| {
            sign_in(
                conn,
                &ctx,
                &page_frame,
                &hasher,
                &browser,
                &request_id,
                &form,
                previous_session.as_deref(),
            )
        })
        .await;
    match result {
        Ok((outcome, Some(cookie_value))) => {
            respond(outcome, vec![session_cookie(&state, &tenant, cookie_value)])
        }
        Ok((outcome, None)) => respond(outcome, vec![]),
        Err(e) => {
            tracing::error!(error = %e, "sign-in failed");
            respond(frame.failure(), vec![])
        }
    }
}

/// Checks the credentials, starts a fresh session (a new id: no fixation) and continues the
/// authorization request. Returns the outcome and the new session cookie value.
#[allow(clippy::too_many_arguments)]
fn sign_in(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    frame: &PageFrame,
    hasher: &PasswordHasher,
    browser: &str,
    request_id: &str,
    form: &LoginForm,
    previous_session: Option<&str>,
) -> Result<(Outcome, Option<String>), crate::db::DbError> {
    let Some((client, request)) =
        authorize::load_pending(conn, ctx, request_id, &sessions::browser_hash(browser))?
    else {
        return Ok((frame.expired_request(), None));
    };
    let email = form.email.as_deref().unwrap_or_default();
    let password = form.password.as_deref().unwrap_or_default();
    let account = match identity::authenticate(conn, hasher, &ctx.tenant.id, email, password) {
        Ok(account) => account,
        Err(identity::LoginError::Db(e)) => return Err(e),
        Err(_) => {
            tracing::info!(tenant = %ctx.tenant.slug, "sign-in failed");
            let page = login_page(
                frame,
                &client.name,
                browser,
                request_id,
                email,
                Some(LOGIN_FAILED),
            );
            return Ok((page, None));
        }
    };
    // One profile is chosen at once; with several, the picker asks.
    let choices = crate::db::accounts::profiles(conn, &ctx.tenant.id, &account.id)?;
    let profile = match choices.as_slice() {
        [only] => Some(crate::domain::ProfileId::from_stored(only.id.clone())),
        _ => None,
    };
    if let Some(old) = previous_session {
        if let Some(old) = sessions::current(conn, &ctx.settings.sessions, &ctx.tenant.id, old)? {
            sessions::end(conn, &ctx.tenant.id, &old.id)?;
        }
    }
    let (session, cookie) = sessions::create(
        conn,
        &ctx.settings.sessions,
        &ctx.tenant.id,
        &account.id,
        profile.as_ref(),
        &["pwd"],
        PASSWORD_ACR,
    )?;
    let mut request = request;
    authorize::satisfied(conn, ctx, request_id, &mut request, "login")?;
    let outcome = advance(
        conn,
        ctx,
        frame,
        &client,
        &request,
        Some(&session),
        browser,
        Some(request_id),
    )?;
    Ok((outcome, Some(cookie)))
}
