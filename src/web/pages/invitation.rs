//! `GET|POST {issuer}/invitation`: accepting an invitation (`identity::invitation`). The page
//! names the tenant and the invited address and asks for a password; submitting it accepts
//! the invitation and runs the ordinary password step of sign-in, so the new owner lands
//! signed in on the console (administrators) or their account page, after a second factor
//! where the tenant requires one.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::login::PasswordStep;
use super::target::{Console, Target};
use super::{respond, respond_signed_in, Outcome, PageFrame};
use crate::db::{tx, AnyConnection, DbError};
use crate::i18n::Texts;
use crate::identity::invitation::{self, ChosenPassword, InvitationError};
use crate::identity::AccountError;
use crate::sessions::{self, BROWSER_COOKIE, SESSION_COOKIE};
use crate::tenancy::Tenant;
use crate::web::cookies::CookieScope;
use crate::web::extract::{CsrfForm, CurrentTenant};
use crate::web::oauth::context;
use crate::web::AppState;

#[derive(Template)]
#[template(path = "invitation.html")]
struct InvitationPage<'a> {
    issuer: &'a str,
    tenant_name: &'a str,
    t: &'a Texts,
    csrf_token: &'a str,
    token: &'a str,
    email: &'a str,
    as_admin: bool,
    min_length: usize,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

#[derive(Deserialize)]
pub struct AcceptForm {
    token: Option<String>,
    password: Option<String>,
}

/// Who a live link invites: their address and whether they will administer the tenant.
struct Invited {
    email: String,
    as_admin: bool,
}

fn invited(
    conn: &mut AnyConnection,
    state: &AppState,
    tenant: &Tenant,
    token: &str,
) -> Result<Option<Invited>, DbError> {
    let account = match invitation::open(conn, state.keys.vault(), &tenant.id, token) {
        Ok(Some(account)) => account,
        Ok(None) => return Ok(None),
        Err(AccountError::Db(e)) => return Err(e),
        Err(e) => {
            tracing::error!(error = %e, "could not open an invited account");
            return Ok(None);
        }
    };
    Ok(Some(Invited {
        as_admin: crate::admin::accounts::administers(conn, &tenant.id, &account.id)?,
        email: account.email.to_string(),
    }))
}

/// The page for a link that no longer works, with every way on.
fn no_longer_works(frame: &PageFrame) -> Outcome {
    let login = |next: &str| format!("{}/login?next={next}", frame.issuer);
    frame.say_with_links(
        StatusCode::BAD_REQUEST,
        "invitation-expired",
        &[],
        &[
            ("link-sign-in-account", login("account")),
            ("link-sign-in-console", login("admin")),
            ("forgot-password", format!("{}/reset", frame.issuer)),
        ],
    )
}

fn page(
    frame: &PageFrame,
    browser: &str,
    token: &str,
    invited: &Invited,
    min_length: usize,
    error: Option<&str>,
) -> Outcome {
    frame.page(
        InvitationPage {
            issuer: &frame.issuer,
            tenant_name: &frame.tenant_name,
            t: &frame.t,
            csrf_token: &sessions::csrf_token(browser),
            token,
            email: &invited.email,
            as_admin: invited.as_admin,
            min_length,
            error: error
                .map(|id| frame.t.arg(id, "min", min_length))
                .as_deref(),
        }
        .render(),
    )
}

pub async fn invitation_form(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    query: web::Query<TokenQuery>,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant, &req);
    let (browser, new_cookie) = CookieScope::tenant(&state, &tenant).browser(&req, BROWSER_COOKIE);
    let cookies: Vec<_> = new_cookie.into_iter().collect();
    let Some(token) = query.into_inner().token.filter(|t| !t.is_empty()) else {
        return respond(no_longer_works(&frame), cookies);
    };
    let min_length = tenant.policy.password_min_length;
    let (page_frame, shared) = (frame.clone(), state.clone());
    let tenant_row: Tenant = (*tenant).clone();
    let outcome = state
        .db
        .run(move |conn| {
            Ok::<_, DbError>(match invited(conn, &shared, &tenant_row, &token)? {
                Some(invited) => page(&page_frame, &browser, &token, &invited, min_length, None),
                None => no_longer_works(&page_frame),
            })
        })
        .await
        .unwrap_or_else(|e| frame.error(&e));
    respond(outcome, cookies)
}

pub async fn invitation_submit(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    form: CsrfForm<AcceptForm>,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant, &req);
    let (browser, form) = (form.browser, form.form);
    let token = form.token.unwrap_or_default();
    let password = form.password.unwrap_or_default();
    let min_length = tenant.policy.password_min_length;
    let (shared, tenant_row, lookup_token) = (state.clone(), (*tenant).clone(), token.clone());
    let found = state
        .db
        .run(move |conn| invited(conn, &shared, &tenant_row, &lookup_token))
        .await;
    let invited = match found {
        Ok(Some(invited)) => invited,
        Ok(None) => return respond(no_longer_works(&frame), vec![]),
        Err(e) => return respond(frame.error(&e), vec![]),
    };
    let chosen = state
        .password_hasher
        .run(move |hasher| ChosenPassword::hash(hasher, &password, min_length))
        .await
        .map_err(AccountError::from)
        .and_then(|chosen| chosen);
    let chosen = match chosen {
        Ok(chosen) => chosen,
        Err(e) => {
            let Some(message) = super::refusal_of(&e) else {
                tracing::error!(error = %e, "could not hash a chosen password");
                return respond(frame.failure(), vec![]);
            };
            let again = page(
                &frame,
                &browser,
                &token,
                &invited,
                min_length,
                Some(message),
            );
            return respond(again, vec![]);
        }
    };
    let ctx = match context(&state, tenant.clone()).await {
        Ok(ctx) => ctx,
        Err(e) => return respond(frame.error(&e), vec![]),
    };
    let ip = crate::web::extract::ClientIp::of(&req).0;
    let console = if invited.as_admin {
        Console::Admin
    } else {
        Console::Account
    };
    let step = PasswordStep {
        ctx,
        frame: frame.clone(),
        browser,
        ip: ip.clone(),
        email: invited.email,
        target: Target::Console(console),
        previous_session: CookieScope::tenant(&state, &tenant).read(&req, SESSION_COOKIE),
    };
    let tenant_id = tenant.id.clone();
    let expired = frame.clone();
    // One transaction: the invitation is spent only together with the sign-in it starts.
    let result = state
        .db
        .run(move |conn| {
            tx::write(conn, |conn| {
                match invitation::accept(conn, &tenant_id, &token, &chosen, &ip) {
                    Ok(checked) => step.run(conn, &checked).map(|(outcome, _)| outcome),
                    Err(InvitationError::InvalidLink | InvitationError::NotPending) => {
                        Ok((no_longer_works(&expired), None))
                    }
                    Err(InvitationError::Account(AccountError::Db(e))) => Err(e),
                    Err(InvitationError::Account(e)) => {
                        tracing::error!(error = %e, "could not accept an invitation");
                        Ok((expired.failure(), None))
                    }
                }
            })
        })
        .await;
    respond_signed_in(&state, &tenant, &frame, result)
}

/// Mails an invitation link in the background (delivery problems are logged by the mailer).
pub fn mail_invitation(
    state: &AppState,
    issuer: &str,
    tenant_name: &str,
    invitation: &invitation::Invitation,
    as_admin: bool,
) {
    let link = format!("{issuer}/invitation?token={}", invitation.token);
    let days = invitation::INVITATION_LIFETIME_SECS / 86_400;
    let to = invitation.to.as_str();
    // Sent by an administrator: the invitee's language is not known yet.
    let t = crate::i18n::Texts::default();
    match crate::mail::messages::invitation(&t, to, tenant_name, &link, days, as_admin) {
        Ok(message) => super::send_later(state, message),
        Err(e) => tracing::error!(error = %e, "could not render the invitation mail"),
    }
}
