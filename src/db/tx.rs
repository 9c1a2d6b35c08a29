//! The one place transactions begin.
//!
//! - [`write`]: a transaction that will (or may) write. On SQLite it starts as the writer
//!   (`BEGIN IMMEDIATE`): a deferred transaction that reads first cannot upgrade its lock while
//!   another connection writes, and SQLite answers `database is locked` at once instead of
//!   waiting, so every writer must ask for the lock up front and queue on `busy_timeout`. On
//!   PostgreSQL it is a READ COMMITTED transaction; writers take row locks in one order
//!   (see `docs/architecture.md`), and a transaction the server aborts anyway (`40001`,
//!   `40P01`) runs again, a bounded number of times.
//! - [`read`]: a consistent snapshot for several reads (PostgreSQL `REPEATABLE READ READ
//!   ONLY`, SQLite deferred). It must not write.
//!
//! The work is a closure that may run more than once: it must only touch the database, and
//! leave effects outside it (mail, caches) until the transaction has returned.

use std::cell::RefCell;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::Connection;

use super::{AnyConnection, DbError, StorageFailure};

/// Attempts of a transaction the engine keeps aborting in favour of concurrent ones.
const MAX_ATTEMPTS: u32 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Write,
    Read,
}

/// Runs `work` in a write transaction: commits on `Ok`, rolls back on `Err`, retries when the
/// engine aborted it to let a concurrent transaction through.
pub fn write<T, E, F>(conn: &mut AnyConnection, work: F) -> Result<T, E>
where
    E: StorageFailure,
    F: FnMut(&mut AnyConnection) -> Result<T, E>,
{
    run(conn, Mode::Write, work)
}

/// Runs `work` on one consistent snapshot, without writing.
pub fn read<T, E, F>(conn: &mut AnyConnection, work: F) -> Result<T, E>
where
    E: StorageFailure,
    F: FnMut(&mut AnyConnection) -> Result<T, E>,
{
    run(conn, Mode::Read, work)
}

/// Runs one write statement outside any transaction. On SQLite it waits its turn in this
/// process's writer queue like a write transaction would; elsewhere it just runs.
pub fn statement<T>(
    conn: &mut AnyConnection,
    work: impl FnOnce(&mut AnyConnection) -> Result<T, DbError>,
) -> Result<T, DbError> {
    let sqlite = matches!(conn, AnyConnection::Sqlite(_));
    let queue = if sqlite && !in_transaction(conn) {
        WRITERS.with(|w| w.borrow().clone())
    } else {
        None
    };
    let _turn = queue
        .as_ref()
        .map(|q| q.0.lock().unwrap_or_else(|e| e.into_inner()));
    work(conn)
}

/// The writers of one SQLite database in this process, served one at a time.
#[derive(Clone, Default)]
pub struct WriterQueue(Arc<Mutex<()>>);

thread_local! {
    /// The queue of the database the current blocking task works on (set by `Db::run`).
    static WRITERS: RefCell<Option<WriterQueue>> = const { RefCell::new(None) };
}

/// Runs `work` with `queue` as the writer queue of this thread's write transactions.
pub(super) fn queue_writers_on<T>(queue: Option<&WriterQueue>, work: impl FnOnce() -> T) -> T {
    let previous = WRITERS.with(|w| w.replace(queue.cloned()));
    let result = work();
    WRITERS.with(|w| *w.borrow_mut() = previous);
    result
}

fn run<T, E, F>(conn: &mut AnyConnection, mode: Mode, mut work: F) -> Result<T, E>
where
    E: StorageFailure,
    F: FnMut(&mut AnyConnection) -> Result<T, E>,
{
    if in_transaction(conn) {
        // Part of an enclosing transaction: a savepoint, so a failure here can be handled by
        // the caller; retrying is the outermost transaction's job.
        return once(conn, savepoint, &mut work);
    }
    // SQLite writers of this process take turns here before asking SQLite for the lock
    // (other processes, like the CLI, still meet them in SQLite's busy handler).
    let queue = match (&*conn, mode) {
        (AnyConnection::Sqlite(_), Mode::Write) => WRITERS.with(|w| w.borrow().clone()),
        _ => None,
    };
    let _turn = queue
        .as_ref()
        .map(|q| q.0.lock().unwrap_or_else(|e| e.into_inner()));
    let mut attempt = 1;
    loop {
        match once(conn, |conn| begin(conn, mode), &mut work) {
            Err(error) if error.storage_error().is_some_and(DbError::is_conflict) => {
                if attempt == MAX_ATTEMPTS {
                    let cause = error
                        .storage_error()
                        .map(ToString::to_string)
                        .unwrap_or_default();
                    tracing::warn!(attempts = attempt, error = %cause, "transaction kept conflicting");
                    return Err(E::from(DbError::Contended(cause)));
                }
                tracing::debug!(attempt, "transaction conflicted; running it again");
                std::thread::sleep(backoff(attempt));
                attempt += 1;
            }
            Err(error) => {
                if let Some(cause) = error.storage_error() {
                    if let Some(action) = cause.operator_action() {
                        tracing::error!(error = %cause, action, "the database refuses writes");
                    }
                }
                return Err(error);
            }
            done => return done,
        }
    }
}

/// Begins, runs `work`, then commits on `Ok` or rolls back on `Err`.
fn once<T, E, F>(
    conn: &mut AnyConnection,
    begin: impl FnOnce(&mut AnyConnection) -> diesel::QueryResult<()>,
    work: &mut F,
) -> Result<T, E>
where
    E: StorageFailure,
    F: FnMut(&mut AnyConnection) -> Result<T, E>,
{
    begin(conn).map_err(|e| E::from(e.into()))?;
    match work(conn) {
        Ok(value) => commit(conn).map(|()| value).map_err(|e| E::from(e.into())),
        Err(error) => {
            if let Err(rollback) = rollback(conn) {
                // The connection is now marked broken and will not return to the pool.
                tracing::warn!(error = %rollback, "rollback failed");
            }
            Err(error)
        }
    }
}

fn savepoint(conn: &mut AnyConnection) -> diesel::QueryResult<()> {
    <AnyConnection as Connection>::TransactionManager::begin_transaction(conn)
}

fn in_transaction(conn: &mut AnyConnection) -> bool {
    !matches!(
        <AnyConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn)
            .transaction_depth(),
        Ok(None)
    )
}

fn begin(conn: &mut AnyConnection, mode: Mode) -> diesel::QueryResult<()> {
    match (conn, mode) {
        (AnyConnection::Sqlite(c), Mode::Write) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
        }
        (AnyConnection::Sqlite(c), Mode::Read) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN DEFERRED")
        }
        (AnyConnection::Postgresql(c), Mode::Write) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN ISOLATION LEVEL READ COMMITTED")
        }
        (AnyConnection::Postgresql(c), Mode::Read) => {
            AnsiTransactionManager::begin_transaction_sql(
                c,
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            )
        }
    }
}

fn commit(conn: &mut AnyConnection) -> diesel::QueryResult<()> {
    <AnyConnection as Connection>::TransactionManager::commit_transaction(conn)
}

fn rollback(conn: &mut AnyConnection) -> diesel::QueryResult<()> {
    <AnyConnection as Connection>::TransactionManager::rollback_transaction(conn)
}

/// 2, 4, 8, 16 ms plus up to as much again at random, so retries of transactions that collided
/// do not collide again in lockstep.
fn backoff(attempt: u32) -> Duration {
    let base = 1u64 << attempt.min(6);
    let jitter = rand::random::<u64>() % (base + 1);
    Duration::from_millis(base + jitter)
}
