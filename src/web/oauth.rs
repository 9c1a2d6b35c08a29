//! Protocol endpoints that answer JSON: token, introspection, revocation, userinfo. Each one
//! extracts the request, runs the protocol engine on the blocking pool, and renders the result
//! with `Cache-Control: no-store` (RFC 6749 §5.1).

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::AppState;
use crate::oidc::context::OidcContext;
use crate::oidc::dpop::{Presented, Scheme};
use crate::oidc::error::{Challenge, ErrorBody, ErrorCode, OAuthError};
use crate::oidc::form::Params;
use crate::oidc::{client_auth, introspection, revocation, token, userinfo};
use crate::web::extract::CurrentTenant;
use crate::web::ApiError;

/// The protocol context for this tenant: settings, issuer, and its current keys.
pub async fn context(state: &AppState, tenant: CurrentTenant) -> Result<OidcContext, OAuthError> {
    let keys = state.key_set(&tenant).await.map_err(|e| match e {
        ApiError::Unavailable(why) => OAuthError::new(ErrorCode::TemporarilyUnavailable, why),
        other => OAuthError::server_error(other),
    })?;
    Ok(OidcContext {
        settings: tenant.policy.effective_settings(&state.settings),
        issuer: state.issuer(&tenant),
        tenant: tenant.0,
        keys,
        client_jwks: state.client_jwks.clone(),
        clients: state.clients.clone(),
        key_store: state.keys.clone(),
    })
}

fn no_store(builder: &mut actix_web::HttpResponseBuilder) -> &mut actix_web::HttpResponseBuilder {
    builder
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header((header::PRAGMA, HeaderValue::from_static("no-cache")))
}

pub fn json_ok(body: &impl Serialize) -> HttpResponse {
    no_store(&mut HttpResponse::Ok()).json(body)
}

fn quoted(text: &str) -> String {
    text.replace(['"', '\\'], "'")
}

pub fn error_response(error: &OAuthError, realm: &str) -> HttpResponse {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    if let Some(cause) = &error.cause {
        if status == StatusCode::SERVICE_UNAVAILABLE {
            tracing::warn!(error = %cause, "protocol request met a busy database");
        } else {
            tracing::error!(error = %cause, "protocol request failed");
        }
    } else {
        tracing::info!(error = error.code.as_str(), description = %error.description, "protocol request refused");
    }
    let mut response = HttpResponse::build(status);
    no_store(&mut response);
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.insert_header((header::RETRY_AFTER, crate::db::RETRY_AFTER_SECS.to_string()));
    }
    let challenge = match error.challenge {
        Challenge::None if status == StatusCode::UNAUTHORIZED => {
            Some(format!("Basic realm=\"{}\"", quoted(realm)))
        }
        Challenge::None => None,
        Challenge::Basic => Some(format!("Basic realm=\"{}\"", quoted(realm))),
        Challenge::Bearer => Some(format!(
            "Bearer realm=\"{}\", error=\"{}\", error_description=\"{}\"",
            quoted(realm),
            error.code.as_str(),
            quoted(&error.description)
        )),
        Challenge::DPoP => Some(format!(
            "DPoP realm=\"{}\", error=\"{}\", error_description=\"{}\", algs=\"{}\"",
            quoted(realm),
            error.code.as_str(),
            quoted(&error.description),
            crate::oidc::dpop::SIGNING_ALGS.join(" ")
        )),
    };
    if let Some(nonce) = error
        .dpop_nonce
        .as_deref()
        .and_then(|n| HeaderValue::from_str(n).ok())
    {
        response.insert_header((DPOP_NONCE, nonce));
    }
    if let Some(value) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.insert_header((header::WWW_AUTHENTICATE, value));
    }
    response.json(ErrorBody {
        error: error.code.as_str(),
        error_description: &error.description,
    })
}

/// RFC 9449 §8: where the server hands out nonces.
const DPOP_NONCE: &str = "dpop-nonce";

/// The request's DPoP proof: at most one `DPoP` header (RFC 9449 §4.3).
fn dpop_proof(req: &HttpRequest) -> Result<Option<String>, OAuthError> {
    let mut values = req.headers().get_all("dpop");
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(OAuthError::new(
            crate::oidc::error::ErrorCode::InvalidDpopProof,
            "send one DPoP header",
        ));
    }
    first
        .to_str()
        .map(|v| Some(v.trim().to_owned()))
        .map_err(|_| {
            OAuthError::new(
                crate::oidc::error::ErrorCode::InvalidDpopProof,
                "the DPoP header is not a JWT",
            )
        })
}

/// The access token a resource request presents (`Authorization: Bearer|DPoP …`) with its
/// DPoP proof, for the request URI `uri`; `None` without an `Authorization` header.
pub fn presented_token(req: &HttpRequest, uri: String) -> Result<Option<Presented>, OAuthError> {
    let Some(value) = authorization_header(req) else {
        return Ok(None);
    };
    let (scheme, token) = if let Some(token) = crate::oidc::after_auth_scheme(&value, "bearer") {
        (Scheme::Bearer, token)
    } else if let Some(token) = crate::oidc::after_auth_scheme(&value, "dpop") {
        (Scheme::DPoP, token)
    } else {
        return Err(
            OAuthError::invalid_request("use the Bearer or DPoP authorization scheme")
                .with_challenge(Challenge::Bearer),
        );
    };
    Ok(Some(Presented {
        scheme,
        token: token.trim().to_owned(),
        proof: dpop_proof(req)?,
        method: req.method().as_str().to_owned(),
        uri,
    }))
}

fn authorization_header(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn form_params(req: &HttpRequest, body: &[u8]) -> Result<Params, OAuthError> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Err(OAuthError::invalid_request(
            "the request body must be application/x-www-form-urlencoded",
        ));
    }
    Params::parse(body)
}

fn too_many_requests(retry_after: i64) -> HttpResponse {
    let mut response = HttpResponse::TooManyRequests();
    no_store(&mut response)
        .insert_header((header::RETRY_AFTER, retry_after.to_string()))
        .json(ErrorBody {
            error: "temporarily_unavailable",
            error_description:
                "too many failed client authentications from this address; retry later",
        })
}

/// Client authentication with brute-force protection: refuses an address over the limit of
/// failed attempts before checking anything, and counts each `invalid_client`.
async fn with_client_auth_limit<F, T>(
    state: &AppState,
    tenant: &crate::tenancy::Tenant,
    req: &HttpRequest,
    realm: &str,
    work: F,
) -> HttpResponse
where
    F: std::future::Future<Output = Result<T, OAuthError>>,
    T: Serialize,
{
    let ip = super::extract::ClientIp::of(req).0;
    if let Some(retry_after) = state.client_auth_blocked(tenant, &ip) {
        return too_many_requests(retry_after);
    }
    match work.await {
        Ok(body) => json_ok(&body),
        Err(error) => {
            if error.code == crate::oidc::error::ErrorCode::InvalidClient {
                if let Some(retry_after) = state.record_client_auth_failure(tenant, &ip).await {
                    return too_many_requests(retry_after);
                }
            }
            error_response(&error, realm)
        }
    }
}

/// Runs one form-based, client-authenticated protocol operation.
async fn form_endpoint<T, F>(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    body: web::Bytes,
    operation: F,
) -> HttpResponse
where
    T: Serialize + Send + 'static,
    F: FnOnce(
            &mut crate::db::AnyConnection,
            &OidcContext,
            client_auth::Credentials,
            &Params,
        ) -> Result<T, OAuthError>
        + Send
        + 'static,
{
    let realm = state.issuer(&tenant);
    let tenant_row = tenant.0.clone();
    let work = async {
        let ctx = context(&state, tenant).await?;
        let params = form_params(&req, &body)?;
        let authorization = authorization_header(&req);
        let credentials =
            client_auth::credentials(&state.db, &ctx, authorization.as_deref(), &params).await?;
        state
            .db
            .run(move |conn| operation(conn, &ctx, credentials, &params))
            .await
    };
    with_client_auth_limit(&state, &tenant_row, &req, &realm, work).await
}

/// `POST {issuer}/token`
pub async fn token(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let realm = state.issuer(&tenant);
    let tenant_row = tenant.0.clone();
    let work = async {
        let ctx = context(&state, tenant).await?;
        let params = form_params(&req, &body)?;
        let proof = dpop_proof(&req)?;
        token::handle(&state.db, ctx, authorization_header(&req), params, proof).await
    };
    let response = with_client_auth_limit(&state, &tenant_row, &req, &realm, work).await;
    if let (true, Some(metrics)) = (response.status().is_success(), &state.metrics) {
        // Issued, so the grant type was one of ours: a bounded label.
        let grant = url::form_urlencoded::parse(&body)
            .find(|(name, _)| name == "grant_type")
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default();
        metrics.tokens_issued.with_label_values(&[&grant]).inc();
    }
    response
}

/// `POST {issuer}/par`: a pushed authorization request (RFC 9126), answered 201 Created with
/// its `request_uri` and `expires_in`.
pub async fn pushed_authorization_request(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let mut response = form_endpoint(state, tenant, req, body, crate::oidc::par::push).await;
    if response.status() == actix_web::http::StatusCode::OK {
        *response.status_mut() = actix_web::http::StatusCode::CREATED;
    }
    response
}

/// `POST {issuer}/device_authorization`: a device's code pair (RFC 8628 §3.1-3.2).
pub async fn device_authorization(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    // Each request stores a row for ten minutes, and a public client needs no secret: what one
    // address may make the server keep is bounded like at /authorize.
    let limit = state.settings.security.authorization_requests_per_minute;
    let ip = super::extract::ClientIp::of(&req).0;
    if let Some(retry_after) = state.authorize_windows.hit("device", &ip, limit) {
        let mut response = HttpResponse::TooManyRequests();
        return no_store(&mut response)
            .insert_header((header::RETRY_AFTER, retry_after.to_string()))
            .json(ErrorBody {
                error: "temporarily_unavailable",
                error_description: "too many device authorization requests from this address",
            });
    }
    form_endpoint(state, tenant, req, body, crate::oidc::device::start).await
}

/// `POST {issuer}/introspect`
pub async fn introspect(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    form_endpoint(state, tenant, req, body, introspection::introspect).await
}

/// `POST {issuer}/revoke`: 200 with an empty body on success (RFC 7009 §2.2).
pub async fn revoke(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let response = form_endpoint(state, tenant, req, body, revocation::revoke).await;
    if response.status().is_success() {
        return no_store(&mut HttpResponse::Ok()).finish();
    }
    response
}

/// `GET|POST {issuer}/userinfo` with a Bearer token in the header (or, for POST, the body).
pub async fn userinfo(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let realm = state.issuer(&tenant);
    let result = async {
        let header_token = presented_token(&req, format!("{realm}/userinfo"))?;
        let body_token = if req.method() == actix_web::http::Method::POST && !body.is_empty() {
            form_params(&req, &body)?
                .get("access_token")
                .map(str::to_owned)
        } else {
            None
        };
        let presented = match (header_token, body_token) {
            (Some(_), Some(_)) => {
                return Err(OAuthError::invalid_request("send the access token once"))
            }
            (Some(presented), None) => presented,
            (None, Some(t)) => Presented::bearer(t),
            (None, None) => {
                // RFC 6750 §3.1: no error code when the request had no credentials.
                return Err(OAuthError {
                    challenge: Challenge::Bearer,
                    ..OAuthError::new(
                        crate::oidc::error::ErrorCode::InvalidToken,
                        "an access token is required",
                    )
                });
            }
        };
        let ctx = context(&state, tenant).await?;
        state
            .db
            .run(move |conn| userinfo::userinfo(conn, &ctx, &presented))
            .await
    }
    .await;
    match result {
        Ok(claims) => json_ok(&claims),
        Err(error) => error_response(&error, &realm),
    }
}

/// For protocol URLs hit with the wrong method: 405 with `Allow`.
pub async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    let allow = if req.path().ends_with("/userinfo") {
        "GET, POST"
    } else {
        "POST"
    };
    no_store(&mut HttpResponse::MethodNotAllowed())
        .insert_header((header::ALLOW, allow))
        .json(ErrorBody {
            error: "invalid_request",
            error_description: "method not allowed",
        })
}
