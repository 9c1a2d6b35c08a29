//! Storage errors, and the one place that tells a passing database condition (a lock wait
//! that ran out, a lost connection, a transaction the engine aborted to break a deadlock) from
//! a bug. The first kind answers 503 with `Retry-After`; only the second may be a 500.

use diesel::result::{DatabaseErrorKind, Error as QueryError};

/// Seconds a client is asked to wait after a transient database failure.
pub const RETRY_AFTER_SECS: u64 = 1;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("no database connection available: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("no database connection became free within {0:?}")]
    NoConnection(std::time::Duration),
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error("database task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// A write raced another one in a way the engine could not order; the transaction was
    /// retried and kept losing.
    #[error("the transaction kept conflicting with concurrent ones ({0})")]
    Contended(String),
    /// Sealed personal data read back but could not be opened (wrong master key, corruption):
    /// a fault of the server, never of the request.
    #[error("stored personal data cannot be opened: {0}")]
    Unreadable(String),
}

impl DbError {
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            DbError::Query(QueryError::DatabaseError(
                DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }

    /// The engine aborted the transaction so that a concurrent one could proceed
    /// (PostgreSQL `40001` serialization failure or `40P01` deadlock): running the whole
    /// transaction again is safe and will usually succeed.
    pub fn is_conflict(&self) -> bool {
        match self {
            DbError::Query(QueryError::DatabaseError(
                DatabaseErrorKind::SerializationFailure,
                _,
            )) => true,
            // diesel reports 40P01 as Unknown; the server's message is the only trace of it.
            DbError::Query(QueryError::DatabaseError(DatabaseErrorKind::Unknown, info)) => {
                info.message().starts_with("deadlock detected")
            }
            _ => false,
        }
    }

    /// What an operator has to do when the database refuses writes for a reason waiting
    /// alone will not fix: a full disk, a read-only file or filesystem. Requests still answer
    /// 503 (reads go on, and writes resume by themselves once it is fixed); the log says why.
    pub fn operator_action(&self) -> Option<&'static str> {
        let DbError::Query(QueryError::DatabaseError(_, info)) = self else {
            return None;
        };
        let message = info.message();
        if message.contains("database or disk is full") || message.contains("No space left") {
            Some("free space on the disk that holds the database")
        } else if message.contains("readonly database") || message.contains("read-only") {
            Some("make the database file, its directory and filesystem writable")
        } else if message.contains("disk I/O error") {
            Some("check the disk that holds the database: it failed a write (the kernel log says why; a filesystem the kernel made read-only needs a repair and a restart)")
        } else {
            None
        }
    }

    /// A passing condition rather than a bug: the pool had no connection in time, a lock wait
    /// ran out (`database is locked` after SQLite's busy timeout, PostgreSQL's lock timeout),
    /// the connection was lost, or a conflict outlived its retries. Answer 503 + Retry-After.
    pub fn is_transient(&self) -> bool {
        match self {
            DbError::Pool(_) | DbError::NoConnection(_) | DbError::Contended(_) => true,
            DbError::Task(_) | DbError::Unreadable(_) => false,
            DbError::Query(error) => is_transient_query_error(error),
        }
    }
}

fn is_transient_query_error(error: &QueryError) -> bool {
    match error {
        QueryError::DatabaseError(kind, info) => match kind {
            DatabaseErrorKind::SerializationFailure
            | DatabaseErrorKind::ClosedConnection
            | DatabaseErrorKind::UnableToSendCommand => true,
            DatabaseErrorKind::Unknown => {
                let message = info.message();
                TRANSIENT_MESSAGES.iter().any(|m| message.contains(m))
            }
            _ => false,
        },
        QueryError::BrokenTransactionManager => true,
        QueryError::RollbackErrorOnCommit { commit_error, .. } => {
            is_transient_query_error(commit_error)
        }
        _ => false,
    }
}

/// Messages of passing conditions that diesel reports without a specific kind.
const TRANSIENT_MESSAGES: &[&str] = &[
    // SQLite: SQLITE_BUSY / SQLITE_LOCKED once busy_timeout has run out.
    "database is locked",
    "database table is locked",
    // SQLite on a full or read-only filesystem: writes resume once it is fixed.
    "database or disk is full",
    "attempt to write a readonly database",
    // SQLite's SQLITE_IOERR: what a write to a filesystem the kernel turned read-only gets.
    "disk I/O error",
    // PostgreSQL.
    "deadlock detected",
    "canceling statement due to lock timeout",
    "could not obtain lock",
    "terminating connection",
    "server closed the connection",
    "the database system is",
    "no connection to the server",
];

/// Errors that can carry a storage failure, so the transaction helper can retry conflicts and
/// the web layer can answer transient ones with 503.
pub trait StorageFailure: From<DbError> {
    fn storage_error(&self) -> Option<&DbError>;

    fn is_transient(&self) -> bool {
        self.storage_error().is_some_and(DbError::is_transient)
    }
}

impl StorageFailure for DbError {
    fn storage_error(&self) -> Option<&DbError> {
        Some(self)
    }
}

/// Implements [`StorageFailure`] for an error enum with a `Db(DbError)` variant.
#[macro_export]
macro_rules! storage_failure {
    ($error:ty) => {
        impl $crate::db::StorageFailure for $error {
            fn storage_error(&self) -> Option<&$crate::db::DbError> {
                match self {
                    Self::Db(e) => Some(e),
                    #[allow(unreachable_patterns)]
                    _ => None,
                }
            }
        }
    };
}
