//! `GET|POST {issuer}/consent`: the user allows or denies the client's requested scopes.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::login::RequestQuery;
use super::{browser_value, csrf_ok, respond, session_value, Outcome, PageFrame};
use crate::db::AnyConnection;
use crate::domain::AccountId;
use crate::identity;
use crate::oidc::authorize::{self, Interaction, Next};
use crate::oidc::context::OidcContext;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::sessions::{self, Session};
use crate::tenancy::CurrentTenant;
use crate::web::oauth::context;
use crate::web::AppState;

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage<'a> {
    issuer: &'a str,
    tenant_name: &'a str,
    client_name: &'a str,
    user_label: &'a str,
    scopes: Vec<String>,
    csrf_token: &'a str,
    request_id: &'a str,
}

#[derive(Deserialize)]
pub struct ConsentForm {
    csrf_token: Option<String>,
    request: Option<String>,
    decision: Option<String>,
}

fn current_session(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    cookie: Option<&str>,
) -> Result<Option<Session>, crate::db::DbError> {
    match cookie {
        Some(value) => sessions::current(conn, &ctx.settings.sessions, &ctx.tenant.id, value),
        None => Ok(None),
    }
}

pub async fn consent_form(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    query: web::Query<RequestQuery>,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant);
    let (Some(browser), Some(request_id)) = (browser_value(&req), query.into_inner().request_id())
    else {
        return respond(frame.expired_request(), vec![]);
    };
    let Ok(ctx) = context(&state, tenant.clone()).await else {
        return respond(frame.failure(), vec![]);
    };
    let cookie = session_value(&req);
    let page_frame = frame.clone();
    let outcome = state
        .db
        .run(move |conn| {
            let Some((client, request)) = authorize::load_pending(
                conn,
                &ctx,
                &request_id,
                &sessions::browser_hash(&browser),
            )?
            else {
                return Ok(page_frame.expired_request());
            };
            let Some(session) = current_session(conn, &ctx, cookie.as_deref())? else {
                return Ok(Outcome::Redirect(format!(
                    "{}/login?request={request_id}",
                    ctx.issuer
                )));
            };
            let account = identity::find_account(
                conn,
                &ctx.tenant.id,
                &AccountId::from_stored(session.account_id.to_string()),
            );
            let user_label = match (&account, &session.profile_id) {
                (Ok(account), Some(profile)) => {
                    let name = account
                        .profiles
                        .iter()
                        .find(|p| &p.id == profile)
                        .map(|p| p.name.as_str())
                        .unwrap_or_default();
                    format!("{} ({name})", account.email)
                }
                (Ok(account), None) => account.email.to_string(),
                _ => String::new(),
            };
            let scopes = request
                .scopes()
                .iter()
                .filter_map(authorize::describe_scope)
                .map(str::to_owned)
                .collect();
            let html = ConsentPage {
                issuer: &page_frame.issuer,
                tenant_name: &page_frame.tenant_name,
                client_name: &client.name,
                user_label: &user_label,
                scopes,
                csrf_token: &sessions::csrf_token(&browser),
                request_id: &request_id,
            }
            .render();
            Ok::<_, crate::db::DbError>(match html {
                Ok(html) => Outcome::Page(StatusCode::OK, html),
                Err(_) => page_frame.failure(),
            })
        })
        .await
        .unwrap_or_else(|_| frame.failure());
    respond(outcome, vec![])
}

pub async fn consent_submit(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    form: web::Form<ConsentForm>,
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
    let cookie = session_value(&req);
    let page_frame = frame.clone();
    let outcome = state
        .db
        .run(move |conn| {
            let Some((client, request)) = authorize::load_pending(
                conn,
                &ctx,
                &request_id,
                &sessions::browser_hash(&browser),
            )?
            else {
                return Ok(page_frame.expired_request());
            };
            let Some(session) = current_session(conn, &ctx, cookie.as_deref())? else {
                return Ok(Outcome::Redirect(format!(
                    "{}/login?request={request_id}",
                    ctx.issuer
                )));
            };
            let Some(profile) = session.profile_id.clone() else {
                return Ok(page_frame.failure());
            };
            if form.decision.as_deref() != Some("allow") {
                authorize::finish_pending(conn, &ctx, &request_id)?;
                let denied =
                    OAuthError::new(ErrorCode::AccessDenied, "the user denied the request");
                return Ok(Outcome::Client(request.error(&ctx.issuer, denied)));
            }
            authorize::record_consent(conn, &ctx, &client, &profile, &request)?;
            let interaction = Interaction {
                signed_in_now: false,
                consented_now: true,
            };
            let outcome = match authorize::decide(
                conn,
                &ctx,
                &client,
                &request,
                Some(&session),
                interaction,
            )? {
                Next::Issue => {
                    authorize::finish_pending(conn, &ctx, &request_id)?;
                    Outcome::Client(authorize::issue_code(
                        conn, &ctx, &client, &request, &session, &profile,
                    )?)
                }
                Next::Login => {
                    Outcome::Redirect(format!("{}/login?request={request_id}", ctx.issuer))
                }
                Next::Consent => page_frame.failure(),
                Next::Fail(code, description) => {
                    authorize::finish_pending(conn, &ctx, &request_id)?;
                    Outcome::Client(request.error(&ctx.issuer, OAuthError::new(code, description)))
                }
            };
            Ok::<_, crate::db::DbError>(outcome)
        })
        .await
        .unwrap_or_else(|_| frame.failure());
    respond(outcome, vec![])
}
