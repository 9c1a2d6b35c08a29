//! `GET|POST {issuer}/reset` and `{issuer}/reset/confirm`: password reset by mail. The request
//! page answers the same for known and unknown addresses, and the mail is sent in the
//! background so the timing does not tell either.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{respond, Outcome, PageFrame};
use crate::db::DbError;
use crate::i18n::Texts;
use crate::identity::recovery::{self, ResetError, RESET_LIFETIME_SECS};
use crate::identity::AccountError;
use crate::sessions;
use crate::sessions::BROWSER_COOKIE;
use crate::web::cookies::CookieScope;
use crate::web::extract::{CsrfForm, CurrentTenant};
use crate::web::AppState;

#[derive(Template)]
#[template(path = "reset_request.html")]
struct RequestPage<'a> {
    issuer: &'a str,
    tenant_name: &'a str,
    t: &'a Texts,
    csrf_token: &'a str,
    sent: bool,
}

#[derive(Template)]
#[template(path = "reset_form.html")]
struct ResetPage<'a> {
    issuer: &'a str,
    tenant_name: &'a str,
    t: &'a Texts,
    csrf_token: &'a str,
    token: &'a str,
    min_length: usize,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
pub struct RequestForm {
    email: Option<String>,
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

#[derive(Deserialize)]
pub struct ResetForm {
    token: Option<String>,
    password: Option<String>,
}

fn request_page(frame: &PageFrame, browser: &str, sent: bool) -> Outcome {
    let html = RequestPage {
        issuer: &frame.issuer,
        tenant_name: &frame.tenant_name,
        t: &frame.t,
        csrf_token: &sessions::csrf_token(browser),
        sent,
    }
    .render();
    frame.page(html)
}

pub async fn reset_request_form(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant, &req);
    let (browser, new_cookie) = CookieScope::tenant(&state, &tenant).browser(&req, BROWSER_COOKIE);
    respond(
        request_page(&frame, &browser, false),
        new_cookie.into_iter().collect(),
    )
}

pub async fn reset_request_submit(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    form: CsrfForm<RequestForm>,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant, &req);
    let (browser, form) = (form.browser, form.form);
    let client_ip = crate::web::extract::ClientIp::of(&req).0;
    let limit = state.settings.security.login_attempts_per_minute;
    let tenant_id = tenant.id.clone();
    let email = form.email.unwrap_or_default();
    let keys = state.keys.clone();
    let result = state
        .db
        .run(move |conn| {
            if let Some(retry_after) =
                crate::rate_limit::hit(conn, &format!("reset:{tenant_id}"), &client_ip, limit)?
            {
                return Ok::<_, DbError>(Err(retry_after));
            }
            Ok(Ok(recovery::request_reset(
                conn,
                keys.vault(),
                &tenant_id,
                &email,
            )?))
        })
        .await;
    match result {
        Ok(Err(retry_after)) => respond(Outcome::RateLimited(frame, retry_after), vec![]),
        Ok(Ok(found)) => {
            if let Some((email, token)) = found {
                let (t, issuer) = (&frame.t, &frame.issuer);
                mail_reset_link(&state, t, issuer, &tenant.name, email.as_str(), &token);
            }
            respond(request_page(&frame, &browser, true), vec![])
        }
        Err(e) => respond(frame.error(&e), vec![]),
    }
}

fn expired(frame: &PageFrame) -> Outcome {
    let again = ("link-reset-again", format!("{}/reset", frame.issuer));
    frame.say_with_links(StatusCode::BAD_REQUEST, "reset-expired", &[], &[again])
}

pub async fn reset_form(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    query: web::Query<TokenQuery>,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant, &req);
    let (browser, new_cookie) = CookieScope::tenant(&state, &tenant).browser(&req, BROWSER_COOKIE);
    let cookies: Vec<_> = new_cookie.into_iter().collect();
    let Some(token) = query.into_inner().token else {
        return respond(expired(&frame), cookies);
    };
    let tenant_id = tenant.id.clone();
    let min_length = tenant.policy.password_min_length;
    let page_frame = frame.clone();
    let outcome = state
        .db
        .run(move |conn| {
            Ok::<_, DbError>(
                if recovery::reset_token_is_live(conn, &tenant_id, &token)? {
                    let html = ResetPage {
                        issuer: &page_frame.issuer,
                        tenant_name: &page_frame.tenant_name,
                        t: &page_frame.t,
                        csrf_token: &sessions::csrf_token(&browser),
                        token: &token,
                        min_length,
                        error: None,
                    }
                    .render();
                    page_frame.page(html)
                } else {
                    expired(&page_frame)
                },
            )
        })
        .await
        .unwrap_or_else(|e| frame.error(&e));
    respond(outcome, cookies)
}

pub async fn reset_submit(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    form: CsrfForm<ResetForm>,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant, &req);
    let (browser, form) = (form.browser, form.form);
    let token = form.token.unwrap_or_default();
    let password = form.password.unwrap_or_default();
    let min_length = tenant.policy.password_min_length;
    let tenant_id = tenant.id.clone();
    let hasher = state.password_hasher.clone();
    let page_frame = frame.clone();
    let outcome = state
        .db
        .run(move |conn| {
            let error = match recovery::reset_password(
                conn, &hasher, &tenant_id, &token, &password, min_length,
            ) {
                Ok(()) => {
                    let login = |next: &str| format!("{}/login?next={next}", page_frame.issuer);
                    return Ok(page_frame.say_with_links(
                        StatusCode::OK,
                        "password-changed",
                        &[],
                        &[
                            ("link-sign-in-account", login("account")),
                            ("link-sign-in-console", login("admin")),
                        ],
                    ));
                }
                Err(ResetError::InvalidLink) => return Ok(expired(&page_frame)),
                Err(ResetError::Account(AccountError::Db(e))) => return Err(e),
                Err(ResetError::Account(e)) => {
                    super::refusal_of(&e).unwrap_or("password-too-short")
                }
            };
            let html = ResetPage {
                issuer: &page_frame.issuer,
                tenant_name: &page_frame.tenant_name,
                t: &page_frame.t,
                csrf_token: &sessions::csrf_token(&browser),
                token: &token,
                min_length,
                error: Some(&page_frame.t.arg(error, "min", min_length)),
            }
            .render();
            Ok::<_, DbError>(page_frame.page(html))
        })
        .await
        .unwrap_or_else(|e| frame.error(&e));
    respond(outcome, vec![])
}

/// Mails a reset link in the background: the answer must not wait for (and so reveal) a send.
/// Delivery problems are logged by the mailer.
/// `t`: the language of the page that asked for it (English when an administrator did).
pub fn mail_reset_link(
    state: &AppState,
    t: &Texts,
    issuer: &str,
    tenant_name: &str,
    to: &str,
    token: &str,
) {
    let link = format!("{issuer}/reset/confirm?token={token}");
    let minutes = RESET_LIFETIME_SECS / 60;
    match crate::mail::messages::password_reset(t, to, tenant_name, &link, minutes) {
        Ok(message) => super::send_later(state, message),
        Err(e) => tracing::error!(error = %e, "could not render the reset mail"),
    }
}
