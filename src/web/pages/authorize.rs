//! `GET|POST {issuer}/authorize`

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::{browser, respond, session_value, Outcome, PageFrame};
use crate::oidc::authorize::{self, AuthorizeError, Interaction, Next};
use crate::oidc::error::OAuthError;
use crate::oidc::form::Params;
use crate::sessions;
use crate::tenancy::CurrentTenant;
use crate::web::oauth::context;
use crate::web::AppState;

pub async fn authorize(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant);
    let (browser, new_browser_cookie) = browser(&state, &tenant, &req);
    let cookies: Vec<_> = new_browser_cookie.into_iter().collect();
    let encoded = if req.method() == actix_web::http::Method::POST {
        body.to_vec()
    } else {
        req.query_string().as_bytes().to_vec()
    };
    let params = match Params::parse(&encoded) {
        Ok(params) => params,
        Err(e) => {
            return respond(
                frame.message(
                    StatusCode::BAD_REQUEST,
                    "Invalid sign-in request",
                    &e.description,
                ),
                cookies,
            )
        }
    };
    let Ok(ctx) = context(&state, tenant.clone()).await else {
        return respond(frame.failure(), cookies);
    };
    let session_cookie = session_value(&req);
    let settings = state.settings.clone();
    let page_frame = frame.clone();
    let outcome = state
        .db
        .run(move |conn| {
            let (client, request) = match authorize::validate(conn, &ctx, &params) {
                Ok(valid) => valid,
                Err(AuthorizeError::Page(message)) => {
                    return Ok(page_frame.message(
                        StatusCode::BAD_REQUEST,
                        "Invalid sign-in request",
                        &message,
                    ))
                }
                Err(AuthorizeError::Redirect(response)) => return Ok(Outcome::Client(response)),
            };
            let session = match &session_cookie {
                Some(value) => sessions::current(conn, &settings.sessions, &ctx.tenant.id, value)?,
                None => None,
            };
            let next = authorize::decide(
                conn,
                &ctx,
                &client,
                &request,
                session.as_ref(),
                Interaction::default(),
            )?;
            Ok::<_, crate::db::DbError>(match next {
                Next::Fail(code, description) => {
                    Outcome::Client(request.error(&ctx.issuer, OAuthError::new(code, description)))
                }
                Next::Issue => match session
                    .as_ref()
                    .and_then(|s| Some((s, s.profile_id.clone()?)))
                {
                    Some((session, profile)) => Outcome::Client(authorize::issue_code(
                        conn, &ctx, &client, &request, session, &profile,
                    )?),
                    None => page_frame.failure(),
                },
                Next::Login => {
                    let id = authorize::store_pending(
                        conn,
                        &ctx,
                        &request,
                        &sessions::browser_hash(&browser),
                    )?;
                    Outcome::Redirect(format!("{}/login?request={id}", ctx.issuer))
                }
                Next::Consent => {
                    let id = authorize::store_pending(
                        conn,
                        &ctx,
                        &request,
                        &sessions::browser_hash(&browser),
                    )?;
                    Outcome::Redirect(format!("{}/consent?request={id}", ctx.issuer))
                }
            })
        })
        .await;
    match outcome {
        Ok(outcome) => respond(outcome, cookies),
        Err(e) => {
            tracing::error!(error = %e, "authorization failed");
            respond(frame.failure(), cookies)
        }
    }
}
