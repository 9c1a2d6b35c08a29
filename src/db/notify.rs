//! Telling every node that cached rows changed (PostgreSQL `NOTIFY`). A notice is sent in
//! the transaction of the change, so it is delivered when (and only if) the change commits;
//! each node's listener (`crate::cache::listen`) drops the cached copies at once, instead of
//! waiting for `cache.ttl_ms` to pass. SQLite has one server process: nothing to tell.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::{AnyConnection, DbError};
use crate::domain::TenantId;

/// The channel notices travel on.
pub const CHANNEL: &str = "tessera_cache";

/// What changed, as the payload says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A tenant row (status, policies, branding, key set).
    Tenant(String),
    /// One client of a tenant.
    Client(String, String),
    /// Every client of a tenant (role permissions that clients hold changed).
    Clients(String),
}

impl Notice {
    fn payload(&self) -> String {
        match self {
            Notice::Tenant(tenant) => format!("tenant {tenant}"),
            Notice::Client(tenant, client) => format!("client {tenant} {client}"),
            Notice::Clients(tenant) => format!("clients {tenant}"),
        }
    }

    pub fn parse(payload: &str) -> Option<Notice> {
        let mut words = payload.split(' ');
        let notice = match (words.next()?, words.next(), words.next()) {
            ("tenant", Some(tenant), None) => Notice::Tenant(tenant.to_owned()),
            ("client", Some(tenant), Some(client)) => {
                Notice::Client(tenant.to_owned(), client.to_owned())
            }
            ("clients", Some(tenant), None) => Notice::Clients(tenant.to_owned()),
            _ => return None,
        };
        words.next().is_none().then_some(notice)
    }
}

/// Sends a notice with the current transaction (delivered at its commit).
pub fn send(conn: &mut AnyConnection, notice: Notice) -> Result<(), DbError> {
    if let AnyConnection::Postgresql(pg) = conn {
        diesel::sql_query("SELECT pg_notify($1, $2)")
            .bind::<diesel::sql_types::Text, _>(CHANNEL)
            .bind::<diesel::sql_types::Text, _>(notice.payload())
            .execute(pg)?;
    }
    Ok(())
}

pub fn tenant_changed(conn: &mut AnyConnection, tenant: &TenantId) -> Result<(), DbError> {
    send(conn, Notice::Tenant(tenant.to_string()))
}

/// A dedicated connection that listens for notices.
pub struct Listener {
    conn: diesel::PgConnection,
}

impl Listener {
    pub fn connect(url: &str) -> anyhow::Result<Listener> {
        let mut conn = diesel::PgConnection::establish(url)?;
        conn.batch_execute(&format!("LISTEN {CHANNEL}"))?;
        Ok(Listener { conn })
    }

    /// The notices received since the last call (never blocks).
    pub fn received(&mut self) -> Result<Vec<Notice>, DbError> {
        let mut notices = Vec::new();
        for notification in self.conn.notifications_iter() {
            let notification = notification?;
            if notification.channel == CHANNEL {
                notices.extend(Notice::parse(&notification.payload));
            }
        }
        Ok(notices)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_nonsense_is_ignored() {
        for notice in [
            Notice::Tenant("t1".into()),
            Notice::Client("t1".into(), "c1".into()),
            Notice::Clients("t1".into()),
        ] {
            assert_eq!(Notice::parse(&notice.payload()), Some(notice));
        }
        for bad in [
            "",
            "tenant",
            "tenant a b",
            "client a",
            "other x",
            "clients a b",
        ] {
            assert_eq!(Notice::parse(bad), None, "{bad}");
        }
    }
}
