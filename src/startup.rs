//! Builds the application from settings: database, migrations, master key, HTTP server.
//! Production and tests share this path; tests bind port 0.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, Service};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::DefaultHeaders;
use actix_web::{web, App, HttpMessage, HttpServer};
use anyhow::Context;
use secrecy::ExposeSecret;
use tracing_actix_web::{RequestId, TracingLogger};

use crate::cache::TtlCache;
use crate::config::Settings;

/// Upper bound on cached tenants and clients per process.
const CACHE_ENTRIES: usize = 100_000;
use crate::db::Db;
use crate::identity::password::PasswordHasher;
use crate::keys::{self, KeyStore, MasterKey, MasterKeySource, Vault};
use crate::web::{self as routes, AppState};

/// The migration before which rows stored in clear are sealed (it drops the plaintext).
const DROP_PLAINTEXT_MIGRATION: &str = "20261130000017";

/// Loads (or on first run generates) the master key, opens the database, applies migrations
/// (sealing personal data stored in clear on the way), and opens the vault after checking the
/// master key opens what is stored. Blocking: call it from the CLI directly or from async code
/// through `spawn_blocking`.
pub fn open_database(settings: &Settings) -> anyhow::Result<(Db, Vault)> {
    let options = crate::db::PoolOptions::from_settings(&settings.database);
    let (db, vault, applied) = migrate_database(settings, options)?;
    if !applied.is_empty() {
        tracing::info!(engine = db.engine(), migrations = ?applied, "applied database migrations");
    }
    Ok((db, vault))
}

/// [`open_database`] with pool options, returning the migrations it applied.
pub fn migrate_database(
    settings: &Settings,
    options: crate::db::PoolOptions,
) -> anyhow::Result<(Db, Vault, Vec<String>)> {
    let master = load_master_key(settings)?;
    let db = Db::connect(settings.database.url.expose_secret(), options)?;
    let mut master = Some(master);
    let mut vault = None;
    let applied = db.migrate(&mut |version, conn| {
        if version == DROP_PLAINTEXT_MIGRATION {
            let master = master.take().context("vault opened twice")?;
            // Never seal anything under a key that does not open what is already stored.
            let existing = crate::db::wrapped_keys::WrappedTable::AT_SEALING;
            keys::check_master_key_in(conn, &master, existing)?;
            let opened = Vault::open(conn, master)?;
            let accounts = crate::identity::seal_legacy(conn, &opened)?;
            let profiles = crate::profiles::seal_legacy(conn, &opened)?;
            if accounts + profiles > 0 {
                tracing::info!(accounts, profiles, "sealed personal data stored in clear");
            }
            vault = Some(opened);
        }
        Ok(())
    })?;
    if applied.iter().any(|v| v == DROP_PLAINTEXT_MIGRATION) {
        db.truncate_write_ahead_log()?;
    }
    let mut conn = db.conn()?;
    let vault = match (vault, master) {
        (Some(vault), _) => vault,
        (None, Some(master)) => {
            keys::check_master_key(&mut conn, &master)?;
            Vault::open(&mut conn, master)?
        }
        (None, None) => anyhow::bail!("the master key was consumed without opening the vault"),
    };
    drop(conn);
    Ok((db, vault, applied))
}

/// Loads (or on first run generates) the master key, with the previous one during a rotation.
pub fn load_master_key(settings: &Settings) -> anyhow::Result<MasterKey> {
    let (master, source) = MasterKey::load(settings)?;
    if let MasterKeySource::Generated(path) = &source {
        tracing::warn!(
            path = %path.display(),
            "generated a new master key; production deployments must supply their own \
             (keys.master_key_file or TESSERA_KEYS__MASTER_KEY) and back it up"
        );
    }
    Ok(master)
}

pub struct Application {
    port: u16,
    server: Server,
    db: Db,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let address = settings.listen_addr()?;
        let listener =
            TcpListener::bind(address).with_context(|| format!("could not listen on {address}"))?;
        Self::build_with_listener(settings, listener).await
    }

    /// Serves on an already bound listener (tests bind port 0 first to learn the port).
    pub async fn build_with_listener(
        settings: Settings,
        listener: TcpListener,
    ) -> anyhow::Result<Application> {
        let settings = Arc::new(settings);
        let prepared = settings.clone();
        let (db, vault) = tokio::task::spawn_blocking(move || open_database(&prepared)).await??;
        let metrics = match settings.metrics.enabled {
            true => Some(Arc::new(crate::metrics::Metrics::new(
                settings.metrics.max_tenant_labels,
            )?)),
            false => None,
        };
        let db = match &metrics {
            Some(metrics) => db.with_metrics(metrics.clone()),
            None => db,
        };
        let cache_ttl = Duration::from_millis(settings.cache.ttl_ms);
        let (mailer, mail_from) = crate::mail::Mailer::from_settings(&settings)?;
        let state = AppState {
            settings: settings.clone(),
            db: db.clone(),
            keys: Arc::new(KeyStore::new(vault)),
            password_hasher: PasswordHasher::from_settings(&settings.argon2)?,
            client_jwks: Arc::new(crate::oidc::jwks_fetch::JwksCache::new(
                crate::outbound::Outbound::new(&settings.outbound)?,
            )),
            tenants: Arc::new(TtlCache::new(cache_ttl, CACHE_ENTRIES)),
            clients: Arc::new(TtlCache::new(cache_ttl, CACHE_ENTRIES)),
            trust_frameworks: Arc::new(TtlCache::new(cache_ttl, CACHE_ENTRIES)),
            // Keyed by issuer and key-set version, so never stale: kept an hour, bounded.
            documents: Arc::new(TtlCache::new(Duration::from_secs(3600), 10_000)),
            // Entries carry their own end time; the TTL only bounds how long they are kept.
            blocked_clients: Arc::new(TtlCache::new(Duration::from_secs(60), CACHE_ENTRIES)),
            authorize_windows: Arc::default(),
            mailer,
            mail_from,
            metrics,
        };
        let port = listener.local_addr()?.port();
        tokio::spawn(crate::audit::run_sequencer(
            db.clone(),
            Duration::from_millis(settings.audit.chain_interval_ms),
        ));
        tokio::spawn(crate::checkpoints::run(
            db.clone(),
            state.keys.clone(),
            Duration::from_secs(settings.audit.checkpoint_interval_secs),
        ));
        tokio::spawn(crate::maintenance::run(
            db.clone(),
            settings.maintenance.clone(),
            settings.sessions.idle_timeout_secs,
        ));
        tokio::spawn(crate::privacy::retention::run(
            db.clone(),
            state.keys.clone(),
            settings.clone(),
            state.mailer.clone(),
            state.mail_from.clone(),
            Duration::from_secs(settings.maintenance.retention_interval_secs),
        ));
        tokio::spawn(crate::webhooks::delivery::run(
            db.clone(),
            state.keys.clone(),
            Arc::new(crate::outbound::Outbound::new(&settings.outbound)?),
            settings.clone(),
        ));
        if db.engine() == "postgresql" {
            // Keepalives: a listener cut off by the network notices, reconnects and starts
            // from empty caches, instead of silently missing every notice.
            let url = crate::db::postgres_url_with_timeouts(
                settings.database.url.expose_secret(),
                Duration::from_secs(settings.database.connect_timeout_secs),
            );
            tokio::spawn(listen_for_changes(state.clone(), url));
        }
        let server = serve(listener, state, &settings)?;
        Ok(Application { port, server, db })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// How many tenants exist, for the first-run hint; `None` if the query fails.
    pub async fn tenant_count(&self) -> Option<usize> {
        self.db
            .run(|conn| crate::tenancy::tenants::list(conn).map(|t| t.len()))
            .await
            .ok()
    }

    /// A one-time link token to create the first platform administrator, while none exists.
    pub async fn platform_setup_token(&self) -> Option<String> {
        match self.db.run(crate::platform::issue_setup_token).await {
            Ok(token) => token,
            Err(e) => {
                tracing::warn!(error = %e, "could not issue a platform setup link");
                None
            }
        }
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Every node forgets cached tenants and clients the moment another node (or the CLI)
/// commits a change to them (PostgreSQL `LISTEN`; `db::notify`), instead of when
/// `cache.ttl_ms` runs out, which stays the fallback while the listener reconnects. The
/// listener's own connection is checked for notices every few milliseconds (reading what
/// arrived costs no round trip) and ends with the server.
async fn listen_for_changes(state: AppState, url: String) {
    const POLL: Duration = Duration::from_millis(20);
    loop {
        let connecting = url.clone();
        let connected =
            tokio::task::spawn_blocking(move || crate::db::notify::Listener::connect(&connecting))
                .await;
        let mut listener = match connected {
            Ok(Ok(listener)) => listener,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "cannot listen for cache changes; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            Err(_) => return,
        };
        // Whatever changed while not listening is unknown: start from empty caches.
        state.tenants.forget_where(|_, _| true);
        state.clients.forget_where(|_, _| true);
        loop {
            tokio::time::sleep(POLL).await;
            match listener.received() {
                Ok(notices) => notices.iter().for_each(|n| state.forget(n)),
                Err(e) => {
                    tracing::warn!(error = %e, "lost the cache-change listener; reconnecting");
                    break;
                }
            }
        }
    }
}

fn serve(listener: TcpListener, state: AppState, settings: &Settings) -> anyhow::Result<Server> {
    let routing = settings.tenancy.routing;
    let data = web::Data::new(state);
    let metrics_listen = settings.metrics.listen.trim();
    if settings.metrics.enabled && !metrics_listen.is_empty() {
        // Metrics on an address of their own (an internal network, say): only /metrics there.
        let shared = data.clone();
        let metrics = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
                .route("/metrics", web::get().to(crate::web::metrics::scrape_here))
        })
        .workers(1)
        .disable_signals()
        .bind(metrics_listen)
        .with_context(|| format!("could not listen on {metrics_listen} for metrics"))?
        .run();
        tokio::spawn(metrics);
    }
    let mut server = HttpServer::new(move || {
        App::new()
            .wrap_fn(|req, srv| {
                let served = if crate::web::uri_holds_nul(req.uri()) {
                    Err(req)
                } else {
                    Ok(srv.call(req))
                };
                async move {
                    match served {
                        Ok(response) => response.await.map(|r| r.map_into_left_body()),
                        Err(req) => {
                            let refused = actix_web::HttpResponse::BadRequest()
                                .content_type("text/plain; charset=utf-8")
                                .body("The address contains a NUL character.");
                            Ok(req.into_response(refused).map_into_right_body())
                        }
                    }
                }
            })
            .wrap(
                DefaultHeaders::new()
                    .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                    .add((header::REFERRER_POLICY, "no-referrer"))
                    .add((header::X_FRAME_OPTIONS, "DENY")),
            )
            .wrap_fn(|req, srv| {
                // Echo the request id tracing_actix_web assigned, to correlate with logs.
                let request_id = req.extensions().get::<RequestId>().copied();
                let response = srv.call(req);
                async move {
                    let mut response = response.await?;
                    if let Some(id) = request_id {
                        if let Ok(value) = HeaderValue::from_str(&id.to_string()) {
                            response
                                .headers_mut()
                                .insert(HeaderName::from_static("x-request-id"), value);
                        }
                    }
                    Ok(response)
                }
            })
            .wrap(TracingLogger::<crate::telemetry::RequestSpan>::new())
            .wrap_fn(|req, srv| {
                let started = std::time::Instant::now();
                let response = srv.call(req);
                async move {
                    let response = response.await?;
                    crate::web::metrics::observe(&response, started);
                    Ok(response)
                }
            })
            .app_data(data.clone())
            .app_data(actix_web::web::PayloadConfig::new(crate::web::BODY_LIMIT))
            .configure(routes::routes(routing))
            .default_service(web::to(routes::not_found))
    })
    .listen(listener)?
    .shutdown_timeout(settings.server.shutdown_timeout_secs);
    if settings.server.workers > 0 {
        server = server.workers(settings.server.workers);
    }
    Ok(server.run())
}
