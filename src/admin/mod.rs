//! Tenant administration: the one authorization layer and the operations that the console
//! (HTML forms) and the REST API (JSON) both call. Every operation takes the [`Principal`]
//! first, checks the permission it needs before touching anything, and records every change
//! in the audit log inside the change's own transaction. The web layers only translate.

pub mod accounts;
pub mod attributes;
pub mod audit_log;
pub mod clients;
pub mod customers;
mod error;
pub mod import;
pub mod import_jobs;
pub mod invitations;
pub mod keys;
pub mod people;
mod principal;
pub mod profiles;
pub mod purposes;
pub mod registration;
pub mod resources;
pub mod roles;
pub mod settings;
pub mod webhooks;

pub use error::AdminError;
pub use principal::{Permission, Principal};

use serde::Serialize;

use crate::db::AnyConnection;

/// The scope a user's access token needs for the admin API: without it, an application the
/// administrator merely signed in to could use their token to administer the tenant.
pub const ADMIN_SCOPE: &str = crate::domain::scope::ADMIN;

/// Largest page a list returns.
pub const MAX_PAGE: usize = 200;

/// Which slice of a list to return: items after the `after` cursor, at most `limit`.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    pub limit: Option<usize>,
    pub after: Option<String>,
}

impl PageRequest {
    pub fn limit(&self) -> usize {
        self.limit.unwrap_or(50).clamp(1, MAX_PAGE)
    }
}

/// One page of a list; `next` is the cursor for the following page, if there is one.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// Cuts a page from items already ordered by `key` and filtered to those after the cursor,
    /// with one more than the limit loaded to know whether a next page exists.
    pub fn from_overfetch(mut items: Vec<T>, limit: usize, key: impl Fn(&T) -> String) -> Page<T> {
        let next = (items.len() > limit)
            .then(|| limit.checked_sub(1).and_then(|last| items.get(last)))
            .flatten()
            .map(key);
        items.truncate(limit);
        Page { items, next }
    }

    /// A page of a list held in memory (short lists: clients, roles, keys), ordered by `key`.
    pub fn of_list(mut all: Vec<T>, page: &PageRequest, key: impl Fn(&T) -> String) -> Page<T> {
        all.sort_by_cached_key(|item| key(item));
        let limit = page.limit();
        let rest: Vec<T> = all
            .into_iter()
            .filter(|item| {
                page.after
                    .as_deref()
                    .is_none_or(|after| key(item).as_str() > after)
            })
            .take(limit + 1)
            .collect();
        Page::from_overfetch(rest, limit, key)
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
        }
    }
}

/// What a change reports to the audit log: the object it touched and non-secret details.
pub struct Audited<T> {
    pub result: T,
    pub target: String,
    pub details: serde_json::Value,
}

/// Runs a change and its audit entry in one transaction: either both land or neither does.
pub(crate) fn audited<T>(
    conn: &mut AnyConnection,
    who: &Principal,
    action: &str,
    mut change: impl FnMut(&mut AnyConnection) -> Result<Audited<T>, AdminError>,
) -> Result<T, AdminError> {
    crate::db::tx::write(conn, |conn| {
        let Audited {
            result,
            target,
            details,
        } = change(conn)?;
        crate::audit::record(
            conn,
            who.tenant(),
            who.actor().event(action, &target, details),
        )?;
        Ok(result)
    })
}
