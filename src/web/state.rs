//! What every handler shares: settings, the database pool and the key cache.

use std::sync::Arc;

use crate::cache::TtlCache;
use crate::config::Settings;
use crate::db::Db;
use crate::identity::password::PasswordHasher;
use crate::keys::{KeyError, KeyStore, TenantKeySet};
use crate::oidc::context::ClientCache;
use crate::tenancy::Tenant;

use super::error::ApiError;

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub keys: Arc<KeyStore>,
    /// Built once: it caches the dummy hash that keeps failed sign-ins constant-time.
    pub password_hasher: PasswordHasher,
    pub client_jwks: Arc<crate::oidc::jwks_fetch::JwksCache>,
    /// Tenants by slug (see `cache`).
    pub tenants: Arc<TtlCache<String, Tenant>>,
    pub clients: Arc<ClientCache>,
}

impl AppState {
    /// The tenant's decrypted key set: from memory when current, else loaded once.
    pub async fn key_set(&self, tenant: &Tenant) -> Result<Arc<TenantKeySet>, ApiError> {
        if let Some(set) = self.keys.cached(&tenant.id, tenant.key_set_version) {
            return Ok(set);
        }
        let store = self.keys.clone();
        let id = tenant.id.clone();
        self.db
            .run(move |conn| store.load(conn, &id))
            .await
            .map_err(|e: KeyError| ApiError::internal(e))
    }

    pub fn issuer(&self, tenant: &Tenant) -> String {
        crate::tenancy::issuer(&self.settings, &tenant.slug)
    }
}
