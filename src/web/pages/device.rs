//! `GET|POST {issuer}/device`: where a person types the code a device shows (RFC 8628 §3.3).
//! A valid code starts the device's request in this browser, through the same sign-in,
//! profile choice and consent pages as any other; wrong codes are rate-limited per address.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::flow::advance;
use super::{respond, Outcome, PageFrame};
use crate::db::{tx, DbError};
use crate::i18n::Texts;
use crate::oidc::device;
use crate::sessions::{self, BROWSER_COOKIE, SESSION_COOKIE};
use crate::web::cookies::CookieScope;
use crate::web::extract::{ClientIp, CsrfForm, CurrentTenant};
use crate::web::oauth::context;
use crate::web::AppState;

#[derive(Template)]
#[template(path = "device.html")]
struct DevicePage<'a> {
    issuer: &'a str,
    tenant_name: &'a str,
    t: &'a Texts,
    csrf_token: &'a str,
    user_code: &'a str,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct CodeQuery {
    user_code: Option<String>,
}

#[derive(Deserialize)]
pub struct CodeForm {
    user_code: Option<String>,
}

fn page(frame: &PageFrame, browser: &str, user_code: &str, error: Option<String>) -> Outcome {
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let html = DevicePage {
        issuer: &frame.issuer,
        tenant_name: &frame.tenant_name,
        t: &frame.t,
        csrf_token: &sessions::csrf_token(browser),
        user_code,
        error,
    }
    .render();
    match frame.page(html) {
        Outcome::Page(_, html) => Outcome::Page(status, html),
        other => other,
    }
}

/// `GET {issuer}/device[?user_code=…]`: the form, prefilled from the complete URI.
pub async fn device_form(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    query: web::Query<CodeQuery>,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant, &req);
    let (browser, new_cookie) = CookieScope::tenant(&state, &tenant).browser(&req, BROWSER_COOKIE);
    // Only something that could be a code is echoed back into the field.
    let prefill = query
        .user_code
        .as_deref()
        .and_then(device::normalise)
        .map(|code| device::display(&code))
        .unwrap_or_default();
    respond(
        page(&frame, &browser, &prefill, None),
        new_cookie.into_iter().collect(),
    )
}

/// `POST {issuer}/device`: a valid code moves its request on (usually to sign-in).
pub async fn device_submit(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    form: CsrfForm<CodeForm>,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant, &req);
    let (browser, form) = (form.browser, form.form);
    let ctx = match context(&state, tenant.clone()).await {
        Ok(ctx) => ctx,
        Err(e) => return respond(frame.error(&e), vec![]),
    };
    let session_cookie = CookieScope::tenant(&state, &tenant).read(&req, SESSION_COOKIE);
    let ip = ClientIp::of(&req).0;
    let limit = state.settings.security.login_attempts_per_minute;
    let typed = form.user_code.unwrap_or_default();
    let page_frame = frame.clone();
    let outcome = state
        .db
        .run(move |conn| {
            tx::write(conn, |conn| {
                let scope = format!("device:{}", ctx.tenant.id);
                if let Some(retry_after) = crate::rate_limit::hit(conn, &scope, &ip, limit)? {
                    return Ok::<_, DbError>(Outcome::RateLimited(page_frame.clone(), retry_after));
                }
                let Some((client, request)) = device::find(conn, &ctx, &typed)? else {
                    let error = page_frame.t.get("device-invalid");
                    let shown: String = typed.chars().take(12).collect();
                    return Ok(page(&page_frame, &browser, &shown, Some(error)));
                };
                let session = match session_cookie.as_deref() {
                    Some(value) => {
                        sessions::current(conn, &ctx.settings.sessions, &ctx.tenant.id, value)?
                    }
                    None => None,
                };
                advance(
                    conn,
                    &ctx,
                    &page_frame,
                    &client,
                    &request,
                    session.as_ref(),
                    &browser,
                    None,
                )
            })
        })
        .await;
    match outcome {
        Ok(outcome) => respond(outcome, vec![]),
        Err(e) => respond(frame.error(&e), vec![]),
    }
}
