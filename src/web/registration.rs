//! `POST {issuer}/register` (RFC 7591) and `GET|PUT|DELETE {issuer}/register/{client_id}`
//! (RFC 7592): extract the bearer token and body, call `oidc::registration`, map its answer.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::extract::{ClientIp, CurrentTenant};
use super::oauth::context;
use super::AppState;
use crate::oidc::context::OidcContext;
use crate::oidc::registration::{self, Refusal};

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    crate::oidc::after_auth_scheme(value, "bearer").map(|t| t.trim().to_owned())
}

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

fn answer(status: StatusCode, body: Option<Value>) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header((header::PRAGMA, HeaderValue::from_static("no-cache")));
    match body {
        Some(body) => response.json(body),
        None => response.finish(),
    }
}

fn refused(refusal: Refusal) -> HttpResponse {
    let transient = refusal
        .storage
        .as_ref()
        .is_some_and(crate::db::DbError::is_transient);
    let status = if transient {
        tracing::warn!(error = ?refusal.storage, "client registration met a busy database");
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        if let Some(cause) = &refusal.storage {
            tracing::error!(error = %cause, "client registration failed");
        }
        StatusCode::from_u16(refusal.status).unwrap_or(StatusCode::BAD_REQUEST)
    };
    let retry_after = refusal.retry_after;
    let (error, description) = if transient {
        (
            "temporarily_unavailable",
            "the server is busy; retry shortly".to_owned(),
        )
    } else {
        (refusal.error, refusal.description)
    };
    let mut response = answer(
        status,
        Some(json!({ "error": error, "error_description": description })),
    );
    let headers = response.headers_mut();
    if status == StatusCode::UNAUTHORIZED {
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Bearer error="invalid_token""#),
        );
    }
    if status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::TOO_MANY_REQUESTS {
        // A rate limit says when its window ends; a busy database, the usual pause.
        let seconds = retry_after.map_or(crate::db::RETRY_AFTER_SECS, |s| s.max(1) as u64);
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

async fn run<T, F>(state: &AppState, tenant: CurrentTenant, work: F) -> Result<T, Refusal>
where
    T: Send + 'static,
    F: FnOnce(&mut crate::db::AnyConnection, &OidcContext) -> Result<T, Refusal> + Send + 'static,
{
    let ctx = context(state, tenant)
        .await
        .map_err(|e| Refusal::new(e.status(), "temporarily_unavailable", e.description))?;
    state.db.run(move |conn| work(conn, &ctx)).await
}

/// `POST {issuer}/register`.
pub async fn register(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    if !is_json(&req) {
        return refused(Refusal::new(
            400,
            "invalid_client_metadata",
            "the body must be application/json",
        ));
    }
    let (token, ip) = (bearer(&req), ClientIp::of(&req).0);
    let result = run(&state, tenant, move |conn, ctx| {
        registration::register(conn, ctx, token.as_deref(), &body, &ip)
    })
    .await;
    match result {
        Ok(body) => answer(StatusCode::CREATED, Some(body)),
        Err(refusal) => refused(refusal),
    }
}

/// `GET|PUT|DELETE {issuer}/register/{client_id}`.
pub async fn manage(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    // By name: in path mode the tenant is a parameter of the path too.
    let client_id = req
        .match_info()
        .get("client_id")
        .unwrap_or_default()
        .to_owned();
    let (token, ip) = (bearer(&req), ClientIp::of(&req).0);
    let method = req.method().clone();
    if method == actix_web::http::Method::PUT && !is_json(&req) {
        return refused(Refusal::new(
            400,
            "invalid_client_metadata",
            "the body must be application/json",
        ));
    }
    let id = client_id.clone();
    let result = run(&state, tenant, move |conn, ctx| {
        let token = token.as_deref();
        let outcome = match method {
            actix_web::http::Method::GET => registration::read(conn, ctx, &id, token).map(Some),
            actix_web::http::Method::PUT => {
                registration::replace(conn, ctx, &id, token, &body, &ip).map(Some)
            }
            _ => registration::delete(conn, ctx, &id, token, &ip).map(|()| None),
        };
        if outcome.is_ok() {
            ctx.clients.remove(&(ctx.tenant.id.clone(), id.clone()));
        }
        outcome
    })
    .await;
    match result {
        Ok(Some(body)) => answer(StatusCode::OK, Some(body)),
        Ok(None) => answer(StatusCode::NO_CONTENT, None),
        Err(refusal) => refused(refusal),
    }
}
