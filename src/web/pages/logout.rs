//! `GET|POST {issuer}/logout`: RP-Initiated Logout 1.0. With a valid `id_token_hint` for the
//! current session the user is signed out at once; otherwise a confirmation page asks first.
//! `post_logout_redirect_uri` must exactly match one the client registered.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{respond, Outcome, PageFrame};
use crate::clients::Client;
use crate::db::AnyConnection;
use crate::i18n::Texts;
use crate::oidc::context::OidcContext;
use crate::oidc::form::Params;
use crate::oidc::{id_token_hint, subject};
use crate::sessions;
use crate::sessions::{BROWSER_COOKIE, SESSION_COOKIE};
use crate::web::cookies::CookieScope;
use crate::web::extract::{front_channel_params, CurrentTenant};
use crate::web::oauth::context;
use crate::web::AppState;

/// Logout parameters carried through the confirmation form.
const CARRIED: &[&str] = &[
    "id_token_hint",
    "post_logout_redirect_uri",
    "state",
    "client_id",
];

#[derive(Template)]
#[template(path = "logout.html")]
struct ConfirmPage<'a> {
    issuer: &'a str,
    tenant_name: &'a str,
    t: &'a Texts,
    client_name: Option<&'a str>,
    csrf_token: &'a str,
    carried: Vec<(String, String)>,
}

pub async fn logout(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant, &req);
    let is_post = req.method() == actix_web::http::Method::POST;
    let params = match front_channel_params(&req, &body) {
        Ok(params) => params,
        Err(e) => {
            let title = frame.t.get("logout-invalid");
            let message = frame.message(StatusCode::BAD_REQUEST, &title, &e.description);
            return respond(message, vec![]);
        }
    };
    // Only our own confirmation form (POST with this browser's CSRF token) counts as consent.
    let scope = CookieScope::tenant(&state, &tenant);
    let (browser, new_browser_cookie) = scope.browser(&req, BROWSER_COOKIE);
    let confirmed = is_post
        && new_browser_cookie.is_none()
        && params
            .get("csrf_token")
            .is_some_and(|token| sessions::csrf_matches(&browser, token));
    let ctx = match context(&state, tenant.clone()).await {
        Ok(ctx) => ctx,
        Err(e) => return respond(frame.error(&e), vec![]),
    };
    let cookie = scope.read(&req, SESSION_COOKIE);
    let page_frame = frame.clone();
    let result = state
        .db
        .run(move |conn| {
            decide(
                conn,
                &ctx,
                &page_frame,
                &params,
                cookie.as_deref(),
                confirmed,
                &browser,
            )
        })
        .await;
    match result {
        Ok((outcome, signed_out)) => {
            let mut cookies: Vec<_> = new_browser_cookie.into_iter().collect();
            if signed_out {
                cookies.push(scope.clear(SESSION_COOKIE));
            }
            respond(outcome, cookies)
        }
        Err(e) => respond(frame.error(&e), vec![]),
    }
}

/// Returns the outcome and whether the session was ended.
fn decide(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    frame: &PageFrame,
    params: &Params,
    session_cookie: Option<&str>,
    confirmed: bool,
    browser: &str,
) -> Result<(Outcome, bool), crate::db::DbError> {
    let invalid = |message: &str| {
        Ok((
            frame.message(
                StatusCode::BAD_REQUEST,
                &frame.t.get("logout-invalid"),
                message,
            ),
            false,
        ))
    };
    let hint = params
        .get("id_token_hint")
        .and_then(|h| id_token_hint::verify(ctx, h));
    // The client: named by client_id, or by the hint's audience.
    let client_id = match (params.get("client_id"), &hint) {
        (Some(id), Some(hint)) if !hint.audiences.iter().any(|a| a == id) => {
            return invalid("client_id does not match the ID token.")
        }
        (Some(id), _) => Some(id.to_owned()),
        (None, Some(hint)) => hint.audiences.first().cloned(),
        (None, None) => None,
    };
    let client: Option<Client> = client_id.and_then(|id| ctx.client(conn, &id).ok());
    let redirect = match params.get("post_logout_redirect_uri") {
        None => None,
        Some(uri) => match &client {
            Some(c)
                if c.post_logout_redirect_uris
                    .iter()
                    .any(|r| r.as_str() == uri) =>
            {
                Some(uri.to_owned())
            }
            Some(_) => return invalid(&frame.t.get("logout-unregistered-return")),
            None => return invalid("post_logout_redirect_uri needs id_token_hint or client_id."),
        },
    };
    let session = match session_cookie {
        Some(value) => sessions::current(conn, &ctx.settings.sessions, &ctx.tenant.id, value)?,
        None => None,
    };
    // A valid hint for this very session's user (its `sub` as the hint's client sees it:
    // the profile, the account, or a pairwise value) lets us skip the question.
    let hint_matches = match (&hint, &session) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(h), Some(s)) => match (&client, &s.profile_id) {
            (Some(client), Some(profile)) => {
                let seen = subject::subject(conn, &ctx.tenant.id, client, &s.account_id, profile)?;
                seen.sub == h.subject
            }
            _ => false,
        },
    };
    if !confirmed && !hint_matches {
        let carried = CARRIED
            .iter()
            .filter_map(|name| params.get(name).map(|v| ((*name).to_owned(), v.to_owned())))
            .collect();
        let html = ConfirmPage {
            issuer: &frame.issuer,
            tenant_name: &frame.tenant_name,
            t: &frame.t,
            client_name: client.as_ref().map(|c| c.name.as_str()),
            csrf_token: &sessions::csrf_token(browser),
            carried,
        }
        .render();
        return Ok((frame.page(html), false));
    }
    if let Some(session) = &session {
        sessions::end(
            conn,
            &ctx.tenant.id,
            &session.id,
            sessions::EndReason::Logout,
        )?;
    }
    // Registered URIs were parsed at registration; one that no longer parses is not used.
    let outcome = match redirect.and_then(|uri| url::Url::parse(&uri).ok()) {
        Some(mut url) => {
            if let Some(state) = params.get("state") {
                url.query_pairs_mut().append_pair("state", state);
            }
            Outcome::Redirect(url.to_string())
        }
        None => frame.say(StatusCode::OK, "signed-out", &[]),
    };
    Ok((outcome, true))
}
