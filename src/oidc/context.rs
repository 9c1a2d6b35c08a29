//! What every protocol operation needs to know about the tenant it serves.

use std::sync::Arc;

use super::jwks_fetch::JwksCache;
use crate::config::Settings;
use crate::keys::TenantKeySet;
use crate::tenancy::Tenant;

#[derive(Clone)]
pub struct OidcContext {
    pub settings: Arc<Settings>,
    pub tenant: Tenant,
    /// The tenant's issuer URL, without a trailing slash.
    pub issuer: String,
    pub keys: Arc<TenantKeySet>,
    /// Clients' JWKS fetched from their jwks_uri.
    pub client_jwks: Arc<JwksCache>,
}

impl OidcContext {
    /// `{issuer}/{path}`: every endpoint lives under the issuer.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}/{path}", self.issuer)
    }
}
