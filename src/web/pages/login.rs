//! `GET|POST {issuer}/login`: email and password, either for a pending authorization request
//! (`request=ID`) or for the account console (`next=account`).

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::flow::{after_sign_in, pending_for, unmet};
use super::target::{Console, RequestQuery, Target};
use super::{respond, respond_signed_in, Outcome, PageFrame, Started};
use crate::db::{tx, AnyConnection, DbError};
use crate::i18n::Texts;
use crate::identity::signin;
use crate::oidc::authorize;
use crate::oidc::context::OidcContext;
use crate::sessions;
use crate::sessions::{BROWSER_COOKIE, SESSION_COOKIE};
use crate::tenancy::policy::MfaPolicy;
use crate::web::cookies::CookieScope;
use crate::web::extract::{CsrfForm, CurrentTenant};
use crate::web::language::{switcher, LangLink, Reader};
use crate::web::oauth::context;
use crate::web::AppState;

/// One message for every failure (`login-failed`): it must not reveal whether the email
/// exists.
const LOGIN_FAILED: &str = "login-failed";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    issuer: &'a str,
    tenant_name: &'a str,
    client_name: &'a str,
    csrf_token: &'a str,
    /// The pending authorization request, or empty for the account console.
    request_id: &'a str,
    /// Where to go after signing in without an authorization request ("account").
    next: &'a str,
    email: &'a str,
    error: Option<&'a str>,
    t: &'a Texts,
    langs: Vec<LangLink>,
}

impl LoginPage<'_> {
    fn continue_to(&self) -> String {
        self.t
            .with("login-continue-to", &[("client", self.client_name)])
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    request: Option<String>,
    next: Option<String>,
    email: Option<String>,
    password: Option<String>,
}

struct LoginView<'a> {
    client_name: String,
    request_id: &'a str,
    next: &'a str,
}

fn console_view(console: Console, texts: &Texts) -> LoginView<'static> {
    LoginView {
        client_name: texts.get(console.label()),
        request_id: "",
        next: console.as_str(),
    }
}

fn login_page(
    frame: &PageFrame,
    view: LoginView,
    browser: &str,
    email: &str,
    error: Option<&str>,
) -> Outcome {
    let texts = &frame.t;
    let base = match view.request_id {
        "" => format!("{}/login?next={}", frame.issuer, view.next),
        id => format!("{}/login?request={id}", frame.issuer),
    };
    let error = error.map(|id| texts.get(id));
    let html = LoginPage {
        issuer: &frame.issuer,
        tenant_name: &frame.tenant_name,
        client_name: &view.client_name,
        csrf_token: &sessions::csrf_token(browser),
        request_id: view.request_id,
        next: view.next,
        email,
        error: error.as_deref(),
        t: texts,
        langs: switcher(&base, texts.lang),
    }
    .render();
    frame.page(html)
}

pub async fn login_form(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    query: web::Query<RequestQuery>,
) -> HttpResponse {
    let (browser, new_cookie) = CookieScope::tenant(&state, &tenant).browser(&req, BROWSER_COOKIE);
    let query = query.into_inner();
    let reader = Reader::of(&state, &tenant, &req, query.lang.as_deref());
    let cookies: Vec<_> = new_cookie
        .into_iter()
        .chain(reader.cookie.clone())
        .collect();
    let frame = PageFrame::reading(&state, &tenant, reader);
    let Some(target) = Target::from(query.request, query.next) else {
        return respond(frame.expired_request(), cookies);
    };
    let request_id = match target {
        Target::Console(console) => {
            let view = console_view(console, &frame.t);
            let page = login_page(&frame, view, &browser, "", None);
            return respond(page, cookies);
        }
        Target::Authorization(id) => id,
    };
    let ctx = match context(&state, tenant.clone()).await {
        Ok(ctx) => ctx,
        Err(e) => return respond(frame.error(&e), cookies),
    };
    let page_frame = frame.clone();
    let outcome = state
        .db
        .run(move |conn| {
            let pending = authorize::load_pending(
                conn,
                &ctx,
                &request_id,
                &sessions::browser_hash(&browser),
            )?;
            Ok::<_, DbError>(match pending {
                None => page_frame.expired_request(),
                Some((client, request)) => {
                    let email = request.login_hint.as_deref().unwrap_or_default();
                    let frame = page_frame.refine(request.ui_locales.as_deref(), None);
                    let view = LoginView {
                        client_name: client.name.clone(),
                        request_id: &request_id,
                        next: "",
                    };
                    login_page(&frame, view, &browser, email, None)
                }
            })
        })
        .await
        .unwrap_or_else(|e| frame.error(&e));
    respond(outcome, cookies)
}

pub async fn login_submit(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    form: CsrfForm<LoginForm>,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant, &req);
    let (browser, form) = (form.browser, form.form);
    let Some(target) = Target::from(form.request, form.next) else {
        return respond(frame.expired_request(), vec![]);
    };
    let ctx = match context(&state, tenant.clone()).await {
        Ok(ctx) => ctx,
        Err(e) => return respond(frame.error(&e), vec![]),
    };
    let ip = crate::web::extract::ClientIp::of(&req).0;
    let email = form.email.unwrap_or_default();
    let checked = match check_password(&state, &ctx, &frame, &ip, &email, form.password).await {
        Ok(checked) => checked,
        Err(outcome) => return respond(outcome, vec![]),
    };
    // One write transaction: the outcome counted or the session started, with its audit
    // entries, and the authorization moved on.
    let step = PasswordStep {
        ctx,
        frame: frame.clone(),
        browser,
        ip,
        email,
        target,
        previous_session: CookieScope::tenant(&state, &tenant).read(&req, SESSION_COOKIE),
    };
    let result = state
        .db
        .run(move |conn| tx::write(conn, |conn| step.run(conn, &checked)))
        .await
        .map(|(outcome, mail)| {
            if let Some(mail) = mail {
                super::send_later(&state, mail);
            }
            outcome
        });
    respond_signed_in(&state, &tenant, &frame, result)
}

/// The per-address limit (its own statement: requests from one address never queue behind
/// each other's transactions), the account the email names, then the password on the
/// blocking pool in its turn, with no database connection held.
async fn check_password(
    state: &AppState,
    ctx: &OidcContext,
    frame: &PageFrame,
    ip: &str,
    email: &str,
    password: Option<String>,
) -> Result<signin::Checked, Outcome> {
    let (tenant, limit) = (
        ctx.tenant.id.clone(),
        ctx.settings.security.login_attempts_per_minute,
    );
    let (ip, email, limited) = (ip.to_owned(), email.to_owned(), frame.clone());
    let keys = state.keys.clone();
    let found = state
        .db
        .run(move |conn| {
            let door = signin::Door::Password;
            if let Some(retry_after) = signin::admit(conn, &tenant, &ip, door, limit)? {
                return Ok(Err(Outcome::RateLimited(limited, retry_after)));
            }
            Ok::<_, DbError>(Ok(signin::find(conn, keys.vault(), &tenant, &email)?))
        })
        .await
        .map_err(|e| frame.error(&e))??;
    let password = password.unwrap_or_default();
    let check = move |hasher: &_| signin::check(hasher, found, &password);
    state.password_hasher.run(check).await.map_err(|e| {
        tracing::error!(error = %e, "password check failed");
        frame.failure()
    })
}

/// A message to send once the transaction that asked for it has committed.
pub(super) type AfterCommit = Option<crate::mail::Outgoing>;

/// The password step of a hosted sign-in, mapped to pages (the login form, and an accepted
/// invitation).
pub(super) struct PasswordStep {
    pub(super) ctx: OidcContext,
    pub(super) frame: PageFrame,
    pub(super) browser: String,
    pub(super) ip: String,
    /// As typed.
    pub(super) email: String,
    pub(super) target: Target,
    pub(super) previous_session: Option<String>,
}

impl PasswordStep {
    pub(super) fn run(
        &self,
        conn: &mut AnyConnection,
        checked: &signin::Checked,
    ) -> Result<((Outcome, Option<Started>), AfterCommit), DbError> {
        let (ctx, frame) = (&self.ctx, &self.frame);
        let pending = match pending_for(conn, ctx, frame, &self.target, &self.browser)? {
            Ok(pending) => pending,
            Err(expired) => return Ok(((expired, None), None)),
        };
        let policy = &ctx.tenant.policy;
        let factor = signin::Factor::Challenge {
            rule: match policy.mfa {
                MfaPolicy::Off => signin::FactorRule::WhenAsked,
                MfaPolicy::Optional => signin::FactorRule::WhenEnrolled,
                MfaPolicy::Required => signin::FactorRule::Always,
            },
            asked_by_client: pending.as_ref().is_some_and(|(_, r)| r.wants_mfa()),
            target: &self.target.encode(),
        };
        let attempt = signin::Attempt {
            tenant: &ctx.tenant.id,
            vault: ctx.vault(),
            security: &ctx.settings.security,
            sessions: &ctx.settings.sessions,
            ip: &self.ip,
            browser_hash: &sessions::browser_hash(&self.browser),
            previous_session: self.previous_session.as_deref(),
        };
        let verified_email = policy.email_verification == "required";
        let step = signin::password(conn, &attempt, checked, factor, verified_email)?;
        let challenge = |step: &str, id: String| format!("{}/{step}?challenge={id}", ctx.issuer);
        let page = match step {
            signin::Step::SignedIn(signed_in) => {
                let next = after_sign_in(
                    conn,
                    ctx,
                    frame,
                    &signed_in.browser,
                    &signed_in,
                    &self.target,
                    pending,
                )?;
                return Ok(((next, Some(Started::from(*signed_in))), None));
            }
            signin::Step::NeedsCode(id) => Outcome::Redirect(challenge("mfa", id)),
            signin::Step::NeedsEnrolment(id) => Outcome::Redirect(challenge("mfa/setup", id)),
            signin::Step::Unmet => unmet(conn, ctx, frame, &self.target, pending)?,
            signin::Step::EmailUnverified { email, link_token } => {
                let link = format!("{}/verify?token={link_token}", ctx.issuer);
                let ui_locales = pending.as_ref().and_then(|(_, r)| r.ui_locales.as_deref());
                let frame = frame.refine(ui_locales, None);
                let (t, tenant_name) = (&frame.t, &ctx.tenant.name);
                let mail =
                    crate::mail::messages::verify_email(t, email.as_str(), tenant_name, &link).ok();
                let page = frame.say(
                    actix_web::http::StatusCode::FORBIDDEN,
                    "confirm-email-first",
                    &[],
                );
                return Ok(((page, None), mail));
            }
            signin::Step::Refused => {
                tracing::info!(tenant = %ctx.tenant.slug, "sign-in failed");
                let ui_locales = pending.as_ref().and_then(|(_, r)| r.ui_locales.as_deref());
                let frame = &frame.refine(ui_locales, None);
                let texts = &frame.t;
                let view = match (&self.target, &pending) {
                    (Target::Authorization(id), Some((client, _))) => LoginView {
                        client_name: client.name.clone(),
                        request_id: id,
                        next: "",
                    },
                    (Target::Console(console), _) => console_view(*console, texts),
                    (Target::Authorization(_), None) => console_view(Console::Account, texts),
                };
                let failed = Some(LOGIN_FAILED);
                login_page(frame, view, &self.browser, &self.email, failed)
            }
        };
        Ok(((page, None), None))
    }
}
