//! What every protocol operation needs to know about the tenant it serves.

use std::sync::Arc;

use super::jwks_fetch::JwksCache;
use crate::cache::TtlCache;
use crate::clients::{self, Client, ClientError};
use crate::config::Settings;
use crate::db::AnyConnection;
use crate::domain::TenantId;
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
    pub clients: Arc<ClientCache>,
    /// Opens accounts' and profiles' sealed personal data.
    pub key_store: Arc<crate::keys::KeyStore>,
}

/// Client registrations by tenant and client_id (see `cache`).
pub type ClientCache = TtlCache<(TenantId, String), Client>;

impl OidcContext {
    pub fn vault(&self) -> &crate::keys::Vault {
        self.key_store.vault()
    }

    /// `{issuer}/{path}`: every endpoint lives under the issuer.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}/{path}", self.issuer)
    }

    /// A client of this tenant from the cache, if it is there and fresh.
    pub fn cached_client(&self, client_id: &str) -> Option<Client> {
        self.clients
            .get(&(self.tenant.id.clone(), client_id.to_owned()))
    }

    /// A client of this tenant: from the cache, else from the database (then cached).
    pub fn client(&self, conn: &mut AnyConnection, client_id: &str) -> Result<Client, ClientError> {
        if let Some(client) = self.cached_client(client_id) {
            return Ok(client);
        }
        let client = clients::find(conn, &self.tenant.id, &client_id.into())?;
        self.clients.insert(
            (self.tenant.id.clone(), client_id.to_owned()),
            client.clone(),
        );
        Ok(client)
    }
}
