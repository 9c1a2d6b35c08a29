//! `GET|POST {issuer}/verify`: a mailed confirmation link. `GET` only shows a button, so a
//! mail scanner or link preview that fetches the link confirms nothing; the button's `POST`
//! (with the form's CSRF token) spends the link.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{respond, Outcome, PageFrame};
use crate::db::DbError;
use crate::i18n::Texts;
use crate::identity::verification::{self, Verified};
use crate::identity::AccountError;
use crate::sessions::{self, BROWSER_COOKIE};
use crate::web::cookies::CookieScope;
use crate::web::extract::{CsrfForm, CurrentTenant};
use crate::web::AppState;

#[derive(Template)]
#[template(path = "verify.html")]
struct ConfirmPage<'a> {
    issuer: &'a str,
    tenant_name: &'a str,
    t: &'a Texts,
    csrf_token: &'a str,
    token: &'a str,
}

#[derive(Deserialize)]
pub struct LinkToken {
    token: Option<String>,
}

fn expired(frame: &PageFrame) -> Outcome {
    frame.say(StatusCode::BAD_REQUEST, "link-expired", &[])
}

/// `GET {issuer}/verify?token=…`: the button, if the link is live.
pub async fn verify_form(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    query: web::Query<LinkToken>,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant, &req);
    let (browser, new_cookie) = CookieScope::tenant(&state, &tenant).browser(&req, BROWSER_COOKIE);
    let cookies: Vec<_> = new_cookie.into_iter().collect();
    let Some(token) = query.into_inner().token.filter(|t| !t.is_empty()) else {
        return respond(expired(&frame), cookies);
    };
    let tenant_id = tenant.id.clone();
    let page_frame = frame.clone();
    let outcome = state
        .db
        .run(move |conn| {
            if !verification::link_is_live(conn, &tenant_id, &token)? {
                return Ok::<_, DbError>(expired(&page_frame));
            }
            let html = ConfirmPage {
                issuer: &page_frame.issuer,
                tenant_name: &page_frame.tenant_name,
                t: &page_frame.t,
                csrf_token: &sessions::csrf_token(&browser),
                token: &token,
            }
            .render();
            Ok(page_frame.page(html))
        })
        .await
        .unwrap_or_else(|e| frame.error(&e));
    respond(outcome, cookies)
}

/// `POST {issuer}/verify`: spends the link and confirms the address.
pub async fn verify_submit(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    form: CsrfForm<LinkToken>,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant, &req);
    let token = form.into_inner().token.unwrap_or_default();
    let tenant_id = tenant.id.clone();
    let page_frame = frame.clone();
    let outcome = state
        .db
        .run(move |conn| {
            Ok::<_, DbError>(match verification::verify(conn, &tenant_id, &token) {
                Ok(Some(Verified::Account(_))) => {
                    page_frame.say(StatusCode::OK, "verified-account", &[])
                }
                Ok(Some(Verified::Profile(_))) => {
                    page_frame.say(StatusCode::OK, "verified-profile", &[])
                }
                Ok(None) => expired(&page_frame),
                Err(AccountError::Db(e)) => return Err(e),
                Err(_) => page_frame.failure(),
            })
        })
        .await
        .unwrap_or_else(|e| frame.error(&e));
    respond(outcome, vec![])
}
