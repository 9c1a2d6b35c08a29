//! `GET|POST {issuer}/email-change/confirm` (the link mailed to the new address) and
//! `GET|POST {issuer}/email-change/revert` (the link mailed to the old one). `GET` only shows
//! a form, so a mail scanner that fetches a link changes nothing; the form's `POST` (with its
//! CSRF token) spends the link. The rules are `identity::email_change`'s.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{respond, Outcome, PageFrame};
use crate::i18n::Texts;
use crate::identity::email_change::{self, EmailChangeError, Revert};
use crate::identity::AccountError;
use crate::sessions::{self, BROWSER_COOKIE};
use crate::web::cookies::CookieScope;
use crate::web::extract::{ClientIp, CsrfForm, CurrentTenant};
use crate::web::AppState;

#[derive(Template)]
#[template(path = "email_change_confirm.html")]
struct ConfirmPage<'a> {
    issuer: &'a str,
    tenant_name: &'a str,
    t: &'a Texts,
    csrf_token: &'a str,
    token: &'a str,
    email: &'a str,
}

#[derive(Template)]
#[template(path = "email_change_revert.html")]
struct RevertPage<'a> {
    issuer: &'a str,
    tenant_name: &'a str,
    t: &'a Texts,
    csrf_token: &'a str,
    token: &'a str,
    email: &'a str,
    min_length: usize,
    second_factor: bool,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
pub struct LinkToken {
    token: Option<String>,
}

#[derive(Deserialize)]
pub struct RevertForm {
    token: Option<String>,
    password: Option<String>,
    code: Option<String>,
}

fn expired(frame: &PageFrame) -> Outcome {
    frame.say(StatusCode::BAD_REQUEST, "link-expired", &[])
}

/// The page for an address another account took in the meantime.
fn taken(frame: &PageFrame) -> Outcome {
    frame.say(StatusCode::CONFLICT, "email-change-taken", &[])
}

/// `GET {issuer}/email-change/confirm?token=…`: the new address and a button.
pub async fn confirm_form(
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
    let (app, tenant_id, page_frame) = (state.clone(), tenant.id.clone(), frame.clone());
    let outcome = state
        .db
        .run(move |conn| {
            let vault = app.keys.vault();
            let email = match email_change::pending_address(conn, vault, &tenant_id, &token) {
                Ok(Some(email)) => email,
                Ok(None) => return Ok(expired(&page_frame)),
                Err(e) => return Err(e),
            };
            let html = ConfirmPage {
                issuer: &page_frame.issuer,
                tenant_name: &page_frame.tenant_name,
                t: &page_frame.t,
                csrf_token: &sessions::csrf_token(&browser),
                token: &token,
                email: email.as_str(),
            }
            .render();
            Ok::<_, EmailChangeError>(page_frame.page(html))
        })
        .await
        .unwrap_or_else(|e| frame.error(&e));
    respond(outcome, cookies)
}

/// `POST {issuer}/email-change/confirm`: switches the address and tells the old one.
pub async fn confirm_submit(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    ip: ClientIp,
    req: HttpRequest,
    form: CsrfForm<LinkToken>,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant, &req);
    let token = form.into_inner().token.unwrap_or_default();
    let (app, tenant_id, page_frame) = (state.clone(), tenant.id.clone(), frame.clone());
    let outcome = state
        .db
        .run(move |conn| {
            let vault = app.keys.vault();
            let confirmed = match email_change::confirm(conn, vault, &tenant_id, &token, &ip.0) {
                Ok(confirmed) => confirmed,
                Err(EmailChangeError::InvalidLink) => return Ok(expired(&page_frame)),
                Err(EmailChangeError::AddressTaken) => return Ok(taken(&page_frame)),
                Err(e) => return Err(e),
            };
            let link = format!(
                "{}/email-change/revert?token={}",
                page_frame.issuer, confirmed.revert_token
            );
            let (t, old, new) = (
                &page_frame.t,
                confirmed.old.as_str(),
                confirmed.new.as_str(),
            );
            match crate::mail::messages::email_changed(t, old, &page_frame.tenant_name, new, &link)
            {
                Ok(mail) => super::send_later(&app, mail),
                Err(e) => {
                    tracing::error!(error = %e, "the email-change notice could not be composed")
                }
            }
            Ok::<_, EmailChangeError>(page_frame.say(
                StatusCode::OK,
                "email-changed",
                &[("email", new)],
            ))
        })
        .await
        .unwrap_or_else(|e| frame.error(&e));
    respond(outcome, vec![])
}

/// What the revert form needs besides the frame.
struct RevertFields<'a> {
    browser: &'a str,
    token: &'a str,
    email: &'a str,
    min_length: usize,
    second_factor: bool,
}

fn revert_page(frame: &PageFrame, fields: &RevertFields, error: Option<&str>) -> Outcome {
    let html = RevertPage {
        issuer: &frame.issuer,
        tenant_name: &frame.tenant_name,
        t: &frame.t,
        csrf_token: &sessions::csrf_token(fields.browser),
        token: fields.token,
        email: fields.email,
        min_length: fields.min_length,
        second_factor: fields.second_factor,
        error,
    }
    .render();
    frame.page(html)
}

/// `GET {issuer}/email-change/revert?token=…`: a new password (and a code, when asked).
pub async fn revert_form(
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
    let (app, tenant_id, page_frame) = (state.clone(), tenant.id.clone(), frame.clone());
    let min_length = tenant.policy.password_min_length;
    let outcome = state
        .db
        .run(move |conn| {
            let vault = app.keys.vault();
            let Some(view) = email_change::revert_view(conn, vault, &tenant_id, &token)? else {
                return Ok(expired(&page_frame));
            };
            let fields = RevertFields {
                browser: &browser,
                token: &token,
                email: view.old.as_str(),
                min_length,
                second_factor: view.second_factor,
            };
            Ok::<_, EmailChangeError>(revert_page(&page_frame, &fields, None))
        })
        .await
        .unwrap_or_else(|e| frame.error(&e));
    respond(outcome, cookies)
}

/// `POST {issuer}/email-change/revert`: restores the old address with a new password.
pub async fn revert_submit(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    ip: ClientIp,
    req: HttpRequest,
    form: CsrfForm<RevertForm>,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant, &req);
    let (browser, form) = (form.browser, form.form);
    let token = form.token.unwrap_or_default();
    let password = form.password.unwrap_or_default();
    let (app, tenant_id, page_frame) = (state.clone(), tenant.id.clone(), frame.clone());
    let min_length = tenant.policy.password_min_length;
    let outcome = state
        .db
        .run(move |conn| {
            let (vault, master) = (app.keys.vault(), app.keys.master());
            let revert = Revert {
                token: &token,
                new_password: &password,
                code: form.code.as_deref(),
                min_chars: min_length,
                ip: &ip.0,
            };
            let hasher = &app.password_hasher;
            let error = match email_change::revert(conn, vault, master, hasher, &tenant_id, revert)
            {
                Ok(email) => {
                    let login = format!("{}/login?next=account", page_frame.issuer);
                    return Ok(page_frame.say_with_links(
                        StatusCode::OK,
                        "email-reverted",
                        &[("email", email.as_str())],
                        &[("link-sign-in-account", login)],
                    ));
                }
                Err(EmailChangeError::InvalidLink) => return Ok(expired(&page_frame)),
                Err(EmailChangeError::AddressTaken) => return Ok(taken(&page_frame)),
                Err(EmailChangeError::SecondFactorNeeded | EmailChangeError::WrongCode) => {
                    page_frame.t.get("email-revert-wrong-code")
                }
                Err(EmailChangeError::Account(AccountError::Db(e))) => {
                    return Err(EmailChangeError::from(e))
                }
                Err(EmailChangeError::Account(e)) => match super::refusal_of(&e) {
                    Some(id) => page_frame.t.arg(id, "min", min_length),
                    None => return Err(EmailChangeError::Account(e)),
                },
                Err(e) => return Err(e),
            };
            // The form again, if the link still works (too many wrong codes end it).
            let Some(view) = email_change::revert_view(conn, vault, &tenant_id, &token)? else {
                return Ok(expired(&page_frame));
            };
            let fields = RevertFields {
                browser: &browser,
                token: &token,
                email: view.old.as_str(),
                min_length,
                second_factor: view.second_factor,
            };
            Ok::<_, EmailChangeError>(revert_page(&page_frame, &fields, Some(&error)))
        })
        .await
        .unwrap_or_else(|e| frame.error(&e));
    respond(outcome, vec![])
}
