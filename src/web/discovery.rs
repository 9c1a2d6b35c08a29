//! Discovery documents and JWKS.

use actix_web::http::header::{self, HeaderValue};
use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};

use super::{ApiError, AppState};
use crate::oidc::discovery::ProviderMetadata;
use crate::web::extract::CurrentTenant;

/// A public document ready to send: its bytes and their entity tag.
pub struct Published {
    body: web::Bytes,
    etag: String,
}

impl Published {
    fn new(body: Vec<u8>) -> Published {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(&body);
        Published {
            etag: format!("\"{}\"", hex::encode(&digest[..12])),
            body: web::Bytes::from(body),
        }
    }
}

/// Whether `If-None-Match` names this version (or `*`): the client's copy is current.
fn still_fresh(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*")
}

/// Public, cacheable for a few minutes, readable cross-origin by browser-based clients, with
/// an entity tag: a client that has this version gets 304 and no body.
fn public_json(
    req: &HttpRequest,
    document: &Published,
    content_type: &'static str,
) -> HttpResponse {
    let fresh = still_fresh(req, &document.etag);
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(content_type)))
        .insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        ))
        .insert_header((
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        ))
        .insert_header((header::ETAG, document.etag.clone()));
    if fresh {
        return response.finish();
    }
    response.body(document.body.clone())
}

/// A document from the per-process store, made once (`make`) per key.
fn published(
    state: &AppState,
    key: String,
    make: impl FnOnce() -> Result<Vec<u8>, ApiError>,
) -> Result<Arc<Published>, ApiError> {
    if let Some(found) = state.documents.get(&key) {
        return Ok(found);
    }
    let document = Arc::new(Published::new(make()?));
    state.documents.insert(key, document.clone());
    Ok(document)
}

/// `GET {issuer}/.well-known/openid-configuration` and `.../oauth-authorization-server`:
/// made once per issuer and registration policy.
pub async fn provider_metadata(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let issuer = state.issuer(&tenant);
    // The tenant's registration policy decides whether registration is advertised.
    let registration = tenant.policy.client_registration.as_str();
    // …and its attribute schema which custom claims it releases.
    let released = tenant.released_claims.join(" ");
    // …and its key set which algorithms it signs ID tokens with (PS256 once it has a key).
    let keys = state.key_set(&tenant).await?;
    // …and its customers' verifications which trust frameworks it names.
    let frameworks = match state.trust_frameworks.get(&tenant.id.to_string()) {
        Some(frameworks) => frameworks,
        None => {
            let tenant_id = tenant.id.clone();
            let read = state
                .db
                .run(move |conn| crate::db::customers::trust_frameworks(conn, &tenant_id))
                .await?;
            let read = Arc::new(read);
            state
                .trust_frameworks
                .insert(tenant.id.to_string(), read.clone());
            read
        }
    };
    let key = format!(
        "discovery {issuer} {registration} {} {released} {}",
        keys.version(),
        frameworks.join(" ")
    );
    let document = published(&state, key, || {
        let mut metadata = ProviderMetadata::for_issuer(&issuer);
        metadata.id_token_signing_alg_values_supported =
            keys.algorithms().iter().map(|alg| alg.as_str()).collect();
        if registration != "off" {
            metadata.registration_endpoint = Some(format!("{issuer}/register"));
        }
        metadata
            .claims_supported
            .extend(tenant.released_claims.iter().cloned());
        metadata.trust_frameworks_supported = frameworks.to_vec();
        serde_json::to_vec(&metadata).map_err(ApiError::internal)
    })?;
    Ok(public_json(&req, &document, "application/json"))
}

/// `GET {issuer}/jwks.json`: public keys only, made once per key-set version.
pub async fn jwks(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let keys = state.key_set(&tenant).await?;
    let key = format!("jwks {} {}", tenant.id, keys.version());
    let document = published(&state, key, || Ok(keys.jwks_json().to_vec()))?;
    Ok(public_json(&req, &document, "application/jwk-set+json"))
}

/// `GET {issuer}/audit/checkpoints`: the newest signed checkpoints of the tenant's audit
/// chain, newest first. Public, so anyone may keep copies to hold the log to later.
pub async fn audit_checkpoints(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let tenant_id = tenant.id.clone();
    let published = state
        .db
        .run(move |conn| crate::checkpoints::published(conn, &tenant_id))
        .await?;
    let body = serde_json::to_vec(&serde_json::json!({ "checkpoints": published }))
        .map_err(ApiError::internal)?;
    Ok(public_json(&req, &Published::new(body), "application/json"))
}
