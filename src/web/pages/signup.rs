//! `GET|POST {issuer}/signup` (when the tenant allows self sign-up).
//! Sign-up answers the same for new and existing addresses, spends the same hashing time, and
//! mails either a verification link or a "you already have an account" note in the background.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{respond, send_later, Outcome, PageFrame};
use crate::i18n::Texts;
use crate::identity::signup::SignUp;
use crate::identity::{self, NewAccount};
use crate::sessions;
use crate::sessions::BROWSER_COOKIE;
use crate::web::cookies::CookieScope;
use crate::web::extract::{ClientIp, CsrfForm, CurrentTenant};
use crate::web::AppState;

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage<'a> {
    issuer: &'a str,
    tenant_name: &'a str,
    t: &'a Texts,
    csrf_token: &'a str,
    min_length: usize,
    sent: bool,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
pub struct SignupForm {
    email: Option<String>,
    password: Option<String>,
}

fn page(
    frame: &PageFrame,
    browser: &str,
    min_length: usize,
    sent: bool,
    error: Option<&str>,
) -> Outcome {
    let html = SignupPage {
        issuer: &frame.issuer,
        tenant_name: &frame.tenant_name,
        t: &frame.t,
        csrf_token: &sessions::csrf_token(browser),
        min_length,
        sent,
        error: error
            .map(|id| frame.t.arg(id, "min", min_length))
            .as_deref(),
    }
    .render();
    frame.page(html)
}

fn closed(frame: &PageFrame) -> Outcome {
    frame.say(StatusCode::NOT_FOUND, "signup-closed", &[])
}

pub async fn signup_form(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant, &req);
    if !tenant.policy.self_signup {
        return respond(closed(&frame), vec![]);
    }
    let (browser, new_cookie) = CookieScope::tenant(&state, &tenant).browser(&req, BROWSER_COOKIE);
    respond(
        page(
            &frame,
            &browser,
            tenant.policy.password_min_length,
            false,
            None,
        ),
        new_cookie.into_iter().collect(),
    )
}

pub async fn signup_submit(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    form: CsrfForm<SignupForm>,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant, &req);
    if !tenant.policy.self_signup {
        return respond(closed(&frame), vec![]);
    }
    let (browser, form) = (form.browser, form.form);
    let min_length = tenant.policy.password_min_length;
    let refused = |error: &str| {
        respond(
            page(&frame, &browser, min_length, false, Some(error)),
            vec![],
        )
    };
    let email = form.email.unwrap_or_default();
    let password = form.password.unwrap_or_default();
    // Rules that do not depend on whether the address is known are checked first, openly.
    if let Err(e) = identity::check_password(&password, min_length) {
        return refused(super::refusal_of(&e).unwrap_or("password-too-short"));
    }
    if crate::domain::Email::parse(&email).is_err() {
        return refused("email-invalid");
    }
    let sign_up = SignUp {
        tenant: tenant.id.clone(),
        tenant_name: tenant.name.clone(),
        issuer: frame.issuer.clone(),
        client_ip: ClientIp::of(&req).0,
        attempts_per_minute: state.settings.security.login_attempts_per_minute,
        texts: frame.t.clone(),
    };
    let admit = sign_up.clone();
    match state.db.run(move |conn| admit.admit(conn)).await {
        Ok(None) => {}
        Ok(Some(retry_after)) => return respond(Outcome::RateLimited(frame, retry_after), vec![]),
        Err(e) => return respond(frame.error(&e), vec![]),
    }
    // Hashed before the address is looked up: known and new addresses cost the same.
    let prepare = move |hasher: &_| NewAccount::prepare(hasher, &email, &password, min_length);
    let new = match state.password_hasher.run(prepare).await {
        Ok(Ok(new)) => new,
        Ok(Err(e)) => match super::refusal_of(&e) {
            Some(id) => return refused(id),
            None => {
                tracing::error!(error = %e, "sign-up could not prepare the account");
                return respond(frame.failure(), vec![]);
            }
        },
        Err(e) => {
            tracing::error!(error = %e, "sign-up hashing failed");
            return respond(frame.failure(), vec![]);
        }
    };
    let keys = state.keys.clone();
    match state
        .db
        .run(move |conn| sign_up.register(conn, keys.vault(), &new))
        .await
    {
        Ok(mail) => {
            if let Some(mail) = mail {
                send_later(&state, mail);
            }
            respond(page(&frame, &browser, min_length, true, None), vec![])
        }
        Err(e) => respond(frame.error(&e), vec![]),
    }
}
