//! `GET|POST {issuer}/authorize`

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::flow::advance;
use super::{respond, Outcome, PageFrame};
use crate::db::{tx, AnyConnection, DbError};
use crate::oidc::authorize::{self, AuthorizeError};
use crate::oidc::context::OidcContext;
use crate::oidc::form::Params;
use crate::sessions;
use crate::sessions::{BROWSER_COOKIE, SESSION_COOKIE};
use crate::web::cookies::CookieScope;
use crate::web::extract::{front_channel_params, ClientIp, CurrentTenant};
use crate::web::oauth::context;
use crate::web::AppState;

pub async fn authorize(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant, &req);
    let (browser, new_browser_cookie) =
        CookieScope::tenant(&state, &tenant).browser(&req, BROWSER_COOKIE);
    let cookies: Vec<_> = new_browser_cookie.into_iter().collect();
    let params = match front_channel_params(&req, &body) {
        Ok(params) => params,
        Err(e) => return respond(invalid_request(&frame, &e.description), cookies),
    };
    let ctx = match context(&state, tenant.clone()).await {
        Ok(ctx) => ctx,
        Err(e) => return respond(frame.error(&e), cookies),
    };
    let session_cookie = CookieScope::tenant(&state, &tenant).read(&req, SESSION_COOKIE);
    // Per address across tenants: what one address may keep stored is bounded.
    let limit = state.settings.security.authorization_requests_per_minute;
    let ip = ClientIp::of(&req).0;
    if let Some(retry_after) = state.authorize_windows.hit("authorize", &ip, limit) {
        return respond(Outcome::RateLimited(frame, retry_after), cookies);
    }
    let page_frame = frame.clone();
    let outcome = state
        .db
        .run(move |conn| {
            let cookie = session_cookie.as_deref();
            begin(conn, &ctx, &page_frame, &params, cookie, &browser)
        })
        .await;
    match outcome {
        Ok(outcome) => respond(outcome, cookies),
        Err(e) => respond(frame.error(&e), cookies),
    }
}

fn invalid_request(frame: &PageFrame, description: &str) -> Outcome {
    frame.message(
        StatusCode::BAD_REQUEST,
        &frame.t.get("authorize-invalid"),
        description,
    )
}

/// Validates the request and moves it on, in one transaction: the pending request stored, or
/// the code issued, with the session as read.
fn begin(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    frame: &PageFrame,
    params: &Params,
    session_cookie: Option<&str>,
    browser: &str,
) -> Result<Outcome, DbError> {
    tx::write(conn, |conn| {
        let (client, request) = match authorize::validate(conn, ctx, params) {
            Ok(valid) => valid,
            Err(AuthorizeError::Page(message)) => return Ok(invalid_request(frame, &message)),
            Err(AuthorizeError::Redirect(response)) => return Ok(Outcome::Client(response)),
            Err(AuthorizeError::Storage(e)) => return Err(e),
        };
        let session = match session_cookie {
            Some(value) => sessions::current(conn, &ctx.settings.sessions, &ctx.tenant.id, value)?,
            None => None,
        };
        advance(
            conn,
            ctx,
            frame,
            &client,
            &request,
            session.as_ref(),
            browser,
            None,
        )
    })
}
