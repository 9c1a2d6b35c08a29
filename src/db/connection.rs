//! One connection type over both engines, and an r2d2 manager that picks the engine from the
//! URL scheme so connection errors surface at once with their real cause.

use std::path::PathBuf;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::ManageConnection;
use diesel::sqlite::SqliteConnection;
use diesel::Connection;

#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    // Last: SQLite accepts any string as a path.
    Sqlite(SqliteConnection),
}

/// Which engine a database URL names.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(PathBuf),
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // The URL may carry a password.
            DatabaseUrl::Postgres(_) => f.write_str("Postgres(<redacted>)"),
            DatabaseUrl::Sqlite(path) => write!(f, "Sqlite({})", path.display()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DatabaseUrlError {
    #[error("database.url must start with sqlite:// or postgres:// (got scheme \"{0}\")")]
    UnknownScheme(String),
    #[error("database.url sqlite:// needs a file path, e.g. sqlite://data/tessera.db")]
    EmptySqlitePath,
    #[error("in-memory SQLite is not supported: every pooled connection would see its own empty database; use a file")]
    InMemorySqlite,
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<DatabaseUrl, DatabaseUrlError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.to_owned()));
        }
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(DatabaseUrlError::EmptySqlitePath);
            }
            if path.contains(":memory:") || path.contains("mode=memory") {
                return Err(DatabaseUrlError::InMemorySqlite);
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        let scheme = url.split(':').next().unwrap_or_default().to_owned();
        Err(DatabaseUrlError::UnknownScheme(scheme))
    }

    pub fn engine_name(&self) -> &'static str {
        match self {
            DatabaseUrl::Postgres(_) => "postgresql",
            DatabaseUrl::Sqlite(_) => "sqlite",
        }
    }
}

/// The PostgreSQL URL with libpq's network bounds added where the operator set none: a
/// connection attempt gives up after `timeout`, and a connection whose server stops
/// acknowledging (a network partition, a host that vanished) fails after `timeout` instead of
/// waiting for the kernel's retransmissions (about 15 minutes). Keepalives notice the same on
/// idle connections, such as the cache listener's.
pub fn postgres_url_with_timeouts(url: &str, timeout: std::time::Duration) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        // libpq reports a malformed URL better than we could.
        return url.to_owned();
    };
    let seconds = timeout.as_secs().max(2);
    let bounds = [
        ("connect_timeout", seconds.to_string()),
        ("tcp_user_timeout", (seconds * 1000).to_string()),
        ("keepalives", "1".to_owned()),
        ("keepalives_idle", seconds.to_string()),
        ("keepalives_interval", (seconds / 2).max(1).to_string()),
        ("keepalives_count", "3".to_owned()),
    ];
    let present: Vec<String> = parsed.query_pairs().map(|(k, _)| k.into_owned()).collect();
    {
        let mut query = parsed.query_pairs_mut();
        for (key, value) in bounds {
            if !present.iter().any(|p| p == key) {
                query.append_pair(key, &value);
            }
        }
    }
    parsed.to_string()
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Connection(#[from] diesel::ConnectionError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("could not create the directory for the SQLite database: {0}")]
    Directory(std::io::Error),
}

pub struct ConnectionManager {
    url: DatabaseUrl,
    lock_timeout: std::time::Duration,
}

impl ConnectionManager {
    /// `network_timeout` bounds PostgreSQL connection attempts and unanswered sends (see
    /// [`postgres_url_with_timeouts`]).
    pub fn new(
        url: DatabaseUrl,
        lock_timeout: std::time::Duration,
        network_timeout: std::time::Duration,
    ) -> Self {
        let url = match url {
            DatabaseUrl::Postgres(url) => {
                DatabaseUrl::Postgres(postgres_url_with_timeouts(&url, network_timeout))
            }
            sqlite => sqlite,
        };
        Self { url, lock_timeout }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = AnyConnection;
    type Error = ConnectError;

    fn connect(&self) -> Result<AnyConnection, ConnectError> {
        match &self.url {
            DatabaseUrl::Postgres(url) => {
                let mut conn = PgConnection::establish(url)?;
                // A lock wait is bounded: past it the request answers 503 instead of hanging.
                conn.batch_execute(&format!(
                    "SET lock_timeout = {}",
                    self.lock_timeout.as_millis()
                ))?;
                Ok(AnyConnection::Postgresql(conn))
            }
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(ConnectError::Directory)?;
                }
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
                // WAL lets readers run beside the writer; the busy timeout makes writers
                // (which all begin with BEGIN IMMEDIATE, see db::tx) queue for the lock instead
                // of failing with "database is locked".
                // secure_delete zeroes freed content, so deleted or erased rows (and the
                // plaintext columns migration 17 drops) do not linger in free pages.
                // synchronous = FULL: every commit reaches the disk before it is acknowledged
                // (as PostgreSQL's default does). NORMAL survives a killed process but loses
                // the commits since the last checkpoint when the machine or the filesystem
                // fails: a fault test lost a whole tenant that way. One fsync per write
                // transaction (~0.1 ms here) is far below what sign-in costs.
                conn.batch_execute(&format!(
                    "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = {}; \
                     PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; \
                     PRAGMA secure_delete = ON;",
                    self.lock_timeout.as_millis()
                ))?;
                Ok(AnyConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), ConnectError> {
        Ok(conn.batch_execute("SELECT 1")?)
    }

    /// A fast, non-blocking check (diesel tracks transport errors), run when a connection goes
    /// back to the pool: a connection broken by a database restart is dropped, not reused.
    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        diesel::r2d2::R2D2Connection::is_broken(conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_engines_from_scheme() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/t.db").unwrap(),
            DatabaseUrl::Sqlite("data/t.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/t.db").unwrap(),
            DatabaseUrl::Sqlite("/var/lib/t.db".into())
        );
        assert!(matches!(
            DatabaseUrl::parse("postgresql://u@h/db").unwrap(),
            DatabaseUrl::Postgres(_)
        ));
        assert!(matches!(
            DatabaseUrl::parse("mysql://x"),
            Err(DatabaseUrlError::UnknownScheme(s)) if s == "mysql"
        ));
        assert!(DatabaseUrl::parse("sqlite://:memory:").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }

    #[test]
    fn postgres_urls_get_network_bounds_the_operator_did_not_set() {
        let url = postgres_url_with_timeouts(
            "postgres://u:p@db:5432/tessera?sslmode=require&connect_timeout=9",
            std::time::Duration::from_secs(5),
        );
        let url = url::Url::parse(&url).unwrap();
        let pairs: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs["sslmode"], "require");
        assert_eq!(pairs["connect_timeout"], "9", "the operator's value stays");
        assert_eq!(pairs["tcp_user_timeout"], "5000");
        assert_eq!(pairs["keepalives"], "1");
        assert_eq!(url.password(), Some("p"));
        assert_eq!(url.path(), "/tessera");
    }

    #[test]
    fn debug_redacts_postgres_password() {
        let url = DatabaseUrl::parse("postgres://u:hunter2@h/db").unwrap();
        assert!(!format!("{url:?}").contains("hunter2"));
    }
}
