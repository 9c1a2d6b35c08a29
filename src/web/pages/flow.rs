//! Moving an authorization request on to its next step: the one place that turns
//! `authorize::decide` into a redirect, a page, or the answer to the client.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::target::Target;
use super::{respond, Outcome, PageFrame};
use crate::clients::Client;
use crate::db::{tx, AnyConnection, DbError};
use crate::identity::signin;
use crate::oidc::authorize::{self, AuthorizationRequest, Next};
use crate::oidc::context::OidcContext;
use crate::oidc::device;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::sessions::{self, Session};
use crate::sessions::{BROWSER_COOKIE, SESSION_COOKIE};
use crate::web::cookies::CookieScope;
use crate::web::extract::CurrentTenant;
use crate::web::oauth::context;
use crate::web::AppState;

/// Where the request goes next. `pending` is its id once stored; `browser` binds a newly stored
/// request to this browser.
#[allow(clippy::too_many_arguments)]
pub fn advance(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    frame: &PageFrame,
    client: &Client,
    request: &AuthorizationRequest,
    session: Option<&Session>,
    browser: &str,
    pending: Option<&str>,
) -> Result<Outcome, DbError> {
    let next = authorize::decide(conn, ctx, client, request, session)?;
    let mut page = |step: &str| -> Result<Outcome, DbError> {
        let id = match pending {
            Some(id) => id.to_owned(),
            None => authorize::store_pending(conn, ctx, request, &sessions::browser_hash(browser))?,
        };
        Ok(Outcome::Redirect(format!(
            "{}/{step}?request={id}",
            ctx.issuer
        )))
    };
    match next {
        Next::Login => page("login"),
        Next::SelectProfile => page("select-profile"),
        Next::Consent(_) => page("consent"),
        Next::Fail(code, description) => {
            if let Some(id) = pending {
                authorize::finish_pending(conn, ctx, id)?;
            }
            refuse(
                conn,
                ctx,
                frame,
                request,
                OAuthError::new(code, description),
            )
        }
        Next::Issue(profile) => {
            let Some(session) = session else {
                tracing::error!("authorize decided to issue a code without a session");
                return Ok(frame.failure());
            };
            if let Some(id) = pending {
                authorize::finish_pending(conn, ctx, id)?;
            }
            // Remember the persona for this browser session.
            crate::profiles::choice::remember(conn, &ctx.tenant.id, session, &profile)?;
            if request.device.is_some() {
                let approved = device::approve(conn, ctx, client, request, session, &profile)?;
                return Ok(if approved {
                    frame.say(
                        StatusCode::OK,
                        "device-approved",
                        &[("client", &client.name)],
                    )
                } else {
                    frame.say(StatusCode::BAD_REQUEST, "device-gone", &[])
                });
            }
            Ok(Outcome::Client(authorize::issue_code(
                conn, ctx, client, request, session, &profile,
            )?))
        }
    }
}

/// Ends a request with an error: sent to the client's redirect URI; or, for a device's
/// request, recorded for the device (`access_denied` at its next poll) with a page for the
/// person.
pub fn refuse(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    frame: &PageFrame,
    request: &AuthorizationRequest,
    error: OAuthError,
) -> Result<Outcome, DbError> {
    if request.device.is_some() {
        device::deny(conn, ctx, request)?;
        return Ok(frame.say(StatusCode::OK, "device-denied", &[]));
    }
    Ok(Outcome::Client(request.error(&ctx.issuer, error)))
}

/// A pending authorization request as loaded: its client and parameters.
pub type Pending = (Client, AuthorizationRequest);

/// The pending request a sign-in is for, bound to this browser; `Ok(None)` when the target is
/// a console, `Err(page)` when the request is gone.
pub fn pending_for(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    frame: &PageFrame,
    target: &Target,
    browser: &str,
) -> Result<Result<Option<Pending>, Outcome>, DbError> {
    let Target::Authorization(id) = target else {
        return Ok(Ok(None));
    };
    Ok(
        match authorize::load_pending(conn, ctx, id, &sessions::browser_hash(browser))? {
            Some(pending) => Ok(Some(pending)),
            None => Err(frame.expired_request()),
        },
    )
}

/// After a session started: the authorization moves on past its login step, or the console
/// opens.
pub fn after_sign_in(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    frame: &PageFrame,
    browser: &str,
    signed_in: &signin::SignedIn,
    target: &Target,
    pending: Option<Pending>,
) -> Result<Outcome, DbError> {
    match (target, pending) {
        (Target::Authorization(id), Some((client, mut request))) => {
            authorize::satisfied(conn, ctx, id, &mut request, "login")?;
            let session = Some(&signed_in.session);
            advance(
                conn,
                ctx,
                frame,
                &client,
                &request,
                session,
                browser,
                Some(id),
            )
        }
        (Target::Console(console), _) => Ok(Outcome::Redirect(format!(
            "{}/{}",
            ctx.issuer,
            console.as_str()
        ))),
        (Target::Authorization(_), None) => Ok(frame.expired_request()),
    }
}

/// The client asked for a second factor the account does not have (OIDC Core §3.1.2.6):
/// the request ends with `unmet_authentication_requirements`.
pub fn unmet(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    frame: &PageFrame,
    target: &Target,
    pending: Option<Pending>,
) -> Result<Outcome, DbError> {
    let (Target::Authorization(id), Some((_, request))) = (target, pending) else {
        return Ok(frame.expired_request());
    };
    authorize::finish_pending(conn, ctx, id)?;
    let error = OAuthError::new(
        ErrorCode::UnmetAuthenticationRequirements,
        "the account has no second factor to satisfy the requested acr_values",
    );
    refuse(conn, ctx, frame, &request, error)
}

/// A pending authorization request resumed by the browser that started it.
pub struct Resumed {
    pub client: Client,
    pub request: AuthorizationRequest,
    pub session: Option<Session>,
    pub browser: String,
    pub request_id: String,
}

impl Resumed {
    /// Moves the resumed request on to its next step (see [`advance`]).
    pub fn advance(
        &self,
        conn: &mut AnyConnection,
        ctx: &OidcContext,
        frame: &PageFrame,
    ) -> Result<Outcome, DbError> {
        advance(
            conn,
            ctx,
            frame,
            &self.client,
            &self.request,
            self.session.as_ref(),
            &self.browser,
            Some(&self.request_id),
        )
    }
}

/// The live session a cookie names, if any.
pub fn live_session(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    cookie: Option<&str>,
) -> Result<Option<Session>, DbError> {
    match cookie {
        Some(value) => sessions::current(conn, &ctx.settings.sessions, &ctx.tenant.id, value),
        None => Ok(None),
    }
}

/// The shared skeleton of the pages that continue a pending authorization (profile picker,
/// consent): load the request bound to this browser and the session, run `step` on the
/// blocking pool, render its outcome. POST handlers check the CSRF token before calling it.
pub async fn resume_pending<F>(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: &HttpRequest,
    request_id: Option<String>,
    step: F,
) -> HttpResponse
where
    F: FnMut(&mut AnyConnection, &OidcContext, &PageFrame, Resumed) -> Result<Outcome, DbError>
        + Send
        + 'static,
{
    let frame = PageFrame::new(&state, &tenant, req);
    let scope = CookieScope::tenant(&state, &tenant);
    let (Some(browser), Some(request_id)) = (
        scope.read(req, BROWSER_COOKIE),
        request_id.filter(|r| !r.is_empty()),
    ) else {
        return respond(frame.expired_request(), vec![]);
    };
    let ctx = match context(&state, tenant).await {
        Ok(ctx) => ctx,
        Err(e) => return respond(frame.error(&e), vec![]),
    };
    let cookie = scope.read(req, SESSION_COOKIE);
    let page_frame = frame.clone();
    let mut step = step;
    let outcome = state
        .db
        .run(move |conn| {
            // The whole step is one transaction: what it reads and what it writes (consent,
            // the chosen profile, a code) stay consistent under concurrent requests.
            tx::write(conn, |conn| {
                let pending = authorize::load_pending(
                    conn,
                    &ctx,
                    &request_id,
                    &sessions::browser_hash(&browser),
                )?;
                let Some((client, request)) = pending else {
                    return Ok(page_frame.expired_request());
                };
                let session = live_session(conn, &ctx, cookie.as_deref())?;
                step(
                    conn,
                    &ctx,
                    &page_frame,
                    Resumed {
                        client,
                        request,
                        session,
                        browser: browser.clone(),
                        request_id: request_id.clone(),
                    },
                )
            })
        })
        .await;
    match outcome {
        Ok(outcome) => respond(outcome, vec![]),
        Err(e) => respond(frame.error(&e), vec![]),
    }
}
