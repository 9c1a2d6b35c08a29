//! `{issuer}/mfa`: the second factor of a hosted sign-in (a TOTP code or a recovery code in
//! the field `code`), and `{issuer}/mfa/setup`: setting a factor up during sign-in where the
//! tenant requires one. Every decision is `identity::signin`'s (challenges bound to the
//! browser, five minutes, five attempts, void while the account is locked); these handlers
//! map its answers to pages.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::account::{EnrollPage, RecoveryCodesPage};
use super::flow::{after_sign_in, pending_for};
use super::target::Target;
use super::{respond, respond_signed_in, Outcome, PageFrame, Started};
use crate::db::{tx, AnyConnection, DbError};
use crate::i18n::Texts;
use crate::identity::challenge::{self, Kind};
use crate::identity::signin::{self, CodeStep, EnrolStep};
use crate::oidc::authorize;
use crate::oidc::context::OidcContext;
use crate::sessions;
use crate::sessions::{BROWSER_COOKIE, SESSION_COOKIE};
use crate::web::cookies::CookieScope;
use crate::web::extract::{CsrfForm, CurrentTenant};
use crate::web::oauth::context;
use crate::web::AppState;

#[derive(Template)]
#[template(path = "mfa.html")]
struct MfaPage<'a> {
    issuer: &'a str,
    tenant_name: &'a str,
    t: &'a Texts,
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
    challenge: Option<String>,
    code: Option<String>,
}

fn code_page(frame: &PageFrame, browser: &str, challenge: &str, error: Option<&str>) -> Outcome {
    let html = MfaPage {
        issuer: &frame.issuer,
        tenant_name: &frame.tenant_name,
        t: &frame.t,
        csrf_token: &sessions::csrf_token(browser),
        challenge,
        error: error.map(|id| frame.t.get(id)).as_deref(),
    }
    .render();
    frame.page(html)
}

/// One challenge step: what every handler here needs, and its answer as a page.
struct ChallengeCall {
    ctx: OidcContext,
    frame: PageFrame,
    browser: String,
    challenge: String,
    ip: String,
    previous_session: Option<String>,
}

impl ChallengeCall {
    fn attempt<'a>(&'a self, browser_hash: &'a str) -> signin::Attempt<'a> {
        signin::Attempt {
            tenant: &self.ctx.tenant.id,
            vault: self.ctx.vault(),
            security: &self.ctx.settings.security,
            sessions: &self.ctx.settings.sessions,
            ip: &self.ip,
            browser_hash,
            previous_session: self.previous_session.as_deref(),
        }
    }

    /// The frame in the language of the sign-in this challenge belongs to: the pending
    /// authorization's `ui_locales` weigh as on the sign-in page (after the reader's choice).
    fn frame_for(&self, conn: &mut AnyConnection) -> Result<PageFrame, DbError> {
        let hash = sessions::browser_hash(&self.browser);
        let tenant = &self.ctx.tenant.id;
        let target = challenge::find(conn, tenant, &self.challenge, &hash)?
            .and_then(|c| Target::decode(&c.target));
        let ui_locales = match target {
            Some(Target::Authorization(id)) => {
                authorize::load_pending(conn, &self.ctx, &id, &hash)?
                    .and_then(|(_, request)| request.ui_locales)
            }
            _ => None,
        };
        Ok(match ui_locales {
            Some(ui_locales) => self.frame.refine(Some(&ui_locales), None),
            None => self.frame.clone(),
        })
    }

    fn redirect(&self, path: &str) -> Outcome {
        let (issuer, challenge) = (&self.ctx.issuer, &self.challenge);
        Outcome::Redirect(format!("{issuer}/{path}?challenge={challenge}"))
    }

    /// A finished second-factor step: signed in and on to the target, or why not.
    fn answer(
        &self,
        conn: &mut AnyConnection,
        step: CodeStep,
    ) -> Result<(Outcome, Option<Started>), DbError> {
        let frame = &self.frame;
        let refused = |id: &str| frame.say(StatusCode::FORBIDDEN, id, &[]);
        let page = match step {
            CodeStep::SignedIn { signed_in, target } => {
                // The session started whatever comes next: the browser gets its cookies.
                let browser = &signed_in.browser;
                let next = match Target::decode(&target) {
                    None => frame.expired_request(),
                    Some(target) => match pending_for(conn, &self.ctx, frame, &target, browser)? {
                        Ok(pending) => after_sign_in(
                            conn, &self.ctx, frame, browser, &signed_in, &target, pending,
                        )?,
                        Err(expired) => expired,
                    },
                };
                return Ok((next, Some(Started::from(*signed_in))));
            }
            CodeStep::Wrong => {
                let frame = self.frame_for(conn)?;
                code_page(&frame, &self.browser, &self.challenge, Some("mfa-wrong"))
            }
            CodeStep::Exhausted => refused("mfa-exhausted"),
            CodeStep::Refused => refused("signin-refused"),
            CodeStep::Expired => frame.expired_request(),
        };
        Ok((page, None))
    }
}

/// Builds the step for a request naming `challenge`, or the page that ends it.
async fn step(
    state: &AppState,
    tenant: CurrentTenant,
    req: &HttpRequest,
    challenge: Option<String>,
) -> Result<ChallengeCall, Outcome> {
    let frame = PageFrame::new(state, &tenant, req);
    let scope = CookieScope::tenant(state, &tenant);
    let (Some(browser), Some(challenge)) = (scope.read(req, BROWSER_COOKIE), challenge) else {
        return Err(frame.expired_request());
    };
    let ctx = context(state, tenant).await.map_err(|e| frame.error(&e))?;
    Ok(ChallengeCall {
        ctx,
        frame,
        browser,
        challenge,
        ip: crate::web::extract::ClientIp::of(req).0,
        previous_session: scope.read(req, SESSION_COOKIE),
    })
}

/// Runs `work` in one write transaction and answers with its page (and a new session
/// cookie, when the sign-in finished).
async fn run<F>(
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    step: ChallengeCall,
    mut work: F,
) -> HttpResponse
where
    F: FnMut(&mut AnyConnection, &ChallengeCall) -> Result<(Outcome, Option<Started>), DbError>
        + Send
        + 'static,
{
    let frame = step.frame.clone();
    let result = state
        .db
        .run(move |conn| tx::write(conn, |conn| work(conn, &step)))
        .await;
    respond_signed_in(state, tenant, &frame, result)
}

/// `GET {issuer}/mfa?challenge=…`
pub async fn mfa_form(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    query: web::Query<ChallengeQuery>,
) -> HttpResponse {
    let step = match step(&state, tenant.clone(), &req, query.into_inner().challenge).await {
        Ok(step) => step,
        Err(outcome) => return respond(outcome, vec![]),
    };
    run(&state, &tenant, step, |conn, step| {
        let hash = sessions::browser_hash(&step.browser);
        let live = challenge::find(conn, &step.ctx.tenant.id, &step.challenge, &hash)?;
        Ok(match live {
            Some(c) if c.kind == Kind::Code => (
                code_page(&step.frame_for(conn)?, &step.browser, &step.challenge, None),
                None,
            ),
            _ => (step.frame.expired_request(), None),
        })
    })
    .await
}

/// `POST {issuer}/mfa`: a code for the challenge.
pub async fn mfa_submit(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    form: CsrfForm<MfaForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let step = match step(&state, tenant.clone(), &req, form.challenge).await {
        Ok(step) => step,
        Err(outcome) => return respond(outcome, vec![]),
    };
    let (tenant_id, ip) = (step.ctx.tenant.id.clone(), step.ip.clone());
    let limit = step.ctx.settings.security.login_attempts_per_minute;
    let limited = step.frame.clone();
    let blocked = state
        .db
        .run(move |conn| signin::admit(conn, &tenant_id, &ip, signin::Door::Code, limit))
        .await;
    match blocked {
        Ok(Some(retry_after)) => {
            return respond(Outcome::RateLimited(limited, retry_after), vec![])
        }
        Ok(None) => {}
        Err(e) => return respond(limited.error(&e), vec![]),
    }
    let code = form.code.unwrap_or_default();
    run(&state, &tenant, step, move |conn, step| {
        let hash = sessions::browser_hash(&step.browser);
        let outcome = signin::code(conn, &step.attempt(&hash), &step.challenge, &code)?;
        step.answer(conn, outcome)
    })
    .await
}

#[derive(Deserialize)]
pub struct SetupForm {
    challenge: Option<String>,
    code: Option<String>,
}

/// `GET {issuer}/mfa/setup?challenge=…`: the tenant requires a second factor and the account
/// has none yet: a new key, as a QR code and as text.
pub async fn setup_form(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    query: web::Query<ChallengeQuery>,
) -> HttpResponse {
    let step = match step(&state, tenant.clone(), &req, query.into_inner().challenge).await {
        Ok(step) => step,
        Err(outcome) => return respond(outcome, vec![]),
    };
    run(&state, &tenant, step, |conn, step| {
        let hash = sessions::browser_hash(&step.browser);
        let name = &step.ctx.tenant.name;
        let Some(enrollment) =
            signin::begin_enrolment(conn, &step.attempt(&hash), &step.challenge, name)?
        else {
            return Ok((step.frame.expired_request(), None));
        };
        let qr = crate::identity::mfa::qr_svg(&enrollment.otpauth_url).unwrap_or_default();
        let frame = step.frame_for(conn)?;
        let html = EnrollPage {
            issuer: &frame.issuer,
            tenant_name: &frame.tenant_name,
            t: &frame.t,
            qr_svg: &qr,
            secret: &enrollment.secret_base32,
            csrf_token: &sessions::csrf_token(&step.browser),
            action: &format!("{}/mfa/setup", step.frame.issuer),
            challenge: Some(&step.challenge),
            notice: Some(&frame.t.get("mfa-required")),
        }
        .render();
        Ok((frame.page(html), None))
    })
    .await
}

/// `POST {issuer}/mfa/setup`: a valid code turns the factor on; the recovery codes follow,
/// then `/mfa/continue` finishes the sign-in.
pub async fn setup_submit(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    form: CsrfForm<SetupForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let step = match step(&state, tenant.clone(), &req, form.challenge).await {
        Ok(step) => step,
        Err(outcome) => return respond(outcome, vec![]),
    };
    let code = form.code.unwrap_or_default();
    run(&state, &tenant, step, move |conn, step| {
        let hash = sessions::browser_hash(&step.browser);
        let page =
            match signin::confirm_enrolment(conn, &step.attempt(&hash), &step.challenge, &code)? {
                EnrolStep::RecoveryCodes(codes) => {
                    let frame = step.frame_for(conn)?;
                    let html = RecoveryCodesPage {
                        issuer: &frame.issuer,
                        tenant_name: &frame.tenant_name,
                        t: &frame.t,
                        codes,
                        csrf_token: &sessions::csrf_token(&step.browser),
                        challenge: Some(&step.challenge),
                    }
                    .render();
                    frame.page(html)
                }
                // A wrong code: start over with a fresh key.
                EnrolStep::Wrong => step.redirect("mfa/setup"),
                EnrolStep::Expired => step.frame.expired_request(),
            };
        Ok((page, None))
    })
    .await
}

/// `POST {issuer}/mfa/continue`: finishes a sign-in whose factor was just set up.
pub async fn setup_continue(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    form: CsrfForm<SetupForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let step = match step(&state, tenant.clone(), &req, form.challenge).await {
        Ok(step) => step,
        Err(outcome) => return respond(outcome, vec![]),
    };
    run(&state, &tenant, step, |conn, step| {
        let hash = sessions::browser_hash(&step.browser);
        let outcome = signin::finish_enrolment(conn, &step.attempt(&hash), &step.challenge)?;
        step.answer(conn, outcome)
    })
    .await
}
