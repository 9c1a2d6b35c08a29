//! `CurrentTenant`: the tenant a request addresses, active, or the request ends with 404/403.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};

use super::{slug_from_host, Tenant, TenantStatus};
use crate::config::TenantRouting;
use crate::web::{ApiError, AppState};

#[derive(Debug, Clone)]
pub struct CurrentTenant(pub Tenant);

impl std::ops::Deref for CurrentTenant {
    type Target = Tenant;

    fn deref(&self) -> &Tenant {
        &self.0
    }
}

impl FromRequest for CurrentTenant {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let slug = state.as_ref().and_then(|state| requested_slug(req, state));
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal(anyhow::anyhow!("no app state")))?;
            let slug = slug.ok_or(ApiError::TenantNotFound)?;
            let tenant = match state.tenants.get(&slug) {
                Some(tenant) => tenant,
                None => {
                    let key = slug.clone();
                    let tenant = state
                        .db
                        .run(move |conn| super::tenants::resolve(conn, &key))
                        .await?
                        .ok_or(ApiError::TenantNotFound)?;
                    // Only tenants that exist are cached: unknown slugs cannot fill memory.
                    state.tenants.insert(slug, tenant.clone());
                    tenant
                }
            };
            match tenant.status {
                TenantStatus::Active => Ok(CurrentTenant(tenant)),
                TenantStatus::Suspended => Err(ApiError::TenantSuspended),
            }
        })
    }
}

fn requested_slug(req: &HttpRequest, state: &AppState) -> Option<String> {
    match state.settings.tenancy.routing {
        TenantRouting::Path => req.match_info().get("tenant").map(str::to_owned),
        TenantRouting::Subdomain => {
            // The Host header (or HTTP/2 authority) only: X-Forwarded-Host is not trusted, so a
            // shared cache keyed on Host can never be fed another tenant's documents.
            let host = req
                .headers()
                .get(actix_web::http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .or_else(|| req.uri().host())?;
            slug_from_host(host, &state.settings.base_domain()).map(str::to_ascii_lowercase)
        }
    }
}
