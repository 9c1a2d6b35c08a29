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
    /// The trust frameworks of each tenant's customer verifications, for discovery (read
    /// again after the tenant cache's lifetime).
    pub trust_frameworks: Arc<TtlCache<String, Arc<Vec<String>>>>,
    /// Client IPs over the failed-client-authentication limit, by `tenant:ip`, with the Unix
    /// time the block ends. Each node learns it from the shared database counter.
    pub blocked_clients: Arc<TtlCache<String, i64>>,
    /// Authorization requests per address and minute on this node (they bound how many
    /// pending requests one address can make the server store).
    pub authorize_windows: Arc<crate::rate_limit::LocalWindows>,
    pub mailer: crate::mail::Mailer,
    pub mail_from: lettre::message::Mailbox,
    /// Discovery and JWKS documents, serialised once per issuer and key-set version.
    pub documents: Arc<TtlCache<String, Arc<super::discovery::Published>>>,
    /// This server's Prometheus metrics (`None` when `metrics.enabled` is off).
    pub metrics: Option<Arc<crate::metrics::Metrics>>,
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
            .map_err(|e: KeyError| match e {
                KeyError::Db(e) => ApiError::from(e),
                other => ApiError::internal(other),
            })
    }

    /// Seconds until `ip` may try client authentication again at this tenant, if blocked.
    pub fn client_auth_blocked(&self, tenant: &Tenant, ip: &str) -> Option<i64> {
        let now = crate::domain::unix_now();
        self.blocked_clients
            .get(&format!("{}:{}", tenant.id, crate::rate_limit::bucket(ip)))
            .filter(|until| *until > now)
            .map(|until| until - now)
    }

    /// Counts a failed client authentication from `ip` in the shared counter; returns the
    /// `Retry-After` once the limit is passed.
    pub async fn record_client_auth_failure(&self, tenant: &Tenant, ip: &str) -> Option<i64> {
        let key = format!("{}:{}", tenant.id, crate::rate_limit::bucket(ip));
        let scope = format!("client-auth:{}", tenant.id);
        let address = ip.to_owned();
        let limit = self.settings.security.client_auth_failures_per_minute;
        let retry_after = self
            .db
            .run(move |conn| crate::rate_limit::hit(conn, &scope, &address, limit))
            .await
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "could not count a failed client authentication");
                None
            })?;
        self.blocked_clients.insert(
            key,
            crate::domain::expiry(crate::domain::unix_now(), retry_after),
        );
        Some(retry_after)
    }

    /// Drops what a change notice names from this node's caches (`db::notify`).
    pub fn forget(&self, notice: &crate::db::notify::Notice) {
        use crate::db::notify::Notice;
        match notice {
            Notice::Tenant(id) => self.tenants.forget_where(|_, t| t.id.as_str() == id),
            Notice::Client(tenant, client) => self
                .clients
                .forget_where(|(t, c), _| t.as_str() == tenant && c == client),
            Notice::Clients(tenant) => self.clients.forget_where(|(t, _), _| t.as_str() == tenant),
        }
    }

    pub fn issuer(&self, tenant: &Tenant) -> String {
        crate::tenancy::issuer(&self.settings, &tenant.slug)
    }
}
