//! Master-key rotation: every value the master key wraps (the index root, the data keys of
//! accounts and profiles, signing keys, TOTP seeds) is re-wrapped under the configured key
//! while the previous one (`keys.previous_master_key*`) still opens what it sealed.
//!
//! Online: each batch is one short write transaction, and each row is replaced only if it is
//! still the value that was read (an erasure or another rotation running at the same time
//! wins), so servers keep serving and two runs never double-count. Resumable: a run picks up
//! whatever is still under another key, wherever an earlier one stopped.

use serde::Serialize;

use super::envelope::EnvelopeError;
use super::Vault;
use crate::db::wrapped_keys::{self as rows, WrappedTable};
use crate::db::{tx, AnyConnection, DbError};

#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error(
        "{what} {id} is wrapped under master key {stored}, which is neither the configured key \
         ({configured}) nor the previous one: set keys.previous_master_key_file to the key it \
         was sealed with"
    )]
    UnknownKey {
        what: &'static str,
        id: String,
        stored: String,
        configured: String,
    },
    #[error("{what} {id} does not open: {source}")]
    Unreadable {
        what: &'static str,
        id: String,
        #[source]
        source: EnvelopeError,
    },
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::storage_failure!(RotationError);

#[derive(Debug, Clone, Serialize)]
pub struct TableRotation {
    pub what: &'static str,
    /// Values this run re-wrapped.
    pub rewrapped: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RotationReport {
    /// The key everything is wrapped under now.
    pub master_key_id: String,
    pub tables: Vec<TableRotation>,
    pub rewrapped: u64,
    /// Values still under another key when the run ended (written meanwhile by a node that
    /// still seals with the old key): run again once every node has the new key.
    pub remaining: i64,
}

/// Re-wraps everything under another master key than the vault's, `batch` rows per
/// transaction.
pub fn rotate_master(
    conn: &mut AnyConnection,
    vault: &Vault,
    batch: i64,
) -> Result<RotationReport, RotationError> {
    let current = vault.master().id().to_owned();
    let mut tables = Vec::new();
    for table in WrappedTable::ALL {
        let mut rewrapped = 0;
        let mut after = String::new();
        loop {
            let page = rows::wrapped_under_other_keys(conn, table, &current, &after, batch)?;
            let Some(last) = page.last() else {
                break;
            };
            after = last.id.clone();
            rewrapped += tx::write(conn, |conn| rewrap_page(conn, vault, table, &page))?;
        }
        tables.push(TableRotation {
            what: table.label(),
            rewrapped,
        });
    }
    let mut remaining = 0;
    for table in WrappedTable::ALL {
        remaining += rows::count_under_other_keys(conn, table, &current, None)?;
    }
    Ok(RotationReport {
        master_key_id: current,
        rewrapped: tables.iter().map(|t| t.rewrapped).sum(),
        tables,
        remaining,
    })
}

fn rewrap_page(
    conn: &mut AnyConnection,
    vault: &Vault,
    table: WrappedTable,
    page: &[rows::WrappedRow],
) -> Result<u64, RotationError> {
    let mut replaced = 0;
    for row in page {
        let sealed = vault.rewrap(table, row).map_err(|source| match source {
            EnvelopeError::WrongMasterKey { stored, configured } => RotationError::UnknownKey {
                what: table.label(),
                id: row.id.clone(),
                stored,
                configured,
            },
            source => RotationError::Unreadable {
                what: table.label(),
                id: row.id.clone(),
                source,
            },
        })?;
        if rows::replace_wrapped(conn, table, row, &sealed.ciphertext, &sealed.master_key_id)? {
            replaced += 1;
        }
    }
    Ok(replaced)
}
