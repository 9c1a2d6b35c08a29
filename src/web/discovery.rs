//! Discovery documents and JWKS.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpResponse};

use super::{ApiError, AppState};
use crate::oidc::discovery::ProviderMetadata;
use crate::web::extract::CurrentTenant;

/// Public, cacheable for a few minutes, readable cross-origin by browser-based clients.
fn public_json(body: Vec<u8>, content_type: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(content_type)))
        .insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        ))
        .insert_header((
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        ))
        .body(body)
}

/// `GET {issuer}/.well-known/openid-configuration` and `.../oauth-authorization-server`.
pub async fn provider_metadata(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
) -> Result<HttpResponse, ApiError> {
    let metadata = ProviderMetadata::for_issuer(&state.issuer(&tenant));
    let body = serde_json::to_vec(&metadata).map_err(ApiError::internal)?;
    Ok(public_json(body, "application/json"))
}

/// `GET {issuer}/jwks.json`: public keys only, from the per-version cache.
pub async fn jwks(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
) -> Result<HttpResponse, ApiError> {
    let keys = state.key_set(&tenant).await?;
    Ok(public_json(
        keys.jwks_json().to_vec(),
        "application/jwk-set+json",
    ))
}

/// `GET {issuer}/audit/checkpoints`: the newest signed checkpoints of the tenant's audit
/// chain, newest first. Public, so anyone may keep copies to hold the log to later.
pub async fn audit_checkpoints(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
) -> Result<HttpResponse, ApiError> {
    let tenant_id = tenant.id.clone();
    let published = state
        .db
        .run(move |conn| crate::checkpoints::published(conn, &tenant_id))
        .await?;
    let body = serde_json::to_vec(&serde_json::json!({ "checkpoints": published }))
        .map_err(ApiError::internal)?;
    Ok(public_json(body, "application/json"))
}
