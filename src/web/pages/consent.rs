//! `GET|POST {issuer}/consent`: the user allows or denies the client's requested scopes for
//! the chosen profile.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::flow::{resume_pending, Resumed};
use super::target::RequestQuery;
use super::{Outcome, PageFrame};
use crate::db::{AnyConnection, DbError};
use crate::identity;
use crate::oidc::authorize::{self, Next};
use crate::oidc::context::OidcContext;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::profiles;
use crate::sessions;
use crate::web::extract::{CsrfForm, CurrentTenant};
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
    request: Option<String>,
    decision: Option<String>,
}

pub async fn consent_form(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    query: web::Query<RequestQuery>,
) -> HttpResponse {
    resume_pending(
        state,
        tenant,
        &req,
        query.into_inner().request_id(),
        |conn, ctx, frame, r| {
            // Only when consent is the next step; otherwise move on.
            let next = authorize::decide(conn, ctx, &r.client, &r.request, r.session.as_ref())?;
            let (Some(session), Next::Consent(profile_id)) = (&r.session, next) else {
                return r.advance(conn, ctx, frame);
            };
            let Resumed {
                client,
                request,
                browser,
                request_id,
                ..
            } = &r;
            let email =
                identity::find_account(conn, ctx.vault(), &ctx.tenant.id, &session.account_id)
                    .map(|a| a.email.to_string())
                    .unwrap_or_default();
            let profile_name = profiles::find(conn, ctx.vault(), &ctx.tenant.id, &profile_id)
                .map(|p| p.name)
                .unwrap_or_default();
            let scopes = request
                .scopes()
                .iter()
                .filter_map(authorize::describe_scope)
                .map(str::to_owned)
                .collect();
            let html = ConsentPage {
                issuer: &frame.issuer,
                tenant_name: &frame.tenant_name,
                client_name: &client.name,
                user_label: &format!("{email} ({profile_name})"),
                scopes,
                csrf_token: &sessions::csrf_token(browser),
                request_id,
            }
            .render();
            Ok(frame.page(html))
        },
    )
    .await
}

pub async fn consent_submit(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    form: CsrfForm<ConsentForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let allowed = form.decision.as_deref() == Some("allow");
    let ip = crate::web::extract::ClientIp::of(&req).0;
    resume_pending(
        state,
        tenant,
        &req,
        form.request,
        move |conn, ctx, frame, r| decide(conn, ctx, frame, r, allowed, &ip),
    )
    .await
}

/// Applies the user's decision, when the request still waits for consent.
fn decide(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    frame: &PageFrame,
    resumed: Resumed,
    allowed: bool,
    ip: &str,
) -> Result<Outcome, DbError> {
    let mut r = resumed;
    let next = authorize::decide(conn, ctx, &r.client, &r.request, r.session.as_ref())?;
    if let Next::Consent(profile) = next {
        if !allowed {
            authorize::finish_pending(conn, ctx, &r.request_id)?;
            let denied = OAuthError::new(ErrorCode::AccessDenied, "the user denied the request");
            return Ok(Outcome::Client(r.request.error(&ctx.issuer, denied)));
        }
        authorize::record_consent(conn, ctx, &r.client, &profile, &r.request, ip)?;
        authorize::satisfied(conn, ctx, &r.request_id, &mut r.request, "consent")?;
    }
    r.advance(conn, ctx, frame)
}
