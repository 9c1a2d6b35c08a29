//! Signing keys: list, rotate (a new active key per algorithm; earlier ones stay published
//! until retired), retire.

use super::{AdminError, Page, PageRequest, Permission, Principal};
use crate::db::AnyConnection;
use crate::keys::{self, KeyAlg, KeyError, KeyInfo, MasterKey};

fn key_error(e: KeyError) -> AdminError {
    match e {
        KeyError::NotFound(_) => AdminError::NotFound,
        KeyError::StillActive(kid) => AdminError::Conflict(format!(
            "key {kid} is still active: rotate first, then retire it"
        )),
        KeyError::AlreadyRetired(kid) => {
            AdminError::Conflict(format!("key {kid} is already retired"))
        }
        e @ KeyError::SignsAnchor(_) => AdminError::Conflict(e.to_string()),
        other => AdminError::Internal(other.to_string()),
    }
}

/// Keys in creation order (their ids are time-ordered).
pub fn list(
    conn: &mut AnyConnection,
    who: &Principal,
    page: &PageRequest,
) -> Result<Page<KeyInfo>, AdminError> {
    who.require(Permission::KeysWrite)?;
    let all = keys::list(conn, who.tenant()).map_err(key_error)?;
    Ok(Page::of_list(all, page, |k| k.kid.clone()))
}

/// New active keys for `algs` (when empty: every default algorithm, and PS256 too if the
/// tenant signs with it). Audited by `keys::rotate`.
pub fn rotate(
    conn: &mut AnyConnection,
    master: &MasterKey,
    who: &Principal,
    algs: &[KeyAlg],
) -> Result<Vec<KeyInfo>, AdminError> {
    who.require(Permission::KeysWrite)?;
    let mut algs = if algs.is_empty() {
        let mut all = KeyAlg::ALL.to_vec();
        let signs_ps256 = keys::list(conn, who.tenant())
            .map_err(key_error)?
            .iter()
            .any(|k| k.alg == KeyAlg::Ps256.as_str() && k.status == "active");
        if signs_ps256 {
            all.push(KeyAlg::Ps256);
        }
        all
    } else {
        algs.to_vec()
    };
    // Each algorithm once, however often it is named (RSA keys are costly to make).
    algs.sort_by_key(|alg| alg.as_str());
    algs.dedup();
    keys::rotate(conn, master, who.tenant(), &algs, who.actor()).map_err(key_error)
}

/// Unpublishes an inactive key and erases its private half. Audited by `keys::retire`.
pub fn retire(conn: &mut AnyConnection, who: &Principal, kid: &str) -> Result<KeyInfo, AdminError> {
    who.require(Permission::KeysWrite)?;
    keys::retire(conn, who.tenant(), kid, who.actor()).map_err(key_error)
}
