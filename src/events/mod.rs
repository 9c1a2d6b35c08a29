//! Change events: what downstream systems (search, analytics, provisioning) learn about
//! changes to accounts, profiles, consents, role memberships and sessions.
//!
//! [`emit`] writes the event into the outbox (`outbox_events`) inside the transaction of the
//! change, so a change and its event commit together or not at all: no event for a change
//! that rolled back, no change without its event. Webhooks (`crate::webhooks`) and the
//! admin API's event feed read the outbox afterwards.
//!
//! An event names what changed (ids, field names, non-personal facts such as a status or a
//! role name), never personal values: the outbox is not a second copy of the people it
//! describes, and erasing an account leaves nothing personal behind in it. Subscriptions
//! allowed personal data get the subject's current values added at delivery, read from the
//! profile store, which stays the source of truth. The document's shape is `docs/events.md`.

use serde_json::{json, Map, Value};

use crate::db::events::{self as rows, NewEventRow};
use crate::db::{AnyConnection, DbError};
use crate::domain::{unix_now, AccountId, ClientId, ProfileId, TenantId};

/// The version of the event document; it changes only when a field changes meaning or goes.
pub const SCHEMA: &str = "tessera.event/1";

macro_rules! kinds {
    ($( $variant:ident => $name:literal, $doc:literal; )*) => {
        /// Every kind of event.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Kind {
            $( #[doc = $doc] $variant, )*
        }

        impl Kind {
            pub const ALL: &'static [Kind] = &[$( Kind::$variant, )*];

            /// The `type` field.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( Kind::$variant => $name, )*
                }
            }

            /// What it means, for the console and the docs.
            pub fn describe(self) -> &'static str {
                match self {
                    $( Kind::$variant => $doc, )*
                }
            }
        }
    };
}

kinds! {
    AccountCreated => "account.created", "An account was created (sign-up, invitation, console, API, CLI).";
    AccountUpdated => "account.updated", "An account changed: `changed` lists what (status, password, mfa, email_verified, locked).";
    AccountErasureScheduled => "account.erasure_scheduled", "Its owner asked for the account to be deleted; `erase_at` says when.";
    AccountErasureCancelled => "account.erasure_cancelled", "A scheduled deletion was called off.";
    AccountErased => "account.erased", "The account's personal data was destroyed; only its id remains.";
    AccountMerged => "account.merged", "The account was merged into another (`into`), with its profiles (`profiles`); it is a tombstone now. In `account` subject mode its `sub` is now `into`'s.";
    ProfileCreated => "profile.created", "A profile was added to an account.";
    ProfileUpdated => "profile.updated", "A profile changed: `changed` lists the fields.";
    ProfileDeleted => "profile.deleted", "A profile was deleted.";
    ProfileMoved => "profile.moved", "A profile moved to another account (`profile_id`, `from_account`; the subject is the account it moved to). In `account` subject mode its `sub` changes; in `profile` mode it does not.";
    ConsentGranted => "consent.granted", "A profile consented to a client's scopes.";
    ConsentWithdrawn => "consent.withdrawn", "A profile's consent to a client was withdrawn (what the client held was revoked).";
    ConsentPurposesDecided => "consent.purposes_decided", "A profile answered consent purposes (each accepted or declined, with its version).";
    ConsentPurposeWithdrawn => "consent.purpose_withdrawn", "A profile withdrew an optional purpose.";
    RoleGranted => "role.granted", "A profile or a client was given a role.";
    RoleRevoked => "role.revoked", "A role was taken from a profile or a client (or the role was deleted).";
    SessionEnded => "session.ended", "A browser session ended: `reason` says why (logout, sign_out_everywhere, suspension, password_change, …).";
}

impl Kind {
    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.as_str() == name)
    }
}

/// Whose change it is: the key that orders deliveries (one subject's events go out one after
/// the other). Everything a person owns is ordered by their account.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    Account(&'a AccountId),
    /// A profile: ordered with (and named together with) its account, looked up.
    Profile(&'a ProfileId),
    /// A profile whose account the caller already holds (no lookup).
    ProfileOf(&'a ProfileId, &'a AccountId),
    Client(&'a ClientId),
}

/// Writes an event into the outbox. Call it inside the transaction of the change: if the
/// event cannot be written, the change fails with it. `data` holds the change's facts; the
/// subject's ids are added to it. A profile that no longer exists is named without an account.
pub fn emit(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    kind: Kind,
    subject: Subject,
    data: Value,
) -> Result<(), DbError> {
    let event = Outgoing::resolve(conn, tenant, kind, subject, data)?;
    insert(conn, &[event])
}

/// Writes many events into the outbox in one statement, in order (an import: use
/// `Subject::ProfileOf`, as `Subject::Profile` is looked up one by one).
pub fn emit_many<'a>(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    events: impl IntoIterator<Item = (Kind, Subject<'a>, Value)>,
) -> Result<(), DbError> {
    let events = events
        .into_iter()
        .map(|(kind, subject, data)| Outgoing::resolve(conn, tenant, kind, subject, data))
        .collect::<Result<Vec<_>, _>>()?;
    insert(conn, &events)
}

/// One event as the outbox stores it.
struct Outgoing {
    id: String,
    tenant_id: String,
    kind: Kind,
    key: String,
    at: i64,
    body: String,
}

impl Outgoing {
    /// The event, its profile subject looked up to name its account.
    fn resolve(
        conn: &mut AnyConnection,
        tenant: &TenantId,
        kind: Kind,
        subject: Subject,
        data: Value,
    ) -> Result<Outgoing, DbError> {
        if let Subject::Profile(profile) = subject {
            if let Some(row) = crate::db::accounts::find_profile(conn, tenant, profile)? {
                let account = AccountId::from_stored(row.account_id);
                return Ok(Outgoing::new(
                    tenant,
                    kind,
                    Subject::ProfileOf(profile, &account),
                    data,
                ));
            }
        }
        Ok(Outgoing::new(tenant, kind, subject, data))
    }

    /// `Subject::Profile` here is a profile that no longer exists: named without an account.
    fn new(tenant: &TenantId, kind: Kind, subject: Subject, data: Value) -> Outgoing {
        let mut data = match data {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let key = match subject {
            Subject::Account(account) => {
                data.insert("account_id".into(), json!(account));
                account.to_string()
            }
            Subject::ProfileOf(profile, account) => {
                data.insert("profile_id".into(), json!(profile));
                data.insert("account_id".into(), json!(account));
                account.to_string()
            }
            Subject::Profile(profile) => {
                data.insert("profile_id".into(), json!(profile));
                data.insert("account_id".into(), Value::Null);
                profile.to_string()
            }
            Subject::Client(client) => {
                data.insert("client_id".into(), json!(client));
                format!("client:{client}")
            }
        };
        let id = uuid::Uuid::now_v7().to_string();
        let at = unix_now();
        let body = json!({
            "id": id,
            "type": kind.as_str(),
            "schema": SCHEMA,
            "timestamp": crate::domain::rfc3339(at),
            "tenant_id": tenant,
            "data": data,
        })
        .to_string();
        Outgoing {
            id,
            tenant_id: tenant.to_string(),
            kind,
            key,
            at,
            body,
        }
    }

    fn row(&self) -> NewEventRow<'_> {
        NewEventRow {
            id: &self.id,
            tenant_id: &self.tenant_id,
            event_type: self.kind.as_str(),
            subject: &self.key,
            occurred_at: self.at,
            body: &self.body,
            dispatched: false,
        }
    }
}

fn insert(conn: &mut AnyConnection, events: &[Outgoing]) -> Result<(), DbError> {
    match events {
        [one] => rows::insert(conn, &one.row()),
        many => rows::insert_many(conn, &many.iter().map(Outgoing::row).collect::<Vec<_>>()),
    }
}

/// An `account.updated` event: `data` says what changed (`changed`, and facts such as the
/// new status).
pub fn account_updated(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    data: Value,
) -> Result<(), DbError> {
    emit(
        conn,
        tenant,
        Kind::AccountUpdated,
        Subject::Account(account),
        data,
    )
}

/// The names of the fields a change set touched (`Some` ones), for `changed`.
pub fn changed<const N: usize>(fields: [(&'static str, bool); N]) -> Vec<&'static str> {
    fields
        .into_iter()
        .filter(|(_, touched)| *touched)
        .map(|(name, _)| name)
        .collect()
}

/// Whether an event type matches a subscription's pattern: the type itself, an area
/// (`profile.*`), or everything (`*`).
pub fn matches(pattern: &str, kind: &str) -> bool {
    pattern == "*"
        || pattern == kind
        || pattern
            .strip_suffix(".*")
            .is_some_and(|area| kind.split('.').next() == Some(area))
}

/// Checks a subscription's pattern: a known type, a known area with `.*`, or `*`.
pub fn valid_pattern(pattern: &str) -> bool {
    Kind::ALL.iter().any(|k| matches(pattern, k.as_str()))
        && (pattern == "*"
            || Kind::parse(pattern).is_some()
            || pattern.ends_with(".*") && !pattern[..pattern.len() - 2].contains(['.', '*']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_types_areas_and_everything() {
        assert!(matches("*", "profile.updated"));
        assert!(matches("profile.*", "profile.updated"));
        assert!(matches("profile.updated", "profile.updated"));
        assert!(!matches("profile.*", "account.updated"));
        assert!(!matches("profile.created", "profile.updated"));
        assert!(!matches("prof*", "profile.updated"));
    }

    #[test]
    fn only_known_types_and_areas_are_valid_patterns() {
        for good in ["*", "profile.*", "account.created", "session.ended"] {
            assert!(valid_pattern(good), "{good}");
        }
        for bad in [
            "",
            "profile",
            "profile.nope",
            "nope.*",
            "*.*",
            "profile.*.*",
            "a.b.*",
        ] {
            assert!(!valid_pattern(bad), "{bad}");
        }
    }

    #[test]
    fn every_kind_has_a_unique_dotted_name() {
        let mut names: Vec<_> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        assert!(names.iter().all(|n| n.split('.').count() == 2));
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Kind::ALL.len());
    }
}
