//! Storage: the only module that speaks diesel. Blocking database work runs on tokio's blocking
//! pool through [`Db::run`], never on the async executor threads.

pub mod accounts;
pub mod attributes;
pub mod audit;
pub mod clients;
mod connection;
pub mod consents;
pub mod customers;
pub mod device;
pub mod email_changes;
mod error;
pub mod events;
pub mod grants;
pub mod import_jobs;
pub mod legacy;
pub mod legacy_records;
pub mod mfa;
pub mod notify;
pub mod pending;
pub mod purge;
pub mod purposes;
pub mod rate_limits;
pub mod registration;
pub mod resources;
pub mod roles;
pub mod schema;
pub mod sessions;
pub mod signing_keys;
pub mod tenants;
pub mod tx;
pub mod webhooks;
pub mod wrapped_keys;

use std::time::Duration;

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{Pool, PooledConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub use connection::{
    postgres_url_with_timeouts, AnyConnection, ConnectionManager, DatabaseUrl, DatabaseUrlError,
};
pub use error::{DbError, StorageFailure, RETRY_AFTER_SECS};

/// Rows per multi-row `INSERT` in bulk writes (an import): well under PostgreSQL's limit of
/// 65,535 bound parameters for the widest row.
pub(crate) const ROWS_PER_INSERT: usize = 500;

/// Inserts the rows `$rows` (a slice) into `$table`: on PostgreSQL one multi-row statement per
/// `ROWS_PER_INSERT` (a round trip saved per row); on SQLite, which has no round trips, one
/// prepared statement per row (diesel writes SQLite's multi-row inserts with defaults that way
/// too, and not at all through the two-engine connection type).
macro_rules! insert_many {
    ($conn:expr, $table:expr, $rows:expr) => {{
        let conn: &mut $crate::db::AnyConnection = $conn;
        for batch in $rows.chunks($crate::db::ROWS_PER_INSERT) {
            match &mut *conn {
                $crate::db::AnyConnection::Postgresql(pg) => {
                    diesel::insert_into($table).values(batch).execute(pg)?;
                }
                $crate::db::AnyConnection::Sqlite(sqlite) => {
                    for row in batch {
                        diesel::insert_into($table).values(row).execute(sqlite)?;
                    }
                }
            }
        }
        Ok(())
    }};
}
pub(crate) use insert_many;

const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
/// Serialises migrations when several nodes start at once on one PostgreSQL.
const MIGRATION_LOCK_ID: i64 = 0x0074_6573_7365_7261;

pub type Conn = PooledConnection<ConnectionManager>;

/// How the pool behaves under load.
#[derive(Debug, Clone, Copy)]
pub struct PoolOptions {
    /// Connections per process.
    pub size: u32,
    /// How long a request waits for a free connection before it is answered 503.
    pub connect_timeout: Duration,
    /// How long a statement waits for a lock held by another transaction (SQLite's
    /// `busy_timeout`, PostgreSQL's `lock_timeout`) before it is answered 503.
    pub lock_timeout: Duration,
}

impl PoolOptions {
    pub fn from_settings(settings: &crate::config::DatabaseSettings) -> PoolOptions {
        PoolOptions {
            size: settings.pool_size,
            connect_timeout: Duration::from_secs(settings.connect_timeout_secs),
            lock_timeout: Duration::from_millis(settings.lock_timeout_ms),
        }
    }
}

#[derive(Clone)]
pub struct Db {
    pool: Pool<ConnectionManager>,
    engine: &'static str,
    /// SQLite has one writer at a time: this process's writers queue here (woken the moment
    /// the previous one commits) rather than in SQLite's busy handler, which sleeps in steps
    /// of up to 100 ms and so leaves the lock idle while requests wait.
    writers: Option<tx::WriterQueue>,
    /// One permit per pooled connection: requests wait for a connection here, as futures,
    /// instead of as blocking threads parked inside the pool (64 waiting requests were 64
    /// threads and their memory).
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    connect_timeout: Duration,
    size: u32,
    waits: std::sync::Arc<PoolWaits>,
    /// The server's metrics, reachable from services on the blocking thread (`metrics::record`).
    metrics: Option<std::sync::Arc<crate::metrics::Metrics>>,
    lost: std::sync::Arc<LostConnections>,
}

/// r2d2 logs a failed connection attempt at ERROR, and retries it many times a second while
/// the database is down: an outage would page once per attempt. The requests that waited
/// answer 503 and log at WARN; so does this.
#[derive(Debug)]
struct WarnOnConnectError;

impl diesel::r2d2::HandleError<connection::ConnectError> for WarnOnConnectError {
    fn handle_error(&self, error: connection::ConnectError) {
        tracing::warn!(error = %error, "could not open a database connection");
    }
}

/// When this process last found a pooled connection dead (a database restart, a failover, a
/// network cut). For a while afterwards every connection is tested before it is handed out,
/// so a restart costs the request that found out, not one failed request per pooled
/// connection; the rest of the time a checkout costs no round trip.
#[derive(Debug)]
struct LostConnections {
    origin: std::time::Instant,
    /// Milliseconds after `origin`, plus one; zero for never.
    last: std::sync::atomic::AtomicU64,
}

impl LostConnections {
    const TEST_FOR: Duration = Duration::from_secs(30);

    fn new() -> LostConnections {
        LostConnections {
            origin: std::time::Instant::now(),
            last: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX - 1) + 1
    }

    fn mark(&self) {
        self.last
            .store(self.now(), std::sync::atomic::Ordering::Relaxed);
    }

    fn recent(&self) -> bool {
        let last = self.last.load(std::sync::atomic::Ordering::Relaxed);
        last != 0 && self.now() - last < Self::TEST_FOR.as_millis() as u64
    }
}

/// A pooled connection; after a recent loss, one that answered a round trip. A dead one
/// fails the test, which marks it broken, and the pool discards it when it is dropped here.
fn checkout(
    pool: &Pool<ConnectionManager>,
    lost: &LostConnections,
    timeout: Duration,
) -> Result<Conn, DbError> {
    if !lost.recent() {
        return Ok(pool.get_timeout(timeout)?);
    }
    // The whole search shares one deadline, so a checkout never takes longer than `timeout`
    // plus one round trip's network bound.
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Err(DbError::NoConnection(timeout));
        }
        let mut conn = pool.get_timeout(left)?;
        if conn.batch_execute("SELECT 1").is_ok() {
            return Ok(conn);
        }
    }
}

/// Returns a connection after use, noting when the work found it dead.
fn check_in(mut conn: Conn, lost: &LostConnections) {
    if diesel::r2d2::R2D2Connection::is_broken(&mut *conn) {
        lost.mark();
    }
}

/// How often and how long requests waited for a connection.
#[derive(Debug, Default)]
struct PoolWaits {
    now: std::sync::atomic::AtomicI64,
    total: std::sync::atomic::AtomicU64,
    micros: std::sync::atomic::AtomicU64,
}

/// The pool as `/metrics` shows it.
#[derive(Debug, Clone, Copy)]
pub struct PoolStatus {
    pub size: u32,
    pub in_use: u32,
    pub idle: u32,
    pub waiting: i64,
    pub waits: u64,
    pub wait_seconds: f64,
}

impl Db {
    /// Opens the pool, failing at once with the real cause when the database is unreachable.
    pub fn connect(url: &str, options: PoolOptions) -> anyhow::Result<Db> {
        let url = DatabaseUrl::parse(url)?;
        let engine = url.engine_name();
        let writers = matches!(url, DatabaseUrl::Sqlite(_)).then(tx::WriterQueue::default);
        let manager = ConnectionManager::new(url, options.lock_timeout, options.connect_timeout);
        // r2d2 hides the cause behind a timeout; one direct attempt reports it.
        diesel::r2d2::ManageConnection::connect(&manager)
            .with_context(|| format!("could not connect to the {engine} database"))?;
        let pool = Pool::builder()
            .max_size(options.size)
            // No background top-ups: a connection being opened on r2d2's thread while the
            // process exits crashes inside libpq/OpenSSL teardown. Connections open on demand
            // and are kept for reuse.
            .min_idle(Some(0))
            .connection_timeout(options.connect_timeout)
            .test_on_check_out(false)
            .error_handler(Box::new(WarnOnConnectError))
            .build_unchecked(manager);
        Ok(Db {
            pool,
            engine,
            writers,
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(options.size as usize)),
            connect_timeout: options.connect_timeout,
            size: options.size,
            waits: std::sync::Arc::default(),
            metrics: None,
            lost: std::sync::Arc::new(LostConnections::new()),
        })
    }

    /// This pool, with the server's metrics reachable from the work it runs.
    pub fn with_metrics(mut self, metrics: std::sync::Arc<crate::metrics::Metrics>) -> Db {
        self.metrics = Some(metrics);
        self
    }

    pub fn pool_status(&self) -> PoolStatus {
        use std::sync::atomic::Ordering::Relaxed;
        let free = u32::try_from(self.permits.available_permits()).unwrap_or(0);
        let state = self.pool.state();
        PoolStatus {
            size: self.size,
            in_use: self.size.saturating_sub(free),
            idle: state.idle_connections,
            waiting: self.waits.now.load(Relaxed),
            waits: self.waits.total.load(Relaxed),
            wait_seconds: self.waits.micros.load(Relaxed) as f64 / 1e6,
        }
    }

    pub fn engine(&self) -> &'static str {
        self.engine
    }

    /// A connection for synchronous callers (the CLI). Request handlers use [`Db::run`].
    pub fn conn(&self) -> Result<Conn, DbError> {
        checkout(&self.pool, &self.lost, self.connect_timeout)
    }

    /// Runs blocking database work on the blocking thread pool.
    pub async fn run<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                use std::sync::atomic::Ordering::Relaxed;
                let started = std::time::Instant::now();
                self.waits.now.fetch_add(1, Relaxed);
                let waited = tokio::time::timeout(
                    self.connect_timeout,
                    self.permits.clone().acquire_owned(),
                )
                .await;
                self.waits.now.fetch_sub(1, Relaxed);
                self.waits.total.fetch_add(1, Relaxed);
                let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                self.waits.micros.fetch_add(micros, Relaxed);
                waited
                    .map_err(|_| DbError::NoConnection(self.connect_timeout))?
                    .map_err(|_| DbError::NoConnection(self.connect_timeout))?
            }
        };
        let (pool, writers) = (self.pool.clone(), self.writers.clone());
        let (metrics, lost, timeout) = (
            self.metrics.clone(),
            self.lost.clone(),
            self.connect_timeout,
        );
        // A child of the request's span: a database call in its trace.
        let span = tracing::info_span!("db", otel.name = "db", db.system = self.engine);
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let _permit = permit;
            let mut conn = checkout(&pool, &lost, timeout)?;
            let done = crate::metrics::with_current(metrics.as_ref(), || {
                tx::queue_writers_on(writers.as_ref(), || work(&mut conn))
            });
            check_in(conn, &lost);
            done
        })
        .await
        .map_err(DbError::from)?
    }

    /// Applies pending migrations for this engine, one at a time; `before(version, conn)`
    /// runs before each (data steps that need Rust, such as sealing personal data, hook in
    /// there).
    pub fn migrate(
        &self,
        before: &mut dyn FnMut(&str, &mut AnyConnection) -> anyhow::Result<()>,
    ) -> anyhow::Result<Vec<String>> {
        let mut conn = self.conn()?;
        if let AnyConnection::Postgresql(pg) = &mut *conn {
            pg.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_ID})"))?;
        }
        let result = migrate_each(&mut conn, before);
        if let AnyConnection::Postgresql(pg) = &mut *conn {
            pg.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_ID})"))?;
        }
        result.map_err(|e| anyhow::anyhow!("database migration failed: {e:#}"))
    }

    /// Moves every page of SQLite's write-ahead log into the database file and empties the
    /// log, so old page images (rows as they were before an upgrade sealed them) do not stay
    /// in it. Nothing on PostgreSQL (see docs/privacy.md on VACUUM FULL).
    pub fn truncate_write_ahead_log(&self) -> Result<(), DbError> {
        let mut conn = self.conn()?;
        if let AnyConnection::Sqlite(sqlite) = &mut *conn {
            sqlite.batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")?;
        }
        Ok(())
    }

    /// Readiness probe: a round trip within `timeout`.
    pub async fn ping(&self, timeout: Duration) -> Result<(), DbError> {
        let (pool, lost) = (self.pool.clone(), self.lost.clone());
        tokio::task::spawn_blocking(move || {
            let mut conn = checkout(&pool, &lost, timeout)?;
            let answered = conn.batch_execute("SELECT 1");
            check_in(conn, &lost);
            Ok(answered?)
        })
        .await?
    }
}

fn migrate_each(
    conn: &mut AnyConnection,
    before: &mut dyn FnMut(&str, &mut AnyConnection) -> anyhow::Result<()>,
) -> anyhow::Result<Vec<String>> {
    let mut applied = Vec::new();
    loop {
        let next = match conn {
            AnyConnection::Postgresql(pg) => next_pending(pg, POSTGRES_MIGRATIONS)?,
            AnyConnection::Sqlite(sqlite) => next_pending(sqlite, SQLITE_MIGRATIONS)?,
        };
        let Some(version) = next else {
            return Ok(applied);
        };
        before(&version, conn)?;
        match conn {
            AnyConnection::Postgresql(pg) => run_next(pg, POSTGRES_MIGRATIONS)?,
            AnyConnection::Sqlite(sqlite) => run_next(sqlite, SQLITE_MIGRATIONS)?,
        }
        applied.push(version);
    }
}

fn next_pending<DB: diesel::backend::Backend>(
    harness: &mut impl MigrationHarness<DB>,
    source: EmbeddedMigrations,
) -> anyhow::Result<Option<String>> {
    let pending = harness
        .pending_migrations(source)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(pending.first().map(|m| m.name().version().to_string()))
}

fn run_next<DB: diesel::backend::Backend>(
    harness: &mut impl MigrationHarness<DB>,
    source: EmbeddedMigrations,
) -> anyhow::Result<()> {
    harness
        .run_next_migration(source)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}
