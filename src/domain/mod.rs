//! Domain newtypes: parsed once at the edge, trusted everywhere after.

mod email;
mod ids;
mod redirect_uri;
pub mod scope;
mod tenant_slug;

pub use email::{Email, EmailError};
pub use ids::{AccountId, ClientId, GrantId, KeyId, ProfileId, RoleId, SessionId, TenantId};
pub use redirect_uri::{RedirectUri, RedirectUriError};
pub use scope::{ScopeError, ScopeSet};
pub use tenant_slug::{TenantSlug, TenantSlugError};

/// Seconds since the Unix epoch, computed in Rust so both engines agree (DESIGN.md §7).
pub fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// RFC 3339 rendering of a stored Unix time, for JSON and CLI output.
pub fn rfc3339(unix_seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix_seconds)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix_seconds.to_string())
}
