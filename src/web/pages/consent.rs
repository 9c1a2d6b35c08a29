//! `GET|POST {issuer}/consent`: the user allows or denies the client's requested scopes for
//! the chosen profile.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::flow::advance;
use super::login::RequestQuery;
use super::{browser_value, csrf_ok, respond, session_value, Outcome, PageFrame};
use crate::db::AnyConnection;
use crate::identity;
use crate::oidc::authorize::{self, Next};
use crate::oidc::context::OidcContext;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::profiles;
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
            let session = current_session(conn, &ctx, cookie.as_deref())?;
            // Only when consent is the next step; otherwise move on.
            let (Some(session), Next::Consent(profile_id)) = (
                &session,
                authorize::decide(conn, &ctx, &client, &request, session.as_ref())?,
            ) else {
                return advance(
                    conn,
                    &ctx,
                    &page_frame,
                    &client,
                    &request,
                    session.as_ref(),
                    &browser,
                    Some(&request_id),
                );
            };
            let email = identity::find_account(conn, &ctx.tenant.id, &session.account_id)
                .map(|a| a.email.to_string())
                .unwrap_or_default();
            let profile_name = profiles::find(conn, &ctx.tenant.id, &profile_id)
                .map(|p| p.name)
                .unwrap_or_default();
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
                user_label: &format!("{email} ({profile_name})"),
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
            let Some((client, mut request)) = authorize::load_pending(
                conn,
                &ctx,
                &request_id,
                &sessions::browser_hash(&browser),
            )?
            else {
                return Ok(page_frame.expired_request());
            };
            let session = current_session(conn, &ctx, cookie.as_deref())?;
            let next = authorize::decide(conn, &ctx, &client, &request, session.as_ref())?;
            let Next::Consent(profile) = next else {
                return advance(
                    conn,
                    &ctx,
                    &page_frame,
                    &client,
                    &request,
                    session.as_ref(),
                    &browser,
                    Some(&request_id),
                );
            };
            if form.decision.as_deref() != Some("allow") {
                authorize::finish_pending(conn, &ctx, &request_id)?;
                let denied =
                    OAuthError::new(ErrorCode::AccessDenied, "the user denied the request");
                return Ok(Outcome::Client(request.error(&ctx.issuer, denied)));
            }
            authorize::record_consent(conn, &ctx, &client, &profile, &request)?;
            authorize::satisfied(conn, &ctx, &request_id, &mut request, "consent")?;
            advance(
                conn,
                &ctx,
                &page_frame,
                &client,
                &request,
                session.as_ref(),
                &browser,
                Some(&request_id),
            )
        })
        .await
        .unwrap_or_else(|_| frame.failure());
    respond(outcome, vec![])
}
