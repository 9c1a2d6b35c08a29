//! Layered configuration: built-in defaults (`config/default.toml`, compiled in), then an optional
//! file, then `TESSERA_SECTION__KEY` environment variables.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

const DEFAULTS: &str = include_str!("../config/default.toml");
const ENV_PREFIX: &str = "TESSERA";

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub tenancy: TenancySettings,
    pub database: DatabaseSettings,
    pub keys: KeySettings,
    pub tokens: TokenSettings,
    pub sessions: SessionSettings,
    pub security: SecuritySettings,
    pub mail: MailSettings,
    pub cache: CacheSettings,
    pub audit: AuditSettings,
    pub maintenance: MaintenanceSettings,
    pub privacy: PrivacySettings,
    pub log: LogSettings,
    pub argon2: Argon2Settings,
    pub outbound: OutboundSettings,
    pub webhooks: WebhookSettings,
    pub metrics: MetricsSettings,
}

/// Prometheus metrics (see `crate::metrics`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// Serve `/metrics` at all.
    pub enabled: bool,
    /// Serve it on this address instead of the main listener (empty: the main listener).
    pub listen: String,
    /// Tenants with a label of their own; the rest share `other`.
    pub max_tenant_labels: usize,
}

/// Delivering events to webhook subscriptions (see `crate::webhooks`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// How often each node looks for events to hand out and deliveries that are due
    /// (milliseconds; 0 turns delivery off on this node).
    pub poll_interval_ms: u64,
    /// Attempts before a delivery is given up and kept as a dead letter.
    pub max_attempts: i64,
    /// The wait after the first failure (milliseconds); it doubles with every further one.
    pub retry_base_ms: i64,
    /// The longest wait between two attempts (seconds).
    pub retry_max_secs: i64,
    /// How long a node holds a delivery it is sending before another may take it over
    /// (seconds; longer than `outbound.timeout_ms`).
    pub lease_secs: i64,
    /// Deliveries sent at once per node.
    pub concurrency: usize,
}

/// Requests to URLs others chose (see `crate::outbound`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboundSettings {
    /// Networks reachable although not public (development and tests), e.g. "127.0.0.0/8".
    pub allow_networks: Vec<ipnet::IpNet>,
    pub max_response_bytes: usize,
    pub timeout_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSettings {
    pub access_token_lifetime_secs: i64,
    pub id_token_lifetime_secs: i64,
    pub authorization_code_lifetime_secs: i64,
    pub refresh_token_idle_lifetime_secs: i64,
    pub refresh_token_absolute_lifetime_secs: i64,
    pub refresh_token_reuse_grace_secs: i64,
    pub require_pkce: bool,
    /// DPoP proofs must carry a server nonce (RFC 9449 §8): one more round trip for a
    /// client's first proof, and proofs made ahead of time stop working.
    #[serde(default)]
    pub dpop_nonce_required: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecuritySettings {
    pub lockout_threshold: i64,
    pub lockout_base_secs: i64,
    pub lockout_max_secs: i64,
    pub login_attempts_per_minute: i64,
    pub client_auth_failures_per_minute: i64,
    pub authorization_requests_per_minute: i64,
    #[serde(default = "default_registrations_per_minute")]
    pub client_registrations_per_minute: i64,
}

fn default_registrations_per_minute() -> i64 {
    5
}

impl SecuritySettings {
    /// How long to lock after `failures` failures in a row, if at all.
    pub fn lock_for(&self, failures: i64) -> Option<i64> {
        if self.lockout_threshold <= 0 || failures < self.lockout_threshold {
            return None;
        }
        let doublings = (failures - self.lockout_threshold).min(30) as u32;
        Some(
            self.lockout_base_secs
                .saturating_mul(1i64 << doublings)
                .min(self.lockout_max_secs),
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransport {
    File,
    Smtp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    Starttls,
    Tls,
    None,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub transport: MailTransport,
    pub file_dir: PathBuf,
    pub from: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_security: SmtpSecurity,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<SecretString>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheSettings {
    pub ttl_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceSettings {
    /// How often each node purges expired rows (seconds; 0 turns the purge off).
    pub purge_interval_secs: u64,
    /// Rows deleted per statement.
    pub purge_batch_rows: i64,
    /// How often each node looks for tenants whose daily retention run is due (seconds; 0
    /// turns retention off on this node). One node runs each tenant's day.
    pub retention_interval_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacySettings {
    /// How long a self-service account deletion waits (signing in cancels it), seconds.
    pub erasure_grace_secs: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    /// How often each node's sequencer chains committed audit events.
    pub chain_interval_ms: u64,
    /// How often each node signs a checkpoint of every tenant's chain head that moved
    /// (seconds; 0: only on demand, `tessera audit checkpoint`).
    pub checkpoint_interval_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSettings {
    pub idle_timeout_secs: i64,
    pub absolute_lifetime_secs: i64,
    pub authorization_request_lifetime_secs: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub listen: String,
    pub public_url: Url,
    pub data_dir: PathBuf,
    pub workers: usize,
    pub shutdown_timeout_secs: u64,
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TenantRouting {
    Path,
    Subdomain,
}

impl TenantRouting {
    pub fn as_str(self) -> &'static str {
        match self {
            TenantRouting::Path => "path",
            TenantRouting::Subdomain => "subdomain",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenancySettings {
    pub routing: TenantRouting,
    pub base_domain: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// May hold a password, hence secret: it never appears in `Debug` or logs.
    pub url: SecretString,
    pub pool_size: u32,
    pub connect_timeout_secs: u64,
    pub lock_timeout_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySettings {
    pub master_key_file: Option<PathBuf>,
    pub master_key: Option<SecretString>,
    /// The master key being rotated away from: it only opens, never seals.
    pub previous_master_key_file: Option<PathBuf>,
    pub previous_master_key: Option<SecretString>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
    /// OpenTelemetry traces over OTLP/HTTP (JSON), e.g.
    /// `http://collector:4318/v1/traces`; empty: off.
    pub otlp_endpoint: String,
    /// The share of traces kept (0 to 1); a caller's sampling decision (`traceparent`) wins.
    pub trace_sample_ratio: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Argon2Settings {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// Hashes computed at once per process; 0 means one per CPU core.
    #[serde(default)]
    pub max_concurrent: usize,
}

impl Settings {
    /// Defaults, then `file` (which must exist when given), then the process environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Settings> {
        let env = std::env::vars().collect();
        Self::load_from(file, env)
    }

    /// The built-in defaults alone, for tests and tools that set fields themselves.
    pub fn defaults() -> anyhow::Result<Settings> {
        Self::load_from(None, Default::default())
    }

    fn load_from(
        file: Option<&Path>,
        env: std::collections::HashMap<String, String>,
    ) -> anyhow::Result<Settings> {
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        if let Some(path) = file {
            if !path.is_file() {
                bail!("configuration file {} does not exist", path.display());
            }
            builder = builder.add_source(config::File::from(path).format(config::FileFormat::Toml));
        }
        let environment = config::Environment::with_prefix(ENV_PREFIX)
            .prefix_separator("_")
            .separator("__")
            .try_parsing(true)
            .list_separator(",")
            .with_list_parse_key("server.trusted_proxies")
            .with_list_parse_key("outbound.allow_networks")
            .source(Some(env));
        let settings: Settings = builder
            .add_source(environment)
            .build()
            .context("could not read the configuration")?
            .try_deserialize()
            .context("invalid configuration")?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> anyhow::Result<()> {
        self.listen_addr()?;
        let url = &self.server.public_url;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            bail!("server.public_url must be an http(s) URL with a host, got {url}");
        }
        if url.query().is_some() || url.fragment().is_some() {
            bail!("server.public_url must not have a query or fragment");
        }
        if self.tenancy.routing == TenantRouting::Subdomain && url.path() != "/" {
            bail!("server.public_url must not have a path in subdomain routing mode");
        }
        let t = &self.tokens;
        if !(1..=60).contains(&t.authorization_code_lifetime_secs) {
            bail!("tokens.authorization_code_lifetime_secs must be between 1 and 60");
        }
        for (name, value) in [
            (
                "tokens.access_token_lifetime_secs",
                t.access_token_lifetime_secs,
            ),
            ("tokens.id_token_lifetime_secs", t.id_token_lifetime_secs),
            (
                "tokens.refresh_token_idle_lifetime_secs",
                t.refresh_token_idle_lifetime_secs,
            ),
            (
                "tokens.refresh_token_absolute_lifetime_secs",
                t.refresh_token_absolute_lifetime_secs,
            ),
            (
                "sessions.idle_timeout_secs",
                self.sessions.idle_timeout_secs,
            ),
            (
                "sessions.absolute_lifetime_secs",
                self.sessions.absolute_lifetime_secs,
            ),
            (
                "sessions.authorization_request_lifetime_secs",
                self.sessions.authorization_request_lifetime_secs,
            ),
        ] {
            if !(1..=crate::domain::MAX_LIFETIME_SECS).contains(&value) {
                bail!(
                    "{name} must be between 1 and {} seconds (one year)",
                    crate::domain::MAX_LIFETIME_SECS
                );
            }
        }
        if t.refresh_token_reuse_grace_secs < 0 {
            bail!("tokens.refresh_token_reuse_grace_secs must not be negative");
        }
        if self.database.pool_size == 0 {
            bail!("database.pool_size must be at least 1");
        }
        let hooks = &self.webhooks;
        if hooks.max_attempts < 1 || hooks.retry_base_ms < 1 || hooks.retry_max_secs < 1 {
            bail!("webhooks.max_attempts, retry_base_ms and retry_max_secs must be at least 1");
        }
        if hooks.concurrency < 1 {
            bail!("webhooks.concurrency must be at least 1");
        }
        if hooks.lease_secs * 1000 <= self.outbound.timeout_ms as i64 {
            bail!("webhooks.lease_secs must be longer than outbound.timeout_ms");
        }
        if self.audit.chain_interval_ms == 0 {
            bail!("audit.chain_interval_ms must be at least 1");
        }
        if self.maintenance.purge_batch_rows < 1 {
            bail!("maintenance.purge_batch_rows must be at least 1");
        }
        if self.database.lock_timeout_ms == 0 {
            bail!("database.lock_timeout_ms must be at least 1");
        }
        let a = &self.argon2;
        argon2::Params::new(a.memory_kib, a.iterations, a.parallelism, None)
            .map_err(|e| anyhow::anyhow!("invalid [argon2] parameters: {e}"))?;
        Ok(())
    }

    pub fn listen_addr(&self) -> anyhow::Result<SocketAddr> {
        self.server.listen.parse().with_context(|| {
            format!(
                "server.listen is not an address:port: {}",
                self.server.listen
            )
        })
    }

    /// A warning when `public_url` names this machine on another port than the one the server
    /// listens on: every link it prints or mails (setup link, issuers, invitations) would
    /// lead nowhere. A public URL on another host is left alone (a proxy in front is normal).
    pub fn public_url_mismatch(&self, listening_port: u16) -> Option<String> {
        let url = &self.server.public_url;
        let local = matches!(
            url.host_str(),
            Some("localhost" | "127.0.0.1" | "[::1]" | "::1")
        ) || url.host_str().is_some_and(|h| h.ends_with(".localhost"));
        let public_port = url.port_or_known_default()?;
        (local && public_port != listening_port).then(|| {
            format!(
                "server.public_url is {} but the server listens on port {listening_port}: the \
                 links it prints and mails use the public URL. Set server.public_url (e.g. \
                 TESSERA_SERVER__PUBLIC_URL=http://localhost:{listening_port}) unless a proxy \
                 forwards port {public_port} here.",
                self.public_base()
            )
        })
    }

    /// The public URL without a trailing slash, the base every issuer is built from.
    pub fn public_base(&self) -> String {
        self.server
            .public_url
            .as_str()
            .trim_end_matches('/')
            .to_owned()
    }

    /// The domain tenants live under in subdomain mode.
    pub fn base_domain(&self) -> String {
        let configured = self.tenancy.base_domain.trim().trim_matches('.');
        if configured.is_empty() {
            self.server
                .public_url
                .host_str()
                .unwrap_or_default()
                .to_ascii_lowercase()
        } else {
            configured.to_ascii_lowercase()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn env(pairs: &[(&str, &str)]) -> std::collections::HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_load() {
        let s = Settings::defaults().unwrap();
        assert_eq!(s.tenancy.routing, TenantRouting::Path);
        assert_eq!(s.database.url.expose_secret(), "sqlite://data/tessera.db");
        assert!(s.keys.master_key_file.is_none());
    }

    #[test]
    fn a_local_public_url_on_another_port_is_flagged() {
        let mut s = Settings::defaults().unwrap();
        assert_eq!(s.public_url_mismatch(8080), None);
        let warning = s.public_url_mismatch(9090).expect("a warning");
        assert!(warning.contains("http://localhost:8080"), "{warning}");
        assert!(warning.contains("TESSERA_SERVER__PUBLIC_URL=http://localhost:9090"));
        // Behind a proxy the ports differ by design.
        s.server.public_url = "https://id.example.com".parse().unwrap();
        assert_eq!(s.public_url_mismatch(8080), None);
    }

    #[test]
    fn environment_overrides_nested_keys() {
        let s = Settings::load_from(
            None,
            env(&[
                ("TESSERA_DATABASE__URL", "postgres://u:p@h/db"),
                ("TESSERA_DATABASE__POOL_SIZE", "3"),
                ("TESSERA_TENANCY__ROUTING", "subdomain"),
                ("TESSERA_TEST_POSTGRES_URL", "ignored: not a section key"),
            ]),
        )
        .unwrap();
        assert_eq!(s.database.url.expose_secret(), "postgres://u:p@h/db");
        assert_eq!(s.database.pool_size, 3);
        assert_eq!(s.tenancy.routing, TenantRouting::Subdomain);
    }

    #[test]
    fn trusted_proxies_from_the_environment() {
        let s = Settings::load_from(
            None,
            env(&[("TESSERA_SERVER__TRUSTED_PROXIES", "10.0.0.1,::1")]),
        )
        .unwrap();
        assert_eq!(s.server.trusted_proxies.len(), 2);
        assert!(Settings::load_from(
            None,
            env(&[("TESSERA_SERVER__TRUSTED_PROXIES", "not-an-ip")])
        )
        .is_err());
    }

    #[test]
    fn misspelt_key_is_an_error() {
        let err = Settings::load_from(None, env(&[("TESSERA_DATABASE__URLL", "x")])).unwrap_err();
        assert!(format!("{err:#}").contains("urll"), "{err:#}");
    }

    #[test]
    fn debug_hides_database_url() {
        let s = Settings::load_from(
            None,
            env(&[("TESSERA_DATABASE__URL", "postgres://u:hunter2@h/db")]),
        )
        .unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn lockout_backs_off_exponentially_up_to_the_cap() {
        let s = Settings::defaults().unwrap().security;
        assert_eq!(s.lock_for(4), None);
        assert_eq!(s.lock_for(5), Some(60));
        assert_eq!(s.lock_for(6), Some(120));
        assert_eq!(s.lock_for(8), Some(480));
        assert_eq!(s.lock_for(100), Some(3600));
    }

    #[test]
    fn base_domain_defaults_to_public_host() {
        let s = Settings::load_from(
            None,
            env(&[("TESSERA_SERVER__PUBLIC_URL", "https://ID.example.com")]),
        )
        .unwrap();
        assert_eq!(s.base_domain(), "id.example.com");
        assert_eq!(s.public_base(), "https://id.example.com");
    }
}
