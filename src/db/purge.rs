//! Deleting rows that can no longer matter: expired pending requests, codes, sessions,
//! challenges, rate-limit windows, used client assertions, deny-list entries, tokens.
//!
//! Each batch is one `DELETE … WHERE key IN (SELECT key … LIMIT n)` statement of its own, so
//! no lock is held for long and nothing else waits behind a purge. Deleting is idempotent:
//! several nodes may purge at once. On PostgreSQL the inner select takes its rows with
//! `FOR UPDATE SKIP LOCKED`, so two nodes split the work instead of queueing on each other's
//! rows; SQLite serialises writers anyway.

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::{tx, AnyConnection, DbError};

/// One kind of dead row: the table, its key, and the time column that says when it died.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub table: &'static str,
    key: &'static str,
    /// An SQL expression of the row's time of death (Unix seconds).
    died_at: &'static str,
    /// How long after its death a row is kept (for replay detection, say).
    keep_secs: i64,
}

/// Every purgeable table. Each `died_at` has an index (the `purge_indexes` migration) except
/// `rate_limits`': its rows change on every counted request, so an index would cost every
/// sign-in, while the purge scanning it every few minutes costs little.
/// Authorization codes are kept an hour past their expiry, so a replayed code is still
/// recognised (and its grant revoked) for that long; a rate-limit row goes a minute after
/// its one-minute window ended.
pub const TARGETS: &[Target] = &[
    Target {
        table: "authorization_requests",
        key: "id",
        died_at: "expires_at",
        keep_secs: 0,
    },
    Target {
        table: "authorization_codes",
        key: "code_hash",
        died_at: "expires_at",
        keep_secs: 3600,
    },
    Target {
        table: "sessions",
        key: "id",
        died_at: "COALESCE(ended_at, expires_at)",
        keep_secs: 0,
    },
    Target {
        table: "login_challenges",
        key: "id",
        died_at: "expires_at",
        keep_secs: 0,
    },
    Target {
        table: "rate_limits",
        key: "key",
        died_at: "window_start",
        keep_secs: 120,
    },
    Target {
        table: "used_client_assertions",
        key: "jti_hash",
        died_at: "expires_at",
        keep_secs: 0,
    },
    Target {
        table: "revoked_access_tokens",
        key: "jti",
        died_at: "expires_at",
        keep_secs: 0,
    },
    Target {
        table: "account_tokens",
        key: "token_hash",
        died_at: "expires_at",
        keep_secs: 0,
    },
    Target {
        table: "refresh_tokens",
        key: "token_hash",
        died_at: "expires_at",
        keep_secs: 0,
    },
    Target {
        table: "platform_setup_tokens",
        key: "token_hash",
        died_at: "expires_at",
        keep_secs: 0,
    },
    Target {
        table: "pushed_authorization_requests",
        key: "request_uri_hash",
        died_at: "expires_at",
        keep_secs: 0,
    },
    Target {
        table: "registration_tokens",
        key: "id",
        died_at: "expires_at",
        keep_secs: 0,
    },
    // A change of sign-in email matters until its confirmation link, then its revert
    // window, ends (`expires_at` follows it).
    Target {
        table: "email_changes",
        key: "id",
        died_at: "expires_at",
        keep_secs: 0,
    },
    Target {
        table: "device_authorizations",
        key: "device_code_hash",
        died_at: "expires_at",
        keep_secs: 0,
    },
    // An import job and its report are kept a week after it finished (or its node stopped).
    Target {
        table: "import_jobs",
        key: "id",
        died_at: "COALESCE(finished_at, updated_at)",
        keep_secs: 7 * 86_400,
    },
    // Finished deliveries (sent, or dead letters nobody sent again) are kept for two weeks.
    Target {
        table: "event_deliveries",
        key: "id",
        died_at: "finished_at",
        keep_secs: EVENT_KEEP_SECS,
    },
    // An event stays two weeks for the feed, and longer while a delivery of it is unfinished.
    Target {
        table: "outbox_events",
        key: "position",
        died_at: "CASE WHEN dispatched AND NOT EXISTS (SELECT 1 FROM event_deliveries d \
                  WHERE d.event_id = outbox_events.id AND d.state <> 'delivered') \
                  THEN occurred_at END",
        keep_secs: EVENT_KEEP_SECS,
    },
];

/// How long events and finished webhook deliveries are kept (docs/events.md).
pub const EVENT_KEEP_SECS: i64 = 14 * 86_400;

/// Deletes up to `limit` rows of `target` dead before `now` (less what it keeps); returns
/// how many went.
pub fn batch(
    conn: &mut AnyConnection,
    target: &Target,
    now: i64,
    limit: i64,
) -> Result<usize, DbError> {
    let skip_locked = match conn {
        AnyConnection::Postgresql(_) => " FOR UPDATE SKIP LOCKED",
        AnyConnection::Sqlite(_) => "",
    };
    let Target {
        table,
        key,
        died_at,
        keep_secs,
    } = *target;
    // Table and column names are the constants above, never input.
    let sql = format!(
        "DELETE FROM {table} WHERE {key} IN \
         (SELECT {key} FROM {table} WHERE {died_at} < $1 LIMIT $2{skip_locked})"
    );
    let cutoff = now.saturating_sub(keep_secs);
    tx::statement(conn, |conn| {
        Ok(diesel::sql_query(sql)
            .bind::<BigInt, _>(cutoff)
            .bind::<BigInt, _>(limit)
            .execute(conn)?)
    })
}
