//! `GET|POST {issuer}/login`: email and password, either for a pending authorization request
//! (`request=ID`) or for the account console (`next=account`).

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::flow::advance;
use super::{
    browser, browser_value, csrf_ok, respond, respond_signed_in, session_value, Outcome, PageFrame,
};
use crate::db::{tx, AnyConnection, DbError};
use crate::domain::ProfileId;
use crate::identity::{self, signin, Account};
use crate::oidc::authorize;
use crate::oidc::context::OidcContext;
use crate::sessions::{self, Session};
use crate::tenancy::policy::MfaPolicy;
use crate::tenancy::CurrentTenant;
use crate::web::oauth::context;
use crate::web::AppState;

/// One message for every failure: it must not reveal whether the email exists.
const LOGIN_FAILED: &str = "The email or password is incorrect, or this account cannot sign in.";
use crate::oidc::authorize::PASSWORD_ACR;

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
}

#[derive(Deserialize)]
pub struct RequestQuery {
    request: Option<String>,
    next: Option<String>,
}

impl RequestQuery {
    pub fn request_id(self) -> Option<String> {
        self.request.filter(|r| !r.is_empty())
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    csrf_token: Option<String>,
    request: Option<String>,
    next: Option<String>,
    email: Option<String>,
    password: Option<String>,
}

/// What the sign-in is for.
#[derive(Clone)]
pub(super) enum Target {
    Authorization(String),
    /// One of the tenant's own consoles (no client involved).
    Console(Console),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Console {
    /// `{issuer}/account`: self-service.
    Account,
    /// `{issuer}/admin`: the tenant console.
    Admin,
}

impl Console {
    /// The `next` value and the path under the issuer.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Console::Account => "account",
            Console::Admin => "admin",
        }
    }

    fn parse(input: &str) -> Option<Console> {
        [Console::Account, Console::Admin]
            .into_iter()
            .find(|c| c.as_str() == input)
    }

    /// How the login page names where the user is going.
    fn label(self) -> &'static str {
        match self {
            Console::Account => "your account",
            Console::Admin => "the admin console",
        }
    }

    fn login_view(self) -> LoginView<'static> {
        LoginView {
            client_name: self.label(),
            request_id: "",
            next: self.as_str(),
        }
    }
}

impl Target {
    /// The stored form, kept while a second factor is due.
    pub(super) fn encode(&self) -> String {
        match self {
            Target::Authorization(id) => format!("request:{id}"),
            Target::Console(console) => console.as_str().to_owned(),
        }
    }

    pub(super) fn decode(stored: &str) -> Option<Target> {
        match stored.strip_prefix("request:") {
            Some(id) => Some(Target::Authorization(id.to_owned())),
            None => Console::parse(stored).map(Target::Console),
        }
    }

    fn from(request: Option<String>, next: Option<String>) -> Option<Target> {
        match (request.filter(|r| !r.is_empty()), next.as_deref()) {
            (Some(id), _) => Some(Target::Authorization(id)),
            (None, Some(next)) => Console::parse(next).map(Target::Console),
            _ => None,
        }
    }
}

struct LoginView<'a> {
    client_name: &'a str,
    request_id: &'a str,
    next: &'a str,
}

fn login_page(
    frame: &PageFrame,
    view: LoginView,
    browser: &str,
    email: &str,
    error: Option<&str>,
) -> Outcome {
    let html = LoginPage {
        issuer: &frame.issuer,
        tenant_name: &frame.tenant_name,
        client_name: view.client_name,
        csrf_token: &sessions::csrf_token(browser),
        request_id: view.request_id,
        next: view.next,
        email,
        error,
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
    let frame = PageFrame::new(&state, &tenant);
    let (browser, new_cookie) = browser(&state, &tenant, &req);
    let cookies: Vec<_> = new_cookie.into_iter().collect();
    let query = query.into_inner();
    let Some(target) = Target::from(query.request, query.next) else {
        return respond(frame.expired_request(), cookies);
    };
    let request_id = match target {
        Target::Console(console) => {
            let view = console.login_view();
            return respond(login_page(&frame, view, &browser, "", None), cookies);
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
                    let view = LoginView {
                        client_name: &client.name,
                        request_id: &request_id,
                        next: "",
                    };
                    login_page(&page_frame, view, &browser, email, None)
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
    form: web::Form<LoginForm>,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant);
    let form = form.into_inner();
    let (Some(browser), true) = (
        browser_value(&req),
        csrf_ok(&req, form.csrf_token.as_deref()),
    ) else {
        return respond(frame.bad_form(), vec![]);
    };
    let Some(target) = Target::from(form.request.clone(), form.next.clone()) else {
        return respond(frame.expired_request(), vec![]);
    };
    let ctx = match context(&state, tenant.clone()).await {
        Ok(ctx) => ctx,
        Err(e) => return respond(frame.error(&e), vec![]),
    };
    let client_ip = crate::web::client_ip::client_ip(&req, &state.settings.server.trusted_proxies);
    let email = form.email.clone().unwrap_or_default();

    // 1. The per-address limit (its own statement: requests from one address never queue
    //    behind each other's transactions) and the account the email names.
    let (tenant_id, limit) = (
        ctx.tenant.id.clone(),
        ctx.settings.security.login_attempts_per_minute,
    );
    let (key, looked_up_email) = (
        format!("login:{}:{client_ip}", ctx.tenant.id),
        email.clone(),
    );
    let limited_frame = frame.clone();
    let looked_up = state
        .db
        .run(move |conn| {
            if let Some(retry_after) = crate::rate_limit::hit(conn, &key, limit)? {
                return Ok(Err(Outcome::RateLimited(limited_frame, retry_after)));
            }
            Ok::<_, DbError>(Ok(signin::find(conn, &tenant_id, &looked_up_email)?))
        })
        .await;
    let candidate = match looked_up {
        Ok(Ok(candidate)) => candidate,
        Ok(Err(limited)) => return respond(limited, vec![]),
        Err(e) => return respond(frame.error(&e), vec![]),
    };

    // 2. The password, on the blocking pool with no database connection held, in turn.
    let password = form.password.clone().unwrap_or_default();
    let check = move |hasher: &_| signin::check(hasher, candidate, &password);
    let checked = match state.password_hasher.run(check).await {
        Ok(checked) => checked,
        Err(e) => {
            tracing::error!(error = %e, "password check failed");
            return respond(frame.failure(), vec![]);
        }
    };

    // 3. One write transaction: the outcome counted or the session started, with its audit
    //    entry, and the authorization moved on.
    let previous_session = session_value(&req);
    let page_frame = frame.clone();
    let result = state
        .db
        .run(move |conn| {
            let sign_in = SignIn {
                ip: &client_ip,
                ctx: &ctx,
                frame: &page_frame,
                browser: &browser,
                email: &email,
            };
            tx::write(conn, |conn| {
                sign_in.run(conn, &target, &checked, previous_session.as_deref())
            })
        })
        .await;
    let result = result.map(|(step, mail)| {
        if let Some(mail) = mail {
            let (mailer, from) = (state.mailer.clone(), state.mail_from.clone());
            actix_web::rt::spawn(async move { mailer.send(&from, mail).await });
        }
        step
    });
    respond_signed_in(&state, &tenant, &frame, result)
}

/// A message to send once the transaction that asked for it has committed.
type AfterCommit = Option<crate::mail::Outgoing>;

struct SignIn<'a> {
    ip: &'a str,
    ctx: &'a OidcContext,
    frame: &'a PageFrame,
    browser: &'a str,
    /// As typed.
    email: &'a str,
}

impl SignIn<'_> {
    /// Settles the checked password, starts a fresh session (a new id: no fixation) and
    /// continues to the target. Runs inside the step's write transaction.
    fn run(
        &self,
        conn: &mut AnyConnection,
        target: &Target,
        checked: &signin::Checked,
        previous_session: Option<&str>,
    ) -> Result<((Outcome, Option<String>), AfterCommit), DbError> {
        let ctx = self.ctx;
        let pending = match target {
            Target::Authorization(id) => {
                match authorize::load_pending(conn, ctx, id, &sessions::browser_hash(self.browser))?
                {
                    Some(pending) => Some(pending),
                    None => return Ok(((self.frame.expired_request(), None), None)),
                }
            }
            Target::Console(_) => None,
        };
        let email = self.email;
        let account = match signin::settle(
            conn,
            &ctx.settings.security,
            &ctx.tenant.id,
            checked,
            ctx.tenant.policy.email_verification == "required",
        ) {
            Ok(account) => account,
            Err(identity::LoginError::Db(e)) => return Err(e),
            Err(identity::LoginError::EmailNotVerified(account_id)) => {
                // Only someone who knows the password gets here: send a fresh link.
                let token = crate::identity::verification::account_token(
                    conn,
                    &ctx.tenant.id,
                    &account_id,
                )?;
                let link = format!("{}/verify?token={token}", ctx.issuer);
                let mail =
                    crate::mail::messages::verify_email(email.trim(), &ctx.tenant.name, &link).ok();
                let page = self.frame.message(
                    actix_web::http::StatusCode::FORBIDDEN,
                    "Confirm your email address",
                    "This organisation asks you to confirm your email address first. We sent you a new link.",
                );
                return Ok(((page, None), mail));
            }
            Err(_) => {
                tracing::info!(tenant = %ctx.tenant.slug, "sign-in failed");
                crate::audit::record(
                    conn,
                    &ctx.tenant.id,
                    crate::audit::Event {
                        actor: "anonymous",
                        action: "signin.failure",
                        target: "password",
                        ip: self.ip,
                        details: serde_json::json!({ "email": email }),
                    },
                )?;
                let view = match (target, &pending) {
                    (Target::Authorization(id), Some((client, _))) => LoginView {
                        client_name: &client.name,
                        request_id: id,
                        next: "",
                    },
                    (Target::Console(console), _) => console.login_view(),
                    (Target::Authorization(_), None) => Console::Account.login_view(),
                };
                let page = login_page(self.frame, view, self.browser, email, Some(LOGIN_FAILED));
                return Ok(((page, None), None));
            }
        };
        // A second factor comes before any session exists: when the user enrolled (unless the
        // tenant turned it off), when the tenant requires it, or when the client asks for it
        // (acr_values). Without a factor yet, the user enrolls now.
        let enrolled = crate::identity::mfa::is_enrolled(conn, &ctx.tenant.id, &account.id)?;
        let client_wants_mfa = pending
            .as_ref()
            .is_some_and(|(_, request)| request.wants_mfa());
        let needed = match ctx.tenant.policy.mfa {
            MfaPolicy::Off => client_wants_mfa,
            MfaPolicy::Optional => enrolled || client_wants_mfa,
            MfaPolicy::Required => true,
        };
        if needed {
            let id = super::mfa::start_challenge(conn, ctx, &account, self.browser, target)?;
            let step = if enrolled { "mfa" } else { "mfa/setup" };
            let next = Outcome::Redirect(format!("{}/{step}?challenge={id}", ctx.issuer));
            return Ok(((next, None), None));
        }
        crate::audit::record(
            conn,
            &ctx.tenant.id,
            crate::audit::Event {
                actor: account.id.as_str(),
                action: "signin.success",
                target: account.id.as_str(),
                ip: self.ip,
                details: serde_json::json!({ "method": "password" }),
            },
        )?;
        let signed_in = SignedIn {
            account: &account,
            amr: &["pwd"],
            acr: PASSWORD_ACR,
        };
        let step = finish_sign_in(
            conn,
            ctx,
            self.frame,
            self.browser,
            signed_in,
            target.clone(),
            pending,
            previous_session,
        )?;
        Ok((step, None))
    }
}

/// Who signed in, and how.
pub(super) struct SignedIn<'a> {
    pub account: &'a Account,
    pub amr: &'a [&'a str],
    pub acr: &'a str,
}

/// Starts a fresh session (a new id: no fixation) for a fully authenticated account and
/// continues to the target. Returns the outcome and the new session cookie value.
pub(super) fn complete_sign_in(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    frame: &PageFrame,
    browser: &str,
    signed_in: SignedIn,
    target: Target,
    previous_session: Option<&str>,
) -> Result<(Outcome, Option<String>), DbError> {
    let pending = match &target {
        Target::Authorization(id) => {
            match authorize::load_pending(conn, ctx, id, &sessions::browser_hash(browser))? {
                Some(pending) => Some(pending),
                None => return Ok((frame.expired_request(), None)),
            }
        }
        Target::Console(_) => None,
    };
    finish_sign_in(
        conn,
        ctx,
        frame,
        browser,
        signed_in,
        target,
        pending,
        previous_session,
    )
}

/// [`complete_sign_in`] with the pending request already loaded in this transaction.
#[allow(clippy::too_many_arguments)]
fn finish_sign_in(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    frame: &PageFrame,
    browser: &str,
    signed_in: SignedIn,
    target: Target,
    pending: Option<(crate::clients::Client, authorize::AuthorizationRequest)>,
    previous_session: Option<&str>,
) -> Result<(Outcome, Option<String>), DbError> {
    let (session, cookie) = start_session(conn, ctx, &signed_in, previous_session)?;
    let outcome = match (target, pending) {
        (Target::Authorization(id), Some((client, mut request))) => {
            authorize::satisfied(conn, ctx, &id, &mut request, "login")?;
            advance(
                conn,
                ctx,
                frame,
                &client,
                &request,
                Some(&session),
                browser,
                Some(&id),
            )?
        }
        (Target::Console(console), _) => {
            Outcome::Redirect(format!("{}/{}", ctx.issuer, console.as_str()))
        }
        (Target::Authorization(_), None) => Outcome::Redirect(format!("{}/account", ctx.issuer)),
    };
    Ok((outcome, Some(cookie)))
}

fn start_session(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    signed_in: &SignedIn,
    previous_session: Option<&str>,
) -> Result<(Session, String), DbError> {
    let account = signed_in.account;
    identity::sign_in_completed(conn, &ctx.tenant.id, &account.id)?;
    // One profile is chosen at once; with several, the picker asks.
    let choices = crate::db::accounts::profiles(conn, &ctx.tenant.id, &account.id)?;
    let profile = match choices.as_slice() {
        [only] => Some(ProfileId::from_stored(only.id.clone())),
        _ => None,
    };
    if let Some(old) = previous_session {
        if let Some(old) = sessions::current(conn, &ctx.settings.sessions, &ctx.tenant.id, old)? {
            sessions::end(conn, &ctx.tenant.id, &old.id)?;
        }
    }
    sessions::create(
        conn,
        &ctx.settings.sessions,
        &ctx.tenant.id,
        &account.id,
        profile.as_ref(),
        signed_in.amr,
        signed_in.acr,
    )
}
