//! `GET|POST {issuer}/mfa`: the second factor after a correct password. The challenge is
//! bound to the browser, expires in five minutes and dies after five wrong codes; the field is
//! named `code` and takes a TOTP code or a recovery code.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::login::{complete_sign_in, SignedIn, Target};
use super::{
    browser_value, csrf_ok, respond, respond_signed_in, session_value, Outcome, PageFrame,
};
use crate::crypto::random_token;
use crate::db::mfa::{self as rows, ChallengeRow};
use crate::db::{tx, AnyConnection, DbError};
use crate::domain::{unix_now, AccountId};
use crate::identity::{self, mfa, Account};
use crate::oidc::context::OidcContext;
use crate::sessions;
use crate::tenancy::CurrentTenant;
use crate::web::oauth::context;
use crate::web::AppState;

const CHALLENGE_LIFETIME_SECS: i64 = 300;
const MAX_WRONG_CODES: i64 = 5;
use crate::oidc::authorize::MFA_ACR;

#[derive(Template)]
#[template(path = "mfa.html")]
struct MfaPage<'a> {
    issuer: &'a str,
    tenant_name: &'a str,
    csrf_token: &'a str,
    challenge: &'a str,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
pub struct ChallengeQuery {
    challenge: Option<String>,
}

#[derive(Deserialize)]
pub struct MfaForm {
    csrf_token: Option<String>,
    challenge: Option<String>,
    code: Option<String>,
}

/// Records that `account` passed its password and owes a second factor; returns the id.
pub(super) fn start_challenge(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    account: &Account,
    browser: &str,
    target: &Target,
) -> Result<String, DbError> {
    let now = unix_now();
    let id = random_token();
    rows::insert_challenge(
        conn,
        &ChallengeRow {
            id: id.clone(),
            tenant_id: ctx.tenant.id.to_string(),
            account_id: account.id.to_string(),
            browser_hash: sessions::browser_hash(browser),
            target: target.encode(),
            failures: 0,
            created_at: now,
            expires_at: now + CHALLENGE_LIFETIME_SECS,
        },
    )?;
    Ok(id)
}

/// The unexpired challenge `id`, if this browser started it.
fn live_challenge(
    conn: &mut AnyConnection,
    tenant: &crate::domain::TenantId,
    id: &str,
    browser: &str,
) -> Result<Option<ChallengeRow>, DbError> {
    rows::find_challenge(
        conn,
        tenant,
        id,
        &sessions::browser_hash(browser),
        unix_now(),
    )
}

fn page(frame: &PageFrame, browser: &str, challenge: &str, error: Option<&str>) -> Outcome {
    let html = MfaPage {
        issuer: &frame.issuer,
        tenant_name: &frame.tenant_name,
        csrf_token: &sessions::csrf_token(browser),
        challenge,
        error,
    }
    .render();
    frame.page(html)
}

pub async fn mfa_form(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    query: web::Query<ChallengeQuery>,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant);
    let (Some(browser), Some(challenge)) = (browser_value(&req), query.into_inner().challenge)
    else {
        return respond(frame.expired_request(), vec![]);
    };
    let page_frame = frame.clone();
    let tenant_id = tenant.id.clone();
    let outcome = state
        .db
        .run(move |conn| {
            Ok::<_, DbError>(
                match live_challenge(conn, &tenant_id, &challenge, &browser)? {
                    Some(_) => page(&page_frame, &browser, &challenge, None),
                    None => page_frame.expired_request(),
                },
            )
        })
        .await
        .unwrap_or_else(|e| frame.error(&e));
    respond(outcome, vec![])
}

pub async fn mfa_submit(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    form: web::Form<MfaForm>,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant);
    let form = form.into_inner();
    let (Some(browser), true) = (
        browser_value(&req),
        csrf_ok(&req, form.csrf_token.as_deref()),
    ) else {
        return respond(frame.bad_form(), vec![]);
    };
    let Some(challenge) = form.challenge.clone() else {
        return respond(frame.expired_request(), vec![]);
    };
    let ctx = match context(&state, tenant.clone()).await {
        Ok(ctx) => ctx,
        Err(e) => return respond(frame.error(&e), vec![]),
    };
    let master = state.keys.clone();
    let previous_session = session_value(&req);
    let client_ip = crate::web::client_ip::client_ip(&req, &state.settings.server.trusted_proxies);
    let page_frame = frame.clone();
    let result = state
        .db
        .run(move |conn| {
            // The limit in its own statement; the step in one write transaction.
            let key = format!("mfa:{}:{client_ip}", ctx.tenant.id);
            if let Some(retry_after) =
                crate::rate_limit::hit(conn, &key, ctx.settings.security.login_attempts_per_minute)?
            {
                return Ok((Outcome::RateLimited(page_frame.clone(), retry_after), None));
            }
            tx::write(conn, |conn| {
                let code = form.code.as_deref().unwrap_or_default();
                let step = CodeStep {
                    ctx: &ctx,
                    frame: &page_frame,
                    browser: &browser,
                    challenge: &challenge,
                    ip: &client_ip,
                };
                step.run(conn, master.master(), code, previous_session.as_deref())
            })
        })
        .await;
    respond_signed_in(&state, &tenant, &frame, result)
}

/// One submitted second-factor code, checked inside the step's write transaction.
struct CodeStep<'a> {
    ctx: &'a OidcContext,
    frame: &'a PageFrame,
    browser: &'a str,
    challenge: &'a str,
    ip: &'a str,
}

impl CodeStep<'_> {
    fn run(
        &self,
        conn: &mut AnyConnection,
        master: &crate::keys::MasterKey,
        code: &str,
        previous_session: Option<&str>,
    ) -> Result<(Outcome, Option<String>), DbError> {
        let (ctx, frame, challenge) = (self.ctx, self.frame, self.challenge);
        let tenant_id = &ctx.tenant.id;
        let Some(row) = live_challenge(conn, tenant_id, challenge, self.browser)? else {
            return Ok((frame.expired_request(), None));
        };
        let account_id = AccountId::from_stored(row.account_id.clone());
        let event = |action: &'static str, details: serde_json::Value| crate::audit::Event {
            actor: account_id.as_str(),
            action,
            target: account_id.as_str(),
            ip: self.ip,
            details,
        };
        match mfa::verify(conn, master, tenant_id, &account_id, code) {
            Ok(proof) => crate::audit::record(
                conn,
                tenant_id,
                event(
                    "mfa.success",
                    serde_json::json!({ "method": format!("{proof:?}") }),
                ),
            )?,
            Err(mfa::MfaError::Db(e)) => return Err(e),
            Err(_) => {
                rows::count_challenge_failure(conn, tenant_id, challenge)?;
                // Also toward the account's lock: new challenges (a password away) must not
                // reset the count of wrong codes.
                identity::count_failed_attempt(
                    conn,
                    &ctx.settings.security,
                    tenant_id,
                    &account_id,
                )?;
                crate::audit::record(conn, tenant_id, event("mfa.failure", serde_json::json!({})))?;
                if row.failures + 1 >= MAX_WRONG_CODES {
                    rows::delete_challenge(conn, tenant_id, challenge)?;
                    return Ok((
                        frame.message(
                            StatusCode::FORBIDDEN,
                            "Too many wrong codes",
                            "Sign in again to get a new chance.",
                        ),
                        None,
                    ));
                }
                return Ok((page(frame, self.browser, challenge, Some("That code is not valid. Try the current code from your app, or a recovery code.")), None));
            }
        }
        rows::delete_challenge(conn, tenant_id, challenge)?;
        let Some(target) = Target::decode(&row.target) else {
            return Ok((frame.expired_request(), None));
        };
        let Ok(account) = identity::find_account(conn, tenant_id, &account_id) else {
            return Ok((frame.expired_request(), None));
        };
        if identity::may_sign_in(&account).is_err() {
            return Ok((
                frame.message(
                    StatusCode::FORBIDDEN,
                    "Sign-in refused",
                    "This account cannot sign in.",
                ),
                None,
            ));
        }
        let signed_in = SignedIn {
            account: &account,
            amr: &["pwd", "otp"],
            acr: MFA_ACR,
        };
        complete_sign_in(
            conn,
            ctx,
            frame,
            self.browser,
            signed_in,
            target,
            previous_session,
        )
    }
}

/// Marks a challenge whose second factor was just set up and proven.
const ENROLLED: &str = "enrolled:";

#[derive(Deserialize)]
pub struct SetupForm {
    csrf_token: Option<String>,
    challenge: Option<String>,
    code: Option<String>,
}

/// `GET {issuer}/mfa/setup?challenge=…`: a sign-in that needs a second factor the user does not
/// have yet (tenant policy, or the client's `acr_values`): enroll now.
pub async fn setup_form(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    query: web::Query<ChallengeQuery>,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant);
    let (Some(browser), Some(challenge)) = (browser_value(&req), query.into_inner().challenge)
    else {
        return respond(frame.expired_request(), vec![]);
    };
    let page_frame = frame.clone();
    let app = state.clone();
    let outcome = state
        .db
        .run(move |conn| {
            tx::write(conn, |conn| {
                let tenant_id = &tenant.id;
                let Some(row) = live_challenge(conn, tenant_id, &challenge, &browser)? else {
                    return Ok(page_frame.expired_request());
                };
                let account_id = AccountId::from_stored(row.account_id);
                let Ok(account) = identity::find_account(conn, tenant_id, &account_id) else {
                    return Ok(page_frame.expired_request());
                };
                let enrollment = match mfa::start_enrollment(
                    conn,
                    app.keys.master(),
                    tenant_id,
                    &account.id,
                    &tenant.name,
                    account.email.as_str(),
                ) {
                    Ok(enrollment) => enrollment,
                    Err(mfa::MfaError::Db(e)) => return Err(e),
                    Err(_) => {
                        return Ok(Outcome::Redirect(format!(
                            "{}/mfa?challenge={challenge}",
                            page_frame.issuer
                        )))
                    }
                };
                let qr = mfa::qr_svg(&enrollment.otpauth_url).unwrap_or_default();
                let html = super::account::EnrollPage {
                    issuer: &page_frame.issuer,
                    tenant_name: &page_frame.tenant_name,
                    qr_svg: &qr,
                    secret: &enrollment.secret_base32,
                    csrf_token: &sessions::csrf_token(&browser),
                    action: &format!("{}/mfa/setup", page_frame.issuer),
                    challenge: Some(&challenge),
                    notice: Some(
                        "This sign-in needs two-step verification. Set it up to continue.",
                    ),
                }
                .render();
                Ok::<_, DbError>(page_frame.page(html))
            })
        })
        .await
        .unwrap_or_else(|e| frame.error(&e));
    respond(outcome, vec![])
}

/// `POST {issuer}/mfa/setup`: a valid code turns the factor on; the recovery codes follow,
/// then `/mfa/continue` finishes the sign-in.
pub async fn setup_submit(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    form: web::Form<SetupForm>,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant);
    let form = form.into_inner();
    let (Some(browser), true) = (
        browser_value(&req),
        csrf_ok(&req, form.csrf_token.as_deref()),
    ) else {
        return respond(frame.bad_form(), vec![]);
    };
    let Some(challenge) = form.challenge else {
        return respond(frame.expired_request(), vec![]);
    };
    let code = form.code.unwrap_or_default();
    let page_frame = frame.clone();
    let app = state.clone();
    let outcome = state
        .db
        .run(move |conn| {
            tx::write(conn, |conn| {
                let tenant_id = &tenant.id;
                let Some(row) = live_challenge(conn, tenant_id, &challenge, &browser)? else {
                    return Ok(page_frame.expired_request());
                };
                let account_id = AccountId::from_stored(row.account_id.clone());
                let codes = match mfa::confirm_enrollment(
                    conn,
                    app.keys.master(),
                    tenant_id,
                    &account_id,
                    &code,
                ) {
                    Ok(codes) => codes,
                    Err(mfa::MfaError::Db(e)) => return Err(e),
                    // A wrong code: start over with a fresh key.
                    Err(_) => {
                        return Ok(Outcome::Redirect(format!(
                            "{}/mfa/setup?challenge={challenge}",
                            page_frame.issuer
                        )))
                    }
                };
                rows::set_challenge_target(
                    conn,
                    tenant_id,
                    &challenge,
                    &format!("{ENROLLED}{}", row.target),
                )?;
                let html = super::account::RecoveryCodesPage {
                    issuer: &page_frame.issuer,
                    tenant_name: &page_frame.tenant_name,
                    codes,
                    csrf_token: &sessions::csrf_token(&browser),
                    challenge: Some(&challenge),
                }
                .render();
                Ok::<_, DbError>(page_frame.page(html))
            })
        })
        .await
        .unwrap_or_else(|e| frame.error(&e));
    respond(outcome, vec![])
}

/// `POST {issuer}/mfa/continue`: finishes a sign-in whose factor was just enrolled.
pub async fn setup_continue(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    form: web::Form<SetupForm>,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant);
    let form = form.into_inner();
    let (Some(browser), true) = (
        browser_value(&req),
        csrf_ok(&req, form.csrf_token.as_deref()),
    ) else {
        return respond(frame.bad_form(), vec![]);
    };
    let Some(challenge) = form.challenge else {
        return respond(frame.expired_request(), vec![]);
    };
    let ctx = match context(&state, tenant.clone()).await {
        Ok(ctx) => ctx,
        Err(e) => return respond(frame.error(&e), vec![]),
    };
    let previous_session = session_value(&req);
    let page_frame = frame.clone();
    let result = state
        .db
        .run(move |conn| {
            tx::write(conn, |conn| {
                let tenant_id = &ctx.tenant.id;
                let Some(row) = live_challenge(conn, tenant_id, &challenge, &browser)? else {
                    return Ok((page_frame.expired_request(), None));
                };
                // Only a challenge whose factor was proven at set-up may continue.
                let Some(target) = row.target.strip_prefix(ENROLLED).and_then(Target::decode)
                else {
                    return Ok((page_frame.expired_request(), None));
                };
                rows::delete_challenge(conn, tenant_id, &challenge)?;
                let account_id = AccountId::from_stored(row.account_id);
                let Ok(account) = identity::find_account(conn, tenant_id, &account_id) else {
                    return Ok((page_frame.expired_request(), None));
                };
                if identity::may_sign_in(&account).is_err() {
                    return Ok((
                        page_frame.message(
                            StatusCode::FORBIDDEN,
                            "Sign-in refused",
                            "This account cannot sign in.",
                        ),
                        None,
                    ));
                }
                let signed_in = SignedIn {
                    account: &account,
                    amr: &["pwd", "otp"],
                    acr: MFA_ACR,
                };
                complete_sign_in(
                    conn,
                    &ctx,
                    &page_frame,
                    &browser,
                    signed_in,
                    target,
                    previous_session.as_deref(),
                )
            })
        })
        .await;
    respond_signed_in(&state, &tenant, &frame, result)
}
